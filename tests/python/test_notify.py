"""The Telegram sender against a fake Bot API on 127.0.0.1: outcomes, retries, at most once.

The warehouse is a small DuckDB file with a hand-made marts.mart_notification_outbox.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from early_warning.notify import fake_api
from early_warning.notify.cli import main as notify_main
from early_warning.notify.fake_api import FakeBotApi
from early_warning.notify.sender import RateLimiter, Sender, SenderSettings
from early_warning.notify.store import OUTBOX_COLUMNS, DeliveryStore, StoreError
from early_warning.notify.telegram import BotApi, Outcome, TelegramConfigError, classify

TOKEN = "123456:SECRET-token_abcdefghij"
PROJECT_DIR = Path(__file__).resolve().parents[2]

ROWS = [
    # outbox_id, enrolment_id, courseid, course, userid, name, week, transition, from, to, chat, lang, text
    ("5-10:3:category_worsened", "5-10", 5, "Web", 10, "Anna King", 3, "category_worsened",
     "active", "falling_asleep", "1001", "en", "Hi Anna! Come back to Web."),
    ("5-11:3:category_worsened", "5-11", 5, "Web", 11, "Иван Петров", 3, "category_worsened",
     "falling_asleep", "asleep", "1002", "ru", "Здравствуйте, Иван! Курс «Web» ждёт."),
    ("5-12:3:risk_band_up", "5-12", 5, "Web", 12, "Bob Stone", 3, "risk_band_up",
     "low", "high", "-1003", "en", "Hi Bob! A small step now."),
    ("6-10:2:category_worsened", "6-10", 6, "Maths", 10, "Anna King", 2, "category_worsened",
     "active", "falling_asleep", "1001", "en", "Hi Anna! Come back to Maths."),
    ("5-13:3:category_worsened", "5-13", 5, "Web", 13, "Eve Moss", 3, "category_worsened",
     "active", "falling_asleep", None, "en", "Hi Eve! No chat id."),
]  # fmt: skip
SENDABLE = [r for r in ROWS if r[10] is not None]


def make_warehouse(path: Path, rows=ROWS) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(
        "create table marts.mart_notification_outbox (outbox_id varchar, enrolment_id varchar, "
        "courseid bigint, course_fullname varchar, userid bigint, student_name varchar, "
        "course_week bigint, transition varchar, from_value varchar, to_value varchar, "
        "chat_id varchar, lang varchar, message_text varchar, can_send boolean, as_of timestamp)"
    )
    for row in rows:
        con.execute(
            "insert into marts.mart_notification_outbox values "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, timestamp '2025-05-11 23:00:00')",
            [*row, row[10] is not None],
        )
    con.close()
    return path


def deliveries(path: Path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "select outbox_id, attempt_no, status, http_status, telegram_message_id, "
            "error_description from notifications.notification_deliveries "
            "order by outbox_id, attempt_no"
        ).fetchall()
    finally:
        con.close()


class FakeTime:
    """clock/sleep pair: sleeping advances the clock and is recorded, nothing waits."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


@pytest.fixture
def server():
    with FakeBotApi(TOKEN) as fake:
        yield fake


@pytest.fixture
def warehouse(tmp_path) -> Path:
    return make_warehouse(tmp_path / "warehouse.duckdb")


def run_sender(
    warehouse: Path, base_url: str, token: str = TOKEN, fake_time=None, after_send=None, **settings
):
    """One sender run in this process; returns (summary, output lines, fake time)."""
    fake_time = fake_time or FakeTime()
    lines: list[str] = []
    settings.setdefault("backoff_base", 1.0)
    store = DeliveryStore.open_duckdb(warehouse)
    try:
        sender = Sender(
            store,
            BotApi(token, base_url, connect_timeout=2, read_timeout=2),
            SenderSettings(**settings),
            out=lines.append,
            sleep=fake_time.sleep,
            clock=fake_time.clock,
            after_send=after_send,
        )
        summary = sender.run()
    finally:
        store.close()
    return summary, lines, fake_time


def sent_ids(path: Path) -> list[str]:
    return sorted(r[0] for r in deliveries(path) if r[2] == "sent")


# --- success and reruns ------------------------------------------------------------------


def test_success_sends_each_sendable_row_once_and_logs_it(server, warehouse):
    summary, lines, _ = run_sender(warehouse, server.base_url)
    assert summary.count("sent") == len(SENDABLE) == 4
    assert summary.exit_code == 0
    assert sorted(server.delivered) == sorted((r[10], r[12]) for r in SENDABLE)
    assert [r["path"] for r in server.requests][0] == f"/bot{TOKEN}/sendMessage"
    log = deliveries(warehouse)
    assert [(r[0], r[1], r[2], r[3]) for r in log] == [
        (r[0], 1, "sent", 200) for r in sorted(SENDABLE)
    ]
    assert all(isinstance(r[4], int) for r in log)  # telegram_message_id recorded
    assert [len(summary.without_chat_id)] == [1]  # Eve: listed, not sent
    assert any("5-13" in line or "1 without" in line for line in lines)

    again, _, _ = run_sender(warehouse, server.base_url)  # rerun: nothing new
    assert again.count("sent") == 0 and again.already["sent"] == 4
    assert len(server.delivered) == 4


def test_rate_limit_spaces_messages_globally_and_per_chat(server, warehouse):
    _, _, fake_time = run_sender(
        warehouse, server.base_url, rate_per_second=10, per_chat_interval=1.0
    )
    # 4 messages, 0.1 s apart; Anna's two chats (chat 1001 twice) need 1 s between them: 1 - 0.2
    assert fake_time.sleeps == [0.1, 0.1, 0.8]


def test_rate_limiter_alone():
    fake_time = FakeTime()
    limiter = RateLimiter(25, 1.0, fake_time.clock, fake_time.sleep)
    for chat in ["a", "b", "c"]:
        limiter.wait(chat)
    assert fake_time.sleeps == [0.04, 0.04]
    limiter.wait("a")  # 0.92 s left before chat a may get another message
    assert fake_time.sleeps[-1] == pytest.approx(0.92)
    limiter.pause(5)
    limiter.wait("d")
    assert fake_time.sleeps[-1] == pytest.approx(5)


# --- 429, 5xx, network ---------------------------------------------------------------------


def test_429_waits_retry_after_then_sends(server, warehouse):
    server.script.extend([fake_api.too_many_requests(3)])
    summary, lines, fake_time = run_sender(warehouse, server.base_url, per_chat_interval=0)
    assert summary.count("sent") == 4
    assert 3 in fake_time.sleeps  # waited Telegram's retry_after
    first = [r for r in deliveries(warehouse) if r[0] == SENDABLE[0][0]]
    # rows are sent in (courseid, userid, outbox_id) order: 5-10 first
    assert [(r[1], r[2], r[3]) for r in first] == [(1, "retry", 429), (2, "sent", 200)]
    assert "retry after 3" in first[0][5]
    assert any("429" in line and "waiting 3" in line for line in lines)
    assert len(server.delivered) == 4


def test_429_beyond_the_bound_stops_the_run_and_the_next_run_sends(server, warehouse):
    server.script.extend([fake_api.too_many_requests(3600)])
    summary, _, _ = run_sender(warehouse, server.base_url, max_retry_after=60)
    assert summary.stopped and "3600" in summary.stopped
    assert summary.exit_code == 3 and len(server.delivered) == 0
    assert [r[2] for r in deliveries(warehouse)] == ["retry"]
    summary, _, _ = run_sender(warehouse, server.base_url)
    assert summary.count("sent") == 4 and len(server.delivered) == 4


def test_5xx_backs_off_exponentially_then_sends(server, warehouse):
    server.script.extend([fake_api.server_error(500), fake_api.server_error(502)])
    summary, lines, fake_time = run_sender(
        warehouse, server.base_url, backoff_base=0.5, per_chat_interval=0, rate_per_second=0
    )
    assert summary.count("sent") == 4
    assert fake_time.sleeps == [0.5, 1.0]  # 0.5 s, then twice that
    first = [(r[1], r[2], r[3]) for r in deliveries(warehouse) if r[0] == SENDABLE[0][0]]
    assert first == [(1, "retry", 500), (2, "retry", 502), (3, "sent", 200)]
    assert len(server.delivered) == 4


def test_5xx_until_the_attempts_run_out_leaves_the_row_for_the_next_run(server, warehouse):
    server.by_chat["1002"] = fake_api.server_error(503)
    summary, lines, _ = run_sender(warehouse, server.base_url, max_attempts=3)
    assert summary.count("sent") == 3 and summary.count("retry") == 1
    assert summary.exit_code == 3
    ivan = [(r[1], r[2]) for r in deliveries(warehouse) if r[0] == "5-11:3:category_worsened"]
    assert ivan == [(1, "retry"), (2, "retry"), (3, "retry")]
    assert any("left for the next run" in line for line in lines)

    del server.by_chat["1002"]  # Telegram is back
    summary, _, _ = run_sender(warehouse, server.base_url, max_attempts=3)
    assert summary.count("sent") == 1 and summary.exit_code == 0
    ivan = [(r[1], r[2]) for r in deliveries(warehouse) if r[0] == "5-11:3:category_worsened"]
    assert ivan[-1] == (4, "sent")  # attempt numbers continue across runs
    assert len(server.delivered) == 4  # each exactly once


def test_connection_refused_is_retried_and_left_for_the_next_run(server, warehouse):
    with FakeBotApi(TOKEN) as gone:
        closed_url = gone.base_url
    summary, lines, fake_time = run_sender(warehouse, closed_url, max_attempts=2, limit=1)
    assert summary.count("retry") == 1 and fake_time.sleeps[-1] == 1.0
    assert [r[2] for r in deliveries(warehouse)] == ["retry", "retry"]
    assert "cannot connect" in deliveries(warehouse)[0][5]
    summary, _, _ = run_sender(warehouse, server.base_url)
    assert summary.count("sent") == 4 and len(server.delivered) == 4


# --- permanent failures --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "status", "words"),
    [
        (fake_api.blocked(), 403, "bot was blocked by the user"),
        (fake_api.chat_not_found(), 400, "chat not found"),
    ],
)
def test_blocked_bot_and_unknown_chat_fail_permanently_and_are_never_retried(
    server, warehouse, answer, status, words
):
    server.by_chat["-1003"] = answer
    summary, lines, _ = run_sender(warehouse, server.base_url)
    assert summary.count("failed_permanent") == 1 and summary.count("sent") == 3
    assert summary.exit_code == 0  # nothing left to do
    bob = [r for r in deliveries(warehouse) if r[0] == "5-12:3:risk_band_up"]
    assert [(r[1], r[2], r[3]) for r in bob] == [(1, "failed_permanent", status)]
    assert words in bob[0][5]
    n_requests = len(server.requests)

    del server.by_chat["-1003"]
    again, _, _ = run_sender(warehouse, server.base_url)
    assert len(server.requests) == n_requests  # not retried, even now that it would work
    assert again.already["failed_permanent"] == 1


def test_bad_token_stops_the_run_without_marking_messages_failed(server, warehouse):
    summary, _, _ = run_sender(warehouse, server.base_url, token="999:WRONG-token")
    assert summary.stopped and summary.exit_code == 1
    assert [(r[2], r[3]) for r in deliveries(warehouse)] == [("retry", 401)]
    summary, _, _ = run_sender(warehouse, server.base_url)
    assert summary.count("sent") == 4


# --- at most once: crashes and lost answers ------------------------------------------------


class SimulatedCrash(BaseException):
    """The process 'dies' after Telegram answered, before the answer is recorded."""


def test_crash_between_send_and_record_is_never_resent(server, warehouse):
    def crash(row, result):
        raise SimulatedCrash(row.outbox_id)

    with pytest.raises(SimulatedCrash):
        run_sender(warehouse, server.base_url, after_send=crash)
    assert len(server.delivered) == 1  # Telegram got it ...
    assert [r[2] for r in deliveries(warehouse)] == ["sending"]  # ... the log does not know

    summary, lines, _ = run_sender(warehouse, server.base_url)
    crashed = SENDABLE[0][0]
    assert [r[0] for r in summary.reconciled_unknown] == [crashed]
    assert summary.count("sent") == 3 and summary.exit_code == 3  # a human should check
    assert any("unknown outcome" in line and crashed in line for line in lines)
    for chat_id, text in {(r[10], r[12]) for r in SENDABLE}:
        assert server.delivered_count(chat_id, text) == 1  # nobody got a message twice
    assert [(r[1], r[2]) for r in deliveries(warehouse) if r[0] == crashed] == [
        (1, "unknown_outcome")
    ]

    third, _, _ = run_sender(warehouse, server.base_url)
    assert third.count("sent") == 0 and third.exit_code == 0
    assert len(server.delivered) == 4


def test_requeue_lets_a_human_resend_an_unknown_outcome(server, warehouse, capsys):
    server.script.append(fake_api.DROP)  # delivered, but the connection closes unanswered
    summary, _, _ = run_sender(warehouse, server.base_url)
    first = SENDABLE[0][0]
    assert summary.results[first] == "unknown_outcome" and summary.exit_code == 3
    assert [r[2] for r in deliveries(warehouse) if r[0] == first] == ["unknown_outcome"]
    assert len(server.delivered) == 4  # not retried within the run either

    assert notify_main(["--duckdb", str(warehouse), "--requeue", first, "--requeue", "nope"]) == 0
    out = capsys.readouterr().out
    assert f"{first}: requeued after unknown_outcome" in out and "nope: nothing" in out
    summary, _, _ = run_sender(warehouse, server.base_url)
    assert summary.results == {first: "sent"}
    assert notify_main(["--duckdb", str(warehouse), "--requeue", first]) == 0
    assert "refused, it was sent already" in capsys.readouterr().out


def test_killed_while_telegram_answers_then_rerun_sends_nothing_twice(server, warehouse):
    """A real crash: SIGKILL while the request is in flight, then two more CLI runs."""
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE": server.base_url,
        "PYTHONPATH": str(PROJECT_DIR),
    }
    cmd = [sys.executable, "-m", "early_warning.notify", "--duckdb", str(warehouse)]
    cmd += ["--per-chat-interval", "0", "--backoff", "0.01"]
    server.hold = True  # deliver the first message, then hang
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert server.held.wait(timeout=30), "the sender never called the fake API"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    server.release.set()
    assert len(server.delivered) == 1

    second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert second.returncode == 3, second.stderr  # an unknown outcome to check
    assert "unknown outcome" in second.stdout
    third = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert third.returncode == 0, third.stderr
    assert len(server.delivered) == len(SENDABLE) == 4
    for chat_id, text in {(r[10], r[12]) for r in SENDABLE}:
        assert server.delivered_count(chat_id, text) == 1
    statuses = sorted(r[2] for r in deliveries(warehouse))
    assert statuses == ["sent", "sent", "sent", "unknown_outcome"]


# --- the command line: dry run, token hygiene -----------------------------------------------


def test_dry_run_lists_rows_and_sends_and_records_nothing(server, warehouse, capsys, monkeypatch):
    monkeypatch.setenv("TELEGRAM_API_BASE", server.base_url)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)  # not needed for a dry run
    assert notify_main(["--duckdb", str(warehouse), "--dry-run"]) == 0
    out = capsys.readouterr().out
    for row in SENDABLE:
        assert row[0] in out and row[12] in out
    assert "would send 4 message(s)" in out
    assert "1 student(s) without a Telegram chat id" in out and "Eve Moss" in out
    assert server.requests == []
    con = duckdb.connect(str(warehouse), read_only=True)
    schemas = {
        r[0] for r in con.execute("select schema_name from information_schema.schemata").fetchall()
    }
    con.close()
    assert "notifications" not in schemas


def test_dry_run_skips_what_was_sent_and_limit_caps_a_run(server, warehouse, capsys, monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE", server.base_url)
    args = ["--duckdb", str(warehouse), "--per-chat-interval", "0"]
    assert notify_main([*args, "--limit", "1"]) == 0
    assert len(server.delivered) == 1
    capsys.readouterr()
    assert notify_main([*args, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would send 3 message(s)" in out and "already handled: 1 sent" in out
    assert notify_main(args) == 0 and notify_main(args) == 0
    assert len(server.delivered) == 4


def test_the_token_never_appears_in_output_log_or_errors(server, warehouse, capsys, monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    # a misconfigured API base whose error pages echo the request path (with the token)
    echo = fake_api.Answer(500, {"ok": False, "error_code": 500, "description": ""})
    server.script.extend([echo] * 2)
    original = server._answer_for

    def echoing(chat_id):
        answer = original(chat_id)
        if answer is echo:
            path = server.requests[-1]["path"]
            return fake_api.Answer(500, {"ok": False, "description": f"no route {path}"})
        return answer

    server._answer_for = echoing
    monkeypatch.setenv("TELEGRAM_API_BASE", server.base_url)
    args = ["--duckdb", str(warehouse), "--backoff", "0.01", "--per-chat-interval", "0"]
    assert notify_main(args) == 0
    captured = capsys.readouterr()
    log_text = repr(deliveries(warehouse))
    assert "no route /bot***/sendMessage" in log_text  # the echo was recorded, masked
    monkeypatch.setenv("TELEGRAM_API_BASE", "ftp://nowhere")
    assert notify_main(["--duckdb", str(warehouse)]) == 1
    captured2 = capsys.readouterr()
    unreachable = BotApi(TOKEN, f"http://127.0.0.1:1/{TOKEN}", connect_timeout=1).send_message(
        "1", "hi"
    )
    assert unreachable.outcome is Outcome.TRANSIENT
    errors = []
    for bad in ["not a token", f"{TOKEN}\n"]:
        with pytest.raises(TelegramConfigError) as info:
            BotApi(bad)
        errors.append(str(info.value))
    with pytest.raises(TelegramConfigError) as info:
        BotApi(TOKEN, f"gopher://{TOKEN}@host")
    errors.append(str(info.value))
    api = BotApi(TOKEN, server.base_url)
    everything = [
        captured.out,
        captured.err,
        captured2.out,
        captured2.err,
        log_text,
        repr(api),
        repr(unreachable),
        api.base_url,
        *errors,
    ]
    assert not [text for text in everything if TOKEN in text or "SECRET" in text]
    assert "***" in errors[-1]


def test_a_real_run_needs_the_token(warehouse, capsys, monkeypatch):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert notify_main(["--duckdb", str(warehouse)]) == 1
    assert "TELEGRAM_BOT_TOKEN" in capsys.readouterr().err


def test_missing_outbox_and_missing_warehouse_are_clear_errors(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    assert notify_main(["--duckdb", str(tmp_path / "none.duckdb"), "--dry-run"]) == 1
    assert "no DuckDB warehouse" in capsys.readouterr().err
    duckdb.connect(str(tmp_path / "empty.duckdb")).close()
    assert notify_main(["--duckdb", str(tmp_path / "empty.duckdb")]) == 1
    assert "dbt build --select +mart_notification_outbox" in capsys.readouterr().err


# --- classification of Bot API answers -------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "payload", "outcome"),
    [
        (200, {"ok": True, "result": {"message_id": 7}}, Outcome.SENT),
        (200, {"ok": True, "result": {}}, Outcome.UNKNOWN),
        (200, None, Outcome.UNKNOWN),
        (429, {"ok": False, "parameters": {"retry_after": 5}}, Outcome.RATE_LIMITED),
        (500, None, Outcome.TRANSIENT),
        (502, None, Outcome.TRANSIENT),
        (400, {"ok": False, "description": "Bad Request: chat not found"}, Outcome.PERMANENT),
        (403, {"ok": False, "description": "Forbidden: user is deactivated"}, Outcome.PERMANENT),
        (401, {"ok": False, "description": "Unauthorized"}, Outcome.FATAL),
        (404, None, Outcome.FATAL),
    ],
)
def test_classify(status, payload, outcome):
    assert classify(status, payload).outcome is outcome


def test_retry_after_from_parameters_or_header():
    assert classify(429, {"parameters": {"retry_after": 5}}).retry_after == 5
    assert classify(429, None, "7").retry_after == 7
    assert classify(429, None).retry_after == 1


def test_outbox_columns_match_the_mart_contract():
    import yaml

    spec = yaml.safe_load(
        (PROJECT_DIR / "models/marts/notifications/_notifications__models.yml").read_text()
    )
    [model] = [m for m in spec["models"] if m["name"] == "mart_notification_outbox"]
    assert set(OUTBOX_COLUMNS) <= {c["name"] for c in model["columns"]}


# --- PostgreSQL: EW_TEST_PG_DSN, or a throwaway database on the local server (as in CI) -------


@pytest.fixture
def scratch_pg_dsn():
    """A scratch PostgreSQL database for one test, dropped afterwards."""
    if os.environ.get("EW_TEST_PG_DSN"):
        yield os.environ["EW_TEST_PG_DSN"]
        return
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
        pytest.fail(
            f"PostgreSQL is not reachable ({error}); start it (pg_ctlcluster 15 main start) "
            "or set EW_SKIP_POSTGRES=1"
        )
    admin.autocommit = True
    name = f"ew_test_notify_{uuid.uuid4().hex[:8]}"
    with admin.cursor() as cur:
        cur.execute(f"create database {name}")
    try:
        yield f"host={server['host']} port={server['port']} user={server['user']} dbname={name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f"drop database if exists {name} with (force)")
        admin.close()


@pytest.mark.postgres
def test_postgres_log_crash_and_rerun(server, scratch_pg_dsn):
    import psycopg2

    dsn = scratch_pg_dsn
    con = psycopg2.connect(dsn)
    con.autocommit = True
    schemas = ("ew_notify_test_marts", "ew_notify_test_log")
    with con.cursor() as cur:
        for schema in schemas:
            cur.execute(f"drop schema if exists {schema} cascade")
        cur.execute(f"create schema {schemas[0]}")
        cur.execute(
            f"create table {schemas[0]}.mart_notification_outbox (outbox_id varchar, "
            "enrolment_id varchar, courseid bigint, course_fullname varchar, userid bigint, "
            "student_name varchar, course_week bigint, transition varchar, from_value varchar, "
            "to_value varchar, chat_id varchar, lang varchar, message_text varchar, "
            "can_send boolean, as_of timestamp)"
        )
        for row in ROWS:
            cur.execute(
                f"insert into {schemas[0]}.mart_notification_outbox values "
                "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now())",
                [*row, row[10] is not None],
            )

    def run(after_send=None):
        store = DeliveryStore.open_postgres(dsn, marts_schema=schemas[0], log_schema=schemas[1])
        try:
            return Sender(
                store,
                BotApi(TOKEN, server.base_url),
                SenderSettings(per_chat_interval=0),
                out=lambda line: None,
                after_send=after_send,
            ).run()
        finally:
            store.close()

    def crash(row, result):
        raise SimulatedCrash(row.outbox_id)

    try:
        with pytest.raises(SimulatedCrash):
            run(after_send=crash)
        second = run()
        assert len(second.reconciled_unknown) == 1 and second.count("sent") == 3
        assert run().count("sent") == 0
        assert len(server.delivered) == 4
        with con.cursor() as cur:
            cur.execute(
                f"select status, count(*) from {schemas[1]}.notification_deliveries group by 1"
            )
            assert dict(cur.fetchall()) == {"sent": 3, "unknown_outcome": 1}
    finally:
        with con.cursor() as cur:
            for schema in schemas:
                cur.execute(f"drop schema if exists {schema} cascade")
        con.close()


# --- issue 16: an unreachable API stops the run; DuckDB is never held while waiting ----------


def test_unreachable_api_stops_after_a_few_consecutive_failures(server, warehouse):
    with FakeBotApi(TOKEN) as gone:
        closed_url = gone.base_url
    summary, lines, fake_time = run_sender(
        warehouse, closed_url, max_attempts=5, max_consecutive_failures=3
    )
    # 3 calls in all (not 5 per row x 4 rows), two back-offs between them, then stop
    assert len(deliveries(warehouse)) == 3
    assert fake_time.sleeps == [1.0, 2.0]
    assert summary.stopped and "unreachable" in summary.stopped
    assert summary.exit_code == 3 and not summary.stopped_fatal
    assert summary.results == {SENDABLE[0][0]: "retry"}
    assert {r[2] for r in deliveries(warehouse)} == {"retry"}
    # everything is left for the next run, which sends each row once
    again, _, _ = run_sender(warehouse, server.base_url)
    assert again.count("sent") == 4 and len(server.delivered) == 4


def test_unreachable_api_through_the_cli_exits_3_quickly(warehouse, capsys, monkeypatch):
    with FakeBotApi(TOKEN) as gone:
        closed_url = gone.base_url
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE", closed_url)
    code = notify_main(
        ["--duckdb", str(warehouse), "--backoff", "0.01", "--per-chat-interval", "0"]
    )
    out = capsys.readouterr().out
    assert code == 3
    assert "run stopped early" in out and "4 calls in a row failed" in out
    assert len(deliveries(warehouse)) == 4  # the default: 4 consecutive failures


def test_the_warehouse_file_is_free_while_telegram_answers(server, warehouse):
    """While the sender waits on Telegram, another process (a dbt build) can open the DuckDB
    file read-write and write to it."""
    import threading

    server.hold = True
    outcome = {}
    thread = threading.Thread(
        target=lambda: outcome.setdefault("run", run_sender(warehouse, server.base_url, limit=1))
    )
    thread.start()
    try:
        assert server.held.wait(10), "the sender never called the fake API"
        writer = subprocess.run(
            [
                sys.executable,
                "-c",
                "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
                "c.execute('create table marts.written_meanwhile as select 1 as x'); c.close()",
                str(warehouse),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert writer.returncode == 0, writer.stderr
    finally:
        server.release.set()
        thread.join(30)
    summary = outcome["run"][0]
    assert summary.count("sent") == 1
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("select x from marts.written_meanwhile").fetchall() == [(1,)]
    con.close()


def test_two_senders_on_one_duckdb_file_are_refused(server, warehouse):
    first = DeliveryStore.open_duckdb(warehouse)
    second = DeliveryStore.open_duckdb(warehouse)
    try:
        first.acquire_lock()
        with pytest.raises(StoreError, match="another notification sender is running"):
            second.acquire_lock()
    finally:
        first.close()
        second.close()
    third = DeliveryStore.open_duckdb(warehouse)  # released with the store
    third.acquire_lock()
    third.close()


# --- issue 16: unrendered messages are never sent; the dry run shows names on one line -----


def add_render_problem(path: Path, problems: dict[str, str]) -> None:
    con = duckdb.connect(str(path))
    con.execute("alter table marts.mart_notification_outbox add column render_problem varchar")
    for outbox_id, problem in problems.items():
        con.execute(
            "update marts.mart_notification_outbox set render_problem = ?, can_send = false "
            "where outbox_id = ?",
            [problem, outbox_id],
        )
    con.close()


def test_a_row_with_an_unfilled_placeholder_is_never_sent(server, warehouse):
    add_render_problem(warehouse, {SENDABLE[0][0]: "unfilled_placeholder"})
    summary, lines, _ = run_sender(warehouse, server.base_url)
    assert summary.count("sent") == 3
    assert [r.outbox_id for r in summary.not_rendered] == [SENDABLE[0][0]]
    assert summary.exit_code == 3  # a human should fix the template
    assert SENDABLE[0][12] not in [text for _, text in server.delivered]
    assert any("not fully rendered" in line for line in lines)


def test_an_outbox_without_render_problem_is_checked_for_placeholders(server, tmp_path):
    """An outbox built before render_problem existed (or left by a failed build): a text with
    a template placeholder is refused."""
    rows = [list(r) for r in ROWS]
    rows[0][12] = "Hi {course}{next_step}!"
    path = make_warehouse(tmp_path / "old.duckdb", [tuple(r) for r in rows])
    summary, _, _ = run_sender(path, server.base_url)
    assert summary.count("sent") == 3
    assert [r.render_problem for r in summary.not_rendered] == ["unfilled_placeholder"]
    assert all("{" not in text for _, text in server.delivered)


def test_dry_run_shows_names_with_newlines_escaped(tmp_path, capsys, monkeypatch):
    rows = [list(r) for r in ROWS]
    rows[0][5] = "Anna\n--- 9-99:1:category_worsened  Fake Person"
    rows[0][12] = "Hi Anna\n--- fake line!"
    path = make_warehouse(tmp_path / "w.duckdb", [tuple(r) for r in rows])
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert notify_main(["--duckdb", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Anna\\n--- 9-99:1:category_worsened  Fake Person" in out
    assert "Hi Anna\\n--- fake line!" in out
    assert not any(
        line.startswith("--- 9-99") or line.startswith("--- fake") for line in out.splitlines()
    )
