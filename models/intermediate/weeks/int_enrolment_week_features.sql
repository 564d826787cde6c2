{#-
    The week features: one row per student enrolment and course week (the
    sample grid of the classifiers), the table behind the feature mart
    fct_enrolment_week_features. Every figure is computed only from data before
    the week's feature_cutoff (the week's end, or as_of for the current week),
    so a week's row never changes when later events arrive.
    Cohort figures compare the student with the other students of the same
    course in the same week. In a course without an activity log (OULAD
    presentations without clicks: has_activity_log false) every activity figure
    is NULL (unknown), never 0.

    Incremental: a run recomputes, per course, the course weeks from
    int_course_weeks_to_reprocess.from_week on (the current week of a running
    course, and the log's look-back window; more when older inputs changed) and
    keeps the others; --full-refresh gives the same table
    (macros/incremental_weeks.sql, tests/python/test_incremental.py).
-#}

{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_reprocessed_weeks() }}",
    indexes=warehouse_indexes([['courseid', 'course_week']]),
) }}

-- depends_on: {{ ref('int_course_weeks_to_reprocess') }}

with

grid as (

    -- every week of the courses recomputed (the cumulative figures need the earlier weeks)
    select spined.* from {{ ref('int_enrolment_weeks_spined') }} as spined
    {% if is_incremental() -%}
        where {{ in_recomputed_courses('spined') }}
    {%- endif %}

),

daily as (

    select daily.* from {{ ref('int_activity_daily') }} as daily
    {% if is_incremental() -%}
        where {{ in_recomputed_courses('daily') }}
    {%- endif %}

),

assignment_milestones as (

    select * from {{ ref('int_assignment_outcomes_weekly') }}

),

assessment_results as (

    select * from {{ ref('int_assessment_results_weekly') }}

),

courses as (

    select
        courseid,
        has_activity_log,
        is_completion_enabled and has_completion_criteria as tracks_completion
    from {{ ref('int_courses_classified') }}

),

weekly_activity as (

    select
        daily.enrolment_id,
        daily.course_week,
        sum(daily.n_events) as n_events,
        sum(daily.n_course_views) as n_course_views,
        sum(daily.n_content_views) as n_content_views,
        sum(daily.n_forum_reads) as n_forum_reads,
        sum(daily.n_forum_posts) as n_forum_posts,
        sum(daily.n_assignment_events) as n_assignment_events,
        sum(daily.n_quiz_events) as n_quiz_events,
        sum(daily.n_grade_views) as n_grade_views,
        sum(daily.n_other_events) as n_other_events,
        -- activity before the course start counts in week 1, but not as days of week 1
        sum(case when daily.course_day >= 0 then 1 else 0 end) as n_active_days,
        count(*) as n_active_days_incl_pre_start,
        max(daily.cognitive_depth_max) as cognitive_depth_max,
        max(daily.social_breadth_max) as social_breadth_max,
        max(daily.last_event_at) as last_event_at
    from daily
    group by daily.enrolment_id, daily.course_week

),

joined as (

    select
        grid.enrolment_id,
        grid.courseid,
        grid.userid,
        grid.course_week,
        grid.week_start,
        grid.week_end,
        grid.feature_cutoff,
        grid.is_complete_week,
        grid.first_week,
        grid.enrol_start,
        weekly_activity.last_event_at as last_event_at_week,
        coalesce(weekly_activity.n_events, 0) as n_events,
        coalesce(weekly_activity.n_course_views, 0) as n_course_views,
        coalesce(weekly_activity.n_content_views, 0) as n_content_views,
        coalesce(weekly_activity.n_forum_reads, 0) as n_forum_reads,
        coalesce(weekly_activity.n_forum_posts, 0) as n_forum_posts,
        coalesce(weekly_activity.n_assignment_events, 0) as n_assignment_events,
        coalesce(weekly_activity.n_quiz_events, 0) as n_quiz_events,
        coalesce(weekly_activity.n_grade_views, 0) as n_grade_views,
        coalesce(weekly_activity.n_other_events, 0) as n_other_events,
        coalesce(weekly_activity.n_active_days, 0) as n_active_days,
        coalesce(weekly_activity.n_active_days_incl_pre_start, 0) as n_active_days_incl_pre_start,
        coalesce(weekly_activity.cognitive_depth_max, 0) as cognitive_depth_week,
        coalesce(weekly_activity.social_breadth_max, 0) as social_breadth_week,
        coalesce(assignment_milestones.n_due, 0) as assignments_due_week,
        coalesce(assignment_milestones.n_submitted, 0) as assignments_submitted_week,
        coalesce(assignment_milestones.n_on_time, 0) as assignments_on_time_week,
        coalesce(assignment_milestones.n_late, 0) as assignments_late_week,
        coalesce(assignment_milestones.n_due_and_submitted, 0) as assignments_due_and_submitted_week,
        coalesce(assessment_results.n_quiz_attempts, 0) as quiz_attempts_week,
        coalesce(assessment_results.n_quiz_scores, 0) as quiz_scores_week,
        coalesce(assessment_results.quiz_score_sum, 0) as quiz_score_sum_week,
        coalesce(assessment_results.n_grades, 0) as grades_week,
        coalesce(assessment_results.grade_fraction_sum, 0) as grade_fraction_sum_week
    from grid
    left join weekly_activity
        on grid.enrolment_id = weekly_activity.enrolment_id
            and grid.course_week = weekly_activity.course_week
    left join assignment_milestones
        on grid.enrolment_id = assignment_milestones.enrolment_id
            and grid.course_week = assignment_milestones.course_week
    left join assessment_results
        on grid.enrolment_id = assessment_results.enrolment_id
            and grid.course_week = assessment_results.course_week

),

cumulative as (

    select
        joined.*,
        count(*) over w_so_far as weeks_enrolled,
        sum(joined.n_events) over w_so_far as n_events_so_far,
        sum(joined.n_active_days_incl_pre_start) over w_so_far as n_active_days_so_far,
        sum(joined.n_forum_posts) over w_so_far as n_forum_posts_so_far,
        max(joined.last_event_at_week) over w_so_far as last_event_at,
        max(joined.cognitive_depth_week) over w_so_far as cognitive_depth_so_far,
        max(joined.social_breadth_week) over w_so_far as social_breadth_so_far,
        max(case when joined.n_events > 0 then joined.course_week end) over w_so_far as last_active_week,
        max(case when joined.n_events = 0 then joined.course_week end) over w_so_far as last_inactive_week,
        lag(joined.n_events) over w_order as n_events_previous_week,
        sum(joined.assignments_due_week) over w_so_far as assignments_due_so_far,
        sum(joined.assignments_submitted_week) over w_so_far as assignments_submitted_so_far,
        sum(joined.assignments_on_time_week) over w_so_far as assignments_on_time_so_far,
        sum(joined.assignments_late_week) over w_so_far as assignments_late_so_far,
        sum(joined.assignments_due_and_submitted_week) over w_so_far as assignments_due_and_submitted_so_far,
        sum(joined.quiz_attempts_week) over w_so_far as quiz_attempts_so_far,
        sum(joined.quiz_scores_week) over w_so_far as quiz_scores_so_far,
        sum(joined.quiz_score_sum_week) over w_so_far as quiz_score_sum_so_far,
        sum(joined.grades_week) over w_so_far as grades_so_far,
        sum(joined.grade_fraction_sum_week) over w_so_far as grade_fraction_sum_so_far
    from joined
    window
        w_order as (partition by enrolment_id order by course_week),
        w_so_far as (partition by enrolment_id order by course_week rows between unbounded preceding and current row)

),

derived as (

    select
        cumulative.*,
        cumulative.n_events + coalesce(cumulative.n_events_previous_week, 0) as n_events_last_2_weeks,
        case
            when cumulative.weeks_enrolled > 1
                then cast(cumulative.n_events_so_far - cumulative.n_events as {{ type_double() }})
                    / (cumulative.weeks_enrolled - 1)
        end as events_prior_weekly_avg,
        case
            when cumulative.weeks_enrolled > 2
                then cast(
                        cumulative.n_events_so_far
                        - cumulative.n_events
                        - coalesce(cumulative.n_events_previous_week, 0) as {{ type_double() }}
                    )
                    / (cumulative.weeks_enrolled - 2)
        end as events_before_last_2_weeks_weekly_avg,
        case
            when cumulative.last_event_at is not null
                then {{ whole_days_between('last_event_at', 'feature_cutoff') }}
        end as days_since_last_activity,
        {{ whole_days_between('enrol_start', 'feature_cutoff') }} as days_since_enrolment_start,
        cumulative.course_week
        - coalesce(cumulative.last_active_week, cumulative.first_week - 1) as inactive_week_streak,
        cumulative.course_week
        - coalesce(cumulative.last_inactive_week, cumulative.first_week - 1) as active_week_streak,
        cumulative.assignments_due_so_far
        - cumulative.assignments_due_and_submitted_so_far as assignments_missing_so_far,
        -- averages rounded to 9 decimals: parallel float sums may differ in the last bit
        -- from one build to the next, and a week's features must not (cohort ranks, an
        -- incremental run equal to a full refresh)
        case
            when cumulative.quiz_scores_so_far > 0
                then {{ round_double('cumulative.quiz_score_sum_so_far / cumulative.quiz_scores_so_far') }}
        end as quiz_avg_score_so_far,
        case
            when cumulative.grades_so_far > 0
                then {{ round_double('cumulative.grade_fraction_sum_so_far / cumulative.grades_so_far') }}
        end as grade_avg_so_far
    from cumulative
    {% if is_incremental() -%}
        where {{ in_reprocessed_weeks('cumulative') }}
    {%- endif %}

),

cohort_stats as (

    select
        courseid,
        course_week,
        count(*) as cohort_size,
        {{ percentile_cont('n_events', 0.25) }} as cohort_events_p25,
        {{ percentile_cont('n_events', 0.5) }} as cohort_events_median,
        {{ percentile_cont('n_active_days', 0.5) }} as cohort_active_days_median,
        {{ percentile_cont('n_events_so_far', 0.5) }} as cohort_events_so_far_median
    from derived
    group by courseid, course_week

),

with_cohort as (

    select
        derived.*,
        cohort_stats.cohort_size,
        courses.has_activity_log,
        cohort_stats.cohort_events_p25,
        cohort_stats.cohort_events_median,
        case when courses.tracks_completion then 1 else 0 end as course_tracks_completion,
        {{ smoothed_ratio('derived.n_events', 'cohort_stats.cohort_events_median') }} as events_vs_cohort_median,
        {{ smoothed_ratio('derived.n_active_days', 'cohort_stats.cohort_active_days_median') }}
            as active_days_vs_cohort_median,
        {{ smoothed_ratio('derived.n_events_so_far', 'cohort_stats.cohort_events_so_far_median') }}
            as events_so_far_vs_cohort_median,
        percent_rank() over (partition by derived.courseid, derived.course_week order by derived.n_events)
            as events_cohort_percentile,
        percent_rank() over (partition by derived.courseid, derived.course_week order by derived.n_events_so_far)
            as events_so_far_cohort_percentile,
        case
            when derived.grade_avg_so_far is not null
                then percent_rank() over (
                        partition by derived.courseid, derived.course_week, derived.grade_avg_so_far is null
                        order by derived.grade_avg_so_far
                    )
        end as grade_avg_cohort_percentile
    from derived
    inner join cohort_stats
        on derived.courseid = cohort_stats.courseid
            and derived.course_week = cohort_stats.course_week
    inner join courses
        on derived.courseid = courses.courseid

),

final as (

    select
        enrolment_id,
        courseid,
        userid,
        course_week,
        week_start,
        week_end,
        {{ epoch_to_timestamp('week_start') }} as week_start_at,
        {{ epoch_to_timestamp('week_end') }} as week_end_at,
        feature_cutoff,
        is_complete_week,
        {{ week_feature('weeks_enrolled') }},
        {{ week_feature('n_events') }},
        {{ week_feature('n_course_views') }},
        {{ week_feature('n_content_views') }},
        {{ week_feature('n_forum_reads') }},
        {{ week_feature('n_forum_posts') }},
        {{ week_feature('n_assignment_events') }},
        {{ week_feature('n_quiz_events') }},
        {{ week_feature('n_grade_views') }},
        {{ week_feature('n_other_events') }},
        {{ week_feature('n_active_days') }},
        {{ week_feature('n_events_so_far') }},
        {{ week_feature('n_active_days_so_far') }},
        {{ week_feature('n_forum_posts_so_far') }},
        {{ week_feature('n_events_last_2_weeks') }},
        {{ week_feature('events_prior_weekly_avg') }},
        {{ week_feature('events_before_last_2_weeks_weekly_avg') }},
        {{ week_feature('events_trend_ratio', smoothed_ratio('n_events', 'events_prior_weekly_avg')) }},
        {{ week_feature('last_event_at') }},
        {{ week_feature('days_since_last_activity') }},
        {{ week_feature('days_since_enrolment_start') }},
        {{ week_feature('has_started', 'n_events_so_far > 0') }},
        {{ week_feature('active_week_streak') }},
        {{ week_feature('inactive_week_streak') }},
        {{ week_feature('assignments_due_so_far') }},
        {{ week_feature('assignments_submitted_so_far') }},
        {{ week_feature('assignments_on_time_so_far') }},
        {{ week_feature('assignments_late_so_far') }},
        {{ week_feature('assignments_missing_so_far') }},
        {{ week_feature('quiz_attempts_so_far') }},
        {{ week_feature('quiz_avg_score_so_far') }},
        {{ week_feature('grades_so_far') }},
        {{ week_feature('grade_avg_so_far') }},
        {{ week_feature('cognitive_depth_week') }},
        {{ week_feature('cognitive_depth_so_far') }},
        {{ week_feature('social_breadth_week') }},
        {{ week_feature('social_breadth_so_far') }},
        {{ week_feature('cohort_size') }},
        {{ week_feature('cohort_events_p25') }},
        {{ week_feature('cohort_events_median') }},
        {{ week_feature('events_vs_cohort_median') }},
        {{ week_feature('active_days_vs_cohort_median') }},
        {{ week_feature('events_so_far_vs_cohort_median') }},
        {{ week_feature('events_cohort_percentile') }},
        {{ week_feature('events_so_far_cohort_percentile') }},
        {{ week_feature('grade_avg_cohort_percentile') }},
        {{ week_feature('course_tracks_completion') }},
        has_activity_log
    from with_cohort

)

select * from final
