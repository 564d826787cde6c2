"""Activity categories on real builds: history across runs, current rows, fading students."""

from __future__ import annotations

import csv

import pytest

from early_warning.dbt_runner import PROJECT_DIR, DbtProject

pytestmark = pytest.mark.dbt

S, W, D = 1704067200, 604800, 86400


def test_history_keeps_each_run_and_survives_full_refresh(tmp_path):
    dirty_build = DbtProject(
        workdir=tmp_path,
        vars={
            "moodle_files_path": str(PROJECT_DIR / "tests" / "fixtures" / "moodle_dirty"),
            "moodle_files_format": "csv",
        },
    )
    dirty_build.run("run", "--select", "+mart_student_category_history")
    history = (
        "select run_as_of, count(*) from marts.mart_student_category_history group by 1 order by 1"
    )
    first = dirty_build.query(history)
    assert first == [(S + 5 * W, 3)]  # the three enrolments, at the default as_of
    later = S + 5 * W + 3 * D
    dirty_build.run("run", "--select", "+mart_student_category_history", vars={"as_of": later})
    dirty_build.run("run", "--select", "+mart_student_category_history", vars={"as_of": later})
    assert dirty_build.query(history) == [(S + 5 * W, 3), (later, 3)]  # the rerun replaced its rows
    dirty_build.run(
        "run",
        "--select",
        "+mart_student_category_history",
        "--full-refresh",
        vars={"as_of": later},
    )
    assert dirty_build.query(history) == [(S + 5 * W, 3), (later, 3)]  # history is not rebuilt


def test_one_current_row_per_enrolment(tiny_build):
    [(n_enrolments, n_current, n_distinct)] = tiny_build.query(
        "select count(distinct enrolment_id), count(*), count(distinct enrolment_id) "
        "from marts.mart_student_activity where is_current"
    )
    [(n_in_grid,)] = tiny_build.query(
        "select count(distinct enrolment_id) from marts.fct_enrolment_week_features"
    )
    assert n_current == n_distinct == n_enrolments == n_in_grid


def test_every_active_enrolment_has_exactly_one_current_row(tiny_build):
    """mart_student_current: the active enrolments of running courses (started and not
    ended at as_of, neither the enrolment nor the account suspended), each once."""
    expected = tiny_build.query(
        "select e.enrolment_id from intermediate.int_enrolments_resolved e "
        "join intermediate.int_courses_classified c using (courseid) "
        "join staging.stg_moodle__users u using (userid) "
        "cross join intermediate.int_as_of_resolved a "
        "where c.course_status = 'running' and not e.is_suspended and not u.is_suspended "
        "and e.enrol_start <= a.as_of and (e.enrol_end is null or e.enrol_end > a.as_of) "
        "and e.last_week >= e.first_week "
        "order by 1"
    )
    current = tiny_build.query("select enrolment_id from marts.mart_student_current order by 1")
    assert expected and current == expected
    # scored, or withheld by the guard for teachers (the tiny site's dropout model: issue 15)
    [(n_scored,)] = tiny_build.query(
        "select count(*) from marts.mart_student_current as c"
        " join marts.mart_student_scores as s using (enrolment_id, course_week)"
        " where c.p_dropout between 0 and 1"
        " or (c.p_dropout is null and s.score_note like '%p_dropout withheld: %')"
    )
    assert n_scored == len(current)


def test_current_mart_and_outbox_agree_on_active_students(tiny_build):
    """One definition of "active now" (int_enrolments_active): every student the outbox
    would message is a row of mart_student_current, and both read the same enrolments."""
    outbox = {
        e for (e,) in tiny_build.query("select enrolment_id from marts.mart_notification_outbox")
    }
    current = {
        e for (e,) in tiny_build.query("select enrolment_id from marts.mart_student_current")
    }
    active = {
        e
        for (e,) in tiny_build.query("select enrolment_id from intermediate.int_enrolments_active")
    }
    assert outbox and outbox <= current <= active
    # every active enrolment with a week in the grid is current
    in_grid = {
        e
        for (e,) in tiny_build.query(
            "select distinct enrolment_id from marts.mart_student_activity where is_current"
        )
    }
    assert current == active & in_grid


def test_asleep_always_comes_after_falling_asleep(tiny_build):
    rows = tiny_build.query(
        "select enrolment_id from marts.mart_student_activity "
        "where first_asleep_week is not null "
        "and (first_falling_asleep_week is null or first_falling_asleep_week >= first_asleep_week)"
    )
    assert rows == []


def test_fading_students_are_flagged_before_they_stop(tiny_site, tiny_build):
    """The generator's fading students fall asleep (warning) no later than the week they stop."""
    truth = tiny_site["path"] / "_truth" / "student_archetypes.csv"
    with truth.open() as handle:
        fading = {
            f"{row['courseid']}-{row['userid']}": int(float(row["dropout_week"]))
            for row in csv.DictReader(handle)
            if row["archetype"] == "fading" and row["dropout_week"]
        }
    flagged = dict(
        tiny_build.query(
            "select enrolment_id, min(first_falling_asleep_week) from marts.mart_student_activity group by 1"
        )
    )
    observed = {e: w for e, w in fading.items() if e in flagged}
    assert observed, "the tiny site should have fading students in courses with weeks"
    early = [e for e, stop in observed.items() if flagged[e] is not None and flagged[e] <= stop]
    assert len(early) >= 0.7 * len(observed), (early, observed, flagged)
