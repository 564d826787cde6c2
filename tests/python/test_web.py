"""The web app on DuckDB (issue 14): FastAPI's test client over the tiny build.

The app reads a published copy of the tiny build (early-warning publish) in demo
sign-in mode. Two teachers of different courses pin the access rules: whatever
route (page, CSV, API), teacher A gets nothing of teacher B's course, and a course
or student that is not A's answers exactly like one that does not exist.
"""

from __future__ import annotations

import csv
import io
import re
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from early_warning.dbt_runner import PROJECT_DIR

pytestmark = pytest.mark.dbt

MISSING = 987_654_321


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def access(web_build) -> dict:
    """Two teachers A and B with course-level roles and a course of B's that A may not see;
    a student enrolled only in courses A may not see."""
    grants: dict[str, set[int]] = {}
    for username, courseid in web_build.query(
        "select username, courseid from marts.mart_course_access"
    ):
        grants.setdefault(username, set()).add(courseid)
    running = {
        c for (c,) in web_build.query("select distinct courseid from marts.mart_student_current")
    }
    for a, a_courses in sorted(grants.items(), key=lambda kv: (len(kv[1]), kv[0])):
        for b, b_courses in sorted(grants.items()):
            others = (b_courses - a_courses) & running
            if a != b and a_courses & running and others:
                other = min(others)
                hidden_students = {
                    u
                    for (u,) in web_build.query(
                        f"select distinct userid from marts.mart_student_activity "
                        f"where courseid not in ({', '.join(map(str, sorted(a_courses)))})"
                    )
                } - {
                    u
                    for (u,) in web_build.query(
                        f"select distinct userid from marts.mart_student_activity "
                        f"where courseid in ({', '.join(map(str, sorted(a_courses)))})"
                    )
                }
                return {
                    "a": a,
                    "a_courses": a_courses,
                    "a_course": min(a_courses & running),
                    "b": b,
                    "b_course": other,
                    "hidden_student": min(hidden_students),
                }
    pytest.fail("the tiny site needs two teachers of different running courses")


def _client(settings):
    from fastapi.testclient import TestClient

    from early_warning.web.app import create_app

    return TestClient(create_app(settings))


def _sign_in(client, username: str):
    page = client.get("/signin")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/signin", data={"csrf": token, "username": username}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return client


@pytest.fixture(scope="module")
def client_a(web_settings, access):
    return _sign_in(_client(web_settings), access["a"])


# --------------------------------------------------------------------------- one rule


def test_reason_features_are_the_model_features():
    """The macro behind my_student_reasons names exactly the features a reason can name."""
    from early_warning.ml.features import CONTEXT_FEATURES, FEATURES

    text = (PROJECT_DIR / "macros" / "activity.sql").read_text()
    body = text[text.index("macro reason_feature_columns") :]
    body = body[: body.index("endmacro")]
    listed = re.findall(r"'([a-z0-9_]+)'", body)
    assert listed == [f for f in FEATURES if f not in CONTEXT_FEATURES]


# --------------------------------------------------------------------------- sign-in


def test_pages_and_api_need_sign_in(web_settings, access):
    client = _client(web_settings)
    response = client.get("/courses", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/signin"
    assert client.get(f"/api/v1/courses/{access['a_course']}/students").status_code == 401
    assert client.get("/api/v1/courses").json() == {"detail": "sign in first (/signin)"}


def test_sign_in_is_protected_against_csrf(web_settings, access):
    client = _client(web_settings)
    # no pre-session cookie, or a token that is not the cookie's: refused
    forged = client.post("/signin", data={"csrf": "x", "username": access["a"]})
    assert forged.status_code == 403
    client.get("/signin")
    wrong = client.post("/signin", data={"csrf": "not-the-token", "username": access["a"]})
    assert wrong.status_code == 403
    assert client.get("/courses", follow_redirects=False).status_code == 303
    page = client.get("/signin")
    assert "DEMO MODE" not in page.text or "Demo mode" in page.text
    assert "Demo mode" in page.text and f'data-user="{access["a"]}"' in page.text
    unknown = client.post(
        "/signin",
        data={
            "csrf": re.search(r'name="csrf" value="([^"]+)"', page.text).group(1),
            "username": "nobody-at-all",
        },
    )
    assert unknown.status_code == 401 and "No such demo user." in unknown.text


def test_sign_out_needs_the_session_token(web_settings, access):
    client = _sign_in(_client(web_settings), access["a"])
    assert client.post("/signout", data={"csrf": "forged"}).status_code == 403
    assert client.get("/courses").status_code == 200
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/courses").text).group(1)
    assert client.post("/signout", data={"csrf": token}, follow_redirects=False).status_code == 303
    assert client.get("/courses", follow_redirects=False).status_code == 303


# --------------------------------------------------------------------------- access rules


def test_my_courses_are_exactly_mine(client_a, access, web_build):
    page = client_a.get("/courses")
    assert page.status_code == 200
    shown = {int(c) for c in re.findall(r'data-courseid="(\d+)"', page.text)}
    assert shown == access["a_courses"]
    api = {row["courseid"]: row for row in client_a.get("/api/v1/courses").json()}
    assert set(api) == access["a_courses"]
    expected = dict(
        web_build.query(
            "select courseid, count(*) from marts.mart_student_current group by courseid"
        )
    )
    assert {c: row["n_students"] for c, row in api.items()} == {
        c: expected.get(c, 0) for c in access["a_courses"]
    }
    [(as_of,)] = web_build.query("select as_of from intermediate.int_as_of_resolved")
    assert {row["as_of"] for row in api.values()} == {as_of}
    assert 'id="as-of"' in page.text


def test_not_mine_answers_like_missing_on_every_route(client_a, access):
    """Teacher A gets nothing of B's course through any route; same answer as no course."""
    b_course, student = access["b_course"], access["hidden_student"]
    for template in (
        "/courses/{c}",
        "/courses/{c}/students.csv",
        "/courses/{c}?worsened=1&sort=p_dropout",
        "/api/v1/courses/{c}/students",
    ):
        hidden = client_a.get(template.format(c=b_course))
        missing = client_a.get(template.format(c=MISSING))
        assert hidden.status_code == missing.status_code == 404, template
        assert hidden.content == missing.content, template
    for template in (
        "/students/{u}",
        "/api/v1/students/{u}/history",
        "/api/v1/progress/dropout/1/{u}",
        "/api/v1/progress/completion/2/{u}",
    ):
        hidden = client_a.get(template.format(u=student))
        missing = client_a.get(template.format(u=MISSING))
        assert hidden.status_code == missing.status_code == 404, template
        assert hidden.content == missing.content, template
    # and B does see them
    client_b = _sign_in(_client(client_a.app.state.settings), access["b"])
    assert client_b.get(f"/courses/{b_course}").status_code == 200
    assert client_b.get(f"/api/v1/courses/{b_course}/students").json()


def test_duckdb_views_filter_on_the_connection_variable(web_published, access):
    """The app's access rule is the views' one: without the variable, nothing."""
    from early_warning.web.warehouse import DuckDBReader

    reader = DuckDBReader(web_published)

    class Who:
        def __init__(self, username):
            self.username = username

    try:
        nobody = reader.query(None, "select count(*) as n from teacher.my_student_current")
        assert nobody == [{"n": 0}]
        rows = reader.query(Who(access["a"]), "select distinct courseid from teacher.my_courses")
        assert {r["courseid"] for r in rows} == access["a_courses"]
    finally:
        reader.close()


# --------------------------------------------------------------------------- course page


def test_course_page_filters_sort_and_csv(client_a, access, web_build):
    course = access["a_course"]
    rows = web_build.query_df(
        f"""
        select userid, category, change_direction, p_dropout, previous_run_category
        from marts.mart_student_current where courseid = {course}
        """
    )
    page = client_a.get(f"/courses/{course}")
    assert page.status_code == 200
    assert len(re.findall(r'<tr data-userid="', page.text)) == len(rows)
    assert "<svg" in page.text and 'id="critical-points-chart"' in page.text

    # worsened only (since last week; the tiny build has one run, so no previous run)
    worsened = set(rows.loc[rows.change_direction == "worsened", "userid"])
    page = client_a.get(f"/courses/{course}?worsened=1&sort=p_dropout&dir=desc")
    shown = [int(u) for u in re.findall(r'<tr data-userid="(\d+)"', page.text)]
    assert set(shown) == worsened
    p = dict(zip(rows.userid, rows.p_dropout, strict=True))
    assert [p[u] for u in shown] == sorted((p[u] for u in shown), reverse=True)

    # the CSV holds exactly the rows shown, in the same order
    response = client_a.get(f"/courses/{course}/students.csv?worsened=1&sort=p_dropout&dir=desc")
    assert response.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert [int(r["userid"]) for r in table] == shown
    assert {r["change_direction"] for r in table} <= {"worsened"}

    # a category filter
    asleep = set(rows.loc[rows.category == "falling_asleep", "userid"])
    page = client_a.get(f"/courses/{course}?category=falling_asleep")
    assert {int(u) for u in re.findall(r'<tr data-userid="(\d+)"', page.text)} == asleep


def test_filter_and_sort_keeps_missing_values_last():
    from early_warning.web.queries import filter_and_sort

    rows = [
        {"userid": 1, "p_dropout": None, "category": "active", "risk_band": None,
         "change_direction": None, "previous_run_direction": None},
        {"userid": 2, "p_dropout": 0.2, "category": "asleep", "risk_band": "low",
         "change_direction": "worsened", "previous_run_direction": None},
        {"userid": 3, "p_dropout": 0.9, "category": "falling_asleep", "risk_band": "high",
         "change_direction": "unchanged", "previous_run_direction": "worsened"},
    ]  # fmt: skip
    ids = lambda shown: [r["userid"] for r in shown]  # noqa: E731
    assert ids(filter_and_sort(rows, sort="p_dropout")) == [2, 3, 1]
    assert ids(filter_and_sort(rows, sort="p_dropout", descending=True)) == [3, 2, 1]
    assert ids(filter_and_sort(rows, sort="category")) == [1, 3, 2]
    assert ids(filter_and_sort(rows, worsened=True)) == [2, 3]
    assert ids(filter_and_sort(rows, risk_band="high")) == [3]


# --------------------------------------------------------------------------- student card


def test_student_card_history_reasons_and_medians(client_a, access, web_build):
    course = access["a_course"]
    [(userid, course_week, reason_feature, reason_value)] = web_build.query(
        f"""
        select s.userid, s.course_week, s.reason_1_feature, s.reason_1_value
        from marts.mart_student_scores s
        join marts.mart_student_current c
          on s.enrolment_id = c.enrolment_id and s.course_week = c.course_week
        where s.courseid = {course} and s.reason_1_feature is not null
        order by s.p_dropout desc, s.userid limit 1
        """
    )
    values = [
        v
        for (v,) in web_build.query(
            f"select cast({reason_feature} as double) from marts.fct_enrolment_week_features "
            f"where courseid = {course} and course_week = {course_week}"
        )
        if v is not None
    ]
    page = client_a.get(f"/students/{userid}")
    assert page.status_code == 200
    card = page.text[page.text.index(f'data-courseid="{course}"') :]
    assert 'class="history-chart"' in card and "<polyline" in card
    n_weeks = web_build.query(
        f"select count(*) from marts.mart_student_activity where courseid = {course} "
        f"and userid = {userid}"
    )[0][0]
    chart = card[card.index("<svg") : card.index("</svg>")]
    assert chart.count('class="band"') == n_weeks
    # contact and feedback: this app has no live warehouse, the card says so and goes on
    assert f'id="contact-{course}"' in card
    assert "Contact and feedback are unavailable right now. no live warehouse" in card

    [reason] = [
        r
        for r in client_a.get(f"/api/v1/students/{userid}/history").json()
        if r["courseid"] == course and r["course_week"] == course_week
    ]
    assert reason["reason_1"]
    # the reasons' course medians, from my_student_reasons through the app's reader
    from early_warning.web.queries import student_reasons

    run = lambda sql, params=(): client_a.app.state.reader.query(  # noqa: E731
        type("S", (), {"username": access["a"]})(), sql, params
    )
    [first] = [
        r for r in student_reasons(run, "teacher", userid, [course]) if r["reason_rank"] == 1
    ]
    assert first["feature"] == reason_feature
    assert first["student_value"] == pytest.approx(reason_value)
    assert first["course_median"] == pytest.approx(statistics.median(values))
    assert f"{first['course_median']:.2f}" in card


def test_api_progress_is_the_scores_mart(client_a, access, web_build):
    course = access["a_course"]
    [(userid, week, p_dropout, p_completion, category)] = web_build.query(
        f"""
        select s.userid, s.course_week, s.p_dropout, s.p_completion, a.category
        from marts.mart_student_scores s
        join marts.mart_student_activity a
          on s.enrolment_id = a.enrolment_id and s.course_week = a.course_week
        where s.courseid = {course} and s.p_dropout is not null
        order by s.userid, s.course_week limit 1
        """
    )
    for model, expected in (("dropout", p_dropout), ("completion", p_completion)):
        rows = client_a.get(f"/api/v1/progress/{model}/{week}/{userid}").json()
        [row] = [r for r in rows if r["courseid"] == course]
        assert row["probability"] == pytest.approx(expected)
        assert row["category"] == category and row["model"] == model
    assert client_a.get(f"/api/v1/progress/grades/{week}/{userid}").status_code == 422
    schema = client_a.get("/openapi.json").json()
    assert "/api/v1/progress/{model}/{week}/{userid}" in schema["paths"]


# --------------------------------------------------------------------------- nightly build


def test_app_answers_while_a_build_holds_the_warehouse(web_settings, access, tmp_path):
    """A writer holds the live file (as dbt build does): publishing waits with a clear
    message, the app keeps answering from the published copy and says as of when."""
    from early_warning.web.publish import PublishError, publish

    live = tmp_path / "warehouse.duckdb"
    live.write_bytes(Path(web_settings.duckdb_path).read_bytes())
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
            "print('locked', flush=True); time.sleep(60)",
            str(live),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(PublishError, match="publish after it ends"):
            publish(live, tmp_path / "warehouse.published.duckdb")
        client = _sign_in(_client(web_settings), access["a"])
        page = client.get(f"/courses/{access['a_course']}")
        assert page.status_code == 200 and 'id="as-of"' in page.text
    finally:
        holder.kill()
        holder.wait()
    assert publish(live, tmp_path / "warehouse.published.duckdb").exists()


def test_serve_without_a_published_warehouse_says_what_to_do(tmp_path, monkeypatch, capsys):
    from early_warning.cli import main

    monkeypatch.setenv("EW_WEB_DUCKDB_PATH", str(tmp_path / "none.published.duckdb"))
    monkeypatch.setenv("EW_TARGET", "duckdb")
    assert main(["serve"]) == 1
    assert "run `make demo` first" in capsys.readouterr().err


# --------------------------------------------------------------------------- contact, feedback (#19)

BOT_TOKEN = "777000:WEB-contact_token_abcdefgh"


@pytest.fixture(scope="module")
def live_warehouse(web_build, tmp_path_factory) -> Path:
    """A writable copy of the tiny build: the 'live' warehouse the app writes manual
    messages and feedback to (the session's build stays untouched for other tests)."""
    import shutil

    target = tmp_path_factory.mktemp("web_live") / Path(web_build.duckdb_path).name
    shutil.copyfile(web_build.duckdb_path, target)
    return target


@pytest.fixture(scope="module")
def fake_bot():
    from early_warning.notify.fake_api import FakeBotApi

    with FakeBotApi(BOT_TOKEN) as fake:
        yield fake


@pytest.fixture(scope="module")
def contact_app(web_published, live_warehouse, fake_bot):
    from fastapi.testclient import TestClient

    from early_warning.notify import BotApi
    from early_warning.web.app import create_app
    from early_warning.web.config import WebSettings

    settings = WebSettings.from_env(
        environ={
            "EW_TARGET": "duckdb",
            "EW_WEB_DUCKDB_PATH": str(web_published),
            "EW_WEB_WAREHOUSE_PATH": str(live_warehouse),
        }
    )
    app = create_app(settings, bot_api=BotApi(BOT_TOKEN, fake_bot.base_url))
    return lambda username: _sign_in(TestClient(app), username)


@pytest.fixture(scope="module")
def contacts(web_build, access) -> dict:
    """Teacher A's students with and without a Telegram chat, and one of B's course."""
    rows = web_build.query(
        "select enrolment_id, courseid, userid, can_contact, chat_id "
        "from marts.mart_student_contact order by enrolment_id"
    )
    mine = [r for r in rows if r[1] in access["a_courses"]]
    reachable = [r for r in mine if r[3]]
    blocked = [r for r in mine if not r[3]]
    theirs = [r for r in rows if r[1] == access["b_course"]]
    if not (reachable and blocked and theirs):
        pytest.fail("the tiny site needs reachable and unreachable students of teacher A")
    return {"reachable": reachable[0], "blocked": blocked[0], "theirs": theirs[0]}


def _form(html: str, action: str) -> dict:
    start = html.index(f'action="{action}"')
    form = html[start : html.index("</form>", start)]
    fields = dict(re.findall(r'name="(csrf|enrolment_id|token|course_week)" value="([^"]*)"', form))
    text = re.search(r"<textarea[^>]*>(.*?)</textarea>", form, re.S)
    if text:
        fields["text"] = text.group(1)
    return fields


def test_contact_from_the_card_sends_once(contact_app, contacts, access, fake_bot):
    enrolment_id, courseid, userid, _, chat_id = contacts["reachable"]
    client = contact_app(access["a"])
    page = client.get(f"/students/{userid}")
    assert page.status_code == 200
    form = _form(page.text, f"/students/{userid}/contact")
    assert form["enrolment_id"] == enrolment_id and form["token"] and form["text"].strip()
    form["text"] = "Hello from the card test"
    before = len(fake_bot.delivered)
    first = client.post(f"/students/{userid}/contact", data=form, follow_redirects=False)
    assert first.status_code == 303 and "done=sent" in first.headers["location"]
    again = client.post(f"/students/{userid}/contact", data=form, follow_redirects=False)
    assert "done=duplicate" in again.headers["location"]
    # a second curator with the same (stale) form: still one message
    other = contact_app(access["a"])
    form_b = {**form, "csrf": other.get("/api/v1/session").json()["csrf"]}
    dup = other.post(f"/students/{userid}/contact", data=form_b, follow_redirects=False)
    assert "done=duplicate" in dup.headers["location"]
    assert fake_bot.delivered[before:] == [(str(chat_id), "Hello from the card test")]
    card = client.get(first.headers["location"]).text
    assert "Message delivered to Telegram." in card
    row = re.search(r'<tr data-outbox-id="manual:[^"]+">(.*?)</tr>', card, re.S).group(1)
    assert access["a"] in row and "Hello from the card test" in row and "delivered" in row
    # the next form has a new token
    assert _form(card, f"/students/{userid}/contact")["token"] != form["token"]


def test_contact_api_same_rules(contact_app, contacts, access, fake_bot):
    enrolment_id, courseid, userid, _, chat_id = contacts["reachable"]
    client = contact_app(access["a"])
    csrf = client.get("/api/v1/session").json()["csrf"]
    draft = client.get(f"/api/v1/students/{userid}/contact", params={"enrolment_id": enrolment_id})
    assert draft.status_code == 200 and draft.json()["draft"]["can_send"] is True
    body = {
        "enrolment_id": enrolment_id,
        "text": "API hello",
        "token": draft.json()["draft"]["token"],
    }
    url = f"/api/v1/students/{userid}/contact"
    assert client.post(url, json=body).status_code == 403  # no CSRF header
    before = len(fake_bot.delivered)
    sent = client.post(url, json=body, headers={"X-CSRF-Token": csrf}).json()
    assert sent["status"] == "sent" and sent["delivered"] and sent["sent_by"] == access["a"]
    dup = client.post(url, json=body, headers={"X-CSRF-Token": csrf}).json()
    assert dup["status"] == "duplicate"
    assert fake_bot.delivered[before:] == [(str(chat_id), "API hello")]


def test_contact_refused_without_chat(contact_app, contacts, access, fake_bot):
    enrolment_id, _, userid, _, _ = contacts["blocked"]
    client = contact_app(access["a"])
    page = client.get(f"/students/{userid}").text
    start = page.index(f'value="{enrolment_id}"')
    form_html = page[start : page.index("</form>", start)]
    assert '<button type="submit" class="send" disabled>' in form_html
    assert "Cannot send:" in form_html
    csrf = client.get("/api/v1/session").json()["csrf"]
    before = len(fake_bot.delivered)
    answer = client.post(
        f"/api/v1/students/{userid}/contact",
        json={"enrolment_id": enrolment_id, "text": "hi", "token": "1"},
        headers={"X-CSRF-Token": csrf},
    ).json()
    assert answer["status"] == "refused" and len(fake_bot.delivered) == before


def test_feedback_is_stored_and_shown(contact_app, contacts, access, live_warehouse):
    import duckdb

    enrolment_id, _, userid, _, _ = contacts["reachable"]
    client = contact_app(access["a"])
    page = client.get(f"/students/{userid}").text
    form = _form(page, f"/students/{userid}/feedback")
    assert (
        client.post(f"/students/{userid}/feedback", data={**form, "value": "bogus"}).status_code
        == 400
    )
    done = client.post(
        f"/students/{userid}/feedback", data={**form, "value": "useful"}, follow_redirects=False
    )
    assert done.status_code == 303
    card = client.get(done.headers["location"]).text
    assert "Feedback recorded." in card
    assert re.search(rf"<strong>useful</strong> by {re.escape(access['a'])} at", card)
    csrf = client.get("/api/v1/session").json()["csrf"]
    api = client.post(
        f"/api/v1/students/{userid}/feedback",
        json={"enrolment_id": enrolment_id, "value": "incorrectly_flagged"},
        headers={"X-CSRF-Token": csrf},
    )
    assert api.status_code == 200 and api.json()["given_by"] == access["a"]
    with duckdb.connect(str(live_warehouse), read_only=True) as con:
        stored = con.execute(
            "select value, given_by from notifications.prediction_feedback "
            "where enrolment_id = ? order by given_at",
            [enrolment_id],
        ).fetchall()
    assert stored == [("useful", access["a"]), ("incorrectly_flagged", access["a"])]


def test_contact_and_feedback_of_another_course_are_not_found(contact_app, contacts, access):
    enrolment_id, courseid, userid, _, _ = contacts["theirs"]
    client = contact_app(access["a"])
    csrf = client.get("/api/v1/session").json()["csrf"]
    missing = client.post(
        f"/students/{MISSING}/contact",
        data={"csrf": csrf, "enrolment_id": "x", "token": "1", "text": "hi"},
    )
    for response in (
        client.post(
            f"/students/{userid}/contact",
            data={"csrf": csrf, "enrolment_id": enrolment_id, "token": "1", "text": "hi"},
        ),
        client.post(
            f"/students/{userid}/feedback",
            data={"csrf": csrf, "enrolment_id": enrolment_id, "value": "useful"},
        ),
    ):
        assert response.status_code == 404 and response.text == missing.text
    api_missing = client.post(
        f"/api/v1/students/{MISSING}/feedback",
        json={"enrolment_id": "x", "value": "useful"},
        headers={"X-CSRF-Token": csrf},
    )
    for response in (
        client.post(
            f"/api/v1/students/{userid}/contact",
            json={"enrolment_id": enrolment_id, "text": "hi", "token": "1"},
            headers={"X-CSRF-Token": csrf},
        ),
        client.post(
            f"/api/v1/students/{userid}/feedback",
            json={"enrolment_id": enrolment_id, "value": "useful"},
            headers={"X-CSRF-Token": csrf},
        ),
        client.get(f"/api/v1/students/{userid}/contact", params={"enrolment_id": enrolment_id}),
    ):
        assert response.status_code == 404 and response.json() == api_missing.json()


def test_contact_form_needs_csrf(contact_app, contacts, access, fake_bot):
    enrolment_id, _, userid, _, _ = contacts["reachable"]
    client = contact_app(access["a"])
    before = len(fake_bot.delivered)
    for path, data in (
        ("contact", {"enrolment_id": enrolment_id, "token": "99", "text": "x"}),
        ("feedback", {"enrolment_id": enrolment_id, "value": "useful"}),
    ):
        assert client.post(f"/students/{userid}/{path}", data=data).status_code == 403
        assert (
            client.post(f"/students/{userid}/{path}", data={**data, "csrf": "forged"}).status_code
            == 403
        )
    assert len(fake_bot.delivered) == before


def test_course_page_shows_outreach_outcomes_with_the_caveat(client_a, access, web_build):
    page = client_a.get(f"/courses/{access['a_course']}").text
    assert "An observational comparison, not proof of effect." in page
    expected = web_build.query(
        "select contact_group, n_transitions from marts.mart_outreach_outcome_summary "
        f"where scope = 'course' and courseid = {access['a_course']}"
    )
    for group, n in expected:
        row = re.search(
            rf'<tr data-scope="course" data-group="{group}">(.*?)</tr>', page, re.S
        ).group(1)
        assert f'<td class="n">{n}</td>' in row
    assert 'data-scope="site"' in page
