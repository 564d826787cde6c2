"""End to end: the outbox of a tiny demo build, its dry run, and delivery to a fake Bot API."""

from __future__ import annotations

import shutil

import pytest

from early_warning.dbt_runner import DbtProject
from early_warning.moodle_schema import TELEGRAM_CHAT_PREFERENCE
from early_warning.notify import fake_api
from early_warning.notify.cli import main as notify_main
from early_warning.notify.fake_api import FakeBotApi

pytestmark = pytest.mark.dbt

TOKEN = "4242:e2e-TOKEN"


def current_rows(condition: str) -> str:
    """Current weeks of active enrolments of running courses (users not suspended) where
    ``condition`` holds: enrolment_id, course_week, previous and current category, chat id."""
    return f"""
        select activity.enrolment_id, activity.course_week, activity.previous_category,
            activity.category, prefs.preference_value
        from marts.mart_student_activity as activity
        inner join intermediate.int_courses_classified as courses
            on activity.courseid = courses.courseid
        inner join intermediate.int_enrolments_resolved as enrolments
            on activity.enrolment_id = enrolments.enrolment_id
        inner join staging.stg_moodle__users as users on activity.userid = users.userid
        cross join intermediate.int_as_of_resolved as as_of
        left join staging.stg_moodle__user_preferences as prefs
            on activity.userid = prefs.userid
                and prefs.preference_name = '{TELEGRAM_CHAT_PREFERENCE}'
        where activity.is_current and ({condition})
            and courses.course_status = 'running'
            and not enrolments.is_suspended
            and (enrolments.enrol_end is null or enrolments.enrol_end > as_of.as_of)
            and not users.is_suspended
        order by 1
    """


def test_outbox_lists_the_worsened_students_of_running_courses(tiny_build):
    expected = tiny_build.query(current_rows("activity.change_direction = 'worsened'"))
    actual = tiny_build.query(
        "select enrolment_id, course_week, from_value, to_value, chat_id "
        "from marts.mart_notification_outbox "
        "where transition = 'category_worsened' order by 1"
    )
    assert expected, "the tiny demo site should have students whose category worsened"
    assert actual == expected
    [(n_sendable, n_listed)] = tiny_build.query(
        "select count(*) filter (where can_send), count(*) filter (where not can_send) "
        "from marts.mart_notification_outbox"
    )
    assert n_sendable > 0 and n_listed > 0  # students without a chat id are listed too
    languages = tiny_build.query(
        "select distinct outbox.lang, lower(users.lang) like 'ru%' "
        "from marts.mart_notification_outbox as outbox "
        "inner join staging.stg_moodle__users as users on outbox.userid = users.userid"
    )
    assert {(lang, is_ru) for lang, is_ru in languages} <= {("ru", True), ("en", False)}


def test_risk_band_rows_are_the_current_band_rises(tiny_build):
    """Recomputed in Python from mart_student_scores: band up since the previous week,
    new band >= medium (notify_risk_band_min), category not worsened the same week."""
    rank = {"low": 1, "medium": 2, "high": 3}
    scores = tiny_build.query(
        "select enrolment_id, course_week, risk_band from marts.mart_student_scores "
        "order by enrolment_id, course_week"
    )
    previous: dict[str, str | None] = {}
    rises = {}
    for enrolment_id, course_week, band in scores:
        before = previous.get(enrolment_id)
        if band and before and rank[band] > rank[before] and rank[band] >= rank["medium"]:
            rises[(enrolment_id, course_week)] = (before, band)
        previous[enrolment_id] = band
    candidates = tiny_build.query(
        current_rows("coalesce(activity.change_direction, '') <> 'worsened'")
    )
    expected = sorted((e, w, *rises[(e, w)]) for e, w, *_ in candidates if (e, w) in rises)
    actual = tiny_build.query(
        "select enrolment_id, course_week, from_value, to_value "
        "from marts.mart_notification_outbox where transition = 'risk_band_up' order by 1, 2"
    )
    assert actual == expected


def test_dry_run_then_two_runs_send_each_row_exactly_once(
    tiny_build, tmp_path, capsys, monkeypatch
):
    # a copy of the warehouse, with a dbt project of its own to rebuild the outbox
    project = DbtProject(workdir=tmp_path / "build", vars=tiny_build.vars)
    project.workdir.mkdir()
    shutil.copy(tiny_build.duckdb_path, project.duckdb_path)
    warehouse = str(project.duckdb_path)
    outbox = project.query(
        "select outbox_id, chat_id, message_text from marts.mart_notification_outbox "
        "where can_send order by outbox_id"
    )
    assert outbox

    assert notify_main(["--duckdb", warehouse, "--dry-run"]) == 0
    listed = capsys.readouterr().out
    assert f"would send {len(outbox)} message(s)" in listed
    assert all(outbox_id in listed and text in listed for outbox_id, _, text in outbox)

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    fast = ["--duckdb", warehouse, "--per-chat-interval", "0", "--backoff", "0.01"]
    with FakeBotApi(TOKEN) as server:
        monkeypatch.setenv("TELEGRAM_API_BASE", server.base_url)
        server.script.extend([fake_api.too_many_requests(0.05), fake_api.server_error(500)])
        down_chat = outbox[-1][1]
        server.by_chat[down_chat] = fake_api.server_error(502)  # for the whole first run
        assert notify_main([*fast, "--max-attempts", "3"]) == 3  # rows left for the next run
        n_down = sum(1 for _, chat_id, _ in outbox if chat_id == down_chat)
        assert len(server.delivered) == len(outbox) - n_down

        # a rebuild of the outbox keeps its ids and leaves the delivery log alone
        project.run("run", "--select", "mart_notification_outbox")
        assert (
            project.query(
                "select outbox_id, chat_id, message_text from marts.mart_notification_outbox "
                "where can_send order by outbox_id"
            )
            == outbox
        )

        del server.by_chat[down_chat]
        assert notify_main(fast) == 0
        assert notify_main(fast) == 0  # and a third run has nothing left
        for _, chat_id, text in outbox:
            assert server.delivered_count(chat_id, text) == 1
        assert len(server.delivered) == len(outbox)
    sent = project.query(
        "select count(*), count(distinct outbox_id) from notifications.notification_deliveries "
        "where status = 'sent'"
    )
    assert sent == [(len(outbox), len(outbox))]


def test_hostile_names_feedback_and_manual_messages_end_to_end(
    tiny_site, tmp_path, capsys, monkeypatch
):
    """Issue 16: with a first name 'Grace {course}' and a course 'Intro {firstname}
    {days_inactive}', `dbt build && notify` succeeds and messages every eligible student exactly
    once, names shown as written. Issue 19: feedback 'incorrectly flagged' takes a student out
    of the outbox for the week, is counted by dbt and survives --full-refresh; a manual message
    counts as contact in mart_outreach_outcomes."""
    import duckdb

    from early_warning.notify.feedback import record_feedback
    from early_warning.notify.manual import prepare_manual_message, send_manual_message
    from early_warning.notify.store import DeliveryStore
    from early_warning.notify.telegram import BotApi

    site = tmp_path / "site"
    shutil.copytree(tiny_site["path"], site)
    con = duckdb.connect()
    for table, update in (
        ("user", "case when id = 31 then 'Grace {course}' else firstname end as firstname"),
        ("course", "case when id = 4 then 'Intro {firstname} {days_inactive}' else fullname end "
                   "as fullname"),
    ):  # fmt: skip
        path = site / f"{table}.parquet"
        con.execute(
            f"copy (select * replace ({update}) from read_parquet('{path}')) "
            f"to '{path}.new' (format parquet)"
        )
        (site / f"{table}.parquet.new").replace(path)
    con.close()
    project = DbtProject(
        workdir=tmp_path / "build",
        vars={"moodle_files_path": str(site), "as_of": int(tiny_site["manifest"]["now"])},
    )
    project.run("build", "--exclude-resource-type", "unit_test")  # exit 0: no failing test
    sendable = project.query(
        "select outbox_id, enrolment_id, course_week, chat_id, message_text "
        "from marts.mart_notification_outbox where can_send order by outbox_id"
    )
    hostile = [row for row in sendable if row[1] == "4-31"]
    assert len(sendable) >= 2 and len(hostile) == 1
    assert hostile[0][4].startswith("Hi Grace {course}! ")
    assert '"Intro {firstname} {days_inactive}"' in hostile[0][4]
    [flagged] = [row for row in sendable if row[1] != "4-31"][:1]

    warehouse = str(project.duckdb_path)
    store = DeliveryStore.open_duckdb(warehouse)
    try:
        record_feedback(
            store, enrolment_id=flagged[1], value="incorrectly_flagged", user="curator",
            course_week=flagged[2],
        )  # fmt: skip
    finally:
        store.close()
    downstream = ["--select", "stg_app__prediction_feedback+", "stg_app__notification_deliveries+"]
    project.run("build", *downstream, "--exclude-resource-type", "unit_test")
    after = project.query(
        "select outbox_id from marts.mart_notification_outbox where can_send order by 1"
    )
    assert flagged[0] not in [r[0] for r in after]
    assert len(after) == len(sendable) - 1

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    fast = ["--duckdb", warehouse, "--per-chat-interval", "0", "--backoff", "0.01"]
    with FakeBotApi(TOKEN) as server:
        monkeypatch.setenv("TELEGRAM_API_BASE", server.base_url)
        assert notify_main(fast) == 0
        assert notify_main(fast) == 0  # nothing twice
        expected = [(chat, text) for oid, _, _, chat, text in sendable if oid != flagged[0]]
        assert sorted(server.delivered) == sorted(expected)

        store = DeliveryStore.open_duckdb(warehouse)
        try:
            draft = prepare_manual_message(store, "4-31", "curator")
            result = send_manual_message(
                store, BotApi(TOKEN, server.base_url), enrolment_id="4-31", text=draft.text,
                token=draft.token, user="curator",
            )  # fmt: skip
        finally:
            store.close()
        assert result.status == "sent"
        assert draft.text.startswith("Hi Grace {course}! ") and "Intro {firstname}" in draft.text

    for refresh in ([], ["--full-refresh"]):
        project.run("build", *downstream, *refresh, "--exclude-resource-type", "unit_test")
        assert project.query(
            "select courseid, course_week, n_marks, n_incorrectly_flagged "
            "from marts.mart_prediction_feedback"
        ) == [(4, flagged[2], 1, 1)]
        assert project.query(
            "select contact_kind from marts.mart_outreach_outcomes "
            f"where enrolment_id = '4-31' and course_week = {hostile[0][2]}"
        ) == [("automatic_and_manual",)]
