{{ config(materialized='view') }}

{#-
    The feature mart: one row per student enrolment and course week, the
    samples of the classifiers and the weekly figures analysts read. A view of
    int_enrolment_week_features, where it is computed (incrementally, upstream
    of every mart); the columns are documented here.
-#}

with

features as (

    select * from {{ ref('int_enrolment_week_features') }}

),

final as (

    select
        enrolment_id,
        courseid,
        userid,
        course_week,
        week_start,
        week_end,
        week_start_at,
        week_end_at,
        feature_cutoff,
        is_complete_week,
        weeks_enrolled,
        n_events,
        n_course_views,
        n_content_views,
        n_forum_reads,
        n_forum_posts,
        n_assignment_events,
        n_quiz_events,
        n_grade_views,
        n_other_events,
        n_active_days,
        n_events_so_far,
        n_active_days_so_far,
        n_forum_posts_so_far,
        n_events_last_2_weeks,
        events_prior_weekly_avg,
        events_before_last_2_weeks_weekly_avg,
        events_trend_ratio,
        last_event_at,
        days_since_last_activity,
        days_since_enrolment_start,
        has_started,
        active_week_streak,
        inactive_week_streak,
        assignments_due_so_far,
        assignments_submitted_so_far,
        assignments_on_time_so_far,
        assignments_late_so_far,
        assignments_missing_so_far,
        quiz_attempts_so_far,
        quiz_avg_score_so_far,
        grades_so_far,
        grade_avg_so_far,
        cognitive_depth_week,
        cognitive_depth_so_far,
        social_breadth_week,
        social_breadth_so_far,
        cohort_size,
        cohort_events_p25,
        cohort_events_median,
        events_vs_cohort_median,
        active_days_vs_cohort_median,
        events_so_far_vs_cohort_median,
        events_cohort_percentile,
        events_so_far_cohort_percentile,
        grade_avg_cohort_percentile,
        course_tracks_completion,
        has_activity_log
    from features

)

select * from final
