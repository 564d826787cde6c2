{#-
    The student-activity rules of DESIGN.md, as SQL expressions over a row of
    stg_moodle__log_events. Kept in one place so the filter, the kinds and the
    levels are documented once and unit-tested through int_log_events_classified.
-#}

{#-
    Learning activity: participating events (edulevel 2) or reads of course
    content (crud 'r' in a course or course-module context). Teacher actions
    (edulevel 1) and other events are not.
-#}
{% macro is_learning_event(edulevel, crud, contextlevel) -%}
    ({{ edulevel }} = 2 or ({{ crud }} = 'r' and {{ contextlevel }} in (50, 70)))
{%- endmacro %}

{#-
    Kind of a learning event, for the per-kind counts:
    course_view, content_view, forum_read, forum_post, assignment, quiz, grades, other.
-#}
{% macro activity_kind(component, eventname, crud) -%}
    case
        when {{ eventname }} = '\core\event\course_viewed' then 'course_view'
        when {{ component }} = 'mod_forum' and {{ crud }} = 'r' then 'forum_read'
        when {{ component }} = 'mod_forum' then 'forum_post'
        when {{ component }} = 'mod_assign' or {{ component }} like 'assignsubmission_%' then 'assignment'
        when {{ component }} = 'mod_quiz' then 'quiz'
        when {{ component }} like 'gradereport_%' then 'grades'
        when {{ crud }} = 'r' and {{ component }} like 'mod_%' then 'content_view'
        else 'other'
    end
{%- endmacro %}

{#-
    Cognitive depth of one event, after Moodle's community-of-inquiry indicators
    (simplified to three levels):
    1 = read content, 2 = contribute (create or update something: a post, a
    submission, a quiz attempt), 3 = look at feedback on one's work (assignment
    feedback, quiz review, grade report).
-#}
{% macro cognitive_depth(component, eventname, crud) -%}
    case
        when {{ eventname }} like '%feedback_viewed'
            or {{ eventname }} like '%attempt_reviewed'
            or {{ component }} like 'gradereport_%' then 3
        when {{ crud }} in ('c', 'u') then 2
        else 1
    end
{%- endmacro %}

{#-
    Social breadth of one event (simplified Moodle levels):
    0 = no social element, 1 = read others' posts, 2 = post, 3 = reply to
    another user.
-#}
{% macro social_breadth(component, crud, userid, relateduserid) -%}
    case
        when {{ component }} <> 'mod_forum' then 0
        when {{ crud }} = 'r' then 1
        when {{ relateduserid }} is not null and {{ relateduserid }} <> {{ userid }} then 3
        else 2
    end
{%- endmacro %}

{#-
    One column of the week features (int_enrolment_week_features, final select):
    `expression as name` (expression: the column of that name by default). The
    columns that come from the activity log are the ones flagged
    `meta: {from_activity_log: true}` in models/intermediate/weeks/_int_weeks__models.yml,
    the one list of them (the OULAD benchmark reads it too,
    early_warning.ml.features.activity_log_features): in a course without an
    activity log (has_activity_log false: OULAD presentations without clicks)
    they are NULL (unknown), so that missing data never reads as a student who
    did nothing. The flags are read when the model is compiled (execute).
-#}
{% macro week_feature(name, expression=none) -%}
    {%- set column = model.columns.get(name) if execute and model.columns is mapping else none -%}
    {%- set meta = (column.get('meta') or {}) if column is mapping else {} -%}
    {%- if meta.get('from_activity_log') -%}
        case when has_activity_log then {{ expression or name }} end as {{ name }}
    {%- elif expression -%}
        {{ expression }} as {{ name }}
    {%- else -%}
        {{ name }}
    {%- endif -%}
{%- endmacro %}

{#-
    The severity order of the activity categories (worsened = more severe):
    active 0 < falling_asleep 1 < asleep 2 < not_started 3.
-#}
{% macro category_severity(category) -%}
    case {{ category }}
        when 'active' then 0
        when 'falling_asleep' then 1
        when 'asleep' then 2
        when 'not_started' then 3
    end
{%- endmacro %}

{#-
    The feature columns a score's reasons may name (reason_N_feature of
    mart_student_scores): the classifiers' inputs (early_warning.ml.features.FEATURES)
    without the course context (CONTEXT_FEATURES); tests/python/test_web.py checks
    that the two lists agree. mart_course_feature_medians holds their course
    medians, which the student card shows next to each reason's value.
-#}
{% macro reason_feature_columns() -%}
    {{ return([
        'weeks_enrolled', 'n_events', 'n_course_views', 'n_content_views', 'n_forum_reads',
        'n_forum_posts', 'n_assignment_events', 'n_quiz_events', 'n_grade_views', 'n_other_events',
        'n_active_days', 'n_events_so_far', 'n_active_days_so_far', 'n_forum_posts_so_far',
        'n_events_last_2_weeks', 'events_prior_weekly_avg', 'events_before_last_2_weeks_weekly_avg',
        'events_trend_ratio', 'days_since_last_activity', 'days_since_enrolment_start',
        'has_started', 'active_week_streak', 'inactive_week_streak', 'assignments_due_so_far',
        'assignments_submitted_so_far', 'assignments_on_time_so_far', 'assignments_late_so_far',
        'assignments_missing_so_far', 'quiz_attempts_so_far', 'quiz_avg_score_so_far',
        'grades_so_far', 'grade_avg_so_far', 'cognitive_depth_week', 'cognitive_depth_so_far',
        'social_breadth_week', 'social_breadth_so_far', 'events_vs_cohort_median',
        'active_days_vs_cohort_median', 'events_so_far_vs_cohort_median',
        'events_cohort_percentile', 'events_so_far_cohort_percentile',
        'grade_avg_cohort_percentile', 'n_events_day_1', 'n_events_day_2', 'n_events_day_3',
        'n_events_day_4', 'n_events_day_5', 'n_events_day_6', 'n_events_day_7', 'n_events_day_8',
        'n_events_day_9', 'n_events_day_10', 'n_events_day_11', 'n_events_day_12',
        'n_events_day_13', 'n_events_day_14', 'n_course_views_last_7_days',
        'n_course_views_last_14_days', 'n_content_views_last_7_days',
        'n_content_views_last_14_days', 'n_forum_reads_last_7_days', 'n_forum_reads_last_14_days',
        'n_forum_posts_last_7_days', 'n_forum_posts_last_14_days',
        'n_assignment_events_last_7_days', 'n_assignment_events_last_14_days',
        'n_quiz_events_last_7_days', 'n_quiz_events_last_14_days', 'n_grade_views_last_7_days',
        'n_grade_views_last_14_days', 'n_other_events_last_7_days', 'n_other_events_last_14_days',
        'n_events_last_14_days', 'active_day_share_so_far', 'events_vs_first_week',
        'events_slope_4_weeks', 'days_to_next_deadline', 'has_next_deadline',
        'on_time_share_so_far', 'last_graded_week_grade_avg',
        'days_since_last_activity_cohort_percentile', 'assignments_missing_cohort_percentile',
        'on_time_share_cohort_percentile', 'last_grade_cohort_percentile',
        'other_courses_events_week', 'other_courses_events_cohort_percentile',
        'other_courses_enrolled', 'earlier_courses_finished', 'earlier_courses_dropout_share',
        'earlier_courses_completion_share'
    ]) }}
{%- endmacro %}

{#- The boolean ones among reason_feature_columns (read as 1.0 / 0.0 for the medians). -#}
{% macro reason_boolean_features() -%}
    {{ return(['has_started']) }}
{%- endmacro %}
