{#-
    The activity category of every student enrolment at the end of every course
    week (the current week: at as_of), from the week features. Rules, first match
    wins (thresholds are dbt vars):

      not_started     no learning activity in the course yet
      asleep          no learning activity for >= category_asleep_days (14) days
      falling_asleep  no learning activity for >= category_falling_asleep_days (7) days,
                      or the last two weeks' weekly activity is under
                      category_own_level_share (0.5) of the student's own weekly
                      level before them (needs two earlier weeks),
                      or this week's activity is under the course cohort's lower
                      quartile (category_use_cohort_quartile)
      active          otherwise

    Examples (defaults): last activity 7 days before the week's end -> falling
    asleep; 13 days -> falling asleep; 14 days -> asleep; 10 events a week for
    four weeks, then 4 in the last two weeks (2 a week, under half of 10) ->
    falling asleep even when active yesterday.

    Courses without an activity log (has_activity_log false) get no rows: their
    students' activity is unknown, and a category would be a guess.

    A view: the rules are row by row, so the incremental mart_student_activity
    reads only the courses it recomputes.
-#}

{{ config(materialized='view') }}

with

features as (

    select * from {{ ref('int_enrolment_week_features') }}

),

with_reason as (

    select
        enrolment_id,
        courseid,
        userid,
        course_week,
        week_start,
        week_end,
        is_complete_week,
        last_event_at,
        days_since_last_activity,
        n_events,
        n_events_last_2_weeks,
        events_before_last_2_weeks_weekly_avg,
        cohort_events_p25,
        case
            when not has_started then 'no_activity_yet'
            when days_since_last_activity >= {{ var('category_asleep_days') }} then 'inactive_asleep_days'
            when days_since_last_activity >= {{ var('category_falling_asleep_days') }}
                then 'inactive_falling_asleep_days'
            when events_before_last_2_weeks_weekly_avg > 0
                and n_events_last_2_weeks / 2.0
                < {{ var('category_own_level_share') }} * events_before_last_2_weeks_weekly_avg
                then 'below_own_level'
            {% if var('category_use_cohort_quartile') -%}
                when n_events < cohort_events_p25 then 'below_cohort_lower_quartile'
            {%- endif %}
            else 'active'
        end as category_reason
    from features
    -- no activity log (OULAD presentations without clicks): no category can be known
    where has_activity_log

),

categorised as (

    select
        with_reason.*,
        case with_reason.category_reason
            when 'no_activity_yet' then 'not_started'
            when 'inactive_asleep_days' then 'asleep'
            when 'active' then 'active'
            else 'falling_asleep'
        end as category
    from with_reason

),

final as (

    select
        enrolment_id,
        courseid,
        userid,
        course_week,
        week_start,
        week_end,
        is_complete_week,
        category,
        category_reason,
        last_event_at,
        days_since_last_activity,
        n_events,
        n_events_last_2_weeks,
        events_before_last_2_weeks_weekly_avg,
        cohort_events_p25,
        {{ category_severity('category') }} as category_severity
    from categorised

)

select * from final
