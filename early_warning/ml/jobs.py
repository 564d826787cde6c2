"""What the dbt Python models call: registry rows, scores, evaluation and calibration tables.

The dbt models only read their refs into pandas and call these functions, so
everything here is testable without dbt.
"""

from __future__ import annotations

import json
import logging
import platform
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from early_warning.ml import metrics as M
from early_warning.ml.candidates import CANDIDATES
from early_warning.ml.registry import (
    encode_model,
    epoch_to_timestamp,
    latest_usable,
    model_version,
    retrain_due,
    to_epoch,
)
from early_warning.ml.scoring import StoredModel, empty_scores, score
from early_warning.ml.train import (
    TARGETS,
    NotTrainable,
    TrainingResult,
    hyper_parameters,
    train_target,
    training_samples,
)

log = logging.getLogger("early_warning.ml")

#: Columns (pandas dtypes) of the registry table.
REGISTRY_COLUMNS: dict[str, str] = {
    "model_version": "str",
    "model_seq": "int64",
    "target": "str",
    "algorithm": "str",
    "trained_at": "datetime64[us]",
    "train_data_from": "datetime64[us]",
    "train_data_to": "datetime64[us]",
    "n_samples": "int64",
    "n_enrolments": "int64",
    "n_courses": "int64",
    "n_positive": "int64",
    "training_courses": "str",
    "validation": "str",
    "retrain_reason": "str",
    "selection_reason": "str",
    "cv_roc_auc": "float64",
    "cv_pr_auc": "float64",
    "cv_brier": "float64",
    "cv_brier_prior": "float64",
    "cv_balanced_accuracy": "float64",
    "cv_f1": "float64",
    "cv_f1_std": "float64",
    "passes_moodle_gate": "bool",
    "gate_reason": "str",
    "calibration_method": "str",
    "calibration_slope": "float64",
    "calibration_intercept": "float64",
    "feature_list": "str",
    "hyper_parameters": "str",
    "cv_metrics": "str",
    "evaluation_json": "str",
    "calibration_curve_json": "str",
    "roc_curve_json": "str",
    "feature_importance_json": "str",
    "library_versions": "str",
    "model_sha256": "str",
    "model_skops": "str",
}


def _typed(rows: list[dict], columns: dict[str, str]) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns.items()})
    frame = pd.DataFrame(rows)[list(columns)]
    return frame.astype(columns)


def empty_registry() -> pd.DataFrame:
    return _typed([], REGISTRY_COLUMNS)


def library_versions() -> dict:
    import scipy
    import sklearn
    import skops

    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "skops": skops.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
    }


def _json(value) -> str:
    return json.dumps(M.clean_json(value), sort_keys=True, separators=(",", ":"))


def registry_row(result: TrainingResult, as_of: int, model_seq: int, retrain_reason: str) -> dict:
    """The registry row of one trained model."""
    skops_text, sha = encode_model(result.pipeline)
    winner = result.winner
    overall = winner.overall
    samples = result.samples
    evaluation = [
        {"algorithm": name, "is_selected": name == result.algorithm, **row}
        for name, candidate in result.candidates.items()
        for row in candidate.intervals
    ]
    return {
        "model_version": model_version(result.target, as_of, sha),
        "model_seq": int(model_seq),
        "target": result.target,
        "algorithm": result.algorithm,
        "trained_at": epoch_to_timestamp(as_of),
        "train_data_from": epoch_to_timestamp(samples["week_start"].min()),
        "train_data_to": epoch_to_timestamp(samples["feature_cutoff"].max()),
        "n_samples": len(samples),
        "n_enrolments": samples["enrolment_id"].nunique(),
        "n_courses": samples["courseid"].nunique(),
        "n_positive": int(samples["y"].sum()),
        "training_courses": _json(sorted(int(c) for c in samples["courseid"].unique())),
        "validation": result.validation,
        "retrain_reason": retrain_reason,
        "selection_reason": result.selection_reason,
        "cv_roc_auc": overall["roc_auc"],
        "cv_pr_auc": overall["pr_auc"],
        "cv_brier": overall["brier"],
        "cv_brier_prior": result.prior_brier,
        "cv_balanced_accuracy": overall["balanced_accuracy"],
        "cv_f1": overall["f1"],
        "cv_f1_std": overall["f1_std"],
        "passes_moodle_gate": bool(overall["passes_moodle_gate"]),
        "gate_reason": overall["gate_reason"],
        "calibration_method": "platt_on_log_odds",
        "calibration_slope": result.platt.slope,
        "calibration_intercept": result.platt.intercept,
        "feature_list": _json(list(result.features)),
        "hyper_parameters": _json(hyper_parameters(result.algorithm)),
        "cv_metrics": _json(
            {
                name: {
                    **{k: v for k, v in c.overall.items() if k not in ("interval_type",)},
                    "hyper_parameters": hyper_parameters(name),
                }
                for name, c in result.candidates.items()
            }
        ),
        "evaluation_json": _json(evaluation),
        "calibration_curve_json": _json(result.calibration_curve),
        "roc_curve_json": _json({name: c.roc for name, c in result.candidates.items()}),
        "feature_importance_json": _json(result.feature_importance),
        "library_versions": _json(library_versions()),
        "model_sha256": sha,
        "model_skops": skops_text,
    }


@dataclass
class RegistryUpdate:
    new_rows: pd.DataFrame
    messages: list[str]


def update_registry(
    load_training_data,
    as_of: int,
    existing: pd.DataFrame | None,
    retrain_after_days: float = 7,
    force: bool = False,
    candidates: tuple[str, ...] = CANDIDATES,
) -> RegistryUpdate:
    """New registry rows for the targets whose retraining is due (possibly none).

    ``load_training_data()`` returns (features, outcomes, courses) frames; it is
    called only when some target is due, so daily runs that reuse the stored
    models read nothing. A target that cannot be trained (no finished course
    with labels, one class only, a single course) gets no row and a message
    saying why.
    """
    existing = existing if existing is not None and not existing.empty else empty_registry()
    messages_by_target: dict[str, list[str]] = {target: [] for target in TARGETS}
    due: dict[str, tuple] = {}
    data = None
    for target in TARGETS:
        current = latest_usable(existing, target, as_of)
        trained = None if current is None else int(to_epoch([current["trained_at"]])[0])
        decision = retrain_due(trained, as_of, retrain_after_days, force)
        if not decision.due:
            messages_by_target[target].append(
                f"{target}: reusing {current['model_version']} ({decision.reason})"
            )
            continue
        if data is None:
            data = load_training_data()
        due[target] = (current, decision, training_samples(*data, target))

    def train(target: str):
        # one BLAS thread: dbt runs models in parallel threads on few cores, and
        # single-threaded sums keep results bit-for-bit reproducible
        with threadpool_limits(limits=1):
            try:
                return train_target(due[target][2], target, candidates)
            except NotTrainable as why:
                return why

    # the targets train side by side (tree building and BLAS release the GIL); each
    # fit is seeded, so the models do not depend on the interleaving
    with ThreadPoolExecutor(max_workers=max(1, min(2, len(due)))) as pool:
        results = dict(zip(due, pool.map(train, due), strict=True))
    rows = []
    for target, (current, decision, _) in due.items():
        result = results[target]
        messages = messages_by_target[target]
        if isinstance(result, NotTrainable):
            keep = (
                f"scores keep using {current['model_version']}"
                if current is not None
                else f"p_{target} stays NULL until finished courses give labels"
            )
            messages.append(f"{target}: not trained ({result}); {keep}")
            continue
        same_target = existing[existing["target"] == target]
        seq = int(same_target["model_seq"].max()) + 1 if not same_target.empty else 1
        row = registry_row(result, as_of, seq, decision.reason)
        same = same_target[same_target["model_version"] == row["model_version"]]
        if not same.empty:  # retrained into the very same model: keep its place
            row["model_seq"] = int(same["model_seq"].iloc[0])
        rows.append(row)
        auc = "n/a" if row["cv_roc_auc"] is None else f"{row['cv_roc_auc']:.3f}"
        messages.append(
            f"{target}: trained {row['model_version']} ({decision.reason}): {result.algorithm} on "
            f"{row['n_samples']} rows of {row['n_courses']} courses in {result.seconds:.1f} s; "
            f"{result.validation}: ROC AUC {auc}, Brier {row['cv_brier']:.4f}"
            + (
                f" — WARNING: no better than the base rate (Brier {row['cv_brier_prior']:.4f})"
                if row["cv_brier"] >= row["cv_brier_prior"]
                else f" (base rate: Brier {row['cv_brier_prior']:.4f})"
            )
        )
    messages = [message for target in TARGETS for message in messages_by_target[target]]
    for message in messages:
        log.info(message)
    return RegistryUpdate(_typed(rows, REGISTRY_COLUMNS), messages)


def combined_registry(existing: pd.DataFrame | None, new_rows: pd.DataFrame) -> pd.DataFrame:
    """The registry as it will be after this run appends new_rows (same versions replaced)."""
    if existing is None or existing.empty:
        return new_rows
    if new_rows.empty:
        return existing
    kept = existing[~existing["model_version"].isin(new_rows["model_version"])]
    return pd.concat([kept, new_rows], ignore_index=True)


def courses_filter(courses: pd.DataFrame, status: str) -> str:
    """SQL condition keeping the feature rows of the courses with this course_status.

    The Python models filter the feature mart in the warehouse before pulling it
    into pandas: on a large site most rows belong to courses the step never uses.
    """
    ids = sorted(int(c) for c in courses.loc[courses["course_status"] == status, "courseid"])
    return f"courseid in ({', '.join(str(c) for c in ids)})" if ids else "false"


def current_models(registry: pd.DataFrame, as_of: int) -> dict[str, pd.Series]:
    """The registry row each target scores with: the newest trained at or before as_of."""
    out = {}
    for target in TARGETS:
        row = latest_usable(registry, target, as_of)
        if row is not None:
            out[target] = row
    return out


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
) -> tuple[pd.DataFrame, list[str]]:
    """Long scores (one row per enrolment x week x target) of the given feature rows of
    the courses running at as_of (all their weeks, or only the recomputed ones)."""
    running = courses.loc[courses["course_status"] == "running", ["courseid"]]
    rows = features.merge(running, on="courseid", how="inner")
    rows = rows.sort_values(["courseid", "enrolment_id", "course_week"], kind="stable")
    rows = rows.reset_index(drop=True)
    parts, messages = [], []
    models = current_models(registry, as_of)
    stored = {target: StoredModel(models[target]) for target in TARGETS if target in models}

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


EVALUATION_COLUMNS: dict[str, str] = {
    "model_version": "str",
    "target": "str",
    "algorithm": "str",
    "is_selected": "bool",
    "trained_at": "datetime64[us]",
    "validation": "str",
    "interval_type": "str",
    "interval_index": "int64",
    "interval_label": "str",
    "n_folds": "int64",
    "n": "int64",
    "n_positive": "int64",
    "roc_auc": "float64",
    "pr_auc": "float64",
    "brier": "float64",
    "balanced_accuracy": "float64",
    "f1": "float64",
    "f1_std": "float64",
    "passes_moodle_gate": "bool",
    "gate_reason": "str",
}

CALIBRATION_COLUMNS: dict[str, str] = {
    "model_version": "str",
    "target": "str",
    "algorithm": "str",
    "probability_kind": "str",
    "bin": "int64",
    "p_lower": "float64",
    "p_upper": "float64",
    "n": "int64",
    "mean_predicted": "float64",
    "observed_rate": "float64",
}


def _exploded(registry: pd.DataFrame, column: str, columns: dict[str, str], keep) -> pd.DataFrame:
    rows = []
    for _, model in registry.iterrows():
        for item in json.loads(model[column]):
            rows.append({**{k: model[k] for k in keep}, **item})
    return _typed(rows, columns)


def evaluation_rows(registry: pd.DataFrame) -> pd.DataFrame:
    """Per model version x candidate x interval: the out-of-fold metrics and the gate."""
    keep = ("model_version", "target", "trained_at", "validation")
    frame = _exploded(registry, "evaluation_json", EVALUATION_COLUMNS, keep)
    return frame.sort_values(
        ["model_version", "algorithm", "interval_type", "interval_index"], kind="stable"
    ).reset_index(drop=True)


def calibration_rows(registry: pd.DataFrame) -> pd.DataFrame:
    """Per model version: reliability-diagram bins, before and after calibration."""
    keep = ("model_version", "target", "algorithm")
    frame = _exploded(registry, "calibration_curve_json", CALIBRATION_COLUMNS, keep)
    return frame.sort_values(
        ["model_version", "probability_kind", "bin"], kind="stable"
    ).reset_index(drop=True)
