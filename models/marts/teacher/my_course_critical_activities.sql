{{
    config(
        materialized='view',
        schema='teacher',
        tags=['teacher_access'],
        post_hook="{{ harden_teacher_view() }}"
    )
}}

{#-
    mart_course_critical_activities (the activities after which students of a
    course most often stopped) restricted to the database user's courses.
-#}

with

critical_activities as (

    select * from {{ ref('mart_course_critical_activities') }}

),

final as (

    select
        critical_activities.courseid,
        critical_activities.course_module_id,
        critical_activities.module_type,
        critical_activities.activity_name,
        critical_activities.n_stops,
        critical_activities.n_students,
        critical_activities.share_of_course_stops,
        critical_activities.stop_rank,
        critical_activities.first_stop_week,
        critical_activities.last_stop_week
    from critical_activities
    where critical_activities.courseid in {{ my_courseids() }}

)

select * from final
