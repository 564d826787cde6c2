{{ config(materialized='view') }}

{#-
    The feature mart: one row per student enrolment and course week, the
    samples of the classifiers and the weekly figures analysts read. A view of
    int_enrolment_week_features, where it is computed (incrementally, upstream
    of every mart), and of its companion int_enrolment_week_context (the
    recent days, deadlines, other courses; same grain); the columns are
    documented here.
-#}

with

features as (

    select * from {{ ref('int_enrolment_week_features') }}

),

context as (

    select * from {{ ref('int_enrolment_week_context') }}

),

final as (

    select
        features.enrolment_id,
        features.courseid,
        features.userid,
        features.course_week,
        features.week_start,
        features.week_end,
        features.week_start_at,
        features.week_end_at,
        features.feature_cutoff,
        features.is_complete_week,
        features.weeks_enrolled,
        features.n_events,
        features.n_course_views,
        features.n_content_views,
        features.n_forum_reads,
        features.n_forum_posts,
        features.n_assignment_events,
        features.n_quiz_events,
        features.n_grade_views,
        features.n_other_events,
        features.n_active_days,
        features.n_events_so_far,
        features.n_active_days_so_far,
        features.n_forum_posts_so_far,
        features.n_events_last_2_weeks,
        features.events_prior_weekly_avg,
        features.events_before_last_2_weeks_weekly_avg,
        features.events_trend_ratio,
        features.last_event_at,
        features.days_since_last_activity,
        features.days_since_enrolment_start,
        features.has_started,
        features.active_week_streak,
        features.inactive_week_streak,
        features.assignments_due_so_far,
        features.assignments_submitted_so_far,
        features.assignments_on_time_so_far,
        features.assignments_late_so_far,
        features.assignments_missing_so_far,
        features.quiz_attempts_so_far,
        features.quiz_avg_score_so_far,
        features.grades_so_far,
        features.grade_avg_so_far,
        features.cognitive_depth_week,
        features.cognitive_depth_so_far,
        features.social_breadth_week,
        features.social_breadth_so_far,
        features.cohort_size,
        features.cohort_events_p25,
        features.cohort_events_median,
        features.events_vs_cohort_median,
        features.active_days_vs_cohort_median,
        features.events_so_far_vs_cohort_median,
        features.events_cohort_percentile,
        features.events_so_far_cohort_percentile,
        features.grade_avg_cohort_percentile,
        features.course_tracks_completion,
        features.has_activity_log,
        context.n_events_day_1,
        context.n_events_day_2,
        context.n_events_day_3,
        context.n_events_day_4,
        context.n_events_day_5,
        context.n_events_day_6,
        context.n_events_day_7,
        context.n_events_day_8,
        context.n_events_day_9,
        context.n_events_day_10,
        context.n_events_day_11,
        context.n_events_day_12,
        context.n_events_day_13,
        context.n_events_day_14,
        context.n_course_views_last_7_days,
        context.n_course_views_last_14_days,
        context.n_content_views_last_7_days,
        context.n_content_views_last_14_days,
        context.n_forum_reads_last_7_days,
        context.n_forum_reads_last_14_days,
        context.n_forum_posts_last_7_days,
        context.n_forum_posts_last_14_days,
        context.n_assignment_events_last_7_days,
        context.n_assignment_events_last_14_days,
        context.n_quiz_events_last_7_days,
        context.n_quiz_events_last_14_days,
        context.n_grade_views_last_7_days,
        context.n_grade_views_last_14_days,
        context.n_other_events_last_7_days,
        context.n_other_events_last_14_days,
        context.n_events_last_14_days,
        context.active_day_share_so_far,
        context.events_vs_first_week,
        context.events_slope_4_weeks,
        context.days_since_last_activity_cohort_percentile,
        context.days_to_next_deadline,
        context.has_next_deadline,
        context.on_time_share_so_far,
        context.last_graded_week_grade_avg,
        context.assignments_missing_cohort_percentile,
        context.on_time_share_cohort_percentile,
        context.last_grade_cohort_percentile,
        context.other_courses_events_week,
        context.other_courses_events_cohort_percentile,
        context.other_courses_enrolled,
        context.earlier_courses_finished,
        context.earlier_courses_dropout_share,
        context.earlier_courses_completion_share,
        context.week_share
    from features
    inner join context
        on features.enrolment_id = context.enrolment_id
            and features.course_week = context.course_week

)

select * from final
