with

source as (

    select * from {{ source('oulad', 'studentRegistration') }}

),

renamed as (

    select
        cast({{ oulad_clean('code_module') }} as {{ dbt.type_string() }}) as code_module,
        cast({{ oulad_clean('code_presentation') }} as {{ dbt.type_string() }}) as code_presentation,
        cast({{ oulad_clean('id_student') }} as {{ dbt.type_bigint() }}) as student_id,
        cast({{ oulad_clean('date_registration') }} as {{ dbt.type_bigint() }}) as registration_day,
        cast({{ oulad_clean('date_unregistration') }} as {{ dbt.type_bigint() }}) as unregistration_day
    from source

)

select * from renamed
