with

source as (

    select * from {{ source('oulad', 'vle') }}

),

renamed as (

    select
        cast({{ oulad_clean('id_site') }} as {{ dbt.type_bigint() }}) as site_id,
        cast({{ oulad_clean('code_module') }} as {{ dbt.type_string() }}) as code_module,
        cast({{ oulad_clean('code_presentation') }} as {{ dbt.type_string() }}) as code_presentation,
        cast({{ oulad_clean('activity_type') }} as {{ dbt.type_string() }}) as activity_type,
        cast({{ oulad_clean('week_from') }} as {{ dbt.type_bigint() }}) as week_from,
        cast({{ oulad_clean('week_to') }} as {{ dbt.type_bigint() }}) as week_to
    from source

)

select * from renamed
