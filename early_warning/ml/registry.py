"""The model registry: safe serialisation, versions, and when to retrain.

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
import zipfile
from dataclasses import dataclass

import numpy as np
import pandas as pd
import skops.io as sio

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
