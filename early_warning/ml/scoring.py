"""Applying a stored model: calibrated probabilities and the top reasons per row.

:func:`score_running` scores the feature rows of the running courses with the
current model of each target (early_warning.ml.registry.current_models);
:func:`stored_scores_current` tells an incremental run whether the stored scores
were made by those models; :func:`courses_filter` keeps the feature rows of the
courses a step needs before they reach pandas.

A week's score depends only on that week's feature row, the stored model and —
for the "(course median ...)" in the reason texts — the same week's feature
rows of the other students of the course, all cut at the week's end.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
from scipy.special import expit
from threadpoolctl import threadpool_limits

from early_warning.ml.calibration import Platt
from early_warning.ml.explain import contributions, top_reasons
from early_warning.ml.features import CONTEXT_FEATURES, feature_matrix
from early_warning.ml.registry import current_models, decode_model
from early_warning.ml.train import TARGETS

log = logging.getLogger("early_warning.ml")

N_REASONS = 3

#: Columns (and pandas dtypes) of the long scores table, one row per (enrolment, week, target).
SCORE_COLUMNS: dict[str, str] = {
    "enrolment_id": "str",
    "courseid": "int64",
    "userid": "int64",
    "course_week": "int64",
    "target": "str",
    "model_version": "str",
    "probability": "float64",
    "log_odds": "float64",
    "baseline_log_odds": "float64",
    **{
        f"reason_{i}_{part}": dtype
        for i in range(1, N_REASONS + 1)
        for part, dtype in (
            ("feature", "str"),
            ("value", "float64"),
            ("contribution", "float64"),
            ("direction", "str"),
            ("text", "str"),
        )
    },
}


#: SQL column types of the scores table (the types pandas' dtypes above become in DuckDB).
SCORE_SQL_TYPES: dict[str, str] = {
    name: {"str": "varchar", "int64": "bigint", "float64": "double"}[dtype]
    for name, dtype in SCORE_COLUMNS.items()
}


def empty_scores() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in SCORE_COLUMNS.items()})


class StoredModel:
    """A registry row made usable: the loaded pipeline, its features and calibration."""

    def __init__(self, row):
        self.model_version = str(row["model_version"])
        self.target = str(row["target"])
        self.features = tuple(json.loads(row["feature_list"]))
        self.platt = Platt(float(row["calibration_slope"]), float(row["calibration_intercept"]))
        self.pipeline = decode_model(row["model_skops"])

    def log_odds(self, X: np.ndarray) -> np.ndarray:
        return self.platt.log_odds(self.pipeline.decision_function(X))

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated probabilities of the frame's rows."""
        return expit(self.log_odds(feature_matrix(frame, self.features)))


def course_week_medians(frame: pd.DataFrame, features) -> np.ndarray:
    """Per row, the median of each feature over the rows of the same course and week."""
    values = frame[["courseid", "course_week"]].copy()
    X = feature_matrix(frame, features)
    for j, name in enumerate(features):
        values[name] = X[:, j]
    medians = values.groupby(["courseid", "course_week"])[list(features)].transform("median")
    return medians.to_numpy(dtype="float64")


def score(frame: pd.DataFrame, model: StoredModel, n_reasons: int = N_REASONS) -> pd.DataFrame:
    """Long scores of every row of a feature-mart frame with one stored model."""
    if frame.empty:
        return empty_scores()
    X = feature_matrix(frame, model.features)
    contrib, baseline = contributions(model.pipeline, X)
    contrib = contrib * model.platt.slope
    baseline = baseline * model.platt.slope + model.platt.intercept
    # context features (same for the whole course week) join the baseline, not the reasons
    context = [j for j, name in enumerate(model.features) if name in CONTEXT_FEATURES]
    if context:
        baseline = baseline + contrib[:, context].sum(axis=1)
    log_odds = model.log_odds(X)
    reasons = top_reasons(
        contrib,
        X,
        model.features,
        model.target,
        medians=course_week_medians(frame, model.features),
        k=n_reasons,
        exclude=CONTEXT_FEATURES,
    )
    out = pd.DataFrame(
        {
            "enrolment_id": frame["enrolment_id"].astype("object").to_numpy(),
            "courseid": frame["courseid"].to_numpy(dtype="int64"),
            "userid": frame["userid"].to_numpy(dtype="int64"),
            "course_week": frame["course_week"].to_numpy(dtype="int64"),
            "target": model.target,
            "model_version": model.model_version,
            "probability": expit(log_odds),
            "log_odds": log_odds,
            "baseline_log_odds": baseline,
        }
    )
    out = pd.concat([out, reasons.reset_index(drop=True)], axis=1)
    return out.astype(SCORE_COLUMNS)


def courses_filter(courses: pd.DataFrame, status: str) -> str:
    """SQL condition keeping the feature rows of the courses with this course_status.

    The Python models filter the feature mart in the warehouse before pulling it
    into pandas: on a large site most rows belong to courses the step never uses.
    """
    ids = sorted(int(c) for c in courses.loc[courses["course_status"] == status, "courseid"])
    return f"courseid in ({', '.join(str(c) for c in ids)})" if ids else "false"


def stored_scores_current(
    stored_versions: pd.DataFrame, registry: pd.DataFrame, as_of: int
) -> bool:
    """Whether the stored scores were made by the models that score now.

    ``stored_versions`` holds the distinct (target, model_version) of the stored
    scores. When they are exactly the current model of every target, a daily run
    rescores only the course weeks whose features were recomputed; otherwise
    (retraining, a target that gained or lost its model) every running row.
    """
    now = {
        (target, str(row["model_version"]))
        for target, row in current_models(registry, as_of).items()
    }
    stored = {
        (str(t), str(v))
        for t, v in stored_versions[["target", "model_version"]].itertuples(index=False)
    }
    return bool(stored) and stored == now


def score_running(
    features: pd.DataFrame,
    courses: pd.DataFrame,
    registry: pd.DataFrame,
    as_of: int,
    stored: dict[str, StoredModel] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Long scores (one row per enrolment x week x target) of the given feature rows of
    the courses running at as_of (all their weeks, or only the recomputed ones).

    ``stored``: the current models already loaded (:func:`load_current_models`), so that
    scoring in batches decodes them once."""
    running = courses.loc[courses["course_status"] == "running", ["courseid"]]
    rows = features.merge(running, on="courseid", how="inner")
    rows = rows.sort_values(["courseid", "enrolment_id", "course_week"], kind="stable")
    rows = rows.reset_index(drop=True)
    parts, messages = [], []
    models = current_models(registry, as_of)
    if stored is None:
        stored = load_current_models(registry, as_of)

    def score_target(target: str) -> pd.DataFrame:
        with threadpool_limits(limits=1):
            return score(rows, stored[target])

    # the targets score side by side (numpy releases the GIL); same rows, same results
    with ThreadPoolExecutor(max_workers=max(1, len(stored))) as pool:
        scored = dict(zip(stored, pool.map(score_target, stored), strict=True))
    for target in TARGETS:
        if target not in models:
            messages.append(
                f"{target}: no model in the registry trained at or before as_of; "
                f"p_{target} stays NULL"
            )
            continue
        parts.append(scored[target])
        messages.append(f"{target}: scored {len(rows)} rows with {stored[target].model_version}")
    for message in messages:
        log.info(message)
    scores = pd.concat(parts, ignore_index=True) if parts else empty_scores()
    return scores, messages


def load_current_models(registry: pd.DataFrame, as_of: int) -> dict[str, StoredModel]:
    """The current model of every target that has one, loaded (skops, trusted types)."""
    models = current_models(registry, as_of)
    return {target: StoredModel(models[target]) for target in TARGETS if target in models}


def scoring_columns(registry: pd.DataFrame, as_of: int) -> list[str]:
    """The feature-mart columns scoring reads: the keys and the current models' features
    (reading only these keeps the frames of a large site small)."""
    from early_warning.ml.features import KEYS

    columns = list(KEYS)
    for row in current_models(registry, as_of).values():
        columns += [name for name in json.loads(row["feature_list"]) if name not in columns]
    return columns


def score_running_by_course(
    read_course: Callable[[int], pd.DataFrame],
    courses: pd.DataFrame,
    registry: pd.DataFrame,
    as_of: int,
    write: Callable[[pd.DataFrame], None],
) -> tuple[int, list[str]]:
    """:func:`score_running` one running course at a time, so that memory stays bounded
    by the largest course, not the site: ``read_course(courseid)`` returns that course's
    feature rows to score, ``write(scores)`` stores their scores. The scores are those of
    :func:`score_running` on all the rows at once (a row's score depends only on its own
    course week). Returns the number of feature rows scored and the messages."""
    stored = load_current_models(registry, as_of)
    running = sorted(int(c) for c in courses.loc[courses["course_status"] == "running", "courseid"])
    n_rows = 0
    if stored:
        for courseid in running:
            rows = read_course(courseid)
            if rows.empty:
                continue
            scores, _ = score_running(rows, courses, registry, as_of, stored=stored)
            write(scores)
            n_rows += len(rows)
    messages = [
        f"{target}: scored {n_rows} rows with {stored[target].model_version}"
        if target in stored
        else f"{target}: no model in the registry trained at or before as_of; p_{target} stays NULL"
        for target in TARGETS
    ]
    for message in messages:
        log.info(message)
    return n_rows, messages
