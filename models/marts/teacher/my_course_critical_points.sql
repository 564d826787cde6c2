{{
    config(
        materialized='view',
        schema='teacher',
        tags=['teacher_access'],
        post_hook="{{ harden_teacher_view() }}"
    )
}}

{#-
    mart_course_critical_points (per course week: students crossing into
    falling_asleep and asleep) restricted to the database user's courses.
-#}

with

critical_points as (

    select * from {{ ref('mart_course_critical_points') }}

),

final as (

    select
        critical_points.courseid,
        critical_points.course_week,
        critical_points.week_end,
        critical_points.is_complete_week,
        critical_points.n_students,
        critical_points.n_active,
        critical_points.n_falling_asleep,
        critical_points.n_asleep,
        critical_points.n_not_started,
        critical_points.n_entered_falling_asleep,
        critical_points.share_entered_falling_asleep,
        critical_points.n_entered_asleep,
        critical_points.share_entered_asleep,
        critical_points.n_woke_up
    from critical_points
    where critical_points.courseid in {{ my_courseids() }}

)

select * from final
