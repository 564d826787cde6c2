with

source as (

    select * from {{ source('oulad', 'assessments') }}

),

renamed as (

    select
        cast({{ oulad_clean('id_assessment') }} as {{ dbt.type_bigint() }}) as assessment_id,
        cast({{ oulad_clean('code_module') }} as {{ dbt.type_string() }}) as code_module,
        cast({{ oulad_clean('code_presentation') }} as {{ dbt.type_string() }}) as code_presentation,
        cast({{ oulad_clean('assessment_type') }} as {{ dbt.type_string() }}) as assessment_type,
        cast({{ oulad_clean('date') }} as {{ dbt.type_bigint() }}) as deadline_day,
        cast({{ oulad_clean('weight') }} as {{ type_double() }}) as weight
    from source

)

select * from renamed
