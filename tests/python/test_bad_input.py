"""Bad input gets a clear error or a documented, tested treatment (DESIGN.md non-negotiables)."""

from __future__ import annotations

import shutil

import pytest

from early_warning.dbt_runner import PROJECT_DIR, DbtError, DbtProject

FIXTURES = PROJECT_DIR / "tests" / "fixtures"


pytestmark = pytest.mark.dbt

S, W, D = 1704067200, 604800, 86400


def test_every_log_row_is_counted_under_one_reason(dirty_build):
    checks = dict(
        dirty_build.query(
            "select check_name, n_rows from marts.mart_data_quality "
            "where source_table = 'logstore_standard_log'"
        )
    )
    assert checks == {
        "kept_as_learning_event": 4,
        "duplicate_log_id": 1,
        "null_timecreated": 1,
        "after_as_of": 1,
        "anonymous": 1,
        "not_in_a_course": 1,
        "not_learning_activity": 1,
        "deleted_user": 1,
        "not_a_student": 1,
        "outside_enrolment": 1,
    }
    log_csv = FIXTURES / "moodle_dirty" / "logstore_standard_log.csv"
    raw_rows = len(log_csv.read_text().splitlines()) - 1
    assert sum(checks.values()) == raw_rows


def test_future_rows_do_not_move_as_of(dirty_build):
    # The newest valid event is log id 11 at S + 5W; the row stamped 2100-01-01 is ignored.
    assert dirty_build.query("select as_of, as_of_origin from intermediate.int_as_of_resolved") == [
        (S + 5 * W, "newest_log_event")
    ]


def test_course_and_user_treatments(dirty_build):
    checks = dict(
        dirty_build.query(
            "select check_name, n_rows from marts.mart_data_quality where source_table <> 'logstore_standard_log'"
        )
    )
    assert checks == {"course_without_end_date": 1, "course_without_students": 1, "deleted_user": 1}
    enrolments = dirty_build.query(
        "select enrolment_id, first_week, last_week from intermediate.int_enrolments_resolved order by 1"
    )
    # deleted user 12, teacher 20 and unenrolled 13 have no enrolment; 11 ended after week 1
    assert enrolments == [("2-10", 1, 4), ("2-11", 1, 1), ("3-10", 1, 6)]


def test_duplicate_log_id_counts_once(dirty_build):
    # log id 1 appears twice on day 1: week 1 of 2-10 has one event, not two.
    rows = dirty_build.query(
        "select course_week, n_events, n_events_so_far, days_since_last_activity "
        "from marts.fct_enrolment_week_features where enrolment_id = '2-10' order by 1"
    )
    assert rows == [(1, 1, 1, 6), (2, 1, 2, 5), (3, 0, 2, 12), (4, 0, 2, 19)]


def test_course_without_end_date_runs_to_as_of_and_gives_no_labels(dirty_build):
    weeks = dirty_build.query(
        "select max(course_week) from marts.fct_enrolment_week_features where courseid = 3"
    )
    assert weeks == [(6,)]  # as_of = S + 5W is the first second of week 6
    labelled = dirty_build.query("select distinct courseid from marts.fct_enrolment_outcomes")
    assert labelled == [(2,)]


def test_course_ending_before_it_starts_is_a_clear_error(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "moodle_dirty", site)
    course_csv = site / "course.csv"
    lines = course_csv.read_text().splitlines()
    # course 2 ends one week before it starts
    lines[2] = lines[2].replace(f",{S},{S + 4 * W},", f",{S},{S - W},")
    course_csv.write_text("\n".join(lines) + "\n")
    project = DbtProject(
        workdir=tmp_path / "build",
        vars={"moodle_files_path": str(site), "moodle_files_format": "csv"},
    )
    with pytest.raises(DbtError) as failure:
        project.run("build", "--select", "+int_courses_classified")
    assert "expression_is_true_int_courses_classified" in str(failure.value)


def test_missing_raw_table_names_the_file(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "moodle_dirty", site)
    (site / "grade_grades.csv").unlink()
    project = DbtProject(
        workdir=tmp_path / "build",
        vars={"moodle_files_path": str(site), "moodle_files_format": "csv"},
    )
    with pytest.raises(DbtError) as failure:
        project.run("run", "--select", "stg_moodle__grade_grades")
    assert "grade_grades.csv" in str(failure.value)
