"""The OULAD benchmark's report: report.md and the week-by-week plot, from the result rows."""

from __future__ import annotations

import datetime as dt
import os
import platform
from pathlib import Path

import numpy as np
import pandas as pd

from early_warning.oulad_benchmark.evaluation import POOLED_NAMES, STRIDE_OFFSETS
from early_warning.oulad_benchmark.splits import FEATURE_SETS, MAIN_SPLIT, POINTS, TARGETS

# --------------------------------------------------------------------------- report


MODEL_LABELS = {
    "gradient_boosting": "gradient boosting",
    "logistic_regression": "logistic regression",
    "baseline_no_click_14d": "baseline: no click in last 14 days",
    "baseline_last_score": "baseline: last assessment score",
    "baseline_assignments_missing": "baseline: assignments missing so far",
    "baseline_prevalence": "baseline: training prevalence",
}


def _fmt(value, digits=3):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return f"{float(value):.{digits}f}"


def _markdown(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(frame.columns) + " |"
    sep = "|" + "|".join("---" for _ in frame.columns) + "|"
    lines = [header, sep]
    for row in frame.itertuples(index=False):
        lines.append(
            "| " + " | ".join(_fmt(v) if not isinstance(v, str) else v for v in row) + " |"
        )
    return "\n".join(lines)


def _metric_table(table: pd.DataFrame, split: str, target: str) -> str:
    part = table[
        (table.split == split) & (table.target == target) & table.point.isin(list(POINTS))
    ].copy()
    if part.empty:
        return "_no rows_"
    part["model"] = part["model"].map(MODEL_LABELS).fillna(part["model"])
    part["point"] = pd.Categorical(part["point"], list(POINTS))
    part = part.sort_values(["point", "feature_set", "model_kind", "model"], ascending=[1, 0, 0, 1])
    show = part[
        [
            "point",
            "feature_set",
            "model",
            "n",
            "prevalence",
            "roc_auc",
            "pr_auc",
            "brier",
            "balanced_accuracy",
            "f1",
        ]
    ].rename(columns={"feature_set": "features", "balanced_accuracy": "bal. acc."})
    show["point"] = show["point"].astype(str)
    return _markdown(show)


def _auc_summary(table: pd.DataFrame, target: str) -> str:
    """Per split: ROC AUC of each model / best baseline at 25/50/75% (no-click features)."""
    part = table[(table.target == target) & table.point.isin(list(POINTS))]
    lines = []
    for split in part.split.unique():
        rows = part[part.split == split]
        record = {"split": split}
        for point in POINTS:
            at = rows[(rows.point == point) & (rows.feature_set == "no_clicks")]
            if at.empty:
                continue
            gb = at[at.model == "gradient_boosting"].roc_auc
            lr = at[at.model == "logistic_regression"].roc_auc
            base = at[(at.model_kind == "baseline") & (at.model != "baseline_prevalence")]
            best = base.loc[base.roc_auc.idxmax()] if base.roc_auc.notna().any() else None
            record[f"{point} n"] = int(at.n.iloc[0])
            record[f"{point} GB"] = gb.iloc[0] if len(gb) else None
            record[f"{point} LR"] = lr.iloc[0] if len(lr) else None
            record[f"{point} best baseline"] = (
                f"{best.roc_auc:.3f} ({best.model.removeprefix('baseline_')})"
                if best is not None
                else "–"
            )
        lines.append(record)
    return _markdown(pd.DataFrame(lines))


def _headline(table: pd.DataFrame) -> str:
    """ROC AUC at 25/50/75%: models vs the best non-constant baseline, main and pooled splits."""
    records = []
    for split in [MAIN_SPLIT, *POOLED_NAMES.values()]:
        for target in TARGETS:
            part = table[(table.split == split) & (table.target == target)]
            if part.empty:
                continue
            for feature_set in ("with_clicks", "no_clicks"):
                at_fs = part[part.feature_set == feature_set]
                if at_fs.empty or (at_fs.model_kind == "model").sum() == 0:
                    continue
                record = {"split": split, "target": target, "features": feature_set}
                for point in POINTS:
                    at = at_fs[at_fs.point == point]
                    gb = at[at.model == "gradient_boosting"].roc_auc
                    lr = at[at.model == "logistic_regression"].roc_auc
                    record[f"{point} GB / LR"] = (
                        f"{_fmt(gb.iloc[0] if len(gb) else None)} / "
                        f"{_fmt(lr.iloc[0] if len(lr) else None)}"
                    )
                    # best baseline among those using these data (any feature set <= this one)
                    allowed = part[
                        (part.point == point)
                        & (part.model_kind == "baseline")
                        & (part.model != "baseline_prevalence")
                        & (
                            (part.feature_set == "no_clicks")
                            if feature_set == "no_clicks"
                            else part.feature_set.notna()
                        )
                    ]
                    if allowed.roc_auc.notna().any():
                        best = allowed.loc[allowed.roc_auc.idxmax()]
                        record[f"{point} best baseline"] = (
                            f"{best.roc_auc:.3f} ({best.model.removeprefix('baseline_')})"
                        )
                    else:
                        record[f"{point} best baseline"] = "–"
                records.append(record)
    return _markdown(pd.DataFrame(records)) if records else "_no rows_"


def _cells_beaten(table: pd.DataFrame, target: str, feature_set: str) -> tuple[int, int, int]:
    """(cells where the better model beats the best non-constant baseline, cells, cells
    with a model below chance) over the per-module split x point cells."""
    per_module = table[(table.module != "ALL") & table.point.isin(list(POINTS))]
    part = per_module[per_module.target == target]
    wins, cells, below = 0, 0, 0
    for (_, _), at in part.groupby(["split", "point"]):
        models = at[(at.model_kind == "model") & (at.feature_set == feature_set)].roc_auc.dropna()
        base = at[
            (at.model_kind == "baseline")
            & (at.model != "baseline_prevalence")
            & (at.feature_set == "no_clicks")
        ].roc_auc.dropna()
        if models.empty or base.empty:
            continue
        cells += 1
        wins += int(models.max() > base.max())
        below += int((models < 0.5).any())
    return wins, cells, below


def _ablation(table: pd.DataFrame) -> str:
    """Per feature set: pooled ROC AUC (GB / LR) at 25/50/75% and cells beaten, per target."""
    records = []
    sets = [fs for fs in FEATURE_SETS if fs.startswith("no_clicks")]
    for target in TARGETS:
        for feature_set in sorted(
            sets, key=lambda fs: (fs != "no_clicks_base", fs == "no_clicks", fs)
        ):
            record = {"target": target, "features": feature_set}
            for split in POOLED_NAMES.values():
                part = table[
                    (table.split == split)
                    & (table.target == target)
                    & (table.feature_set == feature_set)
                ]
                short = "2013->2014" if "2013" in split else "B->J"
                for point in POINTS:
                    at = part[part.point == point]
                    gb = at[at.model == "gradient_boosting"].roc_auc
                    lr = at[at.model == "logistic_regression"].roc_auc
                    record[f"{short} {point} GB / LR"] = (
                        f"{_fmt(gb.iloc[0] if len(gb) else None)} / "
                        f"{_fmt(lr.iloc[0] if len(lr) else None)}"
                    )
            wins, cells, below = _cells_beaten(table, target, feature_set)
            record["cells beating best baseline"] = f"{wins}/{cells}" + (
                f" ({below} below chance)" if below else ""
            )
            records.append(record)
    main = table[(table.split == MAIN_SPLIT) & table.point.isin(list(POINTS))]
    for target in TARGETS:
        for feature_set in ("with_clicks_base", "with_clicks_base+recent_days", "with_clicks"):
            at_fs = main[(main.target == target) & (main.feature_set == feature_set)]
            if at_fs.empty:
                continue
            record = {"target": target, "features": f"{feature_set} ({MAIN_SPLIT} only)"}
            for point in POINTS:
                at = at_fs[at_fs.point == point]
                gb = at[at.model == "gradient_boosting"].roc_auc
                lr = at[at.model == "logistic_regression"].roc_auc
                record[f"2013->2014 {point} GB / LR"] = (
                    f"{_fmt(gb.iloc[0] if len(gb) else None)} / "
                    f"{_fmt(lr.iloc[0] if len(lr) else None)}"
                )
            records.append(record)
    frame = pd.DataFrame(records).fillna("–")
    return _markdown(frame) if records else "_no rows_"


def _findings(table: pd.DataFrame) -> list[str]:
    """Counted statements (no hand-written numbers): models vs baselines, clicks vs none."""
    out = []
    per_module = table[(table.module != "ALL") & table.point.isin(list(POINTS))]
    for target in TARGETS:
        part = per_module[(per_module.target == target) & (per_module.feature_set == "no_clicks")]
        wins, cells, below = 0, 0, 0
        for (_, _), at in part.groupby(["split", "point"]):
            models = at[at.model_kind == "model"].roc_auc.dropna()
            base = at[(at.model_kind == "baseline") & (at.model != "baseline_prevalence")]
            base = base.roc_auc.dropna()
            if models.empty or base.empty:
                continue
            cells += 1
            wins += int(models.max() > base.max())
            below += int((models < 0.5).any())
        out.append(
            f"* {target}, no click features: the better of the two models beats the best simple "
            f"baseline in {wins} of {cells} per-module split x point cells (25/50/75%)"
            + (f"; in {below} cell(s) a model ranks below chance (AUC < 0.5)" if below else "")
            + "."
        )
    main = table[(table.split == MAIN_SPLIT) & table.point.isin(list(POINTS))]
    models = main[main.model_kind == "model"]
    if set(models.feature_set) == {"no_clicks", "with_clicks"}:
        for target in TARGETS:
            t = models[models.target == target]
            pivot = t.pivot_table(index=["point", "model"], columns="feature_set", values="roc_auc")
            gain = (pivot["with_clicks"] - pivot["no_clicks"]).dropna()
            if len(gain):
                out.append(
                    f"* {target}, {MAIN_SPLIT}: adding the click log changes ROC AUC by "
                    f"{gain.min():+.3f} to {gain.max():+.3f} (mean {gain.mean():+.3f}) over the "
                    f"{len(gain)} model x point cells."
                )
    return out


def write_plot(table: pd.DataFrame, out: Path) -> Path | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    part = table[(table.split == MAIN_SPLIT) & table.point.str.startswith("week ")].copy()
    if part.empty:
        return None
    part["week"] = part.point.str.removeprefix("week ").astype(int)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    series = [
        ("gradient_boosting", "with_clicks", "-", "GB with clicks"),
        ("logistic_regression", "with_clicks", "-", "LR with clicks"),
        ("gradient_boosting", "no_clicks", "--", "GB no clicks"),
        ("logistic_regression", "no_clicks", "--", "LR no clicks"),
        ("baseline_no_click_14d", "with_clicks", ":", "no click in 14 days"),
        ("baseline_last_score", "no_clicks", ":", "last assessment score"),
        ("baseline_assignments_missing", "no_clicks", ":", "assignments missing"),
    ]
    for ax, target in zip(axes, TARGETS, strict=True):
        for model, feature_set, style, label in series:
            s = part[
                (part.target == target) & (part.model == model) & (part.feature_set == feature_set)
            ].sort_values("week")
            ax.plot(s.week, s.roc_auc, style, label=label, marker="." if style == "-" else None)
        ax.axhline(0.5, color="grey", linewidth=0.5)
        ax.set_title(f"{target}: {MAIN_SPLIT} (test AAA 2014J)")
        ax.set_xlabel("course week (features up to its end)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("ROC AUC on the test presentation")
    axes[1].legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    path = out / "week_by_week_auc.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _week_table(table: pd.DataFrame) -> str:
    part = table[(table.split == MAIN_SPLIT) & table.point.str.startswith("week ")].copy()
    if part.empty:
        return "_not computed_"
    part["week"] = part.point.str.removeprefix("week ").astype(int)
    records = []
    for week in sorted(part.week.unique()):
        at = part[part.week == week]
        record = {"week": int(week), "n": int(at.n.iloc[0])}
        for target in TARGETS:
            t = at[at.target == target]

            def auc(model, fs, t=t):
                v = t[(t.model == model) & (t.feature_set == fs)].roc_auc
                return v.iloc[0] if len(v) else None

            short = "drop" if target == "dropout" else "compl"
            record[f"{short} prev."] = t.prevalence.iloc[0] if len(t) else None
            record[f"{short} GB clicks"] = auc("gradient_boosting", "with_clicks")
            record[f"{short} GB no clicks"] = auc("gradient_boosting", "no_clicks")
            record[f"{short} no click 14d"] = auc("baseline_no_click_14d", "with_clicks")
            record[f"{short} last score"] = auc("baseline_last_score", "no_clicks")
        records.append(record)
    return _markdown(pd.DataFrame(records))


PUBLISHED = """\
Only figures that could be checked are quoted (sources below); nothing here is
re-computed, and where a study's protocol could not be checked this says so rather
than guess.

| study | task as published | figure | why it is not like for like |
|---|---|---|---|
| Jha, Ghergulescu & Moldovan (2019), *OULAD MOOC Dropout and Result Prediction using Ensemble, Deep Learning and Regression Techniques*, CSEDU 2019, vol. 2, pp. 154-164, doi:10.5220/0007767901540164 | dropout prediction and result prediction (class definitions not checked here) on OULAD, models built on attribute groups (demographics, assessments, interaction with the VLE); best: gradient boosting machine | dropout ROC AUC up to **0.91**, result ROC AUC up to **0.93**, with the VLE-interaction attributes (abstract, scitepress.org/Papers/2019/77679) | the issue describes the features as **whole-course** VLE features: they summarise the whole presentation, including the weeks in which a withdrawal happens, whereas here only data up to the 25/50/75% week are used; their exact split could not be checked here, and nothing indicates an earlier -> later presentation test, so treat it as *not* temporal; the full OULAD click log (all 22 presentations) was available there, 3 presentations here; a whole-course set-up scores every registered student, including those who withdrew in the first weeks, whereas here only students still registered at the point are scored |
| Adnan et al. (2021), *Predicting at-Risk Students at Different Percentages of Course Length for Early Intervention Using Machine Learning Models*, IEEE Access 9, doi:10.1109/ACCESS.2021.3049446 | at-risk prediction on OULAD with features cut at shares of the course length; random forest reported as the best model (as summarised on a document page; not checked in the paper body) | results at **20-100% of the course length** (issue text); the per-point figures were not verified for this report and are therefore not quoted | closest in spirit (partial-course data), but the class definitions and the split could not be checked here: if students are split at random across presentations (common in OULAD studies) presentation effects leak into training; their at-risk classes are not necessarily Withdrawn-vs-rest or Pass/Distinction-vs-rest; demographics and the full click log of all presentations are available to them |

Sources checked with the project's search tool: the CSEDU 2019 paper page and PDF
abstract (scitepress.org/PublishedPapers/2019/77679) for Jha et al.; the first page of
the IEEE Access paper (received 7 Dec 2020, published 5 Jan 2021, DOI above) for
Adnan et al.

What the comparison can and cannot say:

* **Temporal vs random split.** Here a model never sees the test presentation; it must
  transfer from an earlier presentation of the same module (2013 -> 2014, or the
  February to the October start). Random splits of students share presentations
  between train and test, which is easier and is not what an early-warning system
  faces in production.
* **Partial vs whole-course data.** At 25/50/75% only data up to the end of that week
  is used. Whole-course features include the weeks of and after a withdrawal
  (a student with no clicks after week 10 has withdrawn), which inflates dropout AUC.
* **Population.** Students who have already withdrawn before the evaluation week are
  not scored (they are known); the dropout prevalence among the students still
  registered is therefore lower than the 31% of all registrations, and later points
  are harder (the remaining dropouts are fewer and later).
* **Classes.** Dropout = Withdrawn vs {Fail, Pass, Distinction}; completion =
  {Pass, Distinction} vs {Withdrawn, Fail}. Some published OULAD results use
  Pass-vs-Fail (withdrawn removed) or multi-class set-ups; those numbers are not
  comparable to either target here.
* **Click log.** The shared copy has clicks for AAA 2013J, AAA 2014J and BBB 2013B
  only; the "with clicks" results come from one module (AAA, about 310-350 students still
  registered per point) and carry wide uncertainty.
* **No demographics.** The project's features are behaviour only (no age, region,
  IMD band, prior attempts, ...), which published models often include.
"""


def write_report(
    table, out, splits, skipped, presentations, samples, timings, source, plot, point_weeks
):
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPU(s), Python {platform.python_version()}"
    try:
        import sklearn

        machine += f", scikit-learn {sklearn.__version__}"
    except ImportError:  # pragma: no cover
        pass
    clicks = presentations[presentations.has_activity_log.astype(bool)].course_shortname.tolist()
    lines = [
        "# OULAD temporal benchmark",
        "",
        "_Generated by `early_warning/oulad_benchmark/`; do not edit by hand._",
        "",
        "## How it was produced",
        "",
        "```",
        "python -m early_warning.oulad_benchmark --source /work/shared/datasets/oulad --out benchmarks/oulad",
        "```",
        "",
        f"* Source folder: `{source}`; run on {now}; machine: {machine}.",
        f"* Duration: **{timings['total']:.0f} s** end to end ("
        + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items() if k != "total")
        + ").",
        "* Steps: `dbt run --select +fct_enrolment_week_features +fct_enrolment_outcomes` "
        "(DuckDB, `lms_source: oulad`) in an isolated work folder, then the models below in "
        "Python. `results.csv` beside this file holds every number (one row per split x target "
        "x point x feature set x model).",
        "",
        "## Headline: ROC AUC at 25 / 50 / 75% of the course",
        "",
        "GB = gradient boosting, LR = logistic regression (both calibrated); best baseline = "
        "the best of 'no click in 14 days' (with clicks only), 'last assessment score' and "
        "'assignments missing so far' on the same test students. Full metrics below and in "
        "`results.csv`.",
        "",
        _headline(table),
        "",
        *_findings(table),
        "",
        "## Ablation: what each feature group adds (issue 15)",
        "",
        "The same site-wide models with fewer features: `*_base` = the features before "
        "issue 15, `+<group>` = one group of `early_warning.ml.features.FEATURE_GROUPS` "
        "added alone (without its click-log columns in the `no_clicks_*` sets); "
        "`no_clicks` / `with_clicks` = everything. Pooled ROC AUC (GB / LR; the ablation sets "
        "with gradient boosting only, to bound the run time) at 25/50/75% of the course, and the per-module cells where the better model beats the best simple "
        "baseline. The `recent_days` group comes from the click log: it shows only in the "
        f"`with_clicks_*` rows of {MAIN_SPLIT} (one module, about 330 test students: wide "
        "uncertainty).",
        "",
        _ablation(table),
        "",
        "## Data and attribution",
        "",
        "Kuzilek J., Hlosta M., Zdrahal Z. *Open University Learning Analytics dataset.* "
        "Scientific Data 4, 170171 (2017), doi:10.1038/sdata.2017.171. Licence CC BY 4.0.",
        "",
        f"The shared copy holds all 22 presentations (7 modules, 2013-2014) completely, except "
        f"the click log (`studentVle`), which exists only for {', '.join(clicks)}. The other "
        "presentations are treated as presentations *without* a click log (activity features "
        "NULL, never 0), so click features are used only where both the training and the test "
        "presentations have them: the split AAA 2013J -> AAA 2014J.",
        "",
        "## Definitions",
        "",
        "* **Targets** (labels from `marts.fct_enrolment_outcomes`): dropout = final result "
        "Withdrawn; completion = Pass or Distinction. Exams are not features.",
        "* **Splits** (train on earlier, test on later presentations of the same module, no "
        "student of the test presentation is seen in training): *year*: per module, train = "
        "its 2013 presentations, test = its 2014 presentations; *B -> J*: within one year, "
        "train = the February (B) presentation, test = the October (J) presentation. "
        "`ALL modules ... (pooled)` rows pool the test predictions of the per-module splits of "
        "one kind (each scored by its group's site-wide model) into one set of metrics (there the "
        "training-prevalence baseline is one constant per module, so its ROC AUC is not 0.5: "
        "it measures how much the module's base rate alone ranks students).",
        "* **Evaluation points**: for each presentation the course week (7-day weeks from the "
        "start, week k = days [7(k-1), 7k)) holding day floor(share x "
        "module_presentation_length) for share = 25%, 50%, 75%; features use data up to the end "
        "of that week. Every week of the main split (AAA 2013 -> 2014) is also evaluated.",
        "* **Population at a point**: the students still registered in that week (their "
        "enrolment week grid holds it: registered before the week ends and not unregistered "
        "before it starts). Students who withdrew earlier are already known and are not "
        "predicted; students who register later are not yet there.",
        "* **Training: site-wide** (protocol change of issue 15; before it, one model per "
        "module split): like the product, which trains one model on a site's finished "
        "courses, one model per group of splits is trained on *every* training presentation "
        "of the site — for 2013 -> 2014 all 2013 presentations of all modules, for B -> J of a "
        "year all that year's B presentations — and scored on all the group's test "
        "presentations; each per-module cell is then measured on its own test students, so "
        "the cells and the baselines (still fitted per module split) are as before. A model "
        "thus also learns from other modules (the site's history), never from the test "
        "presentations.",
        f"* **Training samples: stride sampling** — the training presentations' rows at the "
        f"same relative point (their own 25/50/75% week) and at the weeks {', '.join(f'{o:+d}' for o in STRIDE_OFFSETS if o)} "
        "around it (the same students at nearby stages; course_week and week_share tell the "
        "model where it is). The week-by-week curve of the main split keeps one model per "
        "week trained on AAA 2013J alone.",
        "* **Feature sets**: *no_clicks* = the project's model features (`early_warning.ml."
        "features.FEATURES`) without the click-log columns (assessment, registration, "
        "deadline and other-course features: course week, weeks enrolled, days since "
        "enrolment start, assignments due / submitted / on time / late / missing so far and "
        "their cohort ranks, grades so far, the last graded week, days to the next deadline, "
        "other courses enrolled, earlier courses' outcomes, week_share, has_activity_log); "
        "*with_clicks* = all features (measured only on AAA 2013 -> 2014, whose both sides "
        "have clicks; the site-wide model sees the click features NULL with has_activity_log "
        "= 0 in the presentations without a log). Ablation sets: see 'Ablation'.",
        "* **Models**: the project's candidates (`candidates.make_pipeline`: median imputation + "
        "logistic regression, or + gradient boosting, fixed hyper-parameters). Probabilities "
        "are calibrated by cross-validation on the training data (per week: the Platt maps "
        "and the threshold are fitted on the held-out rows of the point's week only), as scikit-learn's "
        "`CalibratedClassifierCV(method='sigmoid', ensemble=True)`: the training rows are split "
        "into folds (the training presentations when there are several, else 3 stratified "
        "folds of students); a model is fitted on the other folds and Platt-scaled "
        "(`calibration.fit_platt`) on the log-odds of its held-out fold; a test student's "
        "probability is the mean over the fold models. With two training presentations each "
        "fold model learns on one presentation and is calibrated on the other, so the "
        "calibration already sees a presentation shift.",
        "* **Threshold** for balanced accuracy and F1: the probability that maximises F1 on the "
        "training data's out-of-fold calibrated probabilities; never tuned on the test "
        "presentation (the Moodle gate's fixed 0.5 would predict no dropout at all where the "
        "prevalence is low). Positive class = the target "
        "(dropout, resp. completion).",
        "* **Baselines** (mapped to probabilities by a one-feature logistic regression on the "
        "training rows and thresholded on the training rows like the models, so their Brier "
        "score and F1 are comparable; the direction is learnt on the training rows, otherwise "
        "the ranking is the rule's own): *no click in the last 14 days* (no event in the evaluation week and the "
        "week before; only with clicks); *last assessment score* (score of the most recent "
        "assessment submitted by the end of the week, lower = riskier, none yet = riskiest); "
        "*assignments missing so far* (past-deadline assessments not submitted); *training "
        "prevalence* (a constant: the reference Brier score; ROC AUC 0.5 by construction).",
        "* **Metrics**: `early_warning.ml.metrics.binary_metrics` (ROC AUC, PR AUC = average "
        "precision, Brier, balanced accuracy, F1 of the positive class and Moodle's F1 — both "
        "classes' F1 weighted by support, `f1_weighted` in results.csv); n = test students "
        "scored, prevalence = positive share among them.",
        "",
        "## Splits",
        "",
    ]
    split_rows = []
    for s in splits:
        at = table[(table.split == s.name) & (table.point == "50%")]
        split_rows.append(
            {
                "split": s.name,
                "train": ", ".join(s.train),
                "test": ", ".join(s.test),
                "clicks": "yes" if s.with_clicks else "no",
                "train n @50%": int(at.n_train.iloc[0]) if len(at) else None,
                "test n @50%": int(at.n.iloc[0]) if len(at) else None,
                "weeks @25/50/75% (test)": " / ".join(
                    ",".join(str(point_weeks[(n, p)]) for n in s.test) for p in POINTS
                ),
            }
        )
    lines.append(_markdown(pd.DataFrame(split_rows)))
    lines += ["", "Skipped (no data for one side):", ""]
    lines += [f"* {s}" for s in skipped] or ["* none"]
    notes = [f"* {s.name}: {n}" for s in splits for n in s.notes]
    if notes:
        lines += ["", "Points without rows:", "", *notes]

    lines += [
        "",
        "## Main results",
        "",
        f"### {MAIN_SPLIT} (train AAA 2013J, test AAA 2014J): with and without the click log",
        "",
        "The only split with clicks on both sides. Small (one presentation each side): "
        "differences of a few hundredths in AUC are within noise.",
        "",
    ]
    for target in TARGETS:
        lines += [f"**{target}**", "", _metric_table(table, MAIN_SPLIT, target), ""]
    for kind, name in POOLED_NAMES.items():
        lines += [
            f"### {name}: no click features",
            "",
            "Test students of all per-module "
            + ("2013 -> 2014" if kind == "year" else "B -> J")
            + " splits together, each scored by the model of its own split "
            "(assessment/registration features only).",
            "",
        ]
        if not (table.split == name).any():
            lines[-1:] = ["_no split of this kind in the data_", ""]
            continue
        for target in TARGETS:
            lines += [f"**{target}**", "", _metric_table(table, name, target), ""]
    for target in TARGETS:
        lines += [
            f"### ROC AUC per split, {target} (no click features)",
            "",
            "GB = gradient boosting, LR = logistic regression; best baseline among last score, "
            "assignments missing (and no click in 14 days where clicks exist).",
            "",
            _auc_summary(table, target),
            "",
        ]
    lines += ["## Week by week (main split)", ""]
    if plot is not None:
        lines += [f"![ROC AUC week by week]({plot.name})", ""]
    lines += [
        "ROC AUC on AAA 2014J, one model per week trained on the same week of AAA 2013J "
        "(GB = gradient boosting; all models and metrics per week are in `results.csv`, "
        "`point` = `week k`).",
        "",
        _week_table(table),
        "",
        "## Published results",
        "",
        PUBLISHED,
        "## Limits of this benchmark",
        "",
        "* One module with clicks: the click-log gain is measured on AAA only.",
        "* Test sets per module are a few hundred to a few thousand students; no confidence "
        "intervals are computed (a bootstrap over students would be the next step).",
        "* Assessment scores are dated at submission (OULAD has no marking date), so a score "
        "is seen slightly earlier than a tutor's mark would be.",
        "* Hyper-parameters are the project's fixed ones; nothing was tuned on test data.",
        "",
    ]
    (Path(out) / "report.md").write_text("\n".join(lines), encoding="utf-8")
