"""Ablation of the feature groups: how much each adds, per course week, on a built site.

``python -m early_warning.ml.ablation --duckdb target/early_warning.duckdb`` reads the
feature mart, the outcomes and the courses of a DuckDB warehouse, and for each target,
candidate and feature set (the features before issue 15, each group of
:data:`~early_warning.ml.features.FEATURE_GROUPS` added alone, and all of them)
computes the out-of-fold ROC AUC exactly as training validates (whole courses held
out, :func:`~early_warning.ml.train.course_folds`), overall and per course week.
Prints a Markdown table (the one in ``models/marts/ml/_ml__docs.md``).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import pandas as pd

from early_warning.ml import metrics as M
from early_warning.ml.calibration import cross_calibrated
from early_warning.ml.candidates import CANDIDATES
from early_warning.ml.features import BASE_FEATURES, FEATURE_GROUPS, FEATURES, feature_matrix
from early_warning.ml.train import TARGETS, course_folds, out_of_fold_log_odds, training_samples


def feature_sets() -> dict[str, tuple[str, ...]]:
    """name -> features: the base, the base plus each group, everything."""
    sets = {"base": BASE_FEATURES}
    for name, group in FEATURE_GROUPS.items():
        sets[f"base + {name}"] = BASE_FEATURES + group
    sets["all"] = FEATURES
    return sets


def ablation(
    samples: pd.DataFrame,
    sets: dict[str, tuple[str, ...]] | None = None,
    candidates: tuple[str, ...] = CANDIDATES,
) -> pd.DataFrame:
    """Out-of-fold ROC AUC and Brier per feature set x candidate x week ('all' = overall).

    ``samples``: the labelled rows of :func:`~early_warning.ml.train.training_samples`.
    """
    sets = sets or feature_sets()
    y = samples["y"].to_numpy(dtype="int64")
    folds = course_folds(samples["courseid"].to_numpy())
    weeks = samples["course_week"].to_numpy(dtype="int64")
    rows = []
    for set_name, columns in sets.items():
        X = feature_matrix(samples, columns)
        for algorithm in candidates:
            p = cross_calibrated(out_of_fold_log_odds(algorithm, X, y, folds), y, folds)
            parts = [("all", np.ones(len(y), dtype=bool))] + [
                (int(w), weeks == w) for w in np.unique(weeks)
            ]
            for week, mask in parts:
                metrics = M.binary_metrics(y[mask], p[mask])
                rows.append(
                    {
                        "feature_set": set_name,
                        "algorithm": algorithm,
                        "week": week,
                        "n": metrics["n"],
                        "roc_auc": metrics["roc_auc"],
                        "brier": metrics["brier"],
                    }
                )
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame, weeks: list[int]) -> str:
    """One row per feature set x candidate: overall ROC AUC and at the given weeks."""
    header = "| features | model | all weeks | " + " | ".join(f"week {w}" for w in weeks) + " |"
    lines = [header, "|" + "---|" * (3 + len(weeks))]
    for (set_name, algorithm), part in table.groupby(["feature_set", "algorithm"], sort=False):
        auc = dict(zip(part["week"], part["roc_auc"], strict=True))

        def cell(key, auc=auc):
            value = auc.get(key)
            return "n/a" if value is None or pd.isna(value) else f"{value:.3f}"

        lines.append(
            f"| {set_name} | {algorithm} | {cell('all')} | "
            + " | ".join(cell(w) for w in weeks)
            + " |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m early_warning.ml.ablation",
        description="Out-of-fold ROC AUC of the feature groups, per course week, on a DuckDB warehouse.",
    )
    parser.add_argument("--duckdb", required=True, help="path of the built DuckDB warehouse")
    parser.add_argument("--weeks", default="1,2,3,4,6,8", help="weeks shown in the table")
    parser.add_argument("--targets", default="dropout,completion")
    args = parser.parse_args(argv)
    import duckdb

    con = duckdb.connect(args.duckdb, read_only=True)
    features = con.sql("select * from marts.fct_enrolment_week_features").df()
    outcomes = con.sql("select * from marts.fct_enrolment_outcomes").df()
    courses = con.sql("select * from intermediate.int_courses_classified").df()
    weeks = [int(w) for w in args.weeks.split(",") if w]
    for target in args.targets.split(","):
        if target not in TARGETS:
            parser.error(f"unknown target {target!r}; choose from {', '.join(TARGETS)}")
        samples = training_samples(features, outcomes, courses, target)
        table = ablation(samples)
        print(f"\n{target} ({len(samples)} rows, {samples['courseid'].nunique()} courses)\n")
        print(markdown(table, weeks), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
