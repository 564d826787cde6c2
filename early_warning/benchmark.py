"""Benchmark: how long a scheduled `dbt build` takes as the site grows.

For each size it generates a demo site, then measures on DuckDB (and, with
--postgres, on PostgreSQL):

* ``full``     a `dbt build` into an empty warehouse (training included);
* ``next_day`` the same warehouse after one more day of log rows was appended
  (the daily scheduled run: ``dbt build --selector daily``, selectors.yml,
  as README "Daily runs are incremental" recommends for production).

Each run records wall time and peak memory (``/usr/bin/time -v``) and the time
of every model (dbt's ``run_results.json``). Output: a Markdown report and the
raw figures as CSV. Example::

    python -m early_warning.benchmark --sizes medium large --out benchmarks
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from early_warning.dbt_runner import DbtProject

DAY = 86400

#: The issue's targets for a 10M-row site on this 2-core machine (seconds, GB).
TARGETS = {
    ("duckdb", "full"): "<= 60 s, <= 4 GB",
    ("duckdb", "next_day"): "<= 15 s",
    ("postgres", "full"): "<= 600 s",
}


@dataclass
class Run:
    size: str
    engine: str
    kind: str
    log_rows: int
    wall_seconds: float
    peak_rss_mb: float
    ok: bool
    model_seconds: dict[str, float] = field(default_factory=dict)
    #: user + system CPU seconds of dbt and its threads: less sensitive than the wall time
    #: to other work on a shared machine (wall >= cpu / cores)
    cpu_seconds: float = float("nan")


def _say(message: str) -> None:
    print(f"[benchmark {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _timed(
    cmd: list[str], env: dict, cwd: Path, log: Path | None = None
) -> tuple[float, float, int, str, float]:
    """Run cmd under /usr/bin/time -v: (wall s, peak RSS MB, exit code, output tail, CPU s).

    The command's whole output goes to ``log`` when given (dbt's own log file lacks what
    the Python models print)."""
    started = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-v", *cmd], cwd=cwd, env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(proc.stdout + proc.stderr)
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    peak_mb = int(match.group(1)) / 1024 if match else float("nan")
    cpu = sum(
        float(m.group(1))
        for m in re.finditer(r"(?:User|System) time \(seconds\): ([\d.]+)", proc.stderr)
    )
    tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
    return wall, peak_mb, proc.returncode, tail, cpu


def _model_seconds(target_path: Path) -> dict[str, float]:
    results = json.loads((target_path / "run_results.json").read_text())
    return {
        r["unique_id"].split(".")[-1]: float(r["execution_time"])
        for r in results["results"]
        if r["unique_id"].startswith("model.")
    }


def append_one_day(site: Path) -> int:
    """Append a copy of the log's last day, one day later, with new ids; return the new 'now'."""
    path = site / "logstore_standard_log.parquet"
    log = pq.read_table(path)
    newest = pc.max(log["timecreated"]).as_py()
    last_day = log.filter(pc.greater(log["timecreated"], newest - DAY))
    max_id = pc.max(log["id"]).as_py()
    shifted = last_day.set_column(
        last_day.schema.get_field_index("timecreated"),
        "timecreated",
        pc.add(last_day["timecreated"], pa.scalar(DAY, pa.int64())),
    )
    shifted = shifted.set_column(
        shifted.schema.get_field_index("id"),
        "id",
        pa.array(range(max_id + 1, max_id + 1 + shifted.num_rows), pa.int64()),
    )
    pq.write_table(pa.concat_tables([log, shifted]), path)
    return newest + DAY


def run_size(size: str, workdir: Path, postgres: bool, seed: int) -> list[Run]:
    from early_warning.demo import generate_site

    site = workdir / f"site_{size}"
    _say(f"generating the {size} site")
    manifest = generate_site(site, size=size, seed=seed, fmt="parquet", progress=True)
    log_rows = int(manifest["tables"]["logstore_standard_log"])
    project = DbtProject(workdir=workdir / f"duckdb_{size}", vars={"moodle_files_path": str(site)})
    if project.duckdb_path.exists():
        project.duckdb_path.unlink()
    runs = []
    dbt = str(Path(sys.executable).with_name("dbt"))
    last_full_log_id, rows_by_kind = None, {}
    for kind in ("full", "next_day"):
        if kind == "next_day":
            # as_of stays the default (the newest event), as in a scheduled run: passing a
            # new var would also force dbt to re-parse the whole project
            last_full_log_id = pq.read_table(site / "logstore_standard_log.parquet", columns=["id"])
            last_full_log_id = pc.max(last_full_log_id["id"]).as_py()
            append_one_day(site)
            log_rows = pq.read_metadata(site / "logstore_standard_log.parquet").num_rows
        rows_by_kind[kind] = log_rows
        _say(f"duckdb {kind} build of {size} ({log_rows:,} log rows)")
        cmd = [
            dbt,
            "build",
            "--target-path",
            str(project.target_path),
            "--vars",
            json.dumps(project.vars),
        ]
        if kind == "next_day":
            # a scheduled production run (README "Daily runs"): unit tests check the SQL
            # logic on fixed inputs, not the data, so they belong to CI, not to every run
            cmd += ["--selector", "daily"]
        wall, peak, code, tail, cpu = _timed(
            cmd, project.env(), Path.cwd(), project.workdir / f"dbt_{kind}.log"
        )
        if code != 0:
            _say(f"dbt build failed:\n{tail}")
        runs.append(
            Run(
                size,
                "duckdb",
                kind,
                log_rows,
                wall,
                peak,
                code == 0,
                _model_seconds(project.target_path),
                cpu,
            )
        )
        _say(f"  {wall:.1f} s (CPU {cpu:.1f} s), peak {peak:,.0f} MB")
    if postgres:
        runs += _postgres_runs(size, site, workdir, rows_by_kind, dbt, last_full_log_id)
    return runs


def _postgres_runs(
    size: str,
    site: Path,
    workdir: Path,
    rows_by_kind: dict[str, int],
    dbt: str,
    last_full_log_id: int,
) -> list[Run]:
    """Full build on PostgreSQL without the appended day, then the next-day run with it.

    The site (with the appended day) is loaded once; the day's log rows (ids above
    ``last_full_log_id``) wait in a side table during the full build and are inserted
    before the next-day run, as Moodle would have written them."""
    database = f"ew_bench_{size}"
    project = DbtProject(
        workdir=workdir / f"postgres_{size}",
        vars={"moodle_source": "database", "moodle_schema": "moodle_raw"},
        target="postgres",
        extra_env={"EW_PG_DATABASE": database},
    )
    env = project.env()
    _say(f"loading the {size} site into PostgreSQL database {database}")
    subprocess.run(
        [
            "dropdb",
            "--if-exists",
            "-h",
            env.get("EW_PG_HOST", "127.0.0.1"),
            "-U",
            env.get("EW_PG_USER", "postgres"),
            database,
        ],
        env=env,
        check=False,
    )
    load = [
        sys.executable,
        "-m",
        "early_warning.loader",
        "--source",
        str(site),
        "--schema",
        "moodle_raw",
        "--create-database",
    ]
    subprocess.run(load, env=env, check=True)
    psql = [
        "psql",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        env.get("EW_PG_HOST", "127.0.0.1"),
        "-U",
        env.get("EW_PG_USER", "postgres"),
        "-d",
        database,
        "-c",
    ]
    log_table = "moodle_raw.mdl_logstore_standard_log"
    subprocess.run(
        [
            *psql,
            f"create table moodle_raw.bench_next_day as select * from {log_table}"
            f" where id > {last_full_log_id}; delete from {log_table}"
            f" where id > {last_full_log_id}; analyze {log_table}",
        ],
        env=env,
        check=True,
    )
    runs = []
    for kind in ("full", "next_day"):
        if kind == "next_day":
            subprocess.run(
                [
                    *psql,
                    f"insert into {log_table} select * from moodle_raw.bench_next_day;"
                    f" drop table moodle_raw.bench_next_day; analyze {log_table}",
                ],
                env=env,
                check=True,
            )
        runs.append(_postgres_build(size, kind, project, env, dbt, rows_by_kind[kind]))
    return runs


def _postgres_build(size: str, kind: str, project, env: dict, dbt: str, log_rows: int) -> Run:
    _say(f"postgres {kind} build of {size}")
    cmd = [
        dbt,
        "build",
        "--target-path",
        str(project.target_path),
        "--vars",
        json.dumps(project.vars),
        "--selector",
        "before_ml",
    ]
    if kind == "next_day":
        cmd += ["--exclude-resource-type", "unit_test"]
    wall, peak, code, tail, cpu = _timed(cmd, env, Path.cwd(), project.workdir / f"dbt_{kind}.log")
    if code != 0:
        _say(f"dbt build failed:\n{tail}")
    _say(f"  {wall:.1f} s (client CPU {cpu:.1f} s)")
    return Run(
        size,
        "postgres",
        kind,
        log_rows,
        wall,
        peak,
        code == 0,
        _model_seconds(project.target_path),
        cpu,
    )


def write_outputs(runs: list[Run], out: Path, command: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / "results.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "size",
                "engine",
                "run",
                "log_rows",
                "model",
                "seconds",
                "peak_rss_mb",
                "ok",
                "cpu_seconds",
            ]
        )
        for run in runs:
            writer.writerow(
                [
                    run.size,
                    run.engine,
                    run.kind,
                    run.log_rows,
                    "(total)",
                    f"{run.wall_seconds:.2f}",
                    f"{run.peak_rss_mb:.0f}",
                    run.ok,
                    f"{run.cpu_seconds:.2f}",
                ]
            )
            for model, seconds in sorted(run.model_seconds.items(), key=lambda kv: -kv[1]):
                writer.writerow(
                    [
                        run.size,
                        run.engine,
                        run.kind,
                        run.log_rows,
                        model,
                        f"{seconds:.2f}",
                        "",
                        "",
                        "",
                    ]
                )
    lines = [
        "# Benchmark: scheduled dbt build as the site grows",
        "",
        f"Reproduce: `{command}` (2 cores, 24 GB; figures depend on what else the machine runs).",
        "",
        "| size | engine | run | log rows | wall (s) | CPU (s) | peak memory (MB) | ok "
        "| target (10M rows) |",
        "|---|---|---|---:|---:|---:|---:|---|---|",
    ]
    for run in runs:
        lines.append(
            f"| {run.size} | {run.engine} | {run.kind} | {run.log_rows:,} | {run.wall_seconds:.1f} "
            f"| {run.cpu_seconds:.1f} "
            f"| {run.peak_rss_mb:,.0f} | {'yes' if run.ok else 'no'} | {TARGETS.get((run.engine, run.kind), '')} |"
        )
    lines += ["", "## Where the time goes (slowest models per run)", ""]
    for run in runs:
        top = sorted(run.model_seconds.items(), key=lambda kv: -kv[1])[:8]
        lines.append(
            f"- **{run.size} / {run.engine} / {run.kind}**: "
            + ", ".join(f"`{name}` {seconds:.1f} s" for name, seconds in top)
        )
    (out / "report.md").write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m early_warning.benchmark",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--sizes",
        nargs="+",
        default=["medium", "large"],
        help="demo sizes (tiny small medium large xlarge); default: medium large",
    )
    parser.add_argument("--out", type=Path, default=Path("benchmarks"), help="report folder")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path("target/benchmark"),
        help="where sites and warehouses go (large: several GB)",
    )
    parser.add_argument(
        "--postgres", action="store_true", help="also build on PostgreSQL (EW_PG_*)"
    )
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    runs: list[Run] = []
    for size in args.sizes:
        runs += run_size(size, args.workdir.resolve(), args.postgres, args.seed)
        write_outputs(
            runs, args.out, "python -m early_warning.benchmark " + " ".join(argv or sys.argv[1:])
        )
    _say(f"report: {args.out / 'report.md'}, figures: {args.out / 'results.csv'}")
    return 0 if all(run.ok for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
