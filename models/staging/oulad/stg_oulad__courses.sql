with

source as (

    select * from {{ source('oulad', 'courses') }}

),

renamed as (

    select
        cast({{ oulad_clean('code_module') }} as {{ dbt.type_string() }}) as code_module,
        cast({{ oulad_clean('code_presentation') }} as {{ dbt.type_string() }}) as code_presentation,
        cast({{ oulad_clean('module_presentation_length') }} as {{ dbt.type_bigint() }}) as presentation_length_days
    from source

)

select * from renamed
