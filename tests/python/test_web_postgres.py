"""The web app on PostgreSQL (issue 14): users sign in as their database role and the
grants and teacher views decide; the same access rules as on DuckDB.

One throwaway database (ew_test_web_<random>) gets the tiny site, the SQL layers,
the classifiers (the DuckDB build's registry, scored in SQL by the ML job, as in
test_ml_postgres.py) and the ML marts, with this run's own group roles and teacher
role prefix (dropped at the end). Server settings as in test_postgres.py (EW_PG_*;
EW_SKIP_POSTGRES=1 skips).
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import threading

import pytest

from early_warning.dbt_runner import DbtError, DbtProject
from early_warning.loader import load_site
from early_warning.ml import warehouse_job as wj
from early_warning.warehouse import pg_settings

pytestmark = [pytest.mark.dbt, pytest.mark.postgres]

TAG = secrets.token_hex(4)
DATABASE = f"ew_test_web_{TAG}"
PREFIX = f"w{TAG}_"  # the database role of Moodle user jsmith: w<tag>_jsmith
TEACHER_ROLE = f"ew_teacher_web_{TAG}"
REPORTING_ROLE = f"ew_reporting_web_{TAG}"
PASSWORD = f"pw-{TAG}-secret"
PG_SCHEMA = "ew"
MISSING = 987_654_321


def _settings(**overrides):
    return pg_settings(dsn_env=None, environ={**os.environ, **overrides})


def _connect(dbname: str = DATABASE):
    import psycopg2

    con = psycopg2.connect(**_settings().connect_kwargs(dbname=dbname))
    con.autocommit = True
    return con


@pytest.fixture(scope="module")
def web_pg(request, tiny_site, tmp_path_factory):
    """The tiny site built on PostgreSQL with scores, grants and two teachers' log-in roles."""
    if os.environ.get("EW_SKIP_POSTGRES") == "1":
        pytest.skip("EW_SKIP_POSTGRES=1: PostgreSQL tests skipped")
    import psycopg2

    try:
        admin = _connect("postgres")
    except psycopg2.OperationalError as error:
        pytest.fail(
            f"PostgreSQL is not reachable at {_settings().describe()}: {error}".strip()
            + "\nStart it or set EW_PG_HOST/EW_PG_PORT/EW_PG_USER/EW_PG_PASSWORD; "
            "EW_SKIP_POSTGRES=1 skips these tests.",
            pytrace=False,
        )
    with admin.cursor() as cur:
        cur.execute(f'create database "{DATABASE}"')
    try:
        load_site(
            tiny_site["path"],
            schema="moodle_raw",
            settings=_settings(EW_PG_DATABASE=DATABASE),
            quiet=True,
        )
        project = DbtProject(
            workdir=tmp_path_factory.mktemp("web_pg"),
            target="postgres",
            vars={
                "moodle_source": "database",
                "moodle_schema": "moodle_raw",
                "as_of": int(tiny_site["manifest"]["now"]),
                "reporting_role": REPORTING_ROLE,
                "teacher_role": TEACHER_ROLE,
                "teacher_role_prefix": PREFIX,
                # the pages need scores; the guard withholds the tiny site's models
                "ml_guard_enabled": False,
            },
            extra_env={"EW_PG_DATABASE": DATABASE, "EW_PG_SCHEMA": PG_SCHEMA},
        )
        outcome: dict = {}

        def build():
            try:
                project.run("build", "--selector", "before_ml")
            except DbtError as error:
                outcome["error"] = error

        thread = threading.Thread(target=build)
        thread.start()
        try:
            tiny_build = request.getfixturevalue("tiny_build")  # DuckDB, meanwhile
        finally:
            thread.join()
        if "error" in outcome:
            raise outcome["error"]
        schemas = wj.Schemas(PG_SCHEMA)
        registry = tiny_build.query_df("select * from ml.ml_model_registry")
        con = psycopg2.connect(**_settings().connect_kwargs(dbname=DATABASE))
        try:
            with con.cursor() as cur:
                wj.append_registry(cur, schemas, registry)
            con.commit()
            wj.run_job(con, schemas)
        finally:
            con.close()
        project.run("build", "--selector", "ml_and_after")
        project.run("run-operation", "grant_reporting_access")
        yield {"project": project, "tiny_build": tiny_build}
    finally:
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{DATABASE}" with (force)')
            cur.execute("select rolname from pg_roles where rolname like %s", (f"%{TAG}%",))
            for (role,) in cur.fetchall():
                cur.execute(f'drop role if exists "{role}"')
        admin.close()


@pytest.fixture(scope="module")
def teachers(web_pg) -> dict:
    """Teachers A and B (log-in roles <prefix><username>), a running course of A's that B
    may not see, one of B's that A may not see, and a student only in B's courses."""
    con = _connect()
    try:
        with con.cursor() as cur:
            cur.execute(
                f"select username, array_agg(distinct courseid order by courseid) "
                f"from {PG_SCHEMA}_marts.mart_course_access group by username"
            )
            grants = {u: set(c) for u, c in cur.fetchall()}
            cur.execute(f"select distinct courseid from {PG_SCHEMA}_marts.mart_student_current")
            running = {c for (c,) in cur.fetchall()}
            pair = None
            for a in sorted(grants, key=lambda u: (len(grants[u]), u)):
                for b in sorted(grants):
                    if a != b and (grants[a] - grants[b]) & running and (grants[b] - grants[a]):
                        pair = (a, b)
                        break
                if pair:
                    break
            assert pair, "the tiny site needs two teachers of different courses"
            a, b = pair
            cur.execute(
                f"select distinct userid from {PG_SCHEMA}_marts.mart_student_activity "
                "where not (courseid = any(%s)) except select distinct userid from "
                f"{PG_SCHEMA}_marts.mart_student_activity where courseid = any(%s)",
                (sorted(grants[a]), sorted(grants[a])),
            )
            hidden_student = min(u for (u,) in cur.fetchall())
            for name in (a, b):
                cur.execute(
                    f'create role "{PREFIX}{name}" login password %s in role "{TEACHER_ROLE}"',
                    (PASSWORD,),
                )
    finally:
        con.close()
    return {
        "a": a,
        "b": b,
        "a_courses": grants[a],
        "a_course": min((grants[a] - grants[b]) & running),
        "b_course": min(grants[b] - grants[a]),
        "hidden_student": hidden_student,
    }


def _app_settings(**env):
    from early_warning.web.config import WebSettings

    return WebSettings.from_env(
        environ={
            **os.environ,
            "EW_TARGET": "postgres",
            "EW_PG_DATABASE": DATABASE,
            "EW_PG_SCHEMA": PG_SCHEMA,
            **env,
        }
    )


def _client(settings):
    from fastapi.testclient import TestClient

    from early_warning.web.app import create_app

    return TestClient(create_app(settings))


def _sign_in(client, role: str, password: str = PASSWORD):
    page = client.get("/signin")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return client.post(
        "/signin",
        data={"csrf": token, "username": role, "password": password},
        follow_redirects=False,
    )


def test_both_engines_give_a_teacher_the_same_rows(web_pg, teachers):
    """The same views, the same rule: PostgreSQL's role and DuckDB's connection variable."""
    import duckdb

    columns = "enrolment_id, courseid, userid, category, change_direction"
    con = _connect()
    try:
        with con.cursor() as cur:
            cur.execute(f'set role "{PREFIX}{teachers["a"]}"')
            cur.execute(f"select {columns} from {PG_SCHEMA}_teacher.my_student_current")
            pg_rows = sorted(cur.fetchall())
            cur.execute(f"select courseid from {PG_SCHEMA}_teacher.my_course_overview")
            pg_courses = {c for (c,) in cur.fetchall()}
            cur.execute("reset role")
    finally:
        con.close()
    duck = duckdb.connect(str(web_pg["tiny_build"].duckdb_path), read_only=True)
    try:
        duck.execute(f"set variable ew_moodle_username = '{teachers['a']}'")
        duck_rows = sorted(duck.sql(f"select {columns} from teacher.my_student_current").fetchall())
    finally:
        duck.close()
    assert pg_courses == teachers["a_courses"]
    assert pg_rows == duck_rows and pg_rows
    assert {row[1] for row in pg_rows} <= teachers["a_courses"]


def test_signed_in_role_sees_only_its_courses_on_every_route(web_pg, teachers):
    client = _client(_app_settings())
    assert _sign_in(client, f"{PREFIX}{teachers['a']}").status_code == 303
    courses = {row["courseid"] for row in client.get("/api/v1/courses").json()}
    assert courses == teachers["a_courses"]
    page = client.get(f"/courses/{teachers['a_course']}")
    assert page.status_code == 200 and 'data-userid="' in page.text
    for template, value in (
        ("/courses/{}", teachers["b_course"]),
        ("/courses/{}/students.csv", teachers["b_course"]),
        ("/api/v1/courses/{}/students", teachers["b_course"]),
        ("/students/{}", teachers["hidden_student"]),
        ("/api/v1/students/{}/history", teachers["hidden_student"]),
        ("/api/v1/progress/dropout/2/{}", teachers["hidden_student"]),
    ):
        hidden, missing = client.get(template.format(value)), client.get(template.format(MISSING))
        assert hidden.status_code == missing.status_code == 404, template
        assert hidden.content == missing.content, template

    other = _client(_app_settings())
    assert _sign_in(other, f"{PREFIX}{teachers['b']}").status_code == 303
    assert other.get(f"/courses/{teachers['a_course']}").status_code == 404
    assert other.get(f"/courses/{teachers['b_course']}").status_code == 200


def test_sign_in_failures_reveal_no_secret(web_pg, teachers, caplog):
    caplog.set_level(logging.DEBUG)
    client = _client(_app_settings(EW_PG_PASSWORD="server-secret-xyz"))
    refused = _sign_in(client, f"{PREFIX}no_such_role", password=PASSWORD)
    assert refused.status_code == 401
    assert "Unknown database role or wrong password." in refused.text
    assert client.get("/courses", follow_redirects=False).status_code == 303
    for secret in (PASSWORD, "server-secret-xyz", DATABASE):
        assert secret not in refused.text
        assert secret not in caplog.text
    # a role without the teacher grant: a clear page, no SQL, no connection details
    con = _connect()
    try:
        with con.cursor() as cur:
            cur.execute(f'create role "{PREFIX}outsider" login password %s', (PASSWORD,))
    finally:
        con.close()
    assert _sign_in(client, f"{PREFIX}outsider").status_code == 303
    page = client.get("/courses")
    assert page.status_code == 503 and "GRANT the teacher role" in page.text
    assert "select" not in page.text.lower() and DATABASE not in page.text


def test_trusted_proxy_header_signs_in_without_password(web_pg, teachers):
    """Behind single sign-on: the proxy's header names the Moodle user; the app sets the
    role <prefix><username> on its own connection (here the superuser of the tests)."""
    client = _client(
        _app_settings(EW_WEB_TRUSTED_HEADER="X-Remote-User", EW_WEB_PROXY_ROLE_PREFIX=PREFIX)
    )
    assert client.get("/courses", follow_redirects=False).status_code == 303
    headers = {"X-Remote-User": teachers["a"]}
    courses = {row["courseid"] for row in client.get("/api/v1/courses", headers=headers).json()}
    assert courses == teachers["a_courses"]
    assert client.get(f"/courses/{teachers['b_course']}", headers=headers).status_code == 404
    # off by default: the same header is ignored
    plain = _client(_app_settings())
    assert plain.get("/api/v1/courses", headers=headers).status_code == 401


def test_pages_keep_answering_while_dbt_rebuilds_the_tables(web_pg, teachers):
    """dbt's table swaps during requests: rebuilding two marts drops the teacher views over
    them (CASCADE) until dbt recreates them; the pages keep answering, say so meanwhile,
    and are fresh again afterwards."""
    client = _client(_app_settings())
    assert _sign_in(client, f"{PREFIX}{teachers['a']}").status_code == 303
    assert client.get(f"/courses/{teachers['a_course']}").status_code == 200
    outcome: dict = {}

    def rebuild():
        try:
            web_pg["project"].run(
                "run",
                "--select",
                "mart_student_current",
                "mart_course_critical_points",
                "path:models/marts/teacher",
            )
        except DbtError as error:
            outcome["error"] = error
        outcome["done"] = True

    thread = threading.Thread(target=rebuild)
    thread.start()
    statuses, stale = [], 0
    while not outcome.get("done"):
        page = client.get(f"/courses/{teachers['a_course']}")
        statuses.append(page.status_code)
        stale += 'id="stale"' in page.text
    thread.join()
    assert "error" not in outcome, outcome.get("error")
    assert statuses and set(statuses) == {200}
    # while the views were dropped (dbt's CASCADE) the pages said so; whether a request
    # falls into that window is a race, so only the fresh answers afterwards are certain
    assert stale < len(statuses)
    assert 'id="stale"' not in client.get(f"/courses/{teachers['a_course']}").text


def test_contact_and_feedback_only_for_own_courses(web_pg, teachers):
    """Issue 19: a teacher cannot send to, nor give feedback on, a student of a course that
    is not theirs: the app answers as for a missing student, and the database refuses
    the teacher role any write of the delivery log and the feedback table."""
    import psycopg2

    con = _connect()
    try:
        with con.cursor() as cur:
            cur.execute(
                # a current student of a course teacher A may not see (B's course may
                # have finished: pick any running course outside A's)
                f"select enrolment_id, userid from {PG_SCHEMA}_marts.mart_student_current "
                "where not (courseid = any(%s)) order by enrolment_id limit 1",
                (sorted(teachers["a_courses"]),),
            )
            enrolment_id, userid = cur.fetchone()
    finally:
        con.close()
    client = _client(_app_settings())
    assert _sign_in(client, f"{PREFIX}{teachers['a']}").status_code == 303
    csrf = client.get("/api/v1/session").json()["csrf"]
    headers = {"X-CSRF-Token": csrf}
    for path, form, body in (
        ("contact", {"token": "1", "text": "hi"}, {"token": "1", "text": "hi"}),
        ("feedback", {"value": "useful"}, {"value": "useful"}),
    ):
        page = client.post(
            f"/students/{userid}/{path}", data={"csrf": csrf, "enrolment_id": enrolment_id, **form}
        )
        missing = client.post(
            f"/students/{MISSING}/{path}", data={"csrf": csrf, "enrolment_id": "x", **form}
        )
        assert page.status_code == missing.status_code == 404 and page.text == missing.text
        api = client.post(
            f"/api/v1/students/{userid}/{path}",
            json={"enrolment_id": enrolment_id, **body},
            headers=headers,
        )
        assert api.status_code == 404
    # the card and the course page still answer (contact and feedback shown as unavailable)
    assert client.get(f"/courses/{teachers['a_course']}").status_code == 200
    # the database: the teacher role may not write the delivery log or the feedback
    from early_warning.notify import DeliveryStore
    from early_warning.notify.feedback import ensure_feedback_table

    store = DeliveryStore.open_postgres(
        _settings(EW_PG_DATABASE=DATABASE),
        marts_schema=f"{PG_SCHEMA}_marts",
        log_schema=f"{PG_SCHEMA}_notifications",
    )
    try:
        store.ensure_log()
        ensure_feedback_table(store)
    finally:
        store.close()
    con = _connect()
    try:
        with con.cursor() as cur:
            cur.execute(f'set role "{PREFIX}{teachers["a"]}"')
            for table, column in (
                ("notification_deliveries", "outbox_id"),
                ("prediction_feedback", "feedback_id"),
            ):
                with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                    cur.execute(
                        f"insert into {PG_SCHEMA}_notifications.{table} ({column}) values ('x')"
                    )
    finally:
        con.close()
