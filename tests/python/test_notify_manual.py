"""Manual messages from the student card and feedback on predictions (issue 19), against the
fake Bot API: at most once per form (double click, reload, two curators, threads, processes),
unknown outcomes never resent, no chat -> a reason, who sent what and when; DuckDB and
PostgreSQL. The warehouse holds hand-made marts (mart_student_contact, mart_student_scores)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest

from early_warning.notify import fake_api
from early_warning.notify.fake_api import FakeBotApi
from early_warning.notify.feedback import (
    course_access_check,
    list_feedback,
    record_feedback,
)
from early_warning.notify.manual import (
    AccessDenied,
    ManualMessageError,
    list_messages,
    prepare_manual_message,
    send_manual_message,
)
from early_warning.notify.store import DeliveryStore
from early_warning.notify.telegram import BotApi

TOKEN = "123456:MANUAL-token_abcdefghij"

CONTACTS = [
    # enrolment_id, courseid, course, userid, name, week, lang, chat_id, can_contact, reason, draft
    ("5-10", 5, "Web", 10, "Anna King", 3, "en", "1001", True, None,
     'Hi Anna! I am writing about the course "Web". Next step: open the course.'),
    ("5-13", 5, "Web", 13, "Eve Moss", 3, "en", None, False,
     "The student has not connected Telegram in Moodle (no chat id): contact them another way.",
     'Hi Eve! I am writing about the course "Web".'),
    ("6-10", 6, "Maths", 10, "Anna King", 2, "en", "1001", True, None, "Hi Anna! Maths."),
]  # fmt: skip

SCORES = [
    # enrolment_id, courseid, userid, course_week, model version, p_dropout, risk_band
    ("5-10", 5, 10, 2, "dropout-v1", 0.3, "low"),
    ("5-10", 5, 10, 3, "dropout-v1", 0.8, "high"),
    ("6-10", 6, 10, 2, "dropout-v2", 0.5, "medium"),
]

ACCESS = [(5, "curator5"), (6, "curator6")]

CREATE = {
    "mart_student_contact": "enrolment_id varchar, courseid bigint, course_fullname varchar, "
    "userid bigint, student_name varchar, course_week bigint, lang varchar, chat_id varchar, "
    "can_contact boolean, contact_blocked_reason varchar, next_step_kind varchar, "
    "next_activity_name varchar, next_due_at timestamp, draft_text varchar",
    "mart_student_scores": "enrolment_id varchar, courseid bigint, userid bigint, "
    "course_week bigint, dropout_model_version varchar, p_dropout double precision, "
    "risk_band varchar",
    "mart_course_access": "courseid bigint, username varchar",
}


def _contact_values(row):
    enrolment, courseid, course, userid, name, week, lang, chat, can, reason, draft = row
    return (enrolment, courseid, course, userid, name, week, lang, chat, can, reason,
            "open_course", None, None, draft)  # fmt: skip


def fill(execute, marts: str) -> None:
    for table, columns in CREATE.items():
        execute(f"create table {marts}.{table} ({columns})")
    for row in CONTACTS:
        execute(f"insert into {marts}.mart_student_contact values ({', '.join(['%s'] * 14)})",
                _contact_values(row))  # fmt: skip
    for row in SCORES:
        execute(f"insert into {marts}.mart_student_scores values ({', '.join(['%s'] * 7)})", row)
    for row in ACCESS:
        execute(f"insert into {marts}.mart_course_access values (%s, %s)", row)


@pytest.fixture
def warehouse(tmp_path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    fill(lambda sql, params=(): con.execute(sql.replace("%s", "?"), list(params)), "marts")
    con.close()
    return path


@pytest.fixture
def server():
    with FakeBotApi(TOKEN) as fake:
        yield fake


def api(server) -> BotApi:
    return BotApi(TOKEN, server.base_url, connect_timeout=2, read_timeout=2)


def log_rows(path: Path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "select outbox_id, attempt_no, status, sent_by, transition, course_week, chat_id, "
            "message_text from notifications.notification_deliveries order by outbox_id"
        ).fetchall()
    finally:
        con.close()


def send(path, server, token, text="Hello from your curator", user="curator5", **kwargs):
    store = DeliveryStore.open_duckdb(path)
    try:
        return send_manual_message(
            store, api(server), enrolment_id="5-10", text=text, token=token, user=user, **kwargs
        )
    finally:
        store.close()


# --- prepare -------------------------------------------------------------------------------


def test_prepare_prefills_the_draft_and_a_token(warehouse):
    store = DeliveryStore.open_duckdb(warehouse, read_only=True)
    try:
        draft = prepare_manual_message(store, "5-10", "curator5")
        blocked = prepare_manual_message(store, "5-13", "curator5")
        with pytest.raises(ManualMessageError, match="not an active enrolment"):
            prepare_manual_message(store, "9-99", "curator5")
    finally:
        store.close()
    assert draft.can_send and draft.blocked_reason is None
    assert draft.text == CONTACTS[0][10] and draft.token == "1"
    assert (draft.courseid, draft.chat_id, draft.lang) == (5, "1001", "en")
    assert not blocked.can_send and "not connected Telegram" in blocked.blocked_reason


# --- send: once per form -------------------------------------------------------------------


def test_send_delivers_records_who_and_a_resubmission_is_not_sent_again(warehouse, server):
    first = send(warehouse, server, "1", text="  Hello Anna, how is it going?  ")
    assert first.status == "sent" and first.delivered and first.telegram_message_id
    assert first.outbox_id == "manual:5-10:1" and first.sent_by == "curator5"
    assert server.delivered == [("1001", "Hello Anna, how is it going?")]

    # double click / reload / a second curator with the same form: not sent again
    again = send(warehouse, server, "1", text="something else", user="curator5b")
    assert again.status == "duplicate" and again.sent_by == "curator5"
    assert "already submitted by curator5" in again.detail
    assert len(server.delivered) == 1
    assert log_rows(warehouse) == [
        ("manual:5-10:1", 1, "sent", "curator5", "manual", 3, "1001",
         "Hello Anna, how is it going?"),
    ]  # fmt: skip

    # a new form (the card opened again) may send a new message
    store = DeliveryStore.open_duckdb(warehouse)
    try:
        assert prepare_manual_message(store, "5-10", "curator5").token == "2"
    finally:
        store.close()
    assert send(warehouse, server, "2", text="Second one").status == "sent"
    assert len(server.delivered) == 2

    store = DeliveryStore.open_duckdb(warehouse, read_only=True)
    try:
        messages = list_messages(store, "5-10")
    finally:
        store.close()
    assert [(m.outbox_id, m.kind, m.status, m.sent_by, m.message_text) for m in messages] == [
        ("manual:5-10:1", "manual", "sent", "curator5", "Hello Anna, how is it going?"),
        ("manual:5-10:2", "manual", "sent", "curator5", "Second one"),
    ]
    assert all(m.started_at and m.finished_at for m in messages)


def test_concurrent_sends_of_one_form_from_threads_deliver_exactly_once(warehouse, server):
    results = []
    barrier = threading.Barrier(6)

    def press():
        barrier.wait()
        results.append(send(warehouse, server, "1", user=f"curator-{threading.get_ident()}"))

    threads = [threading.Thread(target=press) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(r.status for r in results) == ["duplicate"] * 5 + ["sent"]
    assert len(server.delivered) == 1
    assert [r[2] for r in log_rows(warehouse)] == ["sent"]


SEND_SCRIPT = """
import sys
from early_warning.notify.manual import send_manual_message
from early_warning.notify.store import DeliveryStore
from early_warning.notify.telegram import BotApi
path, base, token, user = sys.argv[1:5]
store = DeliveryStore.open_duckdb(path, lock_wait=60)
try:
    result = send_manual_message(store, BotApi(token, base), enrolment_id="5-10",
                                 text="From a process", token="1", user=user)
finally:
    store.close()
print(result.status)
"""


def test_concurrent_sends_from_processes_deliver_exactly_once(warehouse, server):
    """Two curators' web workers (separate processes) press at once on DuckDB."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SEND_SCRIPT, str(warehouse), server.base_url, TOKEN, f"c{i}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    outputs = [proc.communicate(timeout=120) for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), [err for _, err in outputs]
    assert sorted(out.strip() for out, _ in outputs) == ["duplicate"] * 3 + ["sent"]
    assert server.delivered == [("1001", "From a process")]


def test_unknown_outcome_is_never_resent(warehouse, server):
    server.script.append(fake_api.DROP)  # delivered, then the connection closes unanswered
    first = send(warehouse, server, "1")
    assert first.status == "unknown_outcome" and "not resent" in first.detail
    again = send(warehouse, server, "1")
    assert again.status == "duplicate"
    assert len(server.delivered) == 1


def test_a_student_without_chat_is_refused_with_the_reason(warehouse, server):
    store = DeliveryStore.open_duckdb(warehouse)
    try:
        result = send_manual_message(
            store, api(server), enrolment_id="5-13", text="Hi", token="1", user="curator5"
        )
        empty = send_manual_message(
            store, api(server), enrolment_id="5-10", text="   ", token="1", user="curator5"
        )
        with pytest.raises(ManualMessageError, match="bad form token"):
            send_manual_message(
                store, api(server), enrolment_id="5-10", text="x", token="1; drop", user="c"
            )
    finally:
        store.close()
    assert result.status == "refused" and "not connected Telegram" in result.detail
    assert empty.status == "refused" and "empty" in empty.detail
    assert server.requests == []


def test_access_check_refuses_another_course(warehouse, server):
    store = DeliveryStore.open_duckdb(warehouse)
    try:
        check = course_access_check(store)
        with pytest.raises(AccessDenied):
            prepare_manual_message(store, "5-10", "curator6", check_access=check)
        with pytest.raises(AccessDenied):
            send_manual_message(
                store, api(server), enrolment_id="5-10", text="x", token="1", user="curator6",
                check_access=check,
            )  # fmt: skip
        with pytest.raises(AccessDenied):
            record_feedback(
                store, enrolment_id="5-10", value="useful", user="curator6", check_access=check
            )
        assert prepare_manual_message(store, "5-10", "curator5", check_access=check).can_send
    finally:
        store.close()
    assert server.requests == []


def test_the_sender_leaves_manual_messages_alone(warehouse, server):
    """A manual claim in flight ('sending') is not turned into unknown_outcome by the automatic
    sender's reconciliation, and --requeue refuses manual messages."""
    from early_warning.notify.sender import utc_now

    assert send(warehouse, server, "1").status == "sent"
    store = DeliveryStore.open_duckdb(warehouse)
    try:
        store._execute(
            "insert into notifications.notification_deliveries (outbox_id, attempt_no, run_id, "
            "status, started_at, enrolment_id) values ('manual:5-10:2', 1, 'manual', 'sending', "
            "%s, '5-10')",
            (utc_now(),),
        )
        assert store.mark_unfinished_unknown(utc_now()) == []
        assert "refused" in store.requeue("manual:5-10:1", "requeue", utc_now(), "x")
        statuses = {m.outbox_id: m.status for m in list_messages(store, "5-10")}
    finally:
        store.close()
    assert statuses == {"manual:5-10:1": "sent", "manual:5-10:2": "sending"}


# --- feedback ------------------------------------------------------------------------------


def test_feedback_is_recorded_with_the_prediction_and_listed(warehouse):
    store = DeliveryStore.open_duckdb(warehouse)
    try:
        first = record_feedback(store, enrolment_id="5-10", value="useful", user="curator5")
        older = record_feedback(
            store, enrolment_id="5-10", value="incorrectly_flagged", user="curator5",
            course_week=2, note="  she was ill  ",
        )  # fmt: skip
        with pytest.raises(ManualMessageError, match="feedback must be one of"):
            record_feedback(store, enrolment_id="5-10", value="great", user="curator5")
        with pytest.raises(ManualMessageError, match="no prediction"):
            record_feedback(store, enrolment_id="5-10", value="fixed", user="c", course_week=9)
        listed = list_feedback(store, "5-10")
    finally:
        store.close()
    # default: the newest scored week, with the model version and probability of then
    assert (first.course_week, first.model_version, first.p_dropout, first.risk_band) == (
        3, "dropout-v1", 0.8, "high"
    )  # fmt: skip
    assert (older.course_week, older.note) == (2, "she was ill")
    assert [(f.value, f.course_week, f.given_by) for f in listed] == [
        ("useful", 3, "curator5"),
        ("incorrectly_flagged", 2, "curator5"),
    ]


# --- PostgreSQL ----------------------------------------------------------------------------


@pytest.fixture
def pg_dsn():
    if os.environ.get("EW_SKIP_POSTGRES") == "1":
        pytest.skip("EW_SKIP_POSTGRES=1")
    import uuid

    import psycopg2

    server = {
        "host": os.environ.get("EW_PG_HOST", "127.0.0.1"),
        "port": int(os.environ.get("EW_PG_PORT", "5432")),
        "user": os.environ.get("EW_PG_USER", "postgres"),
    }
    try:
        admin = psycopg2.connect(dbname="postgres", **server)
    except psycopg2.OperationalError as error:
        pytest.fail(f"PostgreSQL is not reachable ({error}); or set EW_SKIP_POSTGRES=1")
    admin.autocommit = True
    name = f"ew_test_outreach_{uuid.uuid4().hex[:8]}"
    with admin.cursor() as cur:
        cur.execute(f"create database {name}")
    try:
        yield f"host={server['host']} port={server['port']} user={server['user']} dbname={name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f"drop database if exists {name} with (force)")
        admin.close()


@pytest.mark.postgres
def test_postgres_concurrent_sends_deliver_once_and_feedback(server, pg_dsn):
    import psycopg2

    con = psycopg2.connect(pg_dsn)
    con.autocommit = True
    with con.cursor() as cur:
        cur.execute("create schema ew_marts")

        def execute(sql, params=()):
            cur.execute(sql, params)

        fill(execute, "ew_marts")
    con.close()

    def open_store():
        return DeliveryStore.open_postgres(
            pg_dsn, marts_schema="ew_marts", log_schema="ew_notifications"
        )

    results = []
    barrier = threading.Barrier(5)

    def press(i):
        store = open_store()
        try:
            barrier.wait()
            results.append(
                send_manual_message(
                    store,
                    api(server),
                    enrolment_id="5-10",
                    text="PG hello",
                    token="1",
                    user=f"c{i}",
                    check_access=course_access_check(store),
                )  # fmt: skip
            )
        except AccessDenied:
            results.append(None)
        finally:
            store.close()

    # the first store creates the log before the race (PostgreSQL's create table if not
    # exists is not safe under concurrency)
    store = open_store()
    store.ensure_log()
    store.close()
    threads = [threading.Thread(target=press, args=(i,)) for i in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    # c0..c4 are no curators of course 5: all refused, nothing sent
    assert results == [None] * 5 and server.requests == []

    results.clear()
    barrier = threading.Barrier(5)

    def press_as_curator():
        store = open_store()
        try:
            barrier.wait()
            results.append(
                send_manual_message(
                    store,
                    api(server),
                    enrolment_id="5-10",
                    text="PG hello",
                    token="1",
                    user="curator5",
                    check_access=course_access_check(store),
                )  # fmt: skip
            )
        finally:
            store.close()

    threads = [threading.Thread(target=press_as_curator) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(r.status for r in results) == ["duplicate"] * 4 + ["sent"]
    assert server.delivered == [("1001", "PG hello")]

    store = open_store()
    try:
        record_feedback(store, enrolment_id="6-10", value="fixed", user="curator6")
        assert [f.value for f in list_feedback(store, "6-10")] == ["fixed"]
        assert [m.status for m in list_messages(store, "5-10")] == ["sent"]
    finally:
        store.close()
