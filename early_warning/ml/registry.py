"""The model registry: its table, its lifecycle, safe serialisation, versions.

The registry table holds one row per trained model (REGISTRY_COLUMNS). Its
lifecycle is here: :func:`update_registry` decides per target whether retraining
is due (:func:`retrain_due`) and only then trains (early_warning.ml.train) and
builds the new rows (:func:`registry_row`); :func:`current_models` is the model
each target scores with (the newest trained at or before as_of);
:func:`evaluation_rows` and :func:`calibration_rows` unpack what a row stores for
the ML marts. The dbt Python model ml_model_registry (DuckDB) and
``early-warning ml-job`` (PostgreSQL) both call these.

Fitted pipelines are stored as skops bytes (base64 text in the registry table).
They are loaded back with ``skops.io.loads`` and an explicit list of trusted
types — never with pickle. skops names the files inside its zip after Python
object ids and stamps them with the current time; :func:`dumps_model` renames
them in order and fixes the time stamps, so the same model always gives the
same bytes (and the same version hash).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import platform
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import skops.io as sio
from threadpoolctl import threadpool_limits

from early_warning.ml import metrics as M
from early_warning.ml.candidates import CANDIDATES
from early_warning.ml.train import (
    TARGETS,
    NotTrainable,
    TrainingResult,
    hyper_parameters,
    train_target,
    training_samples,
)

log = logging.getLogger("early_warning.ml")

SECONDS_PER_DAY = 86400

#: Types skops does not trust by default that our pipelines need. Anything else
#: found in a stored model is refused.
TRUSTED_TYPES: tuple[str, ...] = (
    "numpy.dtype",
    "sklearn.tree._tree.Tree",
)

_FIXED_DATE = (1980, 1, 1, 0, 0, 0)


class UntrustedModelError(RuntimeError):
    """A stored model holds types outside TRUSTED_TYPES."""


def dumps_model(model) -> bytes:
    """skops bytes of a fitted model, byte-identical for identical models.

    skops keys its schema (``__id__``) and array files by Python object ids;
    they are renumbered in order of appearance (consistently, so shared
    references stay shared) and the zip entries get a fixed time stamp.
    """
    source = zipfile.ZipFile(io.BytesIO(sio.dumps(model)))
    schema = json.loads(source.read("schema.json"))
    ids: dict[int, int] = {}

    def new_id(old: int) -> int:
        return ids.setdefault(int(old), len(ids) + 1)

    files: dict[str, str] = {}

    def renumber(node):
        if isinstance(node, dict):
            if isinstance(node.get("__id__"), int):
                node["__id__"] = new_id(node["__id__"])
            name = node.get("file")
            if isinstance(name, str):
                stem, _, ext = name.partition(".")
                fresh = f"{new_id(int(stem))}.{ext}" if stem.isdigit() else f"f{len(files)}.{ext}"
                node["file"] = files.setdefault(name, fresh)
            for value in node.values():
                renumber(value)
        elif isinstance(node, list):
            for value in node:
                renumber(value)

    renumber(schema)
    unreferenced = set(source.namelist()) - set(files) - {"schema.json"}
    if unreferenced:  # a skops format change: refuse rather than drop data
        raise RuntimeError(f"skops archive entries not referenced by its schema: {unreferenced}")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        entries = [("schema.json", json.dumps(schema, separators=(",", ":")).encode("utf-8"))]
        entries += sorted((files[n], source.read(n)) for n in source.namelist() if n in files)
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=_FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, data, compresslevel=6)
    return out.getvalue()


def loads_model(data: bytes):
    """Load skops bytes, refusing any type outside TRUSTED_TYPES (never pickle)."""
    untrusted = sio.get_untrusted_types(data=data)
    refused = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if refused:
        raise UntrustedModelError(
            "stored model holds types outside the trusted list: " + ", ".join(refused)
        )
    return sio.loads(data, trusted=list(untrusted))


def encode_model(model) -> tuple[str, str]:
    """(base64 text of the skops bytes, sha256 hex of the bytes)."""
    data = dumps_model(model)
    return base64.b64encode(data).decode("ascii"), hashlib.sha256(data).hexdigest()


def decode_model(text: str):
    return loads_model(base64.b64decode(text))


def model_version(target: str, as_of: int, model_sha256: str) -> str:
    """e.g. 'dropout-20250512-3f2a9c1d': target, training as_of date (UTC), model hash."""
    day = pd.Timestamp(int(as_of), unit="s").strftime("%Y%m%d")
    return f"{target}-{day}-{model_sha256[:8]}"


@dataclass(frozen=True)
class RetrainDecision:
    due: bool
    reason: str


def latest_usable(registry: pd.DataFrame, target: str, as_of: int) -> pd.Series | None:
    """The newest registry row of a target trained at or before as_of.

    A model trained after as_of saw data from as_of's future (a back-dated run)
    and is never used. Ties on trained_at go to the higher model_seq.
    """
    if registry is None or registry.empty:
        return None
    rows = registry[registry["target"] == target].copy()
    if rows.empty:
        return None
    rows["_trained_epoch"] = to_epoch(rows["trained_at"])
    rows = rows[rows["_trained_epoch"] <= int(as_of)]
    if rows.empty:
        return None
    rows = rows.sort_values(["_trained_epoch", "model_seq"], kind="stable")
    return rows.drop(columns="_trained_epoch").iloc[-1]


def retrain_due(
    latest_trained_at: int | None, as_of: int, retrain_after_days: float, force: bool = False
) -> RetrainDecision:
    """Train when forced, when no usable model exists, or when the model is too old.

    Age counts from the model's trained_at (the as_of of its training run) to
    this run's as_of, so reruns with the same as_of never retrain.
    """
    if force:
        return RetrainDecision(True, "ml_force_retrain is true")
    if latest_trained_at is None:
        return RetrainDecision(True, "no model trained at or before as_of in the registry")
    age_days = (int(as_of) - int(latest_trained_at)) / SECONDS_PER_DAY
    if age_days >= float(retrain_after_days):
        return RetrainDecision(
            True,
            f"stored model is {age_days:.1f} days old (ml_retrain_after_days = {retrain_after_days})",
        )
    return RetrainDecision(
        False,
        f"stored model is {age_days:.1f} days old, below ml_retrain_after_days = {retrain_after_days}",
    )


def to_epoch(values) -> np.ndarray:
    """Timestamps (naive UTC) or Unix seconds -> Unix seconds (int64)."""
    series = pd.Series(values)
    if pd.api.types.is_numeric_dtype(series):
        return series.to_numpy(dtype="int64")
    stamps = pd.to_datetime(series)
    return ((stamps - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1)).to_numpy(
        dtype="int64"
    )


def epoch_to_timestamp(seconds: int) -> pd.Timestamp:
    return pd.Timestamp(int(seconds), unit="s")


# --------------------------------------------------------------------------- lifecycle


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
    # reindex: evaluation rows of models stored before a metric existed get NULL for it
    frame = pd.DataFrame(rows).reindex(columns=list(columns))
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


def current_models(registry: pd.DataFrame, as_of: int) -> dict[str, pd.Series]:
    """The registry row each target scores with: the newest trained at or before as_of."""
    out = {}
    for target in TARGETS:
        row = latest_usable(registry, target, as_of)
        if row is not None:
            out[target] = row
    return out


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
    "f1_weighted": "float64",
    "f1_weighted_std": "float64",
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
