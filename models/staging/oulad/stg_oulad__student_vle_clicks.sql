with

source as (

    select * from {{ source('oulad', 'studentVle') }}

),

renamed as (

    select
        cast({{ oulad_clean('code_module') }} as {{ dbt.type_string() }}) as code_module,
        cast({{ oulad_clean('code_presentation') }} as {{ dbt.type_string() }}) as code_presentation,
        cast({{ oulad_clean('id_student') }} as {{ dbt.type_bigint() }}) as student_id,
        cast({{ oulad_clean('id_site') }} as {{ dbt.type_bigint() }}) as site_id,
        cast({{ oulad_clean('date') }} as {{ dbt.type_bigint() }}) as activity_day,
        cast({{ oulad_clean('sum_click') }} as {{ dbt.type_bigint() }}) as n_clicks
    from source

)

select * from renamed
