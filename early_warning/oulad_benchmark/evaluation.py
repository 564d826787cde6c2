"""The OULAD benchmark's models: fit on the training presentations, score the test ones.

The project's candidate classifiers (calibrated, with a decision threshold fixed
on the training data) and simple baselines, per split, target, evaluation point
and feature set; metrics of each, and pooled over the per-module splits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, StratifiedKFold

from early_warning.ml.calibration import fit_platt
from early_warning.ml.candidates import (
    CANDIDATES,
    GRADIENT_BOOSTING,
    RANDOM_STATE,
    make_pipeline,
)
from early_warning.ml.features import feature_matrix
from early_warning.ml.metrics import binary_metrics, f1_weighted
from early_warning.oulad_benchmark.splits import (
    FEATURE_SETS,
    MAIN_FEATURE_SETS,
    TARGETS,
    Split,
)

BASELINES: tuple[str, ...] = (
    "baseline_no_click_14d",
    "baseline_last_score",
    "baseline_assignments_missing",
    "baseline_prevalence",
)

#: The split whose every week is evaluated (the only one with clicks on both sides).

RESULT_COLUMNS = [
    "split",
    "split_kind",
    "module",
    "train",
    "test",
    "target",
    "point",
    "train_weeks",
    "test_weeks",
    "feature_set",
    "model",
    "model_kind",
    "n_train",
    "train_prevalence",
    "threshold",
    "n",
    "n_positive",
    "prevalence",
    "roc_auc",
    "pr_auc",
    "brier",
    "balanced_accuracy",
    "f1",
    "f1_weighted",
]

#: Site-wide training (issue 15): one model per group of splits (all modules' training
#: presentations), rows of the training presentations at the point week and at these
#: week offsets around it (stride sampling: more students' stages, the same students).
STRIDE_OFFSETS: tuple[int, ...] = (-2, 0, 2)


# --------------------------------------------------------------------------- models


def _best_f1_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """Probability threshold that maximises F1 on (training) data; 0.5 if undefined."""
    y = np.asarray(y, dtype=bool)
    if not y.any():
        return 0.5
    order = np.argsort(-p, kind="stable")
    p_sorted, y_sorted = p[order], y[order]
    tp = np.cumsum(y_sorted)
    k = np.arange(1, len(p) + 1)
    f1 = 2 * tp / (k + y.sum())
    # only cut between distinct probabilities
    last_of_value = np.r_[p_sorted[1:] != p_sorted[:-1], True]
    f1 = np.where(last_of_value, f1, -1)
    best = int(np.argmax(f1))
    return float(p_sorted[best])


def _folds(y: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Validation folds of the training rows: by presentation when there are several,
    else 3 stratified folds of students."""
    folds = np.zeros(len(y), dtype="int64")
    if len(np.unique(groups)) >= 2:
        splitter = GroupKFold(n_splits=min(3, len(np.unique(groups))))
        parts = splitter.split(np.zeros(len(y)), y, groups)
    else:
        n_splits = int(min(3, np.bincount(y, minlength=2).min()))
        if n_splits < 2:
            return folds
        splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=RANDOM_STATE)
        parts = splitter.split(np.zeros(len(y)), y)
    for i, (_, test_index) in enumerate(parts):
        folds[test_index] = i
    return folds


def fit_and_score(algorithm, x_train, y_train, groups, x_test, calibrate_on=None):
    """Calibrated test probabilities and the training-chosen threshold for one candidate.

    Cross-validated calibration as scikit-learn's ``CalibratedClassifierCV(ensemble=True,
    method="sigmoid")``: one model per training fold, each Platt-calibrated
    (``calibration.fit_platt``) on the log-odds of the rows it did not see; the test
    probability is the mean of the calibrated fold models. The threshold maximises F1
    on those out-of-fold calibrated probabilities of the training rows.

    ``calibrate_on`` (boolean mask of the training rows, default all): the Platt maps
    and the threshold use only these held-out rows — the rows at the evaluation
    point's week when the training rows are stride-sampled around it (per-week
    calibration), while the models learn from all rows.
    """
    if calibrate_on is None:
        calibrate_on = np.ones(len(y_train), dtype=bool)
    if len(np.unique(y_train)) < 2:  # e.g. no dropout left in the last week
        return np.full(len(x_test), float(np.mean(y_train)) if len(y_train) else 0.5), 0.5
    folds = _folds(y_train, groups)
    if len(np.unique(folds)) < 2:
        model = make_pipeline(algorithm).fit(x_train, y_train)
        return model.predict_proba(x_test)[:, 1], 0.5
    p_oof = np.zeros(len(y_train))
    p_test = []
    for fold in np.unique(folds):
        held = folds == fold
        if len(np.unique(y_train[~held])) < 2:
            continue
        model = make_pipeline(algorithm).fit(x_train[~held], y_train[~held])
        z_held = model.decision_function(x_train[held])
        at_point = calibrate_on[held]
        platt = fit_platt(z_held[at_point], y_train[held][at_point])
        p_oof[held] = platt.probability(z_held)
        p_test.append(platt.probability(model.decision_function(x_test)))
    if not p_test:
        return np.full(len(x_test), float(np.mean(y_train))), 0.5
    return np.mean(p_test, axis=0), _best_f1_threshold(y_train[calibrate_on], p_oof[calibrate_on])


def baseline_score(frame: pd.DataFrame, name: str) -> np.ndarray:
    """Risk score of a baseline (higher = more at risk of the dropout target)."""
    if name == "baseline_no_click_14d":
        return (pd.to_numeric(frame["n_events_last_2_weeks"]).fillna(0) == 0).to_numpy(float)
    if name == "baseline_last_score":
        score = pd.to_numeric(frame["last_assessment_score"]).to_numpy(float)
        return np.where(np.isnan(score), 101.0, 100.0 - score)  # missing -> highest risk
    if name == "baseline_assignments_missing":
        return pd.to_numeric(frame["assignments_missing_so_far"]).fillna(0).to_numpy(float)
    raise ValueError(name)


def score_baseline(name, train, y_train, test):
    """A baseline's calibrated test probabilities and its training threshold.

    The score is mapped to a probability by a one-feature logistic regression fitted
    on the training rows (the score standardised on training, L2 strength 1, so that a
    rule that separates the few training positives perfectly does not get an infinite
    slope); the sign is learnt, so 'lower score -> more dropout' becomes 'higher score
    -> more completion'. The ranking (ROC/PR AUC) is the score's own.
    """
    prevalence = float(np.mean(y_train)) if len(y_train) else 0.5
    if name == "baseline_prevalence" or len(np.unique(y_train)) < 2:
        return np.full(len(test), prevalence), 0.5
    s_train, s_test = baseline_score(train, name), baseline_score(test, name)
    centre, scale = s_train.mean(), s_train.std() or 1.0
    fit = LogisticRegression(C=1.0).fit(((s_train - centre) / scale).reshape(-1, 1), y_train)

    def prob(s):
        return fit.predict_proba(((s - centre) / scale).reshape(-1, 1))[:, 1]

    return prob(s_test), _best_f1_threshold(y_train, prob(s_train))


# --------------------------------------------------------------------------- benchmark


def _feature_sets_for(split: Split, sets=MAIN_FEATURE_SETS) -> list[str]:
    return [name for name in sets if split.with_clicks or name.startswith("no_clicks")]


def _collector(split: Split, target: str, point: str, train, test, extra: dict):
    """(rows, predictions, add): add(feature_set, model, kind, p, threshold) appends the
    metrics of test probabilities p of one split."""
    label = TARGETS[target]
    y_train = train[label].to_numpy("int64")
    y_test = test[label].to_numpy("int64")
    base = {
        "split": split.name,
        "split_kind": split.kind,
        "module": split.module,
        "train": ", ".join(split.train),
        "test": ", ".join(split.test),
        "target": target,
        "point": point,
        **extra,
        "n_train": len(train),
        "train_prevalence": float(y_train.mean()) if len(y_train) else None,
    }
    rows, predictions = [], []

    def add(feature_set, model, kind, p, threshold):
        metrics = binary_metrics(y_test, p, threshold)
        rows.append(
            {
                **base,
                "feature_set": feature_set,
                "model": model,
                "model_kind": kind,
                "threshold": threshold,
                **metrics,
                "prevalence": float(y_test.mean()) if len(y_test) else None,
            }
        )
        predictions.append(
            (
                (split.kind, target, point, feature_set, model),
                y_test,
                np.asarray(p, dtype=float),
                threshold,
            )
        )

    return rows, predictions, add


def _baselines(split: Split, train, test, target: str, add) -> None:
    y_train = train[TARGETS[target]].to_numpy("int64")
    for name in BASELINES:
        if name == "baseline_no_click_14d" and not split.with_clicks:
            continue
        feature_set = "with_clicks" if name == "baseline_no_click_14d" else "no_clicks"
        p, threshold = score_baseline(name, train, y_train, test)
        add(feature_set, name, "baseline", p, threshold)


def evaluate(
    split: Split,
    target: str,
    point: str,
    train: pd.DataFrame,
    test: pd.DataFrame,
    extra: dict,
) -> tuple[list[dict], list]:
    """Result rows of every model (trained on this split's own training presentations)
    and baseline for one split x target x point, and the test predictions (for the
    pooled rows). Used for the week-by-week curve of the main split."""
    rows, predictions, add = _collector(split, target, point, train, test, extra)
    label = TARGETS[target]
    y_train = train[label].to_numpy("int64")
    groups = train["courseid"].to_numpy()
    for feature_set in _feature_sets_for(split):
        columns = FEATURE_SETS[feature_set]
        x_train, x_test = feature_matrix(train, columns), feature_matrix(test, columns)
        for algorithm in CANDIDATES:
            p, threshold = fit_and_score(algorithm, x_train, y_train, groups, x_test)
            add(feature_set, algorithm, "model", p, threshold)
    _baselines(split, train, test, target, add)
    return rows, predictions


def evaluate_site_wide(
    splits: list[Split],
    target: str,
    point: str,
    site_train: pd.DataFrame,
    site_test: pd.DataFrame,
    per_split: dict[str, tuple[pd.DataFrame, pd.DataFrame, dict]],
) -> tuple[list[dict], list]:
    """Site-wide models for a group of per-module splits (issue 15): fitted once on all
    the group's training presentations (``site_train``: stride-sampled rows, column
    ``is_point_row`` marking the evaluation point's week), scored on all its test
    presentations (``site_test``), then measured per split on that split's test rows;
    the baselines stay per split (``per_split``: split name -> its own training rows at
    the point, its test rows, extra columns)."""
    label = TARGETS[target]
    y_train = site_train[label].to_numpy("int64")
    groups = site_train["courseid"].to_numpy()
    at_point = site_train["is_point_row"].to_numpy(bool)
    sets = [
        name
        for name in FEATURE_SETS
        if any(name in _feature_sets_for(s, FEATURE_SETS) for s in splits)
    ]
    scores: dict[tuple[str, str], tuple[np.ndarray, float]] = {}
    for feature_set in sets:
        columns = FEATURE_SETS[feature_set]
        x_train = feature_matrix(site_train, columns)
        x_test = feature_matrix(site_test, columns)
        # the ablation sets with gradient boosting only (the benchmark's cost)
        for algorithm in CANDIDATES if feature_set in MAIN_FEATURE_SETS else (GRADIENT_BOOSTING,):
            scores[(feature_set, algorithm)] = fit_and_score(
                algorithm, x_train, y_train, groups, x_test, calibrate_on=at_point
            )
    rows, predictions = [], []
    test_course = site_test["courseid"].to_numpy()
    for split in splits:
        train, test, extra = per_split[split.name]
        if train.empty or test.empty:
            continue
        mask = np.isin(test_course, test["courseid"].unique())
        ordered = site_test[mask]
        r, p, add = _collector(split, target, point, train, ordered, extra)
        for feature_set in _feature_sets_for(split, FEATURE_SETS):
            for algorithm in CANDIDATES:
                if (feature_set, algorithm) not in scores:
                    continue
                probabilities, threshold = scores[(feature_set, algorithm)]
                add(feature_set, algorithm, "model", probabilities[mask], threshold)
        _baselines(split, train, ordered, target, add)
        rows += r
        predictions += p
    return rows, predictions


POOLED_NAMES = {
    "year": "ALL modules 2013 -> 2014 (pooled)",
    "b_to_j": "ALL modules B -> J (pooled)",
}


def pooled_results(predictions: list) -> list[dict]:
    """Metrics over the test rows of every per-module split of one kind, each scored by
    its own module's model (the threshold of each row is its model's)."""
    grouped: dict[tuple, list] = {}
    for key, y, p, threshold in predictions:
        if not key[3].startswith("no_clicks"):
            continue
        grouped.setdefault(key, []).append((y, p, threshold))
    rows = []
    for (kind, target, point, feature_set, model), parts in grouped.items():
        y = np.concatenate([y for y, _, _ in parts])
        p = np.concatenate([p for _, p, _ in parts])
        decided = np.concatenate([p >= t for _, p, t in parts])
        metrics = binary_metrics(y, p)
        # balanced accuracy and F1 at each model's own training threshold
        metrics["balanced_accuracy"] = (
            float(((decided[y == 1]).mean() + (~decided[y == 0]).mean()) / 2)
            if 0 < y.sum() < len(y)
            else None
        )
        tp = int((decided & (y == 1)).sum())
        metrics["f1"] = 2 * tp / (y.sum() + decided.sum()) if (y.sum() + decided.sum()) else 0.0
        metrics["f1_weighted"] = f1_weighted(y, decided)
        rows.append(
            {
                "split": POOLED_NAMES[kind],
                "split_kind": kind,
                "module": "ALL",
                "train": f"{len(parts)} per-module splits",
                "test": f"{len(parts)} per-module splits",
                "target": target,
                "point": point,
                "feature_set": feature_set,
                "model": model,
                "model_kind": "baseline" if model.startswith("baseline") else "model",
                "threshold": None,
                **metrics,
                "prevalence": float(y.mean()),
            }
        )
    return rows
