"""The OULAD benchmark's data: presentations, temporal splits, evaluation points, samples.

Builds the OULAD marts with dbt, lists the presentations, defines the temporal
splits (per module 2013 -> 2014, and B -> J within a year) and the evaluation
points (the course week holding 25/50/75% of a presentation), and loads the
feature rows with their labels.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from early_warning.dbt_runner import DbtProject
from early_warning.ml.features import BASE_FEATURES, FEATURE_GROUPS, FEATURES, activity_log_features

#: Model inputs that come from the click log: NULL for every row of a presentation
#: without a click log (has_activity_log = false), checked at run time. Declared once in
#: the dbt project (meta from_activity_log of int_enrolment_week_features).
ACTIVITY_FEATURES: tuple[str, ...] = activity_log_features()


def _without_clicks(features: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f for f in features if f not in ACTIVITY_FEATURES)


#: Feature sets: name -> model inputs. ``no_clicks`` and ``with_clicks`` are the
#: project's features (all groups); the others are the ablation (issue 15): the
#: features before issue 15 (``*_base``) and each feature group added to them alone.
FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "no_clicks": _without_clicks(FEATURES),
    "with_clicks": FEATURES,
    "no_clicks_base": _without_clicks(BASE_FEATURES),
    **{
        f"no_clicks_base+{name}": _without_clicks(BASE_FEATURES + group)
        for name, group in FEATURE_GROUPS.items()
        if _without_clicks(group)
    },
    "with_clicks_base": BASE_FEATURES,
    "with_clicks_base+recent_days": BASE_FEATURES + FEATURE_GROUPS["recent_days"],
}

#: The feature sets of the headline (the others are the ablation).
MAIN_FEATURE_SETS: tuple[str, ...] = ("no_clicks", "with_clicks")

#: Relative evaluation points: label -> share of the presentation length.
POINTS: dict[str, float] = {"25%": 0.25, "50%": 0.50, "75%": 0.75}

#: Targets: name -> label column of fct_enrolment_outcomes.
TARGETS: dict[str, str] = {"dropout": "is_dropout", "completion": "is_completed"}

MAIN_SPLIT = "AAA 2013 -> 2014"


@dataclass
class Split:
    name: str
    kind: str  # "year" (2013 -> 2014) or "b_to_j" (B -> J of one year)
    module: str
    train: list[str]  # course_shortname, e.g. "AAA 2013J"
    test: list[str]
    with_clicks: bool = False
    notes: list[str] = field(default_factory=list)


def _log(message: str, started: float) -> None:
    print(f"[{time.monotonic() - started:7.1f}s] {message}", flush=True)


# --------------------------------------------------------------------------- build


def build_marts(source: Path, workdir: Path) -> DbtProject:
    """Run the dbt models the benchmark reads (no training, no tests)."""
    project = DbtProject(
        workdir=Path(workdir),
        vars={"lms_source": "oulad", "oulad_files_path": str(Path(source).resolve())},
    )
    project.run("run", "--select", "+fct_enrolment_week_features", "+fct_enrolment_outcomes")
    return project


def load_presentations(project: DbtProject) -> pd.DataFrame:
    return project.query_df(
        """
        select c.courseid, c.course_shortname, m.code_module, m.code_presentation,
               m.presentation_length_days, c.planned_weeks, c.has_activity_log
        from intermediate.int_courses_classified as c
        inner join intermediate.int_oulad_courses_mapped as m using (courseid)
        order by c.courseid
        """
    )


def point_week(length_days: int, share: float) -> int:
    """Course week (1-based, weeks of 7 days from the start) holding day share * length."""
    return int(np.floor(share * float(length_days))) // 7 + 1


def define_splits(presentations: pd.DataFrame) -> tuple[list[Split], list[str]]:
    """Year splits (per module, 2013 -> 2014) and B -> J splits; and the skipped ones."""
    by_module: dict[str, list[str]] = {}
    for row in presentations.itertuples():
        by_module.setdefault(row.code_module, []).append(row.code_presentation)
    clicks = dict(zip(presentations.course_shortname, presentations.has_activity_log, strict=True))
    splits, skipped = [], []

    def make(name, kind, module, train, test):
        train = [f"{module} {p}" for p in sorted(train)]
        test = [f"{module} {p}" for p in sorted(test)]
        with_clicks = all(bool(clicks[c]) for c in train + test)
        splits.append(Split(name, kind, module, train, test, with_clicks))

    for module in sorted(by_module):
        codes = by_module[module]
        y13 = [c for c in codes if c.startswith("2013")]
        y14 = [c for c in codes if c.startswith("2014")]
        if y13 and y14:
            make(f"{module} 2013 -> 2014", "year", module, y13, y14)
        else:
            have = ", ".join(sorted(codes))
            skipped.append(
                f"{module} 2013 -> 2014: no {'2013' if not y13 else '2014'} presentation (has {have})"
            )
        for year in ("2013", "2014"):
            b, j = f"{year}B", f"{year}J"
            if b in codes and j in codes:
                make(f"{module} {b} -> {j}", "b_to_j", module, [b], [j])
            elif b in codes or j in codes:
                missing = b if b not in codes else j
                skipped.append(f"{module} {b} -> {j}: no {missing} presentation")
    return splits, skipped


SAMPLES_SQL = """
with wanted(courseid, course_week) as (values {values}),
grades as (
    select gi.courseid, gg.userid, gg.finalgrade, gg.timemodified
    from intermediate.int_oulad_grade_grades_mapped as gg
    inner join intermediate.int_oulad_grade_items_mapped as gi using (grade_item_id)
),
rows as (
    select f.*, o.is_dropout, o.is_completed
    from marts.fct_enrolment_week_features as f
    inner join wanted using (courseid, course_week)
    inner join marts.fct_enrolment_outcomes as o using (enrolment_id)
),
last_scores as (
    select r.enrolment_id, r.course_week,
           arg_max(g.finalgrade, g.timemodified) as last_assessment_score
    from rows as r
    inner join grades as g
        on g.courseid = r.courseid and g.userid = r.userid
        and g.timemodified < r.week_end and g.timemodified <= r.feature_cutoff
    group by all
)
select r.*, s.last_assessment_score
from rows as r
left join last_scores as s using (enrolment_id, course_week)
"""


def load_samples(project: DbtProject, wanted: set[tuple[int, int]]) -> pd.DataFrame:
    """Feature rows (with labels and the last assessment score known by the end of the
    week) of the wanted (courseid, course_week) pairs."""
    values = ", ".join(f"({int(c)}, {int(w)})" for c, w in sorted(wanted))
    frame = project.query_df(SAMPLES_SQL.format(values=values))
    return frame.sort_values(["courseid", "course_week", "enrolment_id"]).reset_index(drop=True)


def check_activity_nulls(samples: pd.DataFrame) -> None:
    """Activity features must be NULL (not 0) in presentations without a click log."""
    no_log = samples[~samples["has_activity_log"].astype(bool)]
    filled = [c for c in ACTIVITY_FEATURES if no_log[c].notna().any()]
    if filled:
        raise RuntimeError(
            "activity features hold values in presentations without a click log: "
            + ", ".join(filled)
        )
