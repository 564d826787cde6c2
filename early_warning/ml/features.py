"""Which columns of the feature mart the classifiers use, and how to read them.

The classifiers see only behaviour columns of ``fct_enrolment_week_features``:
no ids, no absolute times (week_start/week_end/feature_cutoff/last_event_at
would let a model learn the calendar rather than the student), no
``is_complete_week`` (always true on finished courses, false for the current
week of a running course: a pure train/serve skew) and no course-level context
(``cohort_size``, ``cohort_events_p25``, ``cohort_events_median``: with a handful
of training courses they only let a model memorise which course a row comes
from; the student-vs-cohort ratios and percentiles carry the comparison).

``course_week`` *is* a feature: the "so far" counts mean different things in
week 2 and week 12 (ten actions so far is fine in week 1 and alarming in week
10), and the week number is known for running courses exactly as for finished
ones. It is relative to the course start, never a calendar date.

One feature is course-level: ``course_tracks_completion`` (completion enabled
with criteria; a column of the feature mart). It decides
which dropout rule labels the course (DESIGN.md "Targets": "not completed" vs
"no activity in the last quarter"), so base rates differ two- to three-fold
between the two kinds of course; without it, a model validated on unseen
courses cannot tell them apart (on the small demo the course-grouped dropout
ROC AUC drops from about 0.9 to below 0.6). It is known for running courses
exactly as for finished ones.

Context features (``course_week``, ``course_tracks_completion``) are the same
for every student of a course week: they shape the score but are not offered
as reasons (their contribution is part of the baseline).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The features before issue 15 (the ablation's reference), in this order.
BASE_FEATURES: tuple[str, ...] = (
    "course_week",
    "weeks_enrolled",
    "n_events",
    "n_course_views",
    "n_content_views",
    "n_forum_reads",
    "n_forum_posts",
    "n_assignment_events",
    "n_quiz_events",
    "n_grade_views",
    "n_other_events",
    "n_active_days",
    "n_events_so_far",
    "n_active_days_so_far",
    "n_forum_posts_so_far",
    "n_events_last_2_weeks",
    "events_prior_weekly_avg",
    "events_before_last_2_weeks_weekly_avg",
    "events_trend_ratio",
    "days_since_last_activity",
    "days_since_enrolment_start",
    "has_started",
    "active_week_streak",
    "inactive_week_streak",
    "assignments_due_so_far",
    "assignments_submitted_so_far",
    "assignments_on_time_so_far",
    "assignments_late_so_far",
    "assignments_missing_so_far",
    "quiz_attempts_so_far",
    "quiz_avg_score_so_far",
    "grades_so_far",
    "grade_avg_so_far",
    "cognitive_depth_week",
    "cognitive_depth_so_far",
    "social_breadth_week",
    "social_breadth_so_far",
    "events_vs_cohort_median",
    "active_days_vs_cohort_median",
    "events_so_far_vs_cohort_median",
    "events_cohort_percentile",
    "events_so_far_cohort_percentile",
    "grade_avg_cohort_percentile",
    "course_tracks_completion",
)

#: The feature groups of issue 15 (companion model int_enrolment_week_context, and the
#: mart's has_activity_log), each measured by ablation (benchmarks/oulad/report.md,
#: models/marts/ml/_ml__docs.md): name -> columns.
FEATURE_GROUPS: dict[str, tuple[str, ...]] = {
    # A: the recent days — per-day events of the last 14 days, per kind over 7 and 14
    # days, active-day share, this week vs the first week, the slope of the last 4 weeks
    "recent_days": (
        "n_events_day_1",
        "n_events_day_2",
        "n_events_day_3",
        "n_events_day_4",
        "n_events_day_5",
        "n_events_day_6",
        "n_events_day_7",
        "n_events_day_8",
        "n_events_day_9",
        "n_events_day_10",
        "n_events_day_11",
        "n_events_day_12",
        "n_events_day_13",
        "n_events_day_14",
        "n_course_views_last_7_days",
        "n_course_views_last_14_days",
        "n_content_views_last_7_days",
        "n_content_views_last_14_days",
        "n_forum_reads_last_7_days",
        "n_forum_reads_last_14_days",
        "n_forum_posts_last_7_days",
        "n_forum_posts_last_14_days",
        "n_assignment_events_last_7_days",
        "n_assignment_events_last_14_days",
        "n_quiz_events_last_7_days",
        "n_quiz_events_last_14_days",
        "n_grade_views_last_7_days",
        "n_grade_views_last_14_days",
        "n_other_events_last_7_days",
        "n_other_events_last_14_days",
        "n_events_last_14_days",
        "active_day_share_so_far",
        "events_vs_first_week",
        "events_slope_4_weeks",
    ),
    # C: deadlines and scores, and cohort ranks of them
    "deadlines_scores": (
        "days_to_next_deadline",
        "has_next_deadline",
        "on_time_share_so_far",
        "last_graded_week_grade_avg",
        "days_since_last_activity_cohort_percentile",
        "assignments_missing_cohort_percentile",
        "on_time_share_cohort_percentile",
        "last_grade_cohort_percentile",
    ),
    # B: the student on the whole site (other courses; earlier courses' outcomes)
    "other_courses": (
        "other_courses_events_week",
        "other_courses_events_cohort_percentile",
        "other_courses_enrolled",
        "earlier_courses_finished",
        "earlier_courses_dropout_share",
        "earlier_courses_completion_share",
    ),
    # D: context — how far into the course, and whether the course has a click log
    "context": (
        "week_share",
        "has_activity_log",
    ),
}

#: Columns of the feature mart used as model inputs, in this order.
FEATURES = BASE_FEATURES + tuple(name for group in FEATURE_GROUPS.values() for name in group)

#: Features never offered as reasons: the same for every student of a course week.
CONTEXT_FEATURES: tuple[str, ...] = (
    "course_week",
    "course_tracks_completion",
    "week_share",
    "has_activity_log",
)

#: Columns of the feature mart deliberately left out, with the reason (documentation and tests).
EXCLUDED: dict[str, str] = {
    "enrolment_id": "identifier",
    "courseid": "identifier",
    "userid": "identifier",
    "week_start": "absolute time",
    "week_end": "absolute time",
    "week_start_at": "absolute time",
    "week_end_at": "absolute time",
    "feature_cutoff": "absolute time",
    "last_event_at": "absolute time (days_since_last_activity is its relative form)",
    "is_complete_week": "train/serve skew: always true on finished courses",
    "cohort_size": "course-level context: identifies the course",
    "cohort_events_p25": "course-level context: identifies the course",
    "cohort_events_median": "course-level context: identifies the course",
}


def activity_log_features(features: tuple[str, ...] = FEATURES) -> tuple[str, ...]:
    """The features that come from the activity log: NULL (unknown) for every row of a
    course without one (OULAD presentations without clicks).

    Defined once, in the dbt project: the columns of int_enrolment_week_features flagged
    ``meta: {from_activity_log: true}`` in its yml (the macro week_feature makes them
    NULL there); read from the project's yml files.
    """
    from early_warning.dbt_runner import model_column_meta

    meta = {
        **model_column_meta("int_enrolment_week_features"),
        **model_column_meta("int_enrolment_week_context"),
    }
    return tuple(name for name in features if meta.get(name, {}).get("from_activity_log"))


#: Key columns every sample frame carries besides the features.
KEYS: tuple[str, ...] = ("enrolment_id", "courseid", "userid", "course_week")


def feature_matrix(frame: pd.DataFrame, features: tuple[str, ...] | list[str] = FEATURES):
    """The model input: the feature columns as a float64 array (NULL -> NaN).

    Booleans become 0/1. Raises a clear error when a column is missing (a
    stored model asks for a feature the mart no longer has).
    """
    missing = [name for name in features if name not in frame.columns]
    if missing:
        raise KeyError(
            "feature mart lacks column(s) the model needs: "
            + ", ".join(missing)
            + " (retrain with ml_force_retrain=true after changing the feature mart)"
        )
    if not features:
        return np.empty((len(frame), 0))
    X = np.empty((len(frame), len(features)), dtype="float64")
    for j, name in enumerate(features):
        column = frame[name]
        if pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
            # numbers and booleans (numpy or nullable): no detour through Python objects
            X[:, j] = column.to_numpy(dtype="float64", na_value=np.nan)
        else:
            values = pd.to_numeric(column.astype("object"), errors="coerce")
            X[:, j] = values.to_numpy(dtype="float64", na_value=np.nan)
    return X
