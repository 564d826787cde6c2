"""Temporal benchmark on OULAD: train on earlier presentations, test on later ones.

``python -m early_warning.oulad_benchmark --source <oulad folder> --out benchmarks/oulad``
builds the OULAD marts with dbt (DuckDB, isolated workdir), then for every
split (per module: 2013 -> 2014 presentations; within a year: B -> J) and every
evaluation point (the course week holding 25%, 50%, 75% of the presentation
length, plus every week of the main split) fits the project's candidate
classifiers on the training presentations at the same relative point, calibrates
them (Platt on out-of-fold log-odds of the training data), fixes a decision
threshold on the training data, and scores the test presentations. Simple
baselines are scored the same way. Writes ``results.csv``, ``report.md`` and a
week-by-week plot to the output folder.

Data: Kuzilek J., Hlosta M., Zdrahal Z. Open University Learning Analytics
dataset. Scientific Data 4, 170171 (2017), doi:10.1038/sdata.2017.171, CC BY 4.0.

Modules: :mod:`~early_warning.oulad_benchmark.splits` (the data, the splits and the
evaluation points), :mod:`~early_warning.oulad_benchmark.evaluation` (models,
baselines, metrics), :mod:`~early_warning.oulad_benchmark.report` (report.md and
the plot); :func:`run_benchmark` ties them together.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import pandas as pd

from early_warning.dbt_runner import DbtProject
from early_warning.oulad import DEFAULT_OULAD_PATH
from early_warning.oulad_benchmark.evaluation import (
    RESULT_COLUMNS,
    STRIDE_OFFSETS,
    evaluate,
    evaluate_site_wide,
    pooled_results,
)
from early_warning.oulad_benchmark.report import write_plot, write_report
from early_warning.oulad_benchmark.splits import (
    MAIN_SPLIT,
    POINTS,
    TARGETS,
    _log,
    build_marts,
    check_activity_nulls,
    define_splits,
    load_presentations,
    load_samples,
    point_week,
)

__all__ = ["main", "point_week", "run_benchmark"]


def run_benchmark(
    source: Path,
    out: Path,
    workdir: Path | None = None,
    curve: bool = True,
    skip_build: bool = False,
    n_jobs: int | None = None,
    curve_weeks: list[int] | None = None,
) -> pd.DataFrame:
    """Build, evaluate, write results.csv / report.md / plot; return the results."""
    started = time.monotonic()
    n_jobs = n_jobs or min(2, os.cpu_count() or 1)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = None
    if workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="oulad_benchmark_")
        workdir = Path(tmp.name)
    timings = {}
    try:
        if skip_build:
            project = DbtProject(workdir=Path(workdir))
            _log(f"reusing the dbt build in {workdir}", started)
        else:
            _log(f"building the OULAD marts with dbt (source {source}, workdir {workdir})", started)
            project = build_marts(source, workdir)
            timings["dbt run"] = time.monotonic() - started
            _log("dbt build done", started)

        presentations = load_presentations(project)
        splits, skipped = define_splits(presentations)
        info = presentations.set_index("course_shortname")
        _log(f"{len(splits)} splits ({len(skipped)} skipped)", started)

        # which (courseid, course_week) pairs are needed
        point_weeks: dict[tuple[str, str], int] = {}
        for name, row in info.iterrows():
            for point, share in POINTS.items():
                point_weeks[(name, point)] = min(
                    point_week(row.presentation_length_days, share), int(row.planned_weeks)
                )
        wanted = {
            (int(info.loc[n, "courseid"]), w + offset)
            for (n, _), w in point_weeks.items()
            for offset in STRIDE_OFFSETS
            if 1 <= w + offset <= int(info.loc[n, "planned_weeks"])
        }
        main = next((s for s in splits if s.name == MAIN_SPLIT), None)
        if curve and main is not None:
            for name in main.train + main.test:
                for week in range(1, int(info.loc[name, "planned_weeks"]) + 1):
                    wanted.add((int(info.loc[name, "courseid"]), week))
        t0 = time.monotonic()
        samples = load_samples(project, wanted)
        check_activity_nulls(samples)
        timings["load samples"] = time.monotonic() - t0
        _log(f"loaded {len(samples)} feature rows", started)

        by_course = {cid: frame for cid, frame in samples.groupby("courseid")}
        empty = samples.iloc[0:0]

        def rows_of(names, weeks):
            parts = [
                by_course.get(int(info.loc[n, "courseid"]), empty).pipe(
                    lambda f, w=weeks[n]: f[f["course_week"] == w]
                )
                for n in names
            ]
            return pd.concat(parts, ignore_index=True)

        def stride_rows(names, point):
            """Rows of these presentations at the point's week and the STRIDE_OFFSETS around it."""
            parts = []
            for n in names:
                frame = by_course.get(int(info.loc[n, "courseid"]), empty)
                week = point_weeks[(n, point)]
                chosen = frame[frame["course_week"].isin([week + o for o in STRIDE_OFFSETS])]
                parts.append(chosen.assign(is_point_row=chosen["course_week"] == week))
            return pd.concat(parts, ignore_index=True)

        # site-wide models (issue 15): one per group of per-module splits, trained on every
        # training presentation of the site at that stage (2013 -> 2014: all 2013
        # presentations; B -> J of a year: all that year's B presentations)
        groups: dict[tuple[str, str], list] = {}
        for split in splits:
            year = split.train[0].split()[1][:4]
            key = ("year", "2013") if split.kind == "year" else ("b_to_j", year)
            groups.setdefault(key, []).append(split)
        tasks, curve_tasks = [], []
        for (kind, year), members in groups.items():
            if kind == "year":
                site_train_names = [n for n in info.index if n.split()[1].startswith("2013")]
            else:
                site_train_names = [n for n in info.index if n.split()[1] == f"{year}B"]
            site_test_names = [n for s in members for n in s.test]
            for point in POINTS:
                per_split = {}
                for split in members:
                    weeks = {n: point_weeks[(n, point)] for n in split.train + split.test}
                    train, test = rows_of(split.train, weeks), rows_of(split.test, weeks)
                    if train.empty or test.empty:
                        split.notes.append(f"{point}: no rows")
                    per_split[split.name] = (
                        train,
                        test,
                        {
                            "train_weeks": ", ".join(str(weeks[n]) for n in split.train),
                            "test_weeks": ", ".join(str(weeks[n]) for n in split.test),
                        },
                    )
                site_train = stride_rows(site_train_names, point)
                test_weeks = {n: point_weeks[(n, point)] for n in site_test_names}
                site_test = rows_of(site_test_names, test_weeks)
                for target in TARGETS:
                    tasks.append((members, target, point, site_train, site_test, per_split))
        if curve and main is not None:
            last = min(int(info.loc[n, "planned_weeks"]) for n in main.train + main.test)
            for week in range(1, last + 1):
                if curve_weeks is not None and week not in curve_weeks:
                    continue
                weeks = dict.fromkeys(main.train + main.test, week)
                train, test = rows_of(main.train, weeks), rows_of(main.test, weeks)
                if train.empty or test.empty:
                    continue
                extra = {"train_weeks": str(week), "test_weeks": str(week)}
                for target in TARGETS:
                    curve_tasks.append((main, target, f"week {week}", train, test, extra))

        from joblib import Parallel, delayed

        t0 = time.monotonic()
        _log(
            f"fitting: {len(tasks)} site-wide group x target x point tasks"
            f" + {len(curve_tasks)} week-by-week tasks on {n_jobs} process(es)",
            started,
        )
        done = Parallel(n_jobs=n_jobs)(delayed(evaluate_site_wide)(*task) for task in tasks)
        results, predictions = [], []
        for rows, preds in done:
            results += rows
            predictions += preds
        timings["relative points"] = time.monotonic() - t0
        _log("evaluated the 25/50/75% points of every split", started)
        # pooled over the per-module splits of one kind (predictions of separate models)
        results += pooled_results(predictions)
        if curve_tasks:
            t0 = time.monotonic()
            done = Parallel(n_jobs=n_jobs)(delayed(evaluate)(*task) for task in curve_tasks)
            for rows, _ in done:
                results += rows
            timings["week by week"] = time.monotonic() - t0
            _log(f"evaluated {main.name} week by week", started)

        table = pd.DataFrame(results, columns=RESULT_COLUMNS)
        table.to_csv(out / "results.csv", index=False, float_format="%.4f")
        plot = write_plot(table, out) if curve else None
        duration = time.monotonic() - started
        timings["total"] = duration
        write_report(
            table, out, splits, skipped, presentations, samples, timings, source, plot, point_weeks
        )
        _log(f"wrote {out / 'results.csv'} ({len(table)} rows) and {out / 'report.md'}", started)
        return table
    finally:
        if tmp is not None:
            tmp.cleanup()


# --------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m early_warning.oulad_benchmark",
        description="Temporal OULAD benchmark (earlier -> later presentations); writes "
        "results.csv, report.md and a week-by-week plot.",
    )
    parser.add_argument(
        "--source", type=Path, default=DEFAULT_OULAD_PATH, help="folder of the OULAD files"
    )
    parser.add_argument("--out", type=Path, default=Path("benchmarks/oulad"))
    parser.add_argument(
        "--workdir", type=Path, default=None, help="dbt work folder (default: a temporary one)"
    )
    parser.add_argument(
        "--no-curve", action="store_true", help="skip the week-by-week curve of the main split"
    )
    parser.add_argument(
        "--skip-build",
        action="store_true",
        help="reuse the dbt build already in --workdir (development only)",
    )
    args = parser.parse_args(argv)
    if args.skip_build and args.workdir is None:
        parser.error("--skip-build needs --workdir")
    started = time.monotonic()
    table = run_benchmark(
        args.source, args.out, args.workdir, curve=not args.no_curve, skip_build=args.skip_build
    )
    print(f"done in {time.monotonic() - started:.0f} s: {len(table)} result rows", flush=True)
    return 0
