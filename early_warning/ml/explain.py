"""Per-feature contributions to a score, and the reasons shown to teachers.

Contributions live on the log-odds scale of the pipeline's decision function:
``decision(x) = baseline + sum_j contribution_j(x)``.

* Logistic regression (exact): ``contribution_j = coef_j * (x_j - mean_j) / scale_j``
  with the standardiser's training mean and scale (after imputation), and
  ``baseline = intercept`` = the log-odds of a student at the training mean.
* Gradient boosting (Saabas / treeinterpreter style, exact in sum): along the
  path of x through each tree, every split moves the node value from parent to
  child; that move is credited to the split's feature, times the learning rate.
  ``baseline`` = the initial log-odds plus the learning rate times the trees'
  root values.

After Platt calibration (slope a, intercept b) the calibrated log-odds are
``a * decision + b``, so reasons use ``a * contribution`` and the calibrated
baseline ``a * baseline + b``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

# ---------------------------------------------------------------------------
# Contributions
# ---------------------------------------------------------------------------


def _split_pipeline(pipeline: Pipeline):
    """(transform steps as a Pipeline or None, final estimator)."""
    if len(pipeline.steps) == 1:
        return None, pipeline.steps[-1][1]
    return pipeline[:-1], pipeline.steps[-1][1]


def contributions(pipeline: Pipeline, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature contributions (n_rows x n_features) and the per-row baseline.

    ``baseline + contributions.sum(axis=1)`` equals ``pipeline.decision_function(X)``.
    """
    transform, estimator = _split_pipeline(pipeline)
    Xt = np.asarray(transform.transform(X) if transform is not None else X, dtype="float64")
    if isinstance(estimator, LogisticRegression):
        return _linear_contributions(estimator, Xt)
    if isinstance(estimator, GradientBoostingClassifier):
        return _tree_contributions(estimator, Xt)
    raise TypeError(f"no contribution method for {type(estimator).__name__}")


def _linear_contributions(model: LogisticRegression, Xt: np.ndarray):
    # The standardiser has already centred the features on the training mean:
    # coef * standardised value is the contribution relative to that mean.
    contrib = Xt * model.coef_[0]
    baseline = np.full(len(Xt), float(model.intercept_[0]))
    return contrib, baseline


def _tree_contributions(model: GradientBoostingClassifier, Xt: np.ndarray):
    n_rows, n_features = Xt.shape
    Xt32 = Xt.astype("float32")
    by_feature = np.zeros((n_features, n_rows))  # feature-major: one contiguous add per split
    root_total = 0.0
    rate = float(model.learning_rate)
    for tree in model.estimators_[:, 0]:
        structure = tree.tree_
        values = structure.value[:, 0, 0]
        parent = np.full(structure.node_count, -1)
        for side in (structure.children_left, structure.children_right):
            children = np.flatnonzero(side >= 0)
            parent[side[children]] = children
        # node -> summed steps from the root to it, each credited to the feature of the
        # split it crosses; nodes are numbered parent first, so one pass in order fills it
        # (a tree has a few nodes: the per-row work is one lookup of the row's leaf)
        if not (parent[1:] < np.arange(1, structure.node_count)).all():
            raise ValueError("tree nodes are not numbered parent first")
        path = np.zeros((structure.node_count, n_features))
        for node in range(1, structure.node_count):
            up = parent[node]
            path[node] = path[up]
            path[node, structure.feature[up]] += rate * (values[node] - values[up])
        leaves = tree.apply(Xt32)
        for j in np.unique(structure.feature[structure.children_left >= 0]):  # split features
            by_feature[j] += path[:, j][leaves]
        root_total += rate * float(values[0])
    contrib = np.ascontiguousarray(by_feature.T)
    init = model._raw_predict_init(Xt[:1])[0, 0]  # the prior log-odds, a constant
    baseline = np.full(n_rows, float(init) + root_total)
    return contrib, baseline


# ---------------------------------------------------------------------------
# Reasons in words
# ---------------------------------------------------------------------------

_DEPTH = {0: "none", 1: "reading", 2: "contributing", 3: "acting on feedback"}
_SOCIAL = {
    0: "none",
    1: "on their own",
    2: "reading others' posts",
    3: "replying to others",
}

# feature -> (text with {v} = the value and {s} = "s" unless it is 1, kind); the course
# median of that week is appended for counts, days and shares where it helps.
# kinds: count, days, ratio, share (0..1 shown as %), level_depth, level_social, flag
_TEMPLATES: dict[str, tuple[str, str]] = {
    "course_week": ("Week {v} of the course", "count"),
    "weeks_enrolled": ("Enrolled for {v} week{s}", "count"),
    "n_events": ("{v} learning action{s} this week", "count"),
    "n_course_views": ("Opened the course page {v} time{s} this week", "count"),
    "n_content_views": ("Viewed course materials {v} time{s} this week", "count"),
    "n_forum_reads": ("Read forum posts {v} time{s} this week", "count"),
    "n_forum_posts": ("Wrote {v} forum post{s} this week", "count"),
    "n_assignment_events": ("{v} assignment action{s} this week", "count"),
    "n_quiz_events": ("{v} quiz action{s} this week", "count"),
    "n_grade_views": ("Checked grades {v} time{s} this week", "count"),
    "n_other_events": ("{v} other learning action{s} this week", "count"),
    "n_active_days": ("Active on {v} of 7 days this week", "count"),
    "n_events_so_far": ("{v} learning action{s} since the course began", "count"),
    "n_active_days_so_far": ("Active on {v} day{s} since the course began", "count"),
    "n_forum_posts_so_far": ("{v} forum post{s} since the course began", "count"),
    "n_events_last_2_weeks": ("{v} learning action{s} in the last two weeks", "count"),
    "events_prior_weekly_avg": ("Averaged {v} learning actions a week before this week", "count"),
    "events_before_last_2_weeks_weekly_avg": (
        "Averaged {v} learning actions a week before the last two weeks",
        "count",
    ),
    "events_trend_ratio": ("Activity this week at {v} of the student's own earlier level", "share"),
    "days_since_last_activity": ("No activity for {v} day{s}", "days"),
    "days_since_enrolment_start": ("Enrolled {v} day{s} ago", "days"),
    "has_started": ("", "flag"),
    "active_week_streak": ("Active {v} week{s} in a row", "count"),
    "inactive_week_streak": ("Inactive {v} week{s} in a row", "count"),
    "assignments_due_so_far": ("{v} assignment{s} due so far", "count"),
    "assignments_submitted_so_far": ("{v} assignment{s} submitted so far", "count"),
    "assignments_on_time_so_far": ("{v} assignment{s} submitted on time so far", "count"),
    "assignments_late_so_far": ("{v} assignment{s} submitted late so far", "count"),
    "assignments_missing_so_far": ("{v} assignment{s} missing so far", "count"),
    "quiz_attempts_so_far": ("{v} quiz attempt{s} finished so far", "count"),
    "quiz_avg_score_so_far": ("Average quiz score {v}", "share"),
    "grades_so_far": ("{v} grade{s} received so far", "count"),
    "grade_avg_so_far": ("Average grade {v}", "share"),
    "cognitive_depth_week": ("Deepest engagement this week: {v}", "level_depth"),
    "cognitive_depth_so_far": ("Deepest engagement so far: {v}", "level_depth"),
    "social_breadth_week": ("Interaction with others this week: {v}", "level_social"),
    "social_breadth_so_far": ("Interaction with others so far: {v}", "level_social"),
    "events_vs_cohort_median": ("Activity this week {v} times the course median", "ratio"),
    "active_days_vs_cohort_median": ("Active days this week {v} times the course median", "ratio"),
    "events_so_far_vs_cohort_median": (
        "Activity since the course began {v} times the course median",
        "ratio",
    ),
    "events_cohort_percentile": ("More active this week than {v} of classmates", "share"),
    "events_so_far_cohort_percentile": (
        "More active since the course began than {v} of classmates",
        "share",
    ),
    "grade_avg_cohort_percentile": ("Grades better than {v} of graded classmates", "share"),
    "course_tracks_completion": ("", "flag"),
    "n_events_day_1": ("{v} learning action{s} on the last day", "count"),
    "n_events_day_2": ("{v} learning action{s} 2 days ago", "count"),
    "n_events_day_3": ("{v} learning action{s} 3 days ago", "count"),
    "n_events_day_4": ("{v} learning action{s} 4 days ago", "count"),
    "n_events_day_5": ("{v} learning action{s} 5 days ago", "count"),
    "n_events_day_6": ("{v} learning action{s} 6 days ago", "count"),
    "n_events_day_7": ("{v} learning action{s} 7 days ago", "count"),
    "n_events_day_8": ("{v} learning action{s} 8 days ago", "count"),
    "n_events_day_9": ("{v} learning action{s} 9 days ago", "count"),
    "n_events_day_10": ("{v} learning action{s} 10 days ago", "count"),
    "n_events_day_11": ("{v} learning action{s} 11 days ago", "count"),
    "n_events_day_12": ("{v} learning action{s} 12 days ago", "count"),
    "n_events_day_13": ("{v} learning action{s} 13 days ago", "count"),
    "n_events_day_14": ("{v} learning action{s} 14 days ago", "count"),
    "n_course_views_last_7_days": (
        "Opened the course page {v} time{s} in the last 7 days",
        "count",
    ),
    "n_course_views_last_14_days": (
        "Opened the course page {v} time{s} in the last 14 days",
        "count",
    ),
    "n_content_views_last_7_days": (
        "Viewed course materials {v} time{s} in the last 7 days",
        "count",
    ),
    "n_content_views_last_14_days": (
        "Viewed course materials {v} time{s} in the last 14 days",
        "count",
    ),
    "n_forum_reads_last_7_days": ("Read forum posts {v} time{s} in the last 7 days", "count"),
    "n_forum_reads_last_14_days": ("Read forum posts {v} time{s} in the last 14 days", "count"),
    "n_forum_posts_last_7_days": ("Wrote {v} forum post{s} in the last 7 days", "count"),
    "n_forum_posts_last_14_days": ("Wrote {v} forum post{s} in the last 14 days", "count"),
    "n_assignment_events_last_7_days": ("{v} assignment action{s} in the last 7 days", "count"),
    "n_assignment_events_last_14_days": ("{v} assignment action{s} in the last 14 days", "count"),
    "n_quiz_events_last_7_days": ("{v} quiz action{s} in the last 7 days", "count"),
    "n_quiz_events_last_14_days": ("{v} quiz action{s} in the last 14 days", "count"),
    "n_grade_views_last_7_days": ("Checked grades {v} time{s} in the last 7 days", "count"),
    "n_grade_views_last_14_days": ("Checked grades {v} time{s} in the last 14 days", "count"),
    "n_other_events_last_7_days": ("{v} other learning action{s} in the last 7 days", "count"),
    "n_other_events_last_14_days": ("{v} other learning action{s} in the last 14 days", "count"),
    "n_events_last_14_days": ("{v} learning action{s} in the last 14 days", "count"),
    "active_day_share_so_far": ("Active on {v} of days since enrolling", "share"),
    "events_vs_first_week": ("Activity this week {v} times the first week's", "ratio"),
    "events_slope_4_weeks": ("Weekly activity changing by {v} actions a week", "count"),
    "days_since_last_activity_cohort_percentile": (
        "Longer inactive than {v} of classmates",
        "share",
    ),
    "days_to_next_deadline": ("Next deadline in {v} day{s}", "days"),
    "has_next_deadline": ("", "flag"),
    "on_time_share_so_far": ("Handed in {v} of due work on time", "share"),
    "last_graded_week_grade_avg": ("Latest grades {v}", "share"),
    "assignments_missing_cohort_percentile": (
        "More assignments missing than {v} of classmates",
        "share",
    ),
    "on_time_share_cohort_percentile": ("On time more often than {v} of classmates", "share"),
    "last_grade_cohort_percentile": ("Latest grades better than {v} of classmates", "share"),
    "other_courses_events_week": ("{v} learning action{s} in other courses this week", "count"),
    "other_courses_events_cohort_percentile": (
        "More active in other courses than {v} of classmates",
        "share",
    ),
    "other_courses_enrolled": ("Enrolled in {v} other course{s}", "count"),
    "earlier_courses_finished": ("{v} earlier course{s} finished", "count"),
    "earlier_courses_dropout_share": ("Dropped out of {v} of earlier courses", "share"),
    "earlier_courses_completion_share": ("Completed {v} of earlier courses", "share"),
    "week_share": ("{v} of the course behind", "share"),
    "has_activity_log": ("", "flag"),
}

# flag feature -> (text when 1, text when 0)
_FLAGS: dict[str, tuple[str, str]] = {
    "has_started": (
        "Has started working in the course",
        "Has not started working in the course yet",
    ),
    "course_tracks_completion": (
        "The course tracks completion with criteria",
        "The course does not track completion",
    ),
    "has_next_deadline": ("A deadline is coming up", "No deadline left in the course"),
    "has_activity_log": ("The course has an activity log", "The course has no activity log"),
}

# What a missing value means for features that can be NULL.
_MISSING_TEXT: dict[str, str] = {
    "days_since_last_activity": "Has not been active in the course yet",
    "events_prior_weekly_avg": "First week: no earlier activity to compare with",
    "events_before_last_2_weeks_weekly_avg": "Too early to compare with earlier weeks",
    "events_trend_ratio": "First week: no activity trend yet",
    "quiz_avg_score_so_far": "No quiz finished yet",
    "grade_avg_so_far": "Not graded yet",
    "grade_avg_cohort_percentile": "Not graded yet",
    "days_to_next_deadline": "No deadline left in the course",
    "on_time_share_so_far": "Nothing due yet",
    "on_time_share_cohort_percentile": "Nothing due yet",
    "last_graded_week_grade_avg": "Not graded yet",
    "last_grade_cohort_percentile": "Not graded yet",
    "days_since_last_activity_cohort_percentile": "Has not been active in the course yet",
    "earlier_courses_dropout_share": "No earlier course finished",
    "earlier_courses_completion_share": "No earlier course finished",
}

# What a zero means, where "0 ..." reads badly (the course median is still appended).
_ZERO_TEXT: dict[str, str] = {
    "days_since_last_activity": "Active within the last day",
    "inactive_week_streak": "Active this week",
    "active_week_streak": "Not active this week",
    "n_events": "No learning activity this week",
    "n_active_days": "Not active on any day this week",
    "n_events_last_2_weeks": "No learning activity in the last two weeks",
    "n_events_so_far": "No learning activity since the course began",
}

# Kinds for which the course median is worth quoting.
_WITH_MEDIAN = {"count", "days", "share"}
_NO_MEDIAN = {
    "course_week",
    "weeks_enrolled",
    "days_since_enrolment_start",
    "assignments_due_so_far",
    "events_trend_ratio",
    "events_cohort_percentile",
    "events_so_far_cohort_percentile",
    "grade_avg_cohort_percentile",
    "days_since_last_activity_cohort_percentile",
    "assignments_missing_cohort_percentile",
    "on_time_share_cohort_percentile",
    "last_grade_cohort_percentile",
    "other_courses_events_cohort_percentile",
    "other_courses_enrolled",
    "earlier_courses_finished",
    "earlier_courses_dropout_share",
    "earlier_courses_completion_share",
    "week_share",
    "days_to_next_deadline",
}

_OUTCOME = {"dropout": "dropout risk", "completion": "the chance of completing"}


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_value(value, kind: str) -> str:
    """A feature value in words/numbers a teacher reads at a glance."""
    if _missing(value):
        return "unknown"
    value = float(value)
    if kind == "share":
        return f"{value:.0%}"
    if kind == "ratio":
        return f"{value:.1f}"
    if kind == "level_depth":
        return _DEPTH.get(int(round(value)), str(int(round(value))))
    if kind == "level_social":
        return _SOCIAL.get(int(round(value)), str(int(round(value))))
    if abs(value - round(value)) < 1e-9:
        return f"{int(round(value))}"
    return f"{value:.1f}"


def describe_feature(feature: str, value, course_median=None) -> str:
    """The observation behind a reason, e.g. 'No activity for 16 days (course median 2)'."""
    template, kind = _TEMPLATES.get(feature, (feature.replace("_", " ") + " = {v}", "count"))
    if kind == "flag":
        yes, no = _FLAGS.get(feature, (f"{feature}: yes", f"{feature}: no"))
        if _missing(value):
            return f"{feature.replace('_', ' ')} unknown"
        return yes if float(value) >= 0.5 else no
    if _missing(value):
        return _MISSING_TEXT.get(feature, f"{template.split('{v}')[0].strip()} unknown".strip())
    if float(value) == 0 and feature in _ZERO_TEXT:
        text = _ZERO_TEXT[feature]
        if feature in ("inactive_week_streak", "active_week_streak", "days_since_last_activity"):
            return text  # "Active this week (course median 0)" says nothing more
    else:
        plural = "" if abs(float(value) - 1) < 1e-9 else "s"
        text = template.format(v=format_value(value, kind), s=plural)
    if kind in _WITH_MEDIAN and feature not in _NO_MEDIAN and not _missing(course_median):
        text += f" (course median {format_value(course_median, kind)})"
    return text


def effect_size(contribution: float) -> str:
    """Size of a log-odds contribution in words."""
    size = abs(contribution)
    if size >= 1.0:
        return "a lot"
    if size >= 0.3:
        return "somewhat"
    return "a little"


def reason_text(feature: str, value, contribution: float, target: str, course_median=None) -> str:
    """One reason: observation, direction and size, e.g.
    'No activity for 16 days (course median 2) — raises dropout risk a lot'."""
    direction = "raises" if contribution > 0 else "lowers"
    outcome = _OUTCOME.get(target, f"the {target} probability")
    return (
        f"{describe_feature(feature, value, course_median)} — "
        f"{direction} {outcome} {effect_size(contribution)}"
    )


def top_reasons(
    contrib: np.ndarray,
    X: np.ndarray,
    features: list[str] | tuple[str, ...],
    target: str,
    medians: np.ndarray | None = None,
    k: int = 3,
    exclude: tuple[str, ...] | set[str] = (),
) -> pd.DataFrame:
    """The k main reasons of every row, with their texts.

    A teacher reads the reasons as the explanation of the score, so the
    contributions pushing the score the way it went (up from the baseline when
    the offered contributions add up to a rise, down otherwise) come first, by
    size; the others follow, by size. Columns reason_<i>_feature, _value,
    _contribution, _direction, _text for i in 1..k. Features in ``exclude`` are
    never offered. Ties keep the feature-list order (stable sort), so results
    are deterministic.
    """
    n_rows, n_features = contrib.shape
    offered = np.array([name not in exclude for name in features])
    k = min(k, int(offered.sum()))
    net = np.where(offered, contrib, 0.0).sum(axis=1, keepdims=True)
    agrees = np.sign(contrib) == np.sign(net)
    # agreeing reasons outrank every other one; within each group, the larger first
    boost = np.abs(contrib).max(initial=0.0) + 1.0
    key = np.where(offered, np.abs(contrib) + np.where(agrees, boost, 0.0), -1.0)
    order = np.argsort(-key, axis=1, kind="stable")[:, :k]
    rows = np.arange(n_rows)[:, None]
    top_c = contrib[rows, order]
    top_v = X[rows, order]
    top_m = medians[rows, order] if medians is not None else np.full_like(top_v, np.nan)
    out = {}
    for i in range(k):
        names = [features[j] for j in order[:, i]]
        out[f"reason_{i + 1}_feature"] = names
        out[f"reason_{i + 1}_value"] = top_v[:, i]
        out[f"reason_{i + 1}_contribution"] = top_c[:, i]
        out[f"reason_{i + 1}_direction"] = np.where(top_c[:, i] > 0, "raises", "lowers")
        out[f"reason_{i + 1}_text"] = _reason_texts(
            names, top_v[:, i], top_c[:, i], top_m[:, i], target
        )
    return pd.DataFrame(out)


def _reason_texts(names, values, contribs, medians, target: str) -> np.ndarray:
    """reason_text of every row, each distinct (feature, value, effect, median) worded once.

    A text depends on the contribution only through its sign and size band, and
    the same counts and medians recur across a course's students and weeks, so
    on a large site a few thousand distinct texts cover hundreds of thousands of
    rows: no Python call per row.
    """
    contribs = np.asarray(contribs, dtype="float64")
    band = np.select([np.abs(contribs) >= 1.0, np.abs(contribs) >= 0.3], [2, 1], 0)
    keys = pd.DataFrame(
        {
            "name": pd.Series(names, dtype="object"),
            "value": np.asarray(values, dtype="float64"),
            "raises": contribs > 0,
            "band": band,
            "median": np.asarray(medians, dtype="float64"),
        }
    )
    # groups numbered in order of first appearance, NaN a value like any other
    codes = keys.groupby(list(keys.columns), dropna=False, sort=False).ngroup().to_numpy()
    uniques = keys.drop_duplicates()
    # a representative contribution per (direction, band) gives the same words
    size = {0: 0.1, 1: 0.5, 2: 2.0}
    texts = np.array(
        [
            reason_text(name, value, size[band] if up else -size[band], target, median)
            for name, value, up, band, median in uniques.itertuples(index=False)
        ],
        dtype="object",
    )
    return texts[codes]
