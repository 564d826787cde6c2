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


def log_max_id(site: Path) -> int:
    """The largest log id, from the Parquet statistics (no data read when they exist)."""
    import duckdb

    path = (site / "logstore_standard_log.parquet").as_posix()
    with duckdb.connect() as con:
        [(max_id,)] = con.execute(f"select max(id) from read_parquet('{path}')").fetchall()
    return int(max_id)


def append_one_day(site: Path, memory_limit: str = "1GB") -> int:
    """Append a copy of the log's last day, one day later, with new ids; return the new 'now'.

    The new rows (the day's rows in file order, ids continuing after the largest id)
    are made in DuckDB SQL and the log file is rewritten as a stream by DuckDB's COPY
    under ``memory_limit``: the log never enters Python's memory (100M rows did not fit
    on 24 GB). The rewritten file keeps the old rows first, in their order.
    """
    import duckdb

    path = site / "logstore_standard_log.parquet"
    tmp = path.with_name(path.name + ".next_day.tmp")
    con = duckdb.connect()
    try:
        con.execute(f"set memory_limit = '{memory_limit}'")
        con.execute("set preserve_insertion_order = true")
        source = f"read_parquet('{path.as_posix()}', file_row_number = true)"
        [(newest, max_id)] = con.execute(
            f"select max(timecreated), max(id) from {source}"
        ).fetchall()
        columns = [
            row[0]
            for row in con.execute(
                f"describe select * from read_parquet('{path.as_posix()}')"
            ).fetchall()
        ]
        shifted = ", ".join(
            f"cast({max_id} + row_number() over (order by file_row_number) as bigint) as id"
            if name == "id"
            else f"timecreated + {DAY} as timecreated"
            if name == "timecreated"
            else f'"{name}"'
            for name in columns
        )
        plain = ", ".join(f'"{name}"' for name in columns)
        con.execute(
            f"copy (select {plain} from {source}"
            f" union all select * from (select {shifted} from {source}"
            f" where timecreated > {newest - DAY} order by file_row_number))"
            f" to '{tmp.as_posix()}' (format parquet, compression zstd, row_group_size 1000000)"
        )
    finally:
        con.close()
    tmp.replace(path)
    return newest + DAY


def drop_appended_days(site: Path, log_rows: int, memory_limit: str = "1GB") -> bool:
    """Cut the log back to its first ``log_rows`` rows (the generated ones) after earlier
    next-day appends, streamed by DuckDB like :func:`append_one_day`; True if it was cut."""
    import duckdb

    path = site / "logstore_standard_log.parquet"
    if pq.read_metadata(path).num_rows == log_rows:
        return False
    tmp = path.with_name(path.name + ".cut.tmp")
    con = duckdb.connect()
    try:
        con.execute(f"set memory_limit = '{memory_limit}'")
        con.execute(
            f"copy (select * exclude (file_row_number) from read_parquet('{path.as_posix()}',"
            f" file_row_number = true) where file_row_number < {int(log_rows)})"
            f" to '{tmp.as_posix()}' (format parquet, compression zstd, row_group_size 1000000)"
        )
    finally:
        con.close()
    tmp.replace(path)
    return True


def _site(size: str, workdir: Path, seed: int, reuse: bool) -> tuple[Path, int]:
    """The generated site of this size and its log rows: generated now, or with ``reuse``
    the one already in the workdir (same size and seed) without its appended days."""
    from early_warning.demo import generate_site

    site = workdir / f"site_{size}"
    manifest_path = site / "_manifest.json"
    if reuse and manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("size") == size and manifest.get("seed") == seed:
            log_rows = int(manifest["tables"]["logstore_standard_log"])
            if drop_appended_days(site, log_rows):
                _say(f"reusing the {size} site in {site} (appended days dropped)")
            else:
                _say(f"reusing the {size} site in {site}")
            return site, log_rows
    _say(f"generating the {size} site")
    manifest = generate_site(site, size=size, seed=seed, fmt="parquet", progress=True)
    return site, int(manifest["tables"]["logstore_standard_log"])


def run_size(
    size: str,
    workdir: Path,
    postgres: bool,
    seed: int,
    reuse_site: bool = False,
    duckdb: bool = True,
    pg_indexes: bool = True,
) -> list[Run]:
    site, log_rows = _site(size, workdir, seed, reuse_site)
    project = DbtProject(workdir=workdir / f"duckdb_{size}", vars={"moodle_files_path": str(site)})
    if project.duckdb_path.exists():
        project.duckdb_path.unlink()
    runs = []
    dbt = str(Path(sys.executable).with_name("dbt"))
    last_full_log_id, rows_by_kind = None, {}
    if not duckdb:  # PostgreSQL only: append the day the DuckDB runs would have appended
        rows_by_kind["full"] = log_rows
        last_full_log_id = log_max_id(site)
        append_one_day(site)
        rows_by_kind["next_day"] = pq.read_metadata(site / "logstore_standard_log.parquet").num_rows
    for kind in ("full", "next_day") if duckdb else ():
        if kind == "next_day":
            # as_of stays the default (the newest event), as in a scheduled run: passing a
            # new var would also force dbt to re-parse the whole project
            last_full_log_id = log_max_id(site)
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
        runs += _postgres_runs(size, site, workdir, rows_by_kind, dbt, last_full_log_id, pg_indexes)
    return runs


def _postgres_runs(
    size: str,
    site: Path,
    workdir: Path,
    rows_by_kind: dict[str, int],
    dbt: str,
    last_full_log_id: int,
    indexes: bool = True,
) -> list[Run]:
    """Full build on PostgreSQL without the appended day, then the next-day run with it.

    The site (with the appended day) is loaded once; the day's log rows (ids above
    ``last_full_log_id``) wait in a side table during the full build and are inserted
    before the next-day run, as Moodle would have written them. ``indexes=False``
    measures without the raw log's and the incremental tables' indexes (loader
    --no-indexes, var warehouse_indexes false), for comparison."""
    database = f"ew_bench_{size}"
    project = DbtProject(
        workdir=workdir / f"postgres_{size}",
        vars={"moodle_source": "database", "moodle_schema": "moodle_raw"}
        | ({} if indexes else {"warehouse_indexes": False}),
        target="postgres",
        extra_env={"EW_PG_DATABASE": database},
    )
    engine = "postgres" if indexes else "postgres (no indexes)"
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
        *([] if indexes else ["--no-indexes"]),
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
        runs.append(_postgres_build(size, kind, project, env, dbt, rows_by_kind[kind], engine))
    return runs


def _postgres_build(
    size: str, kind: str, project, env: dict, dbt: str, log_rows: int, engine: str = "postgres"
) -> Run:
    _say(f"{engine} {kind} build of {size}")
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
        engine,
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
    parser.add_argument(
        "--reuse-site",
        action="store_true",
        help="use the site already generated in the workdir (same size and seed) instead of "
        "generating it again; the days appended by earlier runs are dropped first",
    )
    parser.add_argument(
        "--no-duckdb",
        action="store_true",
        help="skip the DuckDB runs (with --postgres: measure PostgreSQL only)",
    )
    parser.add_argument(
        "--postgres-no-indexes",
        action="store_true",
        help="build PostgreSQL without the raw log's and the incremental tables' indexes "
        "(the figures before they existed, for comparison)",
    )
    args = parser.parse_args(argv)
    runs: list[Run] = []
    for size in args.sizes:
        runs += run_size(
            size,
            args.workdir.resolve(),
            args.postgres,
            args.seed,
            args.reuse_site,
            duckdb=not args.no_duckdb,
            pg_indexes=not args.postgres_no_indexes,
        )
        write_outputs(
            runs, args.out, "python -m early_warning.benchmark " + " ".join(argv or sys.argv[1:])
        )
    _say(f"report: {args.out / 'report.md'}, figures: {args.out / 'results.csv'}")
    return 0 if all(run.ok for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
