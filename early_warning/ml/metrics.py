"""Metrics of out-of-fold predictions, per course week and per Moodle analysis interval.

Moodle's analysis intervals split a course's duration into parts; here a row
(enrolment, course week k of a course planned for W weeks) belongs to the part
that holds the *end* of week k, i.e. the share k / W of the course:

* ``week``: interval = k (the weekly grid, the default);
* ``quarter``: interval q = ceil(4 k / W), clipped to 1..4 — the scores given
  during quarter q;
* ``accumulative_quarter``: interval q holds every row with ceil(4 k / W) <= q —
  all scores given from the start up to the end of quarter q;
* ``decile``: interval d = ceil(10 k / W), clipped to 1..10 (a course shorter
  than 10 weeks has empty deciles, which get no row);
* ``overall``: interval 1 holds every row.

Moodle's quality gate is applied to each interval: F1 (threshold 0.5) at least
0.7 and its deviation across validation folds at most 0.05 — with F1 as Moodle
computes it: the F1 of each class averaged, weighted by the class's support
(``f1_weighted``; Moodle's PHP ML backend reports the ``ClassificationReport``
weighted average). The positive-class F1 (``f1``) is reported beside it: on a
rare target it is far lower, and the two must not be confused.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

INTERVAL_TYPES: tuple[str, ...] = ("week", "quarter", "accumulative_quarter", "decile", "overall")

GATE_MIN_F1 = 0.7
GATE_MAX_F1_DEVIATION = 0.05
THRESHOLD = 0.5


def interval_of(course_week, planned_weeks, parts: int) -> np.ndarray:
    """Part (1..parts) of the course that holds the end of each course week.

    ``planned_weeks`` NULL/0 (a course without an end date) gives 0 = no interval.
    """
    week = np.asarray(course_week, dtype="float64")
    planned = np.asarray(planned_weeks, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = np.ceil(parts * week / planned - 1e-9)
    out = np.clip(raw, 1, parts)
    out[~np.isfinite(raw) | ~(planned > 0)] = 0
    return out.astype("int64")


def interval_label(interval_type: str, interval: int) -> str:
    if interval_type == "week":
        return f"week {interval}"
    if interval_type == "quarter":
        return f"Q{interval}"
    if interval_type == "accumulative_quarter":
        return "Q1" if interval == 1 else f"Q1-Q{interval}"
    if interval_type == "decile":
        return f"decile {interval}"
    return "all weeks"


def interval_members(frame: pd.DataFrame, interval_type: str):
    """Yield (interval index, boolean mask) for every non-empty interval of the frame.

    The frame needs ``course_week`` and ``planned_weeks``.
    """
    n = len(frame)
    if interval_type == "overall":
        if n:
            yield 1, np.ones(n, dtype=bool)
        return
    if interval_type == "week":
        weeks = frame["course_week"].to_numpy(dtype="int64")
        for week in np.unique(weeks):
            yield int(week), weeks == week
        return
    parts = 10 if interval_type == "decile" else 4
    part = interval_of(frame["course_week"], frame["planned_weeks"], parts)
    for value in range(1, parts + 1):
        mask = (
            (part >= 1) & (part <= value)
            if interval_type == "accumulative_quarter"
            else part == value
        )
        if mask.any():
            yield value, mask


def _nan_to_none(value):
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def f1(y, pred) -> float:
    """F1 of 0/1 predictions (0 when there is no positive label nor prediction).

    Same as sklearn's f1_score(zero_division=0), without its per-call overhead
    (it is called for every interval and fold).
    """
    y = np.asarray(y, dtype=bool)
    pred = np.asarray(pred, dtype=bool)
    tp = int((y & pred).sum())
    denominator = int(y.sum()) + int(pred.sum())
    return 2.0 * tp / denominator if denominator else 0.0


def f1_weighted(y, pred) -> float:
    """Moodle's score: the F1 of each class, averaged weighted by the class's support.

    Same as sklearn's ``f1_score(average="weighted", zero_division=0)`` over both
    classes (a class absent from y has weight 0).
    """
    y = np.asarray(y, dtype=bool)
    pred = np.asarray(pred, dtype=bool)
    n = len(y)
    if n == 0:
        return 0.0
    positives = int(y.sum())
    return (positives * f1(y, pred) + (n - positives) * f1(~y, ~pred)) / n


def balanced_accuracy(y, pred) -> float:
    """Mean of the recall of each class (both classes must be present)."""
    y = np.asarray(y, dtype=bool)
    pred = np.asarray(pred, dtype=bool)
    return float(((pred[y]).mean() + (~pred[~y]).mean()) / 2)


def binary_metrics(y, p, threshold: float = THRESHOLD) -> dict:
    """ROC AUC, PR AUC, Brier, balanced accuracy and F1 of probabilities p for labels y.

    Ranking metrics are None when the labels hold a single class.
    """
    y = np.asarray(y, dtype="int64")
    p = np.asarray(p, dtype="float64")
    n = len(y)
    n_positive = int(y.sum())
    both = 0 < n_positive < n
    pred = p >= threshold
    return {
        "n": n,
        "n_positive": n_positive,
        "roc_auc": float(roc_auc_score(y, p)) if both else None,
        "pr_auc": float(average_precision_score(y, p)) if n_positive > 0 else None,
        "brier": float(np.mean((p - y) ** 2)) if n else None,
        "balanced_accuracy": balanced_accuracy(y, pred) if both else None,
        "f1": f1(y, pred) if n else None,
        "f1_weighted": f1_weighted(y, pred) if n else None,
    }


def f1_deviation(y, p, folds, threshold: float = THRESHOLD, score=f1) -> tuple[float | None, int]:
    """Standard deviation of F1 (``score``) across validation folds, and how many folds it uses.

    Only folds with at least one positive label count (F1 is undefined without
    positives). None when fewer than two folds qualify.
    """
    y = np.asarray(y, dtype="int64")
    p = np.asarray(p, dtype="float64")
    folds = np.asarray(folds)
    scores = []
    for fold in np.unique(folds):
        mask = folds == fold
        if y[mask].sum() == 0:
            continue
        scores.append(score(y[mask], p[mask] >= threshold))
    if len(scores) < 2:
        return None, len(scores)
    return float(np.std(scores)), len(scores)


def moodle_gate(
    f1: float | None,
    f1_std: float | None,
    n_folds: int,
    min_f1: float = GATE_MIN_F1,
    max_deviation: float = GATE_MAX_F1_DEVIATION,
) -> tuple[bool, str]:
    """Moodle's model quality gate on its F1 (support-weighted, :func:`f1_weighted`):
    (passes, reason in words)."""
    problems = []
    if f1 is None:
        problems.append("no rows to compute F1")
    elif f1 < min_f1:
        problems.append(f"weighted F1 {f1:.2f} is below {min_f1:.2f}")
    if f1_std is None:
        problems.append(
            f"F1 deviation unknown: {n_folds} validation fold(s) with positives, at least 2 needed"
        )
    elif f1_std > max_deviation:
        problems.append(
            f"weighted F1 deviation {f1_std:.3f} across {n_folds} folds is above {max_deviation:.2f}"
        )
    if problems:
        return False, "; ".join(problems)
    return True, (
        f"weighted F1 {f1:.2f} >= {min_f1:.2f} and deviation {f1_std:.3f} <= {max_deviation:.2f}"
        f" across {n_folds} folds"
    )


def interval_metrics(oof: pd.DataFrame, prob_column: str = "p_calibrated") -> list[dict]:
    """Metrics of out-of-fold predictions for every interval type and non-empty interval.

    ``oof`` needs columns y, fold, course_week, planned_weeks and ``prob_column``.
    """
    rows = []
    for interval_type in INTERVAL_TYPES:
        for interval, mask in interval_members(oof, interval_type):
            part = oof[mask]
            y = part["y"].to_numpy()
            p = part[prob_column].to_numpy()
            metrics = binary_metrics(y, p)
            folds = part["fold"].to_numpy()
            f1_std, _ = f1_deviation(y, p, folds)
            f1_weighted_std, n_folds = f1_deviation(y, p, folds, score=f1_weighted)
            passes, reason = moodle_gate(metrics["f1_weighted"], f1_weighted_std, n_folds)
            rows.append(
                {
                    "interval_type": interval_type,
                    "interval_index": int(interval),
                    "interval_label": interval_label(interval_type, int(interval)),
                    "n_folds": int(part["fold"].nunique()),
                    **metrics,
                    "f1_std": f1_std,
                    "f1_weighted_std": f1_weighted_std,
                    "passes_moodle_gate": passes,
                    "gate_reason": reason,
                }
            )
    return rows


def calibration_curve_rows(y, p, n_bins: int = 10) -> list[dict]:
    """Reliability diagram data: equal-width probability bins with their observed rate."""
    y = np.asarray(y, dtype="int64")
    p = np.asarray(p, dtype="float64")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    index = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, n_bins - 1)
    rows = []
    for b in range(n_bins):
        mask = index == b
        n = int(mask.sum())
        rows.append(
            {
                "bin": b + 1,
                "p_lower": float(edges[b]),
                "p_upper": float(edges[b + 1]),
                "n": n,
                "mean_predicted": float(p[mask].mean()) if n else None,
                "observed_rate": float(y[mask].mean()) if n else None,
            }
        )
    return rows


def roc_points(y, p, n_points: int = 101) -> dict | None:
    """ROC curve sampled on a fixed false-positive-rate grid (small enough to store)."""
    y = np.asarray(y, dtype="int64")
    if len(np.unique(y)) < 2:
        return None
    fpr, tpr, _ = roc_curve(y, np.asarray(p, dtype="float64"))
    grid = np.linspace(0.0, 1.0, n_points)
    return {
        "fpr": [round(float(v), 4) for v in grid],
        "tpr": [round(float(v), 4) for v in np.interp(grid, fpr, tpr)],
        "auc": float(roc_auc_score(y, p)),
    }


def clean_json(value):
    """Recursively turn NaN into None and numpy scalars into Python ones (JSON-safe)."""
    if isinstance(value, dict):
        return {k: clean_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_json(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return _nan_to_none(value)
    return value
