"""Model-quality plots (PNG) drawn from a registry row, for the dbt docs site.

Everything is drawn from what the registry stores (ROC points, evaluation
rows, calibration bins, feature importance), so the plots can be redrawn at any
run without retraining. File names are fixed per target:
``roc_<target>.png``, ``calibration_<target>.png``, ``auc_by_week_<target>.png``,
``feature_importance_<target>.png``.
"""

from __future__ import annotations

import json
from pathlib import Path

PLOT_KINDS: tuple[str, ...] = ("roc", "calibration", "auc_by_week", "feature_importance")
_LABELS = {"logistic_regression": "logistic regression", "gradient_boosting": "gradient boosting"}


def plot_paths(out_dir: Path | str, target: str) -> dict[str, Path]:
    out = Path(out_dir)
    return {kind: out / f"{kind}_{target}.png" for kind in PLOT_KINDS}


def _pyplot():
    """matplotlib's pyplot, imported only when drawing (a daily run draws nothing)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> None:
    plt = _pyplot()
    fig.tight_layout()
    # no date or software stamp in the file: same data, same bytes
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def _title(row) -> str:
    return f"{row['target']} — {row['model_version']}"


def ensure_plots(row, out_dir: Path | str) -> bool:
    """Draw the plots of a registry row unless they exist for this model version already.

    A small stamp file per target (``.<target>.model_version``) records what was
    drawn; returns True when the plots were (re)drawn.
    """
    out = Path(out_dir)
    stamp = out / f".{row['target']}.model_version"
    paths = plot_paths(out, row["target"])
    if (
        stamp.exists()
        and stamp.read_text().strip() == str(row["model_version"])
        and all(p.exists() for p in paths.values())
    ):
        return False
    plot_model(row, out)
    stamp.write_text(str(row["model_version"]) + "\n")
    return True


def plot_model(row, out_dir: Path | str) -> dict[str, Path]:
    """Write the four plots of one registry row; returns their paths."""
    plt = _pyplot()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = plot_paths(out, row["target"])
    selected = row["algorithm"]

    # ROC curves of both candidates, out of fold (grouped by course)
    fig, ax = plt.subplots(figsize=(5.5, 5))
    for name, roc in sorted(json.loads(row["roc_curve_json"]).items()):
        if roc:
            style = "-" if name == selected else "--"
            label = f"{_LABELS.get(name, name)} (AUC {roc['auc']:.3f})"
            if name == selected:
                label += " — selected"
            ax.plot(roc["fpr"], roc["tpr"], style, label=label)
    ax.plot([0, 1], [0, 1], ":", color="grey", label="chance")
    ax.set(xlabel="false positive rate", ylabel="true positive rate", xlim=(0, 1), ylim=(0, 1))
    ax.set_title(f"ROC, {row['validation']}\n{_title(row)}", fontsize=9)
    ax.legend(loc="lower right", fontsize=8)
    _save(fig, paths["roc"])

    # calibration (reliability) curve of the selected model
    fig, ax = plt.subplots(figsize=(5.5, 5))
    curve = json.loads(row["calibration_curve_json"])
    for kind, style in (("uncalibrated", "s--"), ("calibrated", "o-")):
        points = [c for c in curve if c["probability_kind"] == kind and c["n"]]
        ax.plot(
            [c["mean_predicted"] for c in points],
            [c["observed_rate"] for c in points],
            style,
            label=f"{kind} (out of fold)",
        )
    ax.plot([0, 1], [0, 1], ":", color="grey", label="perfect calibration")
    ax.set(xlabel="predicted probability", ylabel="observed rate", xlim=(0, 1), ylim=(0, 1))
    ax.set_title(f"Calibration, {_LABELS.get(selected, selected)}\n{_title(row)}", fontsize=9)
    ax.legend(loc="upper left", fontsize=8)
    _save(fig, paths["calibration"])

    # ROC AUC by course week, both candidates, with the number of rows
    fig, ax = plt.subplots(figsize=(7, 4.5))
    evaluation = [e for e in json.loads(row["evaluation_json"]) if e["interval_type"] == "week"]
    for name in sorted({e["algorithm"] for e in evaluation}):
        points = sorted(
            (e for e in evaluation if e["algorithm"] == name and e["roc_auc"] is not None),
            key=lambda e: e["interval_index"],
        )
        ax.plot(
            [e["interval_index"] for e in points],
            [e["roc_auc"] for e in points],
            "o-" if name == selected else "s--",
            label=_LABELS.get(name, name) + (" — selected" if name == selected else ""),
        )
    ax.axhline(0.5, color="grey", linestyle=":", label="chance")
    ax.set(xlabel="course week", ylabel="ROC AUC (out of fold)", ylim=(0.4, 1.0))
    ax.set_title(f"ROC AUC by course week, {row['validation']}\n{_title(row)}", fontsize=9)
    ax.legend(loc="lower right", fontsize=8)
    _save(fig, paths["auc_by_week"])

    # feature importance: mean absolute contribution to the calibrated log-odds
    fig, ax = plt.subplots(figsize=(7, 5))
    importance = json.loads(row["feature_importance_json"])[:15][::-1]
    colors = ["#c0392b" if i["mean_contribution"] > 0 else "#2471a3" for i in importance]
    ax.barh([i["feature"] for i in importance], [i["mean_abs_contribution"] for i in importance],
            color=colors)  # fmt: skip
    ax.set(xlabel="mean |contribution| to the log-odds (training rows)")
    ax.set_title(
        f"Top features, {_LABELS.get(selected, selected)} (red: raises on average)\n{_title(row)}",
        fontsize=9,
    )
    ax.tick_params(axis="y", labelsize=7)
    _save(fig, paths["feature_importance"])
    return paths
