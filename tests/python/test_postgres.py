"""PostgreSQL as the production warehouse, against a real server (issue 5).

Every run works in its own throwaway database (ew_test_<random>, dropped at the
end) and its own roles (suffixed with the same random tag), so runs never
collide. The tiny generated site is loaded with the loader, built with
`dbt build` on PostgreSQL and compared row by row with the DuckDB build of the
same site (the session fixture tiny_build).

The server comes from EW_PG_HOST / EW_PG_PORT / EW_PG_USER / EW_PG_PASSWORD
(default 127.0.0.1:5432, postgres). When it is not reachable the tests fail and
say how to start it; EW_SKIP_POSTGRES=1 skips them (never set in CI).
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from early_warning.compare import (
    MART_KEYS,
    DuckDBWarehouse,
    PostgresWarehouse,
    compare_warehouses,
    values_equal,
)
from early_warning.dbt_runner import DbtError, DbtProject
from early_warning.loader import LOADER_MARK, LoaderError, load_site, main, pg_settings
from early_warning.moodle_schema import TABLES


def needs_postgres(test):
    """The marks of every test that talks to the PostgreSQL server."""
    return pytest.mark.dbt(pytest.mark.postgres(test))


TAG = secrets.token_hex(4)
DATABASE = f"ew_test_{TAG}"
REPORTING_ROLE = f"ew_reporting_{TAG}"
TEACHER_ROLE = f"ew_teacher_{TAG}"
TEACHER_PREFIX = f"t{TAG}_"  # database role of Moodle user jsmith: t<tag>_jsmith
PG_SCHEMA = "ew"
EXCLUDE_PYTHON = ("--selector", "before_ml")  # selectors.yml


def _settings(**overrides):
    """Loader connection settings from the EW_PG_* variables, with overrides."""
    return pg_settings(dsn_env=None, environ={**os.environ, **overrides})


def _connect(dbname: str):
    import psycopg2

    return psycopg2.connect(**_settings().connect_kwargs(dbname=dbname))


@pytest.fixture(scope="session")
def pg_server():
    """The PostgreSQL server, or a failure saying how to start it."""
    if os.environ.get("EW_SKIP_POSTGRES") == "1":
        pytest.skip("EW_SKIP_POSTGRES=1: PostgreSQL tests skipped")
    import psycopg2

    settings = _settings()
    try:
        con = psycopg2.connect(**settings.connect_kwargs(dbname="postgres"))
    except psycopg2.OperationalError as error:
        pytest.fail(
            f"PostgreSQL is not reachable at {settings.describe()}: {' '.join(str(error).split())}\n"
            "Start it (Debian/Ubuntu: `pg_ctlcluster 15 main start`; CI's .ci/run does this), "
            "or point EW_PG_HOST, EW_PG_PORT, EW_PG_USER, EW_PG_PASSWORD at a server where the "
            "user may create databases and roles. EW_SKIP_POSTGRES=1 skips these tests.",
            pytrace=False,
        )
    con.close()
    return settings


@pytest.fixture(scope="session")
def pg_database(pg_server):
    """A throwaway database ew_test_<random>; dropped, with this run's roles, at the end."""
    admin = _connect("postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'create database "{DATABASE}"')
    try:
        yield DATABASE
    finally:
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{DATABASE}" with (force)')
            cur.execute("select rolname from pg_roles where rolname like %s", (f"%{TAG}%",))
            for (role,) in cur.fetchall():
                cur.execute(f'drop role if exists "{role}"')
        admin.close()


@pytest.fixture(scope="session")
def pg_loaded(pg_database, tiny_site):
    """The tiny site loaded into <database>.moodle_raw with the loader."""
    counts = load_site(
        tiny_site["path"],
        schema="moodle_raw",
        settings=_settings(EW_PG_DATABASE=pg_database),
        quiet=True,
    )
    return counts


def _pg_project(workdir: Path, database: str, as_of: int, **env) -> DbtProject:
    return DbtProject(
        workdir=workdir,
        target="postgres",
        vars={
            "moodle_source": "database",
            "moodle_schema": "moodle_raw",
            "as_of": as_of,
            "reporting_role": REPORTING_ROLE,
            "teacher_role": TEACHER_ROLE,
            "teacher_role_prefix": TEACHER_PREFIX,
        },
        extra_env={"EW_PG_DATABASE": database, "EW_PG_SCHEMA": PG_SCHEMA, **env},
    )


@pytest.fixture(scope="session")
def pg_build(request, pg_loaded, pg_database, tiny_site, tmp_path_factory) -> DbtProject:
    """`dbt build` of every SQL model and test on PostgreSQL, while tiny_build runs on DuckDB."""
    project = _pg_project(
        tmp_path_factory.mktemp("pg_build"), pg_database, int(tiny_site["manifest"]["now"])
    )
    outcome: dict = {}

    def build():
        try:
            outcome["proc"] = project.run("build", *EXCLUDE_PYTHON)
        except DbtError as error:
            outcome["error"] = error

    thread = threading.Thread(target=build)
    thread.start()
    try:
        request.getfixturevalue("tiny_build")  # the DuckDB build, meanwhile
    finally:
        thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return project


# --------------------------------------------------------------------------- loader


@needs_postgres
def test_loader_copies_every_table_exactly(pg_loaded, pg_database, tiny_site):
    assert pg_loaded == tiny_site["manifest"]["tables"]
    con = _connect(pg_database)
    try:
        with con.cursor() as cur:
            cur.execute(
                "select table_name, column_name, data_type from information_schema.columns "
                "where table_schema = 'moodle_raw' order by table_name, ordinal_position"
            )
            types: dict[str, list] = {}
            for table, column, data_type in cur.fetchall():
                types.setdefault(table, []).append((column, data_type))
            expected = {"int64": "bigint", "float64": "double precision", "string": "text"}
            assert types == {
                f"mdl_{table}": [(c, expected[kind]) for c, kind in columns]
                for table, columns in TABLES.items()
            }
            # every value, NULLs and empty strings included, as in the Parquet files
            for table, columns in TABLES.items():
                names = [c for c, _ in columns]
                cur.execute(
                    f"select {', '.join(f'{chr(34)}{c}{chr(34)}' for c in names)} "
                    f"from moodle_raw.mdl_{table}"
                )
                loaded = sorted(cur.fetchall(), key=repr)
                source = pq.read_table(tiny_site["path"] / f"{table}.parquet", columns=names)
                expected_rows = sorted(
                    zip(*(source[c].to_pylist() for c in names), strict=True), key=repr
                )
                assert loaded == expected_rows, table
            cur.execute(
                "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                "where n.nspname = 'moodle_raw' and obj_description(c.oid, 'pg_class') = %s",
                (LOADER_MARK,),
            )
            assert cur.fetchall() == [(len(TABLES),)]
    finally:
        con.close()


@needs_postgres
def test_loader_reads_csv_exports_the_same(pg_loaded, pg_database, tmp_path):
    from early_warning.demo import generate_site

    generate_site(tmp_path / "csv", size="tiny", seed=7, fmt="csv", progress=False)
    # format detected from the folder; a second load replaces (truncates) the tables
    for _ in range(2):
        load_site(
            tmp_path / "csv",
            schema="moodle_csv",
            settings=_settings(EW_PG_DATABASE=pg_database),
            quiet=True,
        )
    con = _connect(pg_database)
    try:
        with con.cursor() as cur:
            for table, columns in TABLES.items():
                # an empty CSV field is NULL, whether quoted or not (as DuckDB reads CSV)
                cols = ", ".join(
                    f"nullif(\"{c}\", '')" if kind == "string" else f'"{c}"' for c, kind in columns
                )
                raw = f"select {cols} from moodle_raw.mdl_{table}"
                csv = f"select {cols} from moodle_csv.mdl_{table}"
                cur.execute(
                    f"select count(*) from (({raw} except all {csv}) "
                    f"union all ({csv} except all {raw})) as d"
                )
                assert cur.fetchall() == [(0,)], table
    finally:
        con.close()


@needs_postgres
def test_loader_names_missing_source_files(tiny_site, tmp_path):
    partial = tmp_path / "partial"
    partial.mkdir()
    for table in TABLES:
        # optional tables (quiz, user_preferences) may be missing: never named
        if table not in ("grade_items", "role", "quiz", "user_preferences"):
            shutil.copy(tiny_site["path"] / f"{table}.parquet", partial)
    with pytest.raises(
        LoaderError, match=r"missing in .*partial: role\.parquet, grade_items\.parquet\. "
    ):
        load_site(partial, settings=_settings())


@needs_postgres
def test_loader_bad_credentials_message(pg_server, tiny_site, capsys, monkeypatch):
    monkeypatch.setenv("EW_PG_USER", f"ew_no_such_user_{TAG}")
    monkeypatch.delenv("EW_PG_DSN", raising=False)
    assert main(["--source", str(tiny_site["path"])]) == 1
    err = capsys.readouterr().err
    assert (
        f"cannot connect to PostgreSQL at {pg_server.host}:{pg_server.port} as ew_no_such_user_{TAG}"
        in err
    )
    assert f'role "ew_no_such_user_{TAG}" does not exist' in err
    assert "set EW_PG_HOST, EW_PG_PORT, EW_PG_USER, EW_PG_PASSWORD" in err


@needs_postgres
def test_loader_missing_database_message(pg_server, tiny_site):
    missing = f"ew_test_missing_{TAG}"
    with pytest.raises(
        LoaderError, match=f"database '{missing}' does not exist .*--create-database"
    ):
        load_site(tiny_site["path"], settings=_settings(EW_PG_DATABASE=missing))


@needs_postgres
def test_loader_never_overwrites_foreign_tables(pg_database, tiny_site):
    con = _connect(pg_database)
    with con.cursor() as cur:
        cur.execute("create schema live_moodle; create table live_moodle.mdl_course (id bigint)")
    con.commit()
    con.close()
    with pytest.raises(
        LoaderError, match="live_moodle.mdl_course exists and was not created by this loader"
    ):
        load_site(
            tiny_site["path"],
            schema="live_moodle",
            settings=_settings(EW_PG_DATABASE=pg_database),
            quiet=True,
        )


# --------------------------------------------------------------------------- dbt on PostgreSQL


@needs_postgres
def test_indexes_of_the_raw_log_and_the_incremental_tables(pg_build, tiny_build):
    """The loader indexes the raw log like Moodle (id, timecreated); dbt indexes the tables
    a daily run deletes from (macros/indexes.sql) on PostgreSQL, and nothing on DuckDB."""
    con = _connect(pg_build.env()["EW_PG_DATABASE"])
    try:
        with con.cursor() as cur:
            cur.execute(
                "select schemaname, tablename, regexp_replace(indexdef, '^.* USING btree ', '')"
                " from pg_indexes where schemaname in ('moodle_raw', %s, %s)",
                (f"{PG_SCHEMA}_intermediate", f"{PG_SCHEMA}_marts"),
            )
            indexes = set(cur.fetchall())
    finally:
        con.close()
    inter, marts = f"{PG_SCHEMA}_intermediate", f"{PG_SCHEMA}_marts"
    assert indexes == {
        ("moodle_raw", "mdl_logstore_standard_log", "(id)"),
        ("moodle_raw", "mdl_logstore_standard_log", "(timecreated)"),
        (inter, "int_log_events_classified", "(log_id)"),
        (inter, "int_log_events_classified", "(timecreated)"),
        (inter, "int_activity_daily", "(courseid, userid, course_day)"),
        (inter, "int_enrolment_week_features", "(courseid, course_week)"),
        (marts, "mart_student_activity", "(courseid, course_week)"),
    }
    assert tiny_build.query("select count(*) from duckdb_indexes()") == [(0,)]


@needs_postgres
def test_postgres_marts_match_duckdb(pg_build, tiny_build):
    left = DuckDBWarehouse(tiny_build.duckdb_path)
    right = PostgresWarehouse(_connect(pg_build.extra_env["EW_PG_DATABASE"]), f"{PG_SCHEMA}_marts")
    try:
        result = compare_warehouses(left, right)
    finally:
        left.close()
        right.close()
    compared = {m.mart for m in result.marts if m.skipped is None}
    assert set(MART_KEYS) <= compared
    assert result.ok, result.report()
    assert all(
        m.rows[0] > 0
        for m in result.marts
        if m.mart in MART_KEYS and m.mart != "mart_course_critical_activities"
    )


@needs_postgres
def test_compare_cli_two_postgres_schemas(pg_build, monkeypatch, capsys):
    """`early-warning compare --pg-schema A --pg-other-schema B`: before/after checks on PostgreSQL."""
    from early_warning.compare import main

    database = pg_build.extra_env["EW_PG_DATABASE"]
    marts, copy = f"{PG_SCHEMA}_marts", f"{PG_SCHEMA}_marts_copy_{TAG}"
    con = _connect(database)
    con.autocommit = True
    try:
        with con.cursor() as cur:
            cur.execute(f"create schema {copy}")
            for mart in MART_KEYS:
                cur.execute(f"create table {copy}.{mart} as select * from {marts}.{mart}")
        monkeypatch.setenv("EW_PG_DATABASE", database)
        monkeypatch.delenv("EW_PG_DSN", raising=False)
        assert main(["--pg-schema", marts, "--pg-other-schema", copy]) == 0
        assert "marts agree" in capsys.readouterr().out
        with con.cursor() as cur:
            cur.execute(
                f"update {copy}.mart_data_quality set n_rows = n_rows + 1 "
                "where check_name = 'kept_as_learning_event'"
            )
        assert main(["--pg-schema", marts, "--pg-other-schema", copy]) == 1
        out = capsys.readouterr().out
        assert "DIFF mart_data_quality:" in out
        assert "(logstore_standard_log, kept_as_learning_event) n_rows" in out
        assert "1 of " in out and "compared marts differ" in out
    finally:
        with con.cursor() as cur:
            cur.execute(f"drop schema if exists {copy} cascade")
        con.close()


@needs_postgres
def test_reporting_role_reads_marts_and_nothing_upstream(pg_build):
    import psycopg2

    pg_build.run("run-operation", "grant_reporting_access")
    # default privileges: tables dbt recreates later keep the grants
    pg_build.run("run", "--select", "mart_data_quality", "my_student_activity")
    con = _connect(pg_build.extra_env["EW_PG_DATABASE"])
    con.autocommit = True
    try:
        with con.cursor() as cur:
            cur.execute(f'set role "{REPORTING_ROLE}"')
            for mart in MART_KEYS:
                cur.execute(f"select count(*) from {PG_SCHEMA}_marts.{mart}")
                cur.fetchall()
            for relation in (
                f"{PG_SCHEMA}_staging.stg_moodle__users",
                f"{PG_SCHEMA}_intermediate.int_enrolments_resolved",
                "moodle_raw.mdl_user",
                f"{PG_SCHEMA}.data_quality_treatments",
                f"{PG_SCHEMA}_teacher.my_student_activity",
            ):
                with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                    cur.execute(f"select 1 from {relation} limit 1")
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cur.execute(f"create table {PG_SCHEMA}_marts.intruder (x int)")
            cur.execute("reset role")
    finally:
        con.close()


@needs_postgres
def test_teacher_sees_only_their_courses(pg_build):
    import psycopg2

    pg_build.run("run-operation", "grant_reporting_access")
    marts = f"{PG_SCHEMA}_marts"
    teacher = f"{PG_SCHEMA}_teacher"
    con = _connect(pg_build.extra_env["EW_PG_DATABASE"])
    con.autocommit = True
    try:
        with con.cursor() as cur:
            cur.execute(
                f"select username, array_agg(distinct courseid order by courseid) from {marts}.mart_course_access "
                "where granted_at = 'course' group by username order by count(distinct courseid), username"
            )
            username, courses = cur.fetchall()[0]
            cur.execute(
                f"select array_agg(distinct courseid order by courseid) from {marts}.mart_student_activity"
            )
            [(all_courses,)] = cur.fetchall()
            assert set(courses) < set(all_courses), (
                "the fixture needs a teacher of some courses only"
            )
            cur.execute(
                f"select count(*) from {marts}.mart_student_activity where courseid = any(%s)",
                (courses,),
            )
            [(expected_rows,)] = cur.fetchall()
            for name in (username, "nobody"):
                cur.execute(
                    f'create role "{TEACHER_PREFIX}{name}" nologin in role "{TEACHER_ROLE}"'
                )

            cur.execute(f'set role "{TEACHER_PREFIX}{username}"')
            cur.execute(f"select distinct courseid from {teacher}.my_student_activity order by 1")
            assert [c for (c,) in cur.fetchall()] == courses
            cur.execute(f"select count(*) from {teacher}.my_student_activity")
            assert cur.fetchall() == [(expected_rows,)]
            cur.execute(f"select distinct courseid from {teacher}.my_courses order by 1")
            assert [c for (c,) in cur.fetchall()] == courses
            for relation in (
                f"{marts}.mart_student_activity",
                f"{marts}.mart_course_access",
                "moodle_raw.mdl_user",
            ):
                with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                    cur.execute(f"select 1 from {relation} limit 1")
            cur.execute("reset role")

            # a database role matching no Moodle teacher sees nothing
            cur.execute(f'set role "{TEACHER_PREFIX}nobody"')
            cur.execute(f"select count(*) from {teacher}.my_student_activity")
            assert cur.fetchall() == [(0,)]
            cur.execute("reset role")
            cur.execute(
                f"select reloptions from pg_class where oid = '{teacher}.my_student_activity'::regclass"
            )
            assert cur.fetchall() == [(["security_barrier=true"],)]
    finally:
        con.close()


# --------------------------------------------------------------------------- clear errors


def _failed_output(project: DbtProject, *args: str) -> str:
    proc = project.run(*args, check=False)
    assert proc.returncode != 0
    return proc.stdout + proc.stderr


@needs_postgres
def test_dbt_errors_name_what_is_missing(pg_server, pg_loaded, pg_database, tmp_path):
    """Bad credentials, a missing schema, a missing raw table, missing required columns:
    one clear message each (a missing optional table is no error)."""
    con = _connect(pg_database)
    with con.cursor() as cur:
        cur.execute("create schema moodle_partial")
        cur.execute("create schema moodle_nocolumn")
        for table in TABLES:
            if table not in ("grade_grades", "quiz_attempts"):
                cur.execute(
                    f"create table moodle_partial.mdl_{table} (like moodle_raw.mdl_{table})"
                )
            if table != "quiz_attempts":
                cur.execute(
                    f"create table moodle_nocolumn.mdl_{table} (like moodle_raw.mdl_{table})"
                )
        cur.execute("alter table moodle_nocolumn.mdl_user drop column username")
        cur.execute("alter table moodle_nocolumn.mdl_user drop column lang")
        cur.execute("alter table moodle_nocolumn.mdl_course drop column startdate")
    con.commit()
    con.close()

    runs = {
        "bad_user": (
            _pg_project(tmp_path / "a", pg_database, 0, EW_PG_USER=f"ew_no_such_user_{TAG}"),
            {},
        ),
        "no_schema": (
            _pg_project(tmp_path / "b", pg_database, 0),
            {"moodle_schema": "no_such_schema"},
        ),
        "no_table": (
            _pg_project(tmp_path / "c", pg_database, 0),
            {"moodle_schema": "moodle_partial"},
        ),
        "no_column": (  # its own schemas: no race with the others' `create schema`
            _pg_project(tmp_path / "d", pg_database, 0, EW_PG_SCHEMA="ew_nocolumn"),
            {"moodle_schema": "moodle_nocolumn"},
        ),
    }
    outputs: dict[str, str] = {}

    def run(name):
        project, extra_vars = runs[name]
        project.vars.update(extra_vars)
        outputs[name] = _failed_output(project, "run", "--select", "stg_moodle__roles")

    threads = [threading.Thread(target=run, args=(name,)) for name in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert f'role "ew_no_such_user_{TAG}" does not exist' in outputs["bad_user"]
    assert f"port {pg_server.port} failed" in outputs["bad_user"]
    assert (
        f"Schema 'no_such_schema' (var moodle_schema) does not exist in database '{pg_database}'"
        in outputs["no_schema"]
    )
    assert "python -m early_warning.loader" in outputs["no_schema"]
    assert (
        "Raw Moodle tables missing in the warehouse: moodle_partial.mdl_grade_grades."
        in outputs["no_table"]
    )
    assert "do not match the source contract" in outputs["no_column"]
    assert "table course lacks the required column startdate (" in outputs["no_column"]
    assert "table user lacks the required column username (optional columns" in outputs["no_column"]
    assert "mdl_quiz_attempts" not in outputs["no_column"]  # optional: no error


@needs_postgres
def test_quarantine_on_postgres(pg_database, hostile_site, tmp_path):
    """The broken courses and duplicated ids of the hostile fixture are quarantined on
    PostgreSQL as on DuckDB (tests/python/test_bad_input.py): the build passes, the ids
    are listed, the sane courses build."""
    load_site(
        hostile_site,
        schema="moodle_hostile",
        settings=_settings(EW_PG_DATABASE=pg_database),
        quiet=True,
    )
    project = _pg_project(tmp_path / "hostile", pg_database, 1704067200 + 5 * 604800)
    project.vars["moodle_schema"] = "moodle_hostile"
    schema = f"{PG_SCHEMA}_hostile"
    project.extra_env["EW_PG_SCHEMA"] = schema
    output = project.run("build", *EXCLUDE_PYTHON).stdout
    assert "course | 6 | course_start_invalid | startdate = 0, before 2000-01-01" in output
    con = _connect(pg_database)
    try:
        with con.cursor() as cur:
            cur.execute(
                f"select check_name, row_id from {schema}_marts.mart_data_quality_rows "
                "where source_table in ('course', 'user') "
                "and check_name not like 'course_without_%' order by 1, 2"
            )
            assert cur.fetchall() == [
                ("course_ends_before_start", "5"),
                ("course_start_invalid", "6"),
                ("duplicate_course_id", "4"),
                ("duplicate_user_id", "11"),
            ]
            cur.execute(
                f"select enrolment_id from {schema}_intermediate.int_enrolments_resolved order by 1"
            )
            assert cur.fetchall() == [("2-10",), ("3-10",)]
    finally:
        con.close()


# --------------------------------------------------------------------------- compare.py itself


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        (0.1 + 0.2, 0.3, True),
        (1.0, 1.0 + 2e-6, False),
        (1e9, 1e9 * (1 + 5e-7), True),  # relative tolerance
        (Decimal("0.3333333333333333333"), 1 / 3, True),  # PostgreSQL numeric vs double
        (Decimal("12"), 12, True),  # numeric sum vs HUGEINT
        (Decimal("12.5"), 12, False),
        (None, None, True),
        (None, 0, False),
        (float("nan"), float("nan"), True),
        (True, 1, False),  # a flag is not a number
        (True, True, True),
        ("asleep", "asleep", True),
        ("asleep", "Asleep", False),
        (datetime(2025, 5, 1, 12), datetime(2025, 5, 1, 12, tzinfo=UTC), True),
        (datetime(2025, 5, 1, 12), datetime(2025, 5, 1, 12, 0, 1), False),
    ],
)
def test_values_equal(a, b, equal):
    assert values_equal(a, b, 1e-6) is equal


def test_compare_reports_every_kind_of_difference(tmp_path):
    import duckdb

    rows = {
        "left": "(1, 'active', true, 0.5), (2, 'asleep', false, 0.25), (3, 'active', true, 1.0)",
        "right": "(1, 'active', true, 0.5000000001), (2, 'falling_asleep', false, 0.2501),"
        " (4, 'active', true, 1.0), (4, 'active', true, 1.0)",
    }
    paths = {}
    for side, values in rows.items():
        paths[side] = tmp_path / f"{side}.duckdb"
        con = duckdb.connect(str(paths[side]))
        con.execute("create schema marts")
        con.execute("create table marts.m (id bigint, category varchar, flag boolean, p double)")
        con.execute(f"insert into marts.m values {values}")
        con.execute("create table marts.same (id bigint)")
        con.close()
    left, right = DuckDBWarehouse(paths["left"]), DuckDBWarehouse(paths["right"], label="other")
    try:
        result = compare_warehouses(left, right, marts={"m": ("id",)}, optional_marts={})
    finally:
        left.close()
        right.close()
    assert not result.ok
    [m, same] = result.marts
    assert same.skipped == "no key declared in compare.py"
    assert m.only_left == [(3,)] and m.only_right == [(4,)] and m.duplicate_keys == [(4,)]
    assert sorted((k, c) for k, c, _, _ in m.value_diffs) == [((2,), "category"), ((2,), "p")]
    report = result.report()
    assert "DIFF m: 3 rows in duckdb, 4 in other" in report
    assert "(2) category: duckdb='asleep' other='falling_asleep'" in report
    assert "1 keys only in duckdb: (3)" in report
    assert "1 of 1 compared marts differ" in report


# --------------------------------------------------------------------------- incremental

#: tables of the incremental models (and their inputs) compared with a full refresh
INCREMENTAL_TABLES = (
    "intermediate.int_log_events_classified",
    "marts.fct_activity_daily",
    "marts.fct_enrolment_week_features",
    "marts.mart_student_activity",
)


@needs_postgres
def test_incremental_next_day_equals_full_build_on_postgres(pg_server, tiny_site, tmp_path):
    """The daily run on PostgreSQL: a build, one more day of log rows loaded, an
    incremental run; a full build of the same data in other schemas gives the same rows."""
    from early_warning.benchmark import append_one_day

    database = f"ew_test_inc_{TAG}"
    admin = _connect("postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'create database "{database}"')
    try:
        site = tmp_path / "site"
        shutil.copytree(tiny_site["path"], site)
        settings = _settings(EW_PG_DATABASE=database)
        load_site(site, schema="moodle_raw", settings=settings, quiet=True)

        def project(schema: str) -> DbtProject:
            return DbtProject(
                workdir=tmp_path / schema,
                target="postgres",
                vars={"moodle_source": "database", "moodle_schema": "moodle_raw"},
                extra_env={"EW_PG_DATABASE": database, "EW_PG_SCHEMA": schema},
            )

        incremental = project("inc")
        incremental.run("seed")
        incremental.run("run", *EXCLUDE_PYTHON)
        append_one_day(site)
        load_site(site, schema="moodle_raw", settings=settings, quiet=True)
        output = incremental.run("run", *EXCLUDE_PYTHON).stdout
        assert "incremental log window: rows at or after" in output
        assert "weekly models: all rows" not in output
        full = project("full")
        full.run("seed")
        full.run("run", *EXCLUDE_PYTHON)
        con = _connect(database)
        try:
            with con.cursor() as cur:
                cur.execute(
                    "select bool_or(is_full_reprocess), count(*) filter (where has_weeks_to_compute)"
                    " from inc_intermediate.int_course_weeks_to_reprocess"
                )
                [(any_full, n_courses_computed)] = cur.fetchall()
                assert any_full is False and n_courses_computed > 0
                for table in INCREMENTAL_TABLES:
                    schema, name = table.split(".")
                    inc, full = f"inc_{schema}.{name}", f"full_{schema}.{name}"
                    cur.execute(f"select count(*) from {inc}")
                    [(n_rows,)] = cur.fetchall()
                    cur.execute(
                        f"select count(*) from ((select * from {inc} except all select * from {full})"
                        f" union all (select * from {full} except all select * from {inc})) as d"
                    )
                    assert n_rows > 0 and cur.fetchall() == [(0,)], table
        finally:
            con.close()
    finally:
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{database}" with (force)')
        admin.close()
