"""Training one target: grouped cross-validation of the candidates, selection, calibration.

Samples are the (enrolment, course week) rows of the feature mart for the
finished courses, labelled with the enrolment's outcome — the very grid the
scores use. Validation folds are whole courses (leave-one-course-out up to
``MAX_LOCO_COURSES`` courses, GroupKFold by course with ``GROUP_K_FOLDS`` folds
beyond), never random rows: a course is never in both the training and the
test part of a fold. Every fold refits every candidate, so the fold count is
the main cost of training: with many courses three folds still hold out
several whole courses each, at a third of the cost of leave-one-course-out on
ten courses.

Every candidate gets out-of-fold log-odds; each fold's Platt calibration is
fitted on the other folds' out-of-fold log-odds (:func:`cross_calibrated`). The
candidate with the lowest out-of-fold Brier score of its calibrated
probabilities wins (Brier rewards both ranking and honest probabilities, which
is what a teacher reads); within ``BRIER_TIE`` the logistic regression wins
because its reasons are exact and its SQL is a single expression. The winner
is refitted on all samples, and its Platt map on all its out-of-fold log-odds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold

from early_warning.ml import metrics as M
from early_warning.ml.calibration import Platt, cross_calibrated, fit_platt
from early_warning.ml.candidates import (
    CANDIDATES,
    HYPER_PARAMETERS,
    LOGISTIC_REGRESSION,
    make_pipeline,
)
from early_warning.ml.explain import contributions
from early_warning.ml.features import FEATURES, KEYS, feature_matrix

TARGETS: dict[str, str] = {"dropout": "is_dropout", "completion": "is_completed"}
MAX_LOCO_COURSES = 5
GROUP_K_FOLDS = 3
BRIER_TIE = 0.002
MIN_TRAINING_COURSES = 2


class NotTrainable(Exception):
    """The data cannot train this target (the message says why, for the log)."""


#: Training rows kept at most (whole enrolments): training time grows with the rows, and
#: past some tens of thousands of student-weeks more rows barely change the model.
MAX_TRAINING_ROWS = 40_000


#: The feature-mart columns training reads (keys, the data range of the registry row,
#: the features): a large site's finished courses reach pandas without the others.
TRAINING_COLUMNS: tuple[str, ...] = (
    *KEYS,
    "week_start",
    "feature_cutoff",
    *(name for name in FEATURES if name not in KEYS),
)


def training_samples(
    features: pd.DataFrame,
    outcomes: pd.DataFrame,
    courses: pd.DataFrame,
    target: str,
    max_rows: int | None = MAX_TRAINING_ROWS,
) -> pd.DataFrame:
    """Labelled (enrolment, week) rows of finished courses for one target.

    Uses only label-eligible enrolments; for completion also only known labels.
    Adds ``y`` (0/1) and ``planned_weeks``; sorted by enrolment and week. When
    there are more than ``max_rows`` rows, a fixed random subset of whole
    enrolments is kept (all weeks of each, every course still represented in
    proportion), so training time stays bounded on large sites and the same data
    give the same subset.
    """
    label = TARGETS[target]
    finished = courses.loc[courses["course_status"] == "finished", ["courseid", "planned_weeks"]]
    eligible = outcomes[outcomes["is_label_eligible"].fillna(False).astype(bool)]
    eligible = eligible[eligible[label].notna()][["enrolment_id", label]]
    # choose the rows on the narrow key columns first: the wide feature frame is copied
    # only for the rows kept
    rows = (
        features["courseid"].isin(finished["courseid"]).to_numpy()
        & features["enrolment_id"].isin(eligible["enrolment_id"]).to_numpy()
    )
    if max_rows is not None and rows.sum() > max_rows:
        sizes = features.loc[rows, "enrolment_id"].value_counts().sort_index()
        order = np.random.default_rng(0).permutation(len(sizes))
        kept = sizes.index[order][np.cumsum(sizes.to_numpy()[order]) <= max_rows]
        rows &= features["enrolment_id"].isin(kept).to_numpy()
    samples = features[rows].merge(finished, on="courseid", how="inner")
    samples = samples.merge(eligible, on="enrolment_id", how="inner")
    samples = samples.rename(columns={label: "y"})
    samples["y"] = samples["y"].astype("int64")
    samples = samples.sort_values(["enrolment_id", "course_week"], kind="stable")
    return samples.reset_index(drop=True)


def course_folds(groups) -> np.ndarray:
    """Fold number of every row: whole courses per fold (leave-one-course-out when few)."""
    groups = np.asarray(groups)
    n_courses = len(np.unique(groups))
    if n_courses < 2:
        raise NotTrainable(f"{n_courses} finished course(s) with labels: at least 2 are needed")
    n_splits = n_courses if n_courses <= MAX_LOCO_COURSES else GROUP_K_FOLDS
    folds = np.full(len(groups), -1, dtype="int64")
    for fold, (_, test) in enumerate(GroupKFold(n_splits=n_splits).split(groups, groups=groups)):
        folds[test] = fold
    return folds


def validation_name(n_courses: int) -> str:
    if n_courses <= MAX_LOCO_COURSES:
        return f"leave-one-course-out ({n_courses} folds)"
    return f"GroupKFold by course ({GROUP_K_FOLDS} folds)"


def out_of_fold_log_odds(algorithm: str, X: np.ndarray, y: np.ndarray, folds: np.ndarray):
    """Log-odds of every row from a model fitted without the row's fold (its course)."""
    z = np.empty(len(y))
    for fold in np.unique(folds):
        test = folds == fold
        y_train = y[~test]
        if len(np.unique(y_train)) < 2:  # one class left: the prior is all we know
            prior = np.clip(y_train.mean(), 1e-3, 1 - 1e-3)
            z[test] = np.log(prior / (1 - prior))
            continue
        model = make_pipeline(algorithm).fit(X[~test], y_train)
        z[test] = model.decision_function(X[test])
    return z


@dataclass
class CandidateResult:
    algorithm: str
    log_odds: np.ndarray
    p_calibrated: np.ndarray
    overall: dict
    intervals: list[dict]
    roc: dict | None
    seconds: float


@dataclass
class TrainingResult:
    target: str
    algorithm: str
    pipeline: object
    platt: Platt
    features: tuple[str, ...]
    samples: pd.DataFrame
    folds: np.ndarray
    candidates: dict[str, CandidateResult]
    selection_reason: str
    validation: str
    calibration_curve: list[dict] = field(default_factory=list)
    feature_importance: list[dict] = field(default_factory=list)
    prior_brier: float | None = None
    seconds: float = 0.0

    @property
    def winner(self) -> CandidateResult:
        return self.candidates[self.algorithm]


def evaluate_candidate(algorithm, X, y, folds, frame) -> CandidateResult:
    started = time.perf_counter()
    z = out_of_fold_log_odds(algorithm, X, y, folds)
    p = cross_calibrated(z, y, folds)
    oof = frame.assign(y=y, fold=folds, p_calibrated=p)
    intervals = M.interval_metrics(oof)
    overall = next(r for r in intervals if r["interval_type"] == "overall")
    return CandidateResult(
        algorithm=algorithm,
        log_odds=z,
        p_calibrated=p,
        overall=overall,
        intervals=intervals,
        roc=M.roc_points(y, p),
        seconds=time.perf_counter() - started,
    )


def prior_brier(y: np.ndarray, folds: np.ndarray) -> float:
    """Brier score of the no-skill forecast: each fold gets the base rate of the other folds."""
    p = np.empty(len(y))
    for fold in np.unique(folds):
        test = folds == fold
        p[test] = y[~test].mean()
    return float(np.mean((p - y) ** 2))


def select(candidates: dict[str, CandidateResult]) -> tuple[str, str]:
    """(winning algorithm, why) — lowest out-of-fold Brier; logistic regression on near-ties."""
    briers = {name: c.overall["brier"] for name, c in candidates.items()}
    best = min(briers, key=lambda name: (briers[name], name != LOGISTIC_REGRESSION))
    lr = briers.get(LOGISTIC_REGRESSION)
    if best != LOGISTIC_REGRESSION and lr is not None and lr - briers[best] <= BRIER_TIE:
        best = LOGISTIC_REGRESSION
    summary = ", ".join(
        f"{name}: Brier {c.overall['brier']:.4f}, ROC AUC "
        + (f"{c.overall['roc_auc']:.3f}" if c.overall["roc_auc"] is not None else "n/a")
        for name, c in candidates.items()
    )
    if best == LOGISTIC_REGRESSION and min(briers.values()) < briers[best]:
        why = (
            f"{best} kept: its out-of-fold Brier score is within {BRIER_TIE} of the best, and its "
            "reasons are exact and its SQL a single expression"
        )
    else:
        why = f"{best} has the lowest out-of-fold Brier score of its calibrated probabilities"
    return best, f"{why} ({summary})"


def train_target(samples: pd.DataFrame, target: str, candidates=CANDIDATES) -> TrainingResult:
    """Cross-validate the candidates on course folds, pick one, fit and calibrate it."""
    started = time.perf_counter()
    if samples.empty:
        raise NotTrainable("no labelled (enrolment, week) rows of finished courses")
    y = samples["y"].to_numpy(dtype="int64")
    if len(np.unique(y)) < 2:
        raise NotTrainable(f"every training label is {int(y[0])}: nothing to learn")
    n_courses = samples["courseid"].nunique()
    if n_courses < MIN_TRAINING_COURSES:
        raise NotTrainable(
            f"{n_courses} finished course(s) with labels: at least {MIN_TRAINING_COURSES} are "
            "needed for course-grouped validation"
        )
    folds = course_folds(samples["courseid"].to_numpy())
    X = feature_matrix(samples, FEATURES)
    frame = samples[["course_week", "planned_weeks"]].reset_index(drop=True)
    results = {name: evaluate_candidate(name, X, y, folds, frame) for name in candidates}
    algorithm, reason = select(results)
    no_skill = prior_brier(y, folds)
    if results[algorithm].overall["brier"] >= no_skill:
        reason += (
            f"; WARNING: not better than the no-skill base rate (Brier {no_skill:.4f}): "
            "too few or too different finished courses"
        )

    pipeline = make_pipeline(algorithm).fit(X, y)
    winner = results[algorithm]
    platt = fit_platt(winner.log_odds, y)

    raw = 1.0 / (1.0 + np.exp(-winner.log_odds))
    curve = [
        {"probability_kind": "uncalibrated", **row} for row in M.calibration_curve_rows(y, raw)
    ] + [
        {"probability_kind": "calibrated", **row}
        for row in M.calibration_curve_rows(y, winner.p_calibrated)
    ]
    contrib, _ = contributions(pipeline, X)
    mean_abs = np.abs(contrib * platt.slope).mean(axis=0)
    total = mean_abs.sum() or 1.0
    mean_signed = (contrib * platt.slope).mean(axis=0)
    importance = sorted(
        (
            {
                "feature": name,
                "mean_abs_contribution": float(mean_abs[j]),
                "share": float(mean_abs[j] / total),
                "mean_contribution": float(mean_signed[j]),
            }
            for j, name in enumerate(FEATURES)
        ),
        key=lambda row: -row["mean_abs_contribution"],
    )
    return TrainingResult(
        target=target,
        algorithm=algorithm,
        pipeline=pipeline,
        platt=platt,
        features=FEATURES,
        samples=samples,
        folds=folds,
        candidates=results,
        selection_reason=reason,
        validation=validation_name(n_courses),
        calibration_curve=curve,
        feature_importance=importance,
        prior_brier=no_skill,
        seconds=time.perf_counter() - started,
    )


def hyper_parameters(algorithm: str) -> dict:
    return {"algorithm": algorithm, **HYPER_PARAMETERS[algorithm]}
