{#-
    One row per student enrolment and course day with learning activity: the
    table behind fct_activity_daily (its documentation and columns).
    Course days count from the course start (day 0); activity_date is that day's
    calendar date in UTC. Only events kept by int_log_events_classified.

    Incremental: a run deletes and recomputes only the (course, user, course
    day) rows that the log rows reclassified by this run fall on, from all of
    those days' events (macros/incremental_log.sql).
-#}

{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_reprocessed_activity_days() }}",
    indexes=warehouse_indexes([['courseid', 'userid', 'course_day']]),
) }}

-- depends_on: {{ ref('int_log_events_classified') }}
{%- set window = log_reprocess_window(is_incremental()) %}

with

events as (

    select * from {{ ref('int_learning_events_filtered') }}
    {% if is_incremental() and not window.full -%}
        where (courseid, userid, course_day) in (
            select courseid, userid, course_day
            from ({{ reprocessed_activity_days_sql(window) }}) as reprocessed_days
        )
    {%- endif %}

),

courses as (

    select
        courseid,
        startdate
    from {{ ref('int_courses_classified') }}

),

daily as (

    select
        enrolment_id,
        courseid,
        userid,
        course_day,
        count(*) as n_events,
        sum(case when activity_kind = 'course_view' then 1 else 0 end) as n_course_views,
        sum(case when activity_kind = 'content_view' then 1 else 0 end) as n_content_views,
        sum(case when activity_kind = 'forum_read' then 1 else 0 end) as n_forum_reads,
        sum(case when activity_kind = 'forum_post' then 1 else 0 end) as n_forum_posts,
        sum(case when activity_kind = 'assignment' then 1 else 0 end) as n_assignment_events,
        sum(case when activity_kind = 'quiz' then 1 else 0 end) as n_quiz_events,
        sum(case when activity_kind = 'grades' then 1 else 0 end) as n_grade_views,
        sum(case when activity_kind = 'other' then 1 else 0 end) as n_other_events,
        count(distinct course_module_id) as n_distinct_modules,
        max(cognitive_depth) as cognitive_depth_max,
        max(social_breadth) as social_breadth_max,
        min(timecreated) as first_event_at,
        max(timecreated) as last_event_at
    from events
    group by enrolment_id, courseid, userid, course_day

),

final as (

    select
        daily.enrolment_id,
        daily.courseid,
        daily.userid,
        daily.course_day,
        {{ epoch_to_date('courses.startdate + daily.course_day * ' ~ seconds_per_day()) }} as activity_date,
        greatest(
            {{ course_week_of('courses.startdate + daily.course_day * ' ~ seconds_per_day(), 'courses.startdate') }},
            1
        ) as course_week,
        daily.n_events,
        daily.n_course_views,
        daily.n_content_views,
        daily.n_forum_reads,
        daily.n_forum_posts,
        daily.n_assignment_events,
        daily.n_quiz_events,
        daily.n_grade_views,
        daily.n_other_events,
        daily.n_distinct_modules,
        daily.cognitive_depth_max,
        daily.social_breadth_max,
        daily.first_event_at,
        daily.last_event_at
    from daily
    inner join courses
        on daily.courseid = courses.courseid

)

select * from final
