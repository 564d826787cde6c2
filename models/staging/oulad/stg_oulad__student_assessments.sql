with

source as (

    select * from {{ source('oulad', 'studentAssessment') }}

),

renamed as (

    select
        cast({{ oulad_clean('id_assessment') }} as {{ dbt.type_bigint() }}) as assessment_id,
        cast({{ oulad_clean('id_student') }} as {{ dbt.type_bigint() }}) as student_id,
        cast({{ oulad_clean('date_submitted') }} as {{ dbt.type_bigint() }}) as submitted_day,
        coalesce(cast({{ oulad_clean('is_banked') }} as {{ dbt.type_bigint() }}) = 1, false) as is_banked,
        cast({{ oulad_clean('score') }} as {{ type_double() }}) as score
    from source

)

select * from renamed
