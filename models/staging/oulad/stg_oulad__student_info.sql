with

source as (

    select * from {{ source('oulad', 'studentInfo') }}

),

renamed as (

    select
        cast({{ oulad_clean('code_module') }} as {{ dbt.type_string() }}) as code_module,
        cast({{ oulad_clean('code_presentation') }} as {{ dbt.type_string() }}) as code_presentation,
        cast({{ oulad_clean('id_student') }} as {{ dbt.type_bigint() }}) as student_id,
        cast({{ oulad_clean('gender') }} as {{ dbt.type_string() }}) as gender,
        cast({{ oulad_clean('region') }} as {{ dbt.type_string() }}) as region,
        cast({{ oulad_clean('highest_education') }} as {{ dbt.type_string() }}) as highest_education,
        cast({{ oulad_clean('imd_band') }} as {{ dbt.type_string() }}) as imd_band,
        cast({{ oulad_clean('age_band') }} as {{ dbt.type_string() }}) as age_band,
        cast({{ oulad_clean('num_of_prev_attempts') }} as {{ dbt.type_bigint() }}) as n_previous_attempts,
        cast({{ oulad_clean('studied_credits') }} as {{ dbt.type_bigint() }}) as studied_credits,
        cast({{ oulad_clean('disability') }} as {{ dbt.type_string() }}) as disability,
        cast({{ oulad_clean('final_result') }} as {{ dbt.type_string() }}) as final_result
    from source

)

select * from renamed
