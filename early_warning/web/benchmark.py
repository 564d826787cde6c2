"""Benchmark of the web app: the course page of the largest course and a student card.

Generates a demo site (default: large), builds it on DuckDB (and publishes it) and,
with --postgres, on PostgreSQL (a throwaway database: load, SQL layers, the ML job
reusing the DuckDB models, ML marts, grants; dropped at the end), then requests each
page ``--repeat`` times in-process (FastAPI's test client: the app and the warehouse,
no network) as a teacher of that course, signed in as the app's users are (DuckDB:
demo user; PostgreSQL: the teacher's database role). Reports the median and the
90th percentile in Markdown::

    python -m early_warning.web.benchmark --size large --postgres --out benchmarks/web.md
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

from early_warning.dbt_runner import DbtProject

TARGET_MS = 300


def _say(message: str) -> None:
    print(f"[web benchmark {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _pick(query) -> dict:
    """The largest running course, a teacher with a course-level role in it, and the
    student of that course enrolled in the most of the teacher's courses."""
    [(courseid, n_students)] = query(
        "select courseid, count(*) from {marts}.mart_student_current group by courseid "
        "order by count(*) desc, courseid limit 1"
    )
    [(username,)] = query(
        "select min(username) from {marts}.mart_course_access "
        f"where courseid = {courseid} and granted_at = 'course'"
    )
    [(userid,)] = query(
        "select c.userid from {marts}.mart_student_current c "
        f"join {{marts}}.mart_student_activity a on a.userid = c.userid "
        f"join {{marts}}.mart_course_access x on x.courseid = a.courseid "
        f"and x.username = '{username}' "
        f"where c.courseid = {courseid} group by c.userid order by count(*) desc, c.userid limit 1"
    )
    return {"courseid": courseid, "n_students": n_students, "username": username, "userid": userid}


def _measure(client, urls: dict[str, str], repeat: int) -> dict[str, dict]:
    results = {}
    for name, url in urls.items():
        assert client.get(url).status_code == 200, url  # warm-up (connections, caches)
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, url
        times.sort()
        results[name] = {
            "median_ms": statistics.median(times),
            "p90_ms": times[int(0.9 * (len(times) - 1))],
            "bytes": len(response.content),
        }
    return results


def _client_signed_in(settings, username: str, password: str = ""):
    from fastapi.testclient import TestClient

    from early_warning.web.app import create_app

    client = TestClient(create_app(settings))
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/signin").text).group(1)
    response = client.post(
        "/signin",
        data={"csrf": token, "username": username, "password": password},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]
    return client


def bench_duckdb(project: DbtProject, repeat: int) -> tuple[dict, dict]:
    from early_warning.web.config import WebSettings
    from early_warning.web.publish import publish

    published = publish(project.duckdb_path)
    pick = _pick(lambda sql: project.query(sql.format(marts="marts")))
    settings = WebSettings.from_env(
        environ={"EW_TARGET": "duckdb", "EW_WEB_DUCKDB_PATH": str(published)}
    )
    client = _client_signed_in(settings, pick["username"])
    urls = {
        "course page": f"/courses/{pick['courseid']}",
        "student card": f"/students/{pick['userid']}",
    }
    return pick, _measure(client, urls, repeat)


def bench_postgres(site: Path, manifest: dict, duck: DbtProject, workdir: Path, repeat: int):
    import psycopg2

    from early_warning.loader import load_site
    from early_warning.ml import warehouse_job as wj
    from early_warning.warehouse import pg_settings
    from early_warning.web.config import WebSettings

    tag = secrets.token_hex(4)
    database, prefix, teacher_role = f"ew_bench_web_{tag}", f"b{tag}_", f"ew_teacher_b{tag}"
    settings = pg_settings(dsn_env=None)
    admin = psycopg2.connect(**settings.connect_kwargs(dbname="postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'create database "{database}"')
    try:
        env = {**os.environ, "EW_PG_DATABASE": database}
        _say(f"PostgreSQL: loading into {database}")
        load_site(
            site, schema="moodle_raw", settings=pg_settings(dsn_env=None, environ=env), quiet=True
        )
        project = DbtProject(
            workdir=workdir / "pg",
            target="postgres",
            vars={
                "moodle_source": "database",
                "moodle_schema": "moodle_raw",
                "as_of": int(manifest["now"]),
                "teacher_role": teacher_role,
                "reporting_role": f"ew_reporting_b{tag}",
                "teacher_role_prefix": prefix,
            },
            extra_env={"EW_PG_DATABASE": database, "EW_PG_SCHEMA": "ew"},
        )
        _say("PostgreSQL: dbt build --selector before_ml")
        project.run("build", "--selector", "before_ml")
        con = psycopg2.connect(**settings.connect_kwargs(dbname=database))
        try:
            schemas = wj.Schemas("ew")
            with con.cursor() as cur:
                wj.append_registry(
                    cur, schemas, duck.query_df("select * from ml.ml_model_registry")
                )
            con.commit()
            _say("PostgreSQL: ml-job (reusing the DuckDB models)")
            wj.run_job(con, schemas)
        finally:
            con.close()
        _say("PostgreSQL: dbt build --selector ml_and_after, grants")
        project.run("build", "--selector", "ml_and_after")
        project.run("run-operation", "grant_reporting_access")
        con = psycopg2.connect(**settings.connect_kwargs(dbname=database))
        con.autocommit = True
        try:
            with con.cursor() as cur:

                def query(sql):
                    cur.execute(sql.format(marts="ew_marts"))
                    return cur.fetchall()

                pick = _pick(query)
                cur.execute(
                    f'create role "{prefix}{pick["username"]}" login in role "{teacher_role}"'
                )
        finally:
            con.close()
        web = WebSettings.from_env(environ={**env, "EW_TARGET": "postgres", "EW_PG_SCHEMA": "ew"})
        client = _client_signed_in(web, f"{prefix}{pick['username']}")
        urls = {
            "course page": f"/courses/{pick['courseid']}",
            "student card": f"/students/{pick['userid']}",
        }
        return pick, _measure(client, urls, repeat)
    finally:
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{database}" with (force)')
            cur.execute("select rolname from pg_roles where rolname like %s", (f"%{tag}%",))
            for (role,) in cur.fetchall():
                cur.execute(f'drop role if exists "{role}"')
        admin.close()


def report(size: str, repeat: int, rows: list[tuple[str, dict, dict]], log_rows: int) -> str:
    lines = [
        "| engine | page | median ms | p90 ms | size KB | under 300 ms |",
        "|---|---|---:|---:|---:|---|",
    ]
    for engine, _, results in rows:
        for page, r in results.items():
            lines.append(
                f"| {engine} | {page} | {r['median_ms']:.0f} | {r['p90_ms']:.0f} | "
                f"{r['bytes'] / 1024:.0f} | {'yes' if r['median_ms'] < TARGET_MS else 'NO'} |"
            )
    picks = "; ".join(
        f"{engine}: course {p['courseid']} ({p['n_students']} active students), "
        f"teacher {p['username']}, student {p['userid']}"
        for engine, p, _ in rows
    )
    return "\n".join(
        [
            f"Site: `{size}` demo site ({log_rows:,} log rows); {repeat} requests per page "
            "after one warm-up, in-process (FastAPI test client: app + warehouse, no network).",
            f"Pages: {picks}.",
            "",
            *lines,
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m early_warning.web.benchmark")
    parser.add_argument("--size", default="large", help="demo site size (default large)")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL (EW_PG_*)")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    from early_warning.demo import generate_site

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="ew_web_bench_"))
    site = workdir / "site"
    _say(f"generating the {args.size} site in {site}")
    manifest = generate_site(site, size=args.size, seed=args.seed, fmt="parquet", progress=False)
    log_rows = manifest["tables"].get("logstore_standard_log", 0)
    duck = DbtProject(
        workdir=workdir / "duckdb",
        vars={"moodle_files_path": str(site), "as_of": int(manifest["now"])},
    )
    _say("DuckDB: dbt build")
    duck.run("build", "--selector", "daily")
    rows = [("DuckDB", *bench_duckdb(duck, args.repeat))]
    _say(f"DuckDB: {rows[-1][2]}")
    if args.postgres:
        rows.append(("PostgreSQL", *bench_postgres(site, manifest, duck, workdir, args.repeat)))
        _say(f"PostgreSQL: {rows[-1][2]}")
    print(report(args.size, args.repeat, rows, log_rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
