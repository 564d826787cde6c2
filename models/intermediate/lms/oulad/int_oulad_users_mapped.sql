{#-
    OULAD students as users, in the columns of stg_moodle__users. OULAD is
    anonymised: no names or e-mail; username is the id_student. A student
    registered on several presentations is one user; city holds the region of
    their first registration (in code order).
-#}

with

student_info as (

    select * from {{ ref('stg_oulad__student_info') }}

),

first_registration as (

    select
        student_id,
        region,
        row_number() over (
            partition by student_id
            order by code_module, code_presentation
        ) as registration_number
    from student_info

),

final as (

    select
        student_id as userid,
        cast(student_id as {{ dbt.type_string() }}) as username,
        cast(null as {{ dbt.type_string() }}) as firstname,
        cast(null as {{ dbt.type_string() }}) as lastname,
        cast(null as {{ dbt.type_string() }}) as email,
        false as is_deleted,
        false as is_suspended,
        cast(null as {{ dbt.type_bigint() }}) as lastaccess,
        cast(null as {{ dbt.type_bigint() }}) as timecreated,
        cast('The Open University' as {{ dbt.type_string() }}) as institution,
        cast(null as {{ dbt.type_string() }}) as department,
        region as city,
        cast('GB' as {{ dbt.type_string() }}) as country,
        cast('en' as {{ dbt.type_string() }}) as lang
    from first_registration
    where registration_number = 1

)

select * from final
