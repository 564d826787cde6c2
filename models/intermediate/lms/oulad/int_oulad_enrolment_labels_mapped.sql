{{ config(materialized='view') }}

{#-
    OULAD's training labels (DESIGN.md "Targets"): one row per registration of
    a finished presentation, in the columns of fct_enrolment_outcomes.
    dropout = final_result 'Withdrawn', completion = 'Pass' or 'Distinction'
    ('Fail' is neither), for every registration with a final result (the 70%
    rule of Moodle's labels does not apply: a withdrawal is the label itself,
    and its weeks end at the unregistration).
-#}

with

enrolments as (

    select * from {{ ref('int_enrolments_finished') }}

),

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

final_results as (

    select
        courses.courseid,
        student_info.student_id as userid,
        student_info.final_result
    from student_info
    inner join courses
        on student_info.code_module = courses.code_module
            and student_info.code_presentation = courses.code_presentation

),

labelled as (

    select
        enrolments.enrolment_id,
        enrolments.courseid,
        enrolments.userid,
        enrolments.enrolled_share_of_course,
        enrolments.n_events_last_part,
        final_results.final_result
    from enrolments
    left join final_results
        on enrolments.courseid = final_results.courseid
            and enrolments.userid = final_results.userid

),

final as (

    select
        enrolment_id,
        courseid,
        userid,
        case
            when final_result in ('Pass', 'Distinction') then 1
            when final_result in ('Withdrawn', 'Fail') then 0
        end as is_completed,
        cast(null as {{ dbt.type_bigint() }}) as timecompleted,
        cast(null as {{ type_double() }}) as final_course_grade,
        cast(null as {{ type_double() }}) as gradepass,
        n_events_last_part,
        enrolled_share_of_course,
        case
            when final_result = 'Withdrawn' then 1
            when final_result is not null then 0
        end as is_dropout,
        'oulad_final_result' as dropout_rule,
        'oulad_final_result' as completion_rule,
        final_result is not null as is_label_eligible
    from labelled

)

select * from final
