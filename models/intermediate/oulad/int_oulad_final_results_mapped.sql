{#-
    OULAD's outcome of each registration (final_result: Withdrawn, Fail, Pass,
    Distinction) keyed like the enrolment spine (courseid, userid), for the
    labels of fct_enrolment_outcomes on OULAD.
-#}

with

student_info as (

    select * from {{ ref('stg_oulad__student_info') }}

),

courses as (

    select
        courseid,
        code_module,
        code_presentation
    from {{ ref('int_oulad_courses_mapped') }}

),

final as (

    select
        courses.courseid,
        student_info.student_id as userid,
        student_info.final_result
    from student_info
    inner join courses
        on student_info.code_module = courses.code_module
            and student_info.code_presentation = courses.code_presentation

)

select * from final
