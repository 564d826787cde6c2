{{
    config(
        materialized='view',
        schema='teacher',
        tags=['teacher_access'],
        post_hook="{{ harden_teacher_view() }}"
    )
}}

{#-
    mart_student_activity restricted to the courses the database user may see
    (those of my_courses): what a teacher's database role is granted instead of
    the mart itself.
-#}

with

student_activity as (

    select * from {{ ref('mart_student_activity') }}

),

final as (

    select
        student_activity.enrolment_id,
        student_activity.courseid,
        student_activity.userid,
        student_activity.course_week,
        student_activity.week_end,
        student_activity.is_complete_week,
        student_activity.is_current,
        student_activity.category,
        student_activity.category_reason,
        student_activity.previous_category,
        student_activity.category_changed,
        student_activity.change_direction,
        student_activity.weeks_in_category,
        student_activity.days_since_last_activity,
        student_activity.last_activity_at,
        student_activity.falling_asleep_since,
        student_activity.asleep_since,
        student_activity.first_falling_asleep_week,
        student_activity.first_asleep_week
    from student_activity
    where student_activity.courseid in {{ my_courseids() }}

)

select * from final
