"""early_warning.ml on small synthetic data with known answers (no dbt)."""

from __future__ import annotations

import base64
import json

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, logit
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from early_warning.ml import metrics as M
from early_warning.ml.calibration import cross_calibrated, fit_platt
from early_warning.ml.candidates import CANDIDATES, make_pipeline
from early_warning.ml.explain import (
    contributions,
    describe_feature,
    reason_text,
    top_reasons,
)
from early_warning.ml.features import (
    CONTEXT_FEATURES,
    EXCLUDED,
    FEATURES,
    feature_matrix,
)
from early_warning.ml.registry import (
    REGISTRY_COLUMNS,
    UntrustedModelError,
    decode_model,
    dumps_model,
    encode_model,
    latest_usable,
    loads_model,
    model_version,
    retrain_due,
    update_registry,
)
from early_warning.ml.scoring import (
    StoredModel,
    score,
    score_running,
    score_running_by_course,
    scoring_columns,
)
from early_warning.ml.train import (
    BRIER_TIE,
    NotTrainable,
    course_folds,
    out_of_fold_log_odds,
    train_target,
    training_samples,
)

DAY, WEEK = 86400, 604800
AS_OF = 1_747_008_000  # 2025-05-12 00:00 UTC


# ---------------------------------------------------------------------------
# synthetic site: feature mart, outcomes and courses frames like the dbt marts
# ---------------------------------------------------------------------------


def synthetic_site(n_finished=4, n_running=1, students=24, weeks=8, seed=0):
    """Students with a hidden engagement e; dropouts (e < 0.45) fade out. Known signal."""
    rng = np.random.default_rng(seed)
    feature_rows, outcome_rows, course_rows = [], [], []
    for c in range(n_finished + n_running):
        courseid = 100 + c
        finished = c < n_finished
        start = AS_OF - (weeks + 2) * WEEK if finished else AS_OF - 3 * WEEK - DAY
        tracks = c % 2 == 0
        course_rows.append(
            {
                "courseid": courseid,
                "course_status": "finished" if finished else "running",
                "planned_weeks": weeks,
                "is_completion_enabled": tracks,
                "has_completion_criteria": tracks,
            }
        )
        last_week = weeks if finished else 4
        for s in range(students):
            userid = 1000 * (c + 1) + s
            enrolment_id = f"{courseid}-{userid}"
            engagement = rng.uniform()
            dropout = int(engagement < 0.45)
            so_far, inactive = 0, 0
            for week in range(1, last_week + 1):
                fade = max(0.0, 1 - week / (weeks * 0.6)) if dropout else 1.0
                events = int(rng.poisson(12 * engagement * fade + 0.2))
                so_far += events
                inactive = inactive + 1 if events == 0 else 0
                row = {name: float(rng.normal()) for name in FEATURES}
                row.update(
                    enrolment_id=enrolment_id,
                    courseid=courseid,
                    userid=userid,
                    course_week=week,
                    week_start=start + (week - 1) * WEEK,
                    feature_cutoff=start + week * WEEK,
                    n_events=events,
                    n_events_so_far=so_far,
                    inactive_week_streak=inactive,
                    days_since_last_activity=np.nan if so_far == 0 else 7.0 * inactive,
                    quiz_avg_score_so_far=np.nan,  # a site without quizzes: an all-NULL column
                )
                row["course_tracks_completion"] = int(tracks)
                feature_rows.append(row)
            outcome_rows.append(
                {
                    "enrolment_id": enrolment_id,
                    "courseid": courseid,
                    "userid": userid,
                    "is_dropout": dropout,
                    "is_completed": int(engagement > 0.6) if finished else None,
                    "is_label_eligible": True,
                }
            )
    outcomes = pd.DataFrame(outcome_rows)
    outcomes = outcomes[
        outcomes["courseid"].isin([r["courseid"] for r in course_rows[:n_finished]])
    ]
    return pd.DataFrame(feature_rows), outcomes.reset_index(drop=True), pd.DataFrame(course_rows)


@pytest.fixture(scope="module")
def site():
    return synthetic_site()


@pytest.fixture(scope="module")
def registry(site):
    """Registry rows of both targets, trained with both candidates."""
    return update_registry(lambda: site, AS_OF, None).new_rows


@pytest.fixture(scope="module")
def trained(site):
    features, outcomes, courses = site
    return train_target(training_samples(features, outcomes, courses, "dropout"), "dropout")


# ---------------------------------------------------------------------------
# features
# ---------------------------------------------------------------------------


def test_feature_list_has_no_ids_or_absolute_times():
    assert not set(FEATURES) & set(EXCLUDED)
    assert len(FEATURES) == len(set(FEATURES))
    assert set(CONTEXT_FEATURES) <= set(FEATURES)


def test_feature_matrix_reads_nulls_and_booleans():
    frame = pd.DataFrame({"a": pd.array([True, None, False], dtype="boolean"), "b": [1, None, 3]})
    X = feature_matrix(frame, ["a", "b"])
    assert X.dtype == np.float64
    np.testing.assert_array_equal(np.isnan(X), [[False, False], [True, True], [False, False]])
    assert X[0, 0] == 1.0 and X[2, 0] == 0.0 and X[2, 1] == 3.0
    with pytest.raises(KeyError, match="lacks column"):
        feature_matrix(frame, ["a", "missing"])


# ---------------------------------------------------------------------------
# grouped validation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("n_courses, n_folds", [(2, 2), (5, 5), (7, 3), (12, 3)])
def test_course_folds_never_split_a_course(n_courses, n_folds):
    rng = np.random.default_rng(n_courses)
    groups = rng.integers(0, n_courses, size=600)
    groups[:n_courses] = np.arange(n_courses)  # every course present
    folds = course_folds(groups)
    assert len(np.unique(folds)) == n_folds
    for fold in np.unique(folds):
        test, train = set(groups[folds == fold]), set(groups[folds != fold])
        assert test and not test & train
    # every course lies in exactly one fold
    assert all(len(np.unique(folds[groups == g])) == 1 for g in np.unique(groups))


def test_course_folds_need_two_courses():
    with pytest.raises(NotTrainable, match="at least 2"):
        course_folds(np.zeros(10))


def test_out_of_fold_predictions_do_not_see_their_course():
    """A label that is pure course identity cannot be learnt across courses.

    Courses 0 and 1 are all positive, 2 and 3 all negative, and one-hot columns
    name the course. In sample they predict perfectly; out of fold (each course
    unseen) they cannot beat chance."""
    groups = np.repeat(np.arange(4), 50)
    y = (groups < 2).astype(int)
    X = np.eye(4)[groups]
    folds = course_folds(groups)
    z = out_of_fold_log_odds("logistic_regression", X, y, folds)
    from sklearn.metrics import roc_auc_score

    assert (
        roc_auc_score(y, make_pipeline("logistic_regression").fit(X, y).decision_function(X)) == 1
    )
    assert roc_auc_score(y, z) <= 0.5


def test_training_samples_use_finished_eligible_rows_only(site):
    features, outcomes, courses = site
    outcomes = outcomes.copy()
    outcomes.loc[0, "is_label_eligible"] = False
    outcomes.loc[1, "is_completed"] = None
    dropout = training_samples(features, outcomes, courses, "dropout")
    completion = training_samples(features, outcomes, courses, "completion")
    finished = set(courses.loc[courses.course_status == "finished", "courseid"])
    assert set(dropout["courseid"]) == finished
    assert outcomes.loc[0, "enrolment_id"] not in set(dropout["enrolment_id"])
    assert outcomes.loc[1, "enrolment_id"] in set(dropout["enrolment_id"])
    assert outcomes.loc[1, "enrolment_id"] not in set(completion["enrolment_id"])
    assert set(dropout["course_tracks_completion"]) == {0, 1}


# ---------------------------------------------------------------------------
# metrics per interval
# ---------------------------------------------------------------------------


def test_quarters_and_deciles_of_the_course():
    weeks = np.arange(1, 9)
    assert M.interval_of(weeks, 8, 4).tolist() == [1, 1, 2, 2, 3, 3, 4, 4]
    assert M.interval_of(weeks, 8, 10).tolist() == [2, 3, 4, 5, 7, 8, 9, 10]
    assert M.interval_of(np.arange(1, 11), 10, 10).tolist() == list(range(1, 11))
    assert M.interval_of(np.arange(1, 13), 12, 4).tolist() == [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]
    assert M.interval_of([1, 3, 4, 9], 9, 4).tolist() == [1, 2, 2, 4]  # 4/9, 12/9, 16/9, 36/9
    assert M.interval_of([10], 8, 4).tolist() == [4]  # past the planned end: last part
    assert M.interval_of([3, 3], [np.nan, 0], 4).tolist() == [0, 0]  # no end date: none


def test_interval_members_accumulate_quarters():
    frame = pd.DataFrame({"course_week": np.arange(1, 9), "planned_weeks": 8})
    acc = dict(M.interval_members(frame, "accumulative_quarter"))
    quarters = dict(M.interval_members(frame, "quarter"))
    assert frame["course_week"][acc[2]].tolist() == [1, 2, 3, 4]
    assert frame["course_week"][acc[4]].tolist() == list(range(1, 9))
    assert frame["course_week"][quarters[3]].tolist() == [5, 6]
    deciles = dict(M.interval_members(frame, "decile"))
    assert sorted(deciles) == [2, 3, 4, 5, 7, 8, 9, 10]  # deciles 1 and 6 hold no week end
    assert [k for k, _ in M.interval_members(frame, "week")] == list(range(1, 9))


def test_metrics_and_moodle_gate():
    y = np.array([1, 1, 0, 0, 1, 0, 1, 0])
    p = np.array([0.9, 0.8, 0.3, 0.2, 0.6, 0.4, 0.7, 0.1])
    m = M.binary_metrics(y, p)
    assert m["roc_auc"] == 1.0 and m["f1"] == 1.0 and m["balanced_accuracy"] == 1.0
    assert m["brier"] == pytest.approx(np.mean((p - y) ** 2))
    single = M.binary_metrics([0, 0], [0.2, 0.7])
    assert single["roc_auc"] is None and single["pr_auc"] is None and single["f1"] == 0.0
    # fold 2 has no positive: it does not count for the deviation
    std, n = M.f1_deviation([1, 0, 1, 1, 0, 0], [0.9, 0.1, 0.9, 0.2, 0.1, 0.1], [0, 0, 1, 1, 2, 2])
    assert n == 2 and std == pytest.approx(np.std([1.0, 2 / 3]))
    assert M.moodle_gate(0.8, 0.03, 4) == (
        True,
        "weighted F1 0.80 >= 0.70 and deviation 0.030 <= 0.05 across 4 folds",
    )
    ok, why = M.moodle_gate(0.65, 0.09, 4)
    assert not ok and "weighted F1 0.65 is below 0.70" in why and "deviation 0.090" in why
    ok, why = M.moodle_gate(0.9, None, 1)
    assert not ok and "at least 2 needed" in why


def test_moodle_f1_is_weighted_by_support_over_both_classes():
    from sklearn.metrics import f1_score

    # 2 positives of 10, one found, one false alarm: positive-class F1 0.5, negative 7/8
    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    p = np.array([0.9, 0.2, 0.7, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
    m = M.binary_metrics(y, p)
    assert m["f1"] == pytest.approx(0.5)
    assert m["f1_weighted"] == pytest.approx(0.2 * 0.5 + 0.8 * (2 * 7 / (8 + 8)))
    assert m["f1_weighted"] == pytest.approx(f1_score(y, p >= 0.5, average="weighted"))
    # one class only: the other class has no support and no weight
    assert M.f1_weighted([0, 0, 0], [False, False, True]) == pytest.approx(0.8)
    # the gate reads the weighted F1: this interval passes on it, not on the positive-class F1
    oof = pd.DataFrame(
        {
            "y": np.tile(y, 4),
            "p_calibrated": np.tile(p, 4),
            "fold": np.repeat([0, 1, 2, 3], 10),
            "course_week": 1,
            "planned_weeks": 10,
        }
    )
    overall = [r for r in M.interval_metrics(oof) if r["interval_type"] == "overall"][0]
    assert overall["f1"] == pytest.approx(0.5) and overall["f1_weighted"] > 0.7
    assert overall["f1_weighted_std"] == pytest.approx(0.0)
    assert overall["passes_moodle_gate"], overall["gate_reason"]


def test_calibration_curve_bins():
    rows = M.calibration_curve_rows([0, 1, 1, 0], [0.05, 0.95, 1.0, 0.15], n_bins=10)
    assert [r["n"] for r in rows] == [1, 1, 0, 0, 0, 0, 0, 0, 0, 2]
    assert rows[9]["observed_rate"] == 1.0 and rows[9]["mean_predicted"] == pytest.approx(0.975)
    assert rows[2]["mean_predicted"] is None


# ---------------------------------------------------------------------------
# calibration
# ---------------------------------------------------------------------------


def test_platt_recovers_an_overconfident_model_and_improves_brier():
    rng = np.random.default_rng(1)
    z_true = rng.normal(size=20000)
    y = (rng.uniform(size=z_true.size) < expit(z_true)).astype(int)
    z_model = 3.0 * z_true + 1.0  # overconfident and biased
    platt = fit_platt(z_model, y)
    assert platt.slope == pytest.approx(1 / 3, abs=0.03)
    assert platt.intercept == pytest.approx(-1 / 3, abs=0.05)
    folds = np.arange(z_true.size) % 4
    calibrated = cross_calibrated(z_model, y, folds)
    raw_brier = np.mean((expit(z_model) - y) ** 2)
    cal_brier = np.mean((calibrated - y) ** 2)
    assert cal_brier < raw_brier - 0.01
    assert cal_brier == pytest.approx(np.mean((expit(z_true) - y) ** 2), abs=0.002)


def test_platt_falls_back_to_identity_with_one_class():
    platt = fit_platt([0.1, 2.0], [1, 1])
    assert (platt.slope, platt.intercept) == (1.0, 0.0)


# ---------------------------------------------------------------------------
# contributions and reasons
# ---------------------------------------------------------------------------


def _hand_made_logistic():
    """Imputer + scaler fitted on [[0, 0], [2, 4]] (median 1/2, mean 1/2, sd 1/2); coef (2, -1), b 0.5."""
    pipe = Pipeline(
        [
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
            ("scale", StandardScaler()),
            ("model", LogisticRegression()),
        ]
    ).fit(np.array([[0.0, 0.0], [2.0, 4.0]]), [0, 1])
    pipe[-1].coef_ = np.array([[2.0, -1.0]])
    pipe[-1].intercept_ = np.array([0.5])
    return pipe


def test_logistic_contributions_by_hand():
    pipe = _hand_made_logistic()
    X = np.array([[3.0, 2.0], [np.nan, 6.0]])
    contrib, baseline = contributions(pipe, X)
    # row 1: standardised (3-1)/1 = 2 and (2-2)/2 = 0 -> 2*2 = 4, -1*0 = 0
    # row 2: x1 missing -> median 1 -> 0; (6-2)/2 = 2 -> -1*2 = -2
    np.testing.assert_allclose(contrib, [[4.0, 0.0], [0.0, -2.0]])
    np.testing.assert_allclose(baseline, [0.5, 0.5])
    np.testing.assert_allclose(baseline + contrib.sum(axis=1), pipe.decision_function(X))
    np.testing.assert_allclose(pipe.predict_proba(X)[:, 1], expit([4.5, -1.5]))


@pytest.mark.parametrize("algorithm", CANDIDATES)
def test_contributions_sum_to_the_log_odds(site, algorithm):
    features, outcomes, courses = site
    samples = training_samples(features, outcomes, courses, "dropout")
    X, y = feature_matrix(samples), samples["y"].to_numpy()
    pipe = make_pipeline(algorithm).fit(X, y)
    contrib, baseline = contributions(pipe, X)
    assert contrib.shape == X.shape
    np.testing.assert_allclose(baseline + contrib.sum(axis=1), pipe.decision_function(X), atol=1e-9)
    assert np.ptp(baseline) == 0  # one baseline: the reference student


def test_tree_contributions_of_a_stump_by_hand():
    """One stump on feature 0: only feature 0 gets credit, learning rate x (leaf - root)."""
    X = np.array([[0.0, 5.0], [0.0, 1.0], [1.0, 3.0], [1.0, 2.0]])
    y = np.array([0, 0, 1, 1])
    model = GradientBoostingClassifier(n_estimators=1, max_depth=1, learning_rate=0.5).fit(X, y)
    pipe = Pipeline([("model", model)])
    contrib, baseline = contributions(pipe, X)
    tree = model.estimators_[0, 0].tree_
    root, left, right = tree.value[0, 0, 0], tree.value[1, 0, 0], tree.value[2, 0, 0]
    np.testing.assert_allclose(contrib[:, 1], 0.0)
    np.testing.assert_allclose(contrib[:, 0], 0.5 * np.array([left, left, right, right] - root))
    np.testing.assert_allclose(baseline + contrib.sum(axis=1), model.decision_function(X))


def test_reason_texts():
    assert describe_feature("days_since_last_activity", 16, 2) == (
        "No activity for 16 days (course median 2)"
    )
    assert describe_feature("days_since_last_activity", np.nan, 2) == (
        "Has not been active in the course yet"
    )
    assert describe_feature("days_since_last_activity", 0, 2) == "Active within the last day"
    assert (
        describe_feature("days_since_last_activity", 1, 2)
        == "No activity for 1 day (course median 2)"
    )
    assert describe_feature("quiz_attempts_so_far", 1, 2) == (
        "1 quiz attempt finished so far (course median 2)"
    )
    assert (
        describe_feature("grade_avg_so_far", 0.44, 0.65) == "Average grade 44% (course median 65%)"
    )
    assert describe_feature("has_started", 0) == "Has not started working in the course yet"
    assert (
        describe_feature("cognitive_depth_so_far", 2) == "Deepest engagement so far: contributing"
    )
    assert describe_feature("events_vs_cohort_median", 0.25) == (
        "Activity this week 0.2 times the course median"
    )
    assert describe_feature("n_events", 3.5, np.nan) == "3.5 learning actions this week"
    assert reason_text("days_since_last_activity", 16, 1.3, "dropout", 2) == (
        "No activity for 16 days (course median 2) — raises dropout risk a lot"
    )
    assert reason_text("n_events", 30, -0.5, "dropout", 10) == (
        "30 learning actions this week (course median 10) — lowers dropout risk somewhat"
    )
    assert reason_text("n_events", 0, -0.1, "completion", 10).endswith(
        "— lowers the chance of completing a little"
    )


def test_top_reasons_rank_by_size_and_skip_context():
    features = ["course_week", "n_events", "days_since_last_activity", "grade_avg_so_far"]
    contrib = np.array([[5.0, -0.2, 1.5, -0.9], [0.0, 0.1, 0.1, 0.0]])
    X = np.array([[3, 1, 16, 0.3], [4, 9, 0, np.nan]])
    medians = np.array([[3, 10, 2, 0.6], [4, 8, 1, 0.5]])
    out = top_reasons(contrib, X, features, "dropout", medians, k=3, exclude=CONTEXT_FEATURES)
    assert out.loc[0, ["reason_1_feature", "reason_2_feature", "reason_3_feature"]].tolist() == [
        "days_since_last_activity",
        "grade_avg_so_far",
        "n_events",
    ]
    assert out.loc[0, "reason_1_text"] == (
        "No activity for 16 days (course median 2) — raises dropout risk a lot"
    )
    assert out.loc[0, "reason_2_direction"] == "lowers"
    # ties keep the feature order; a context feature is never offered
    assert out.loc[1, "reason_1_feature"] == "n_events"
    assert "course_week" not in out.loc[1].tolist()


def test_reasons_explain_the_direction_of_the_score_first():
    """Net rise: the two raising reasons come before a larger lowering one."""
    features = ["course_week", "n_events", "days_since_last_activity", "grade_avg_so_far"]
    contrib = np.array([[0.0, -1.0, 0.6, 0.5], [0.0, 0.3, -0.2, -0.4]])
    X = np.array([[3, 9, 9, 0.3], [4, 12, 0, 0.9]])
    out = top_reasons(contrib, X, features, "dropout", None, k=3, exclude=CONTEXT_FEATURES)
    assert out.loc[0, ["reason_1_feature", "reason_2_feature", "reason_3_feature"]].tolist() == [
        "days_since_last_activity",
        "grade_avg_so_far",
        "n_events",
    ]
    # net fall: the lowering reasons first
    assert out.loc[1, ["reason_1_feature", "reason_2_feature"]].tolist() == [
        "grade_avg_so_far",
        "days_since_last_activity",
    ]


# ---------------------------------------------------------------------------
# serialisation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", CANDIDATES)
def test_skops_round_trip_gives_identical_probabilities(site, algorithm):
    features, outcomes, courses = site
    samples = training_samples(features, outcomes, courses, "completion")
    X, y = feature_matrix(samples), samples["y"].to_numpy()
    pipe = make_pipeline(algorithm).fit(X, y)
    text, sha = encode_model(pipe)
    again = decode_model(text)
    np.testing.assert_array_equal(again.predict_proba(X), pipe.predict_proba(X))
    # same model, same bytes: versions are reproducible
    assert encode_model(make_pipeline(algorithm).fit(X, y)) == (text, sha)
    assert model_version("dropout", AS_OF, sha) == f"dropout-20250512-{sha[:8]}"


class _NotOnTheList(TransformerMixin, BaseEstimator):
    """Stands for any type a tampered registry row could smuggle in."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X


def test_untrusted_types_are_refused():
    pipe = Pipeline([("odd", _NotOnTheList()), ("model", LogisticRegression())])
    pipe.fit(np.array([[1.0], [2.0], [3.0], [4.0]]), [0, 0, 1, 1])
    with pytest.raises(UntrustedModelError, match="_NotOnTheList"):
        loads_model(dumps_model(pipe))
    with pytest.raises(UntrustedModelError):
        decode_model(base64.b64encode(dumps_model(pipe)).decode())


# ---------------------------------------------------------------------------
# registry: when to retrain, which model scores
# ---------------------------------------------------------------------------


def test_retrain_due():
    assert retrain_due(None, AS_OF, 7).due
    assert not retrain_due(AS_OF - 3 * DAY, AS_OF, 7).due
    assert retrain_due(AS_OF - 7 * DAY, AS_OF, 7).due
    assert not retrain_due(AS_OF, AS_OF, 0.5).due  # same as_of: a rerun never retrains
    assert retrain_due(AS_OF, AS_OF, 7, force=True).due
    assert "days old" in retrain_due(AS_OF - 8 * DAY, AS_OF, 7).reason


def test_latest_usable_model_never_comes_from_the_future():
    registry = pd.DataFrame(
        {
            "model_version": ["d-old", "d-new", "d-future", "d-new-bis", "c-1"],
            "target": ["dropout"] * 4 + ["completion"],
            "trained_at": pd.to_datetime(
                [AS_OF - 20 * DAY, AS_OF - DAY, AS_OF + DAY, AS_OF - DAY, AS_OF], unit="s"
            ),
            "model_seq": [1, 2, 3, 4, 1],
        }
    )
    assert latest_usable(registry, "dropout", AS_OF)["model_version"] == "d-new-bis"
    assert latest_usable(registry, "dropout", AS_OF - 10 * DAY)["model_version"] == "d-old"
    assert latest_usable(registry, "dropout", AS_OF - 30 * DAY) is None
    assert latest_usable(registry, "completion", AS_OF)["model_version"] == "c-1"


def test_registry_trains_once_then_reuses(site):
    features, outcomes, courses = site
    calls = []
    lr_only = ("logistic_regression",)  # the registry logic, not the candidates, is under test

    def load():
        calls.append(1)
        return features, outcomes, courses

    first = update_registry(load, AS_OF, None, retrain_after_days=7, candidates=lr_only)
    assert sorted(first.new_rows["target"]) == ["completion", "dropout"]
    assert len(calls) == 1
    row = first.new_rows.set_index("target").loc["dropout"]
    assert json.loads(row["feature_list"]) == list(FEATURES)
    assert row["trained_at"] == pd.Timestamp(AS_OF, unit="s")
    assert row["n_courses"] == 4 and row["validation"] == "leave-one-course-out (4 folds)"
    assert row["cv_roc_auc"] > 0.8 and row["cv_brier"] < row["cv_brier_prior"]
    assert (
        row["algorithm"] == "logistic_regression"
        and "logistic_regression" in row["selection_reason"]
    )
    assert set(json.loads(row["library_versions"])) >= {"scikit-learn", "skops", "numpy"}

    # a rerun (same as_of, or 3 days later) reuses the stored models and reads no data
    for as_of in (AS_OF, AS_OF + 3 * DAY):
        again = update_registry(load, as_of, first.new_rows, 7, candidates=lr_only)
        assert again.new_rows.empty and len(calls) == 1
        assert all("reusing" in m for m in again.messages)

    # 8 days later it retrains; same data gives the same model version, keeping its place
    later = update_registry(load, AS_OF + 8 * DAY, first.new_rows, 7, candidates=lr_only)
    assert len(later.new_rows) == 2 and len(calls) == 2
    assert (later.new_rows["model_seq"] == 2).all()

    forced = update_registry(load, AS_OF, first.new_rows, force=True, candidates=lr_only)
    pd.testing.assert_frame_equal(
        forced.new_rows.drop(columns=["retrain_reason"]),
        first.new_rows.drop(columns=["retrain_reason"]),
    )


def test_registry_without_labels_emits_no_row(site):
    features, outcomes, courses = site
    running_only = courses.assign(course_status="running")
    update = update_registry(lambda: (features, outcomes, running_only), AS_OF, None)
    assert not update.messages[0].startswith("dropout: trained")
    assert update.new_rows.empty
    assert list(update.new_rows.columns) == list(REGISTRY_COLUMNS)
    assert any("stays NULL" in m for m in update.messages)
    scores, messages = score_running(features, running_only, update.new_rows, AS_OF)
    assert scores.empty and any("stays NULL" in m for m in messages)


def test_one_finished_course_is_not_enough(site):
    features, outcomes, courses = site
    one = courses.assign(course_status=np.where(courses["courseid"] == 100, "finished", "running"))
    update = update_registry(lambda: (features, outcomes, one), AS_OF, None)
    assert update.new_rows.empty and any("at least 2" in m for m in update.messages)


# ---------------------------------------------------------------------------
# training and scoring
# ---------------------------------------------------------------------------


def test_training_learns_the_synthetic_signal(trained):
    assert trained.validation == "leave-one-course-out (4 folds)"
    for candidate in trained.candidates.values():
        assert candidate.overall["roc_auc"] > 0.8
        types = {r["interval_type"] for r in candidate.intervals}
        assert types == set(M.INTERVAL_TYPES)
    briers = {name: c.overall["brier"] for name, c in trained.candidates.items()}
    if trained.algorithm != "logistic_regression":
        assert briers[trained.algorithm] < briers["logistic_regression"] - BRIER_TIE
    else:
        assert briers["logistic_regression"] <= min(briers.values()) + BRIER_TIE
    weeks = [r for r in trained.winner.intervals if r["interval_type"] == "week"]
    assert weeks[-1]["roc_auc"] > weeks[0]["roc_auc"]  # the signal builds up over the weeks
    assert trained.selection_reason.startswith(trained.algorithm)


def test_scores_of_running_courses(site, registry):
    features, outcomes, courses = site
    scores, _ = score_running(features, courses, registry, AS_OF)
    running = set(courses.loc[courses.course_status == "running", "courseid"])
    assert set(scores["courseid"]) == running
    assert scores["probability"].between(0, 1).all()
    np.testing.assert_allclose(logit(scores["probability"]), scores["log_odds"])
    assert not scores["reason_1_feature"].isin(CONTEXT_FEATURES).any()
    assert scores["reason_1_text"].str.contains("risk|chance").all()
    # reasons come in decreasing size
    sizes = scores[[f"reason_{i}_contribution" for i in (1, 2, 3)]].abs().to_numpy()
    assert (np.diff(sizes, axis=1) <= 1e-12).all()


def test_scoring_one_course_at_a_time_gives_the_same_scores(site, registry):
    features, _, courses = site
    # three running courses (two finished ones relabelled): three batches
    courses = courses.assign(
        course_status=np.where(
            courses["courseid"].isin([100, 101]), "running", courses["course_status"]
        )
    )
    whole, _ = score_running(features, courses, registry, AS_OF)
    columns = scoring_columns(registry, AS_OF)
    assert set(columns) <= set(features.columns) and len(columns) < len(features.columns)
    read, written = [], []

    def read_course(courseid):
        read.append(courseid)
        return features.loc[features["courseid"] == courseid, columns]

    n_rows, messages = score_running_by_course(
        read_course, courses, registry, AS_OF, written.append
    )
    assert read == [100, 101, 104]
    assert [set(batch["courseid"]) for batch in written] == [{100}, {101}, {104}]
    assert n_rows == int(features["courseid"].isin(read).sum())
    assert messages[0].startswith(f"dropout: scored {n_rows} rows with ")
    batched = pd.concat(written, ignore_index=True)
    order = ["target", "courseid", "enrolment_id", "course_week"]
    pd.testing.assert_frame_equal(
        batched.sort_values(order).reset_index(drop=True),
        whole.sort_values(order).reset_index(drop=True),
        check_exact=True,
    )


def test_a_weeks_score_depends_only_on_its_row(site, registry):
    """Changing a later week's row leaves an earlier week's probability unchanged."""
    features, outcomes, courses = site
    model = StoredModel(registry[registry["target"] == "dropout"].iloc[0])
    running = features[features["courseid"] == 104]
    before = score(running, model)
    later = running.copy()
    later.loc[later["course_week"] == 4, "n_events"] += 50
    after = score(later, model)
    early = before["course_week"] < 4
    np.testing.assert_array_equal(before.loc[early, "probability"], after.loc[early, "probability"])
    assert not np.array_equal(before.loc[~early, "probability"], after.loc[~early, "probability"])


def test_training_samples_are_capped_by_whole_enrolments(site):
    from early_warning.ml.train import training_samples

    features, outcomes, courses = site
    full = training_samples(features, outcomes, courses, "dropout", max_rows=None)
    capped = training_samples(features, outcomes, courses, "dropout", max_rows=200)
    again = training_samples(features, outcomes, courses, "dropout", max_rows=200)
    assert len(full) > 200 >= len(capped) > 150
    pd.testing.assert_frame_equal(capped, again)  # the same subset every time
    # whole enrolments: every kept enrolment has all its weeks
    weeks = full.groupby("enrolment_id").size()
    kept = capped.groupby("enrolment_id").size()
    assert (kept == weeks.loc[kept.index]).all()
    assert capped["courseid"].nunique() == full["courseid"].nunique()


@pytest.mark.parametrize("float32_inputs", [True, False])
def test_tree_sql_rounds_inputs_to_float32_as_scikit_learn_does(float32_inputs):
    """A value just above a float32 threshold that rounds down to it: scikit-learn sends
    it left (it casts inputs to float32); the SQL must too (it failed the PostgreSQL
    ml-job's parity check on the small demo with |dp| up to 0.03)."""
    import duckdb

    from early_warning.ml.candidates import GRADIENT_BOOSTING, make_pipeline
    from early_warning.ml.sql_scoring import compares_in_float32, log_odds_query, tree_input_sql

    a = np.float32(100.3)
    b = np.nextafter(a, np.float32(np.inf))  # adjacent float32 values: the split lies between
    above_a = float(a) + (float(b) - float(a)) / 4  # > a as a double, float32(.) == a
    assert np.float32(above_a) == a and above_a > float(a)
    n = 400
    X = np.column_stack([np.where(np.arange(n) % 2 == 0, float(a), float(b)), np.linspace(0, 1, n)])
    pipeline = make_pipeline(GRADIENT_BOOSTING).fit(X, np.arange(n) % 2)
    assert compares_in_float32(pipeline)
    rows = np.array([[above_a, 0.5], [float(a), 0.5], [float(b), 0.5], [np.nan, np.nan]])
    frame = pd.DataFrame(rows, columns=["f0", "f1"])
    frame.insert(0, "row_id", np.arange(len(rows), dtype="int64"))
    con = duckdb.connect()
    con.register("raw_input", frame)
    table = "raw_input"
    if float32_inputs:
        con.sql(f"create table rounded as {tree_input_sql(['f0', 'f1'], 'raw_input')}")
        table = "rounded"
    sql = log_odds_query(pipeline, ["f0", "f1"], table, dialect="duckdb")
    z = con.sql(sql).df().sort_values("row_id")["z"].to_numpy()
    python = pipeline.decision_function(rows)
    assert python[0] < 0 < python[2]  # scikit-learn: above_a goes with a
    if float32_inputs:
        assert np.abs(z - python).max() < 1e-6
    else:  # the old SQL on doubles: the misrouted row
        assert z[0] > 0 and np.abs(z[1:] - python[1:]).max() < 1e-6
