{{ config(materialized='view') }}

{#-
    The daily activity fact: one row per student enrolment and course day with
    learning activity. A view of int_activity_daily, where it is computed
    (incrementally); the columns are documented here.
-#}

with

daily as (

    select * from {{ ref('int_activity_daily') }}

),

final as (

    select
        enrolment_id,
        courseid,
        userid,
        course_day,
        activity_date,
        course_week,
        n_events,
        n_course_views,
        n_content_views,
        n_forum_reads,
        n_forum_posts,
        n_assignment_events,
        n_quiz_events,
        n_grade_views,
        n_other_events,
        n_distinct_modules,
        cognitive_depth_max,
        social_breadth_max,
        first_event_at,
        last_event_at
    from daily

)

select * from final
