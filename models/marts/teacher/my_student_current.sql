{{
    config(
        materialized='view',
        schema='teacher',
        tags=['teacher_access'],
        post_hook="{{ harden_teacher_view() }}"
    )
}}

{#-
    mart_student_current (one row per active student enrolment: category now,
    changes, probabilities, reasons) restricted to the database user's courses.
    The Telegram chat id itself stays in the mart: teachers see whether the
    student connected Telegram. previous_run_direction compares the category
    with the one of the previous run (mart_student_category_history).
-#}

with

student_current as (

    select * from {{ ref('mart_student_current') }}

),

final as (

    select
        student_current.enrolment_id,
        student_current.courseid,
        student_current.course_shortname,
        student_current.course_fullname,
        student_current.userid,
        student_current.firstname,
        student_current.lastname,
        student_current.course_week,
        student_current.category,
        student_current.category_reason,
        student_current.previous_category,
        student_current.category_changed,
        student_current.change_direction,
        student_current.previous_run_category,
        student_current.changed_since_previous_run,
        case
            when student_current.previous_run_category is null then null
            when {{ category_severity('student_current.category') }}
                > {{ category_severity('student_current.previous_run_category') }}
                then 'worsened'
            when {{ category_severity('student_current.category') }}
                < {{ category_severity('student_current.previous_run_category') }}
                then 'improved'
            else 'unchanged'
        end as previous_run_direction,
        student_current.weeks_in_category,
        student_current.days_since_last_activity,
        student_current.last_activity_at,
        student_current.p_dropout,
        student_current.p_completion,
        student_current.risk_band,
        student_current.reason_1,
        student_current.reason_2,
        student_current.reason_3,
        student_current.telegram_chat_id is not null as telegram_connected
    from student_current
    where student_current.courseid in {{ my_courseids() }}

)

select * from final
