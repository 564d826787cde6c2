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
        "in_the_future": 1,
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
    found = {name: n for name, n in checks.items() if n}
    # course 4 has no students; courses 3 and 4 have no teacher (course 3 is not scored)
    assert found == {
        "course_without_end_date": 1,
        "course_without_students": 1,
        "course_without_teacher": 2,
        "deleted_user": 1,
    }
    # every row-level treatment is listed, also when no row breaks it
    assert checks["duplicate_course_id"] == 0 and checks["enrolment_starts_in_the_future"] == 0
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


def test_broken_courses_and_duplicated_ids_are_quarantined(hostile_site, tmp_path):
    """A course ending before it starts, a startdate of 0, a duplicated course id and a
    duplicated user id no longer stop the site: they are left out, listed with their ids
    (in the mart and in the build's output), and the sane courses build as before."""
    project = DbtProject(
        workdir=tmp_path / "build",
        vars={
            "moodle_files_path": str(hostile_site),
            "moodle_files_format": "csv",
        },
    )
    output = project.run("build").stdout  # exit 0: nothing fails
    listed = project.query(
        "select check_name, source_table, row_id from marts.mart_data_quality_rows "
        "where source_table in ('course', 'user') and check_name not like 'course_without_%' "
        "order by 1, 3"
    )
    assert listed == [
        ("course_ends_before_start", "course", "5"),
        ("course_start_invalid", "course", "6"),
        ("duplicate_course_id", "course", "4"),
        ("duplicate_user_id", "user", "11"),
    ]
    assert "course | 5 | course_ends_before_start" in output
    assert "course | 6 | course_start_invalid | startdate = 0, before 2000-01-01" in output
    assert "user | 11 | duplicate_user_id | the id appears 2 times" in output
    counts = dict(
        project.query(
            "select check_name, n_rows from marts.mart_data_quality where check_name in "
            "('course_ends_before_start', 'course_start_invalid', 'duplicate_course_id', "
            "'duplicate_user_id', 'quarantined_user')"
        )
    )
    assert counts == {
        "course_ends_before_start": 1,
        "course_start_invalid": 1,
        "duplicate_course_id": 1,
        "duplicate_user_id": 1,
        "quarantined_user": 2,  # user 11's two log rows
    }
    # no quarantined course or user anywhere downstream; the sane ones as on the clean fixture
    assert project.query("select courseid from intermediate.int_courses_classified order by 1") == [
        (2,),
        (3,),
    ]
    assert project.query(
        "select enrolment_id, first_week, last_week from intermediate.int_enrolments_resolved order by 1"
    ) == [("2-10", 1, 4), ("3-10", 1, 6)]
    assert project.query("select max(course_week) from marts.fct_enrolment_week_features") == [(6,)]


def test_empty_log_gives_no_labels_and_no_scores(dirty_copy, tmp_path):
    """An empty log with an explicit as_of: no training labels (not every student a
    dropout), NULL scores saying why, and mart_data_quality saying why."""
    site = dirty_copy(
        tmp_path, lambda table, lines: lines[:1] if table == "logstore_standard_log" else lines
    )
    project = DbtProject(
        workdir=tmp_path / "build",
        vars={"moodle_files_path": str(site), "moodle_files_format": "csv", "as_of": S + 5 * W},
    )
    project.run("build")
    assert project.query("select count(*) from marts.fct_enrolment_outcomes") == [(0,)]
    assert project.query("select count(*) from ml.ml_model_registry") == [(0,)]
    assert project.query(
        "select distinct courseid, p_dropout, p_completion, risk_band, score_note "
        "from marts.mart_student_scores"
    ) == [(3, None, None, None, "not scored: course_without_learning_events")]
    assert project.query("select enrolment_id, score_note from marts.mart_student_current") == [
        ("3-10", "not scored: course_without_learning_events")
    ]
    assert project.query(
        "select row_id from marts.mart_data_quality_rows "
        "where check_name = 'course_without_learning_events' order by 1"
    ) == [("2",), ("3",)]
    # ... and without as_of: "now" is the run's start, the site still builds
    project.vars.pop("as_of")
    project.run("build", "--select", "+int_as_of_resolved", "+mart_data_quality")
    [(origin, n_courses)] = project.query(
        "select as_of_origin, (select n_rows from marts.mart_data_quality "
        "where check_name = 'course_without_learning_events') from intermediate.int_as_of_resolved"
    )
    assert (origin, n_courses) == ("run_started_at", 2)


def test_stray_log_row_does_not_move_default_as_of(tiny_site, tmp_path):
    """One log row stamped months after the rest (before the wall clock) is left out
    of the default as_of, which stays the newest row of the site's last usual day."""
    import duckdb

    site = tmp_path / "site"
    shutil.copytree(tiny_site["path"], site)
    log = site / "logstore_standard_log.parquet"
    con = duckdb.connect()
    [(newest,)] = con.sql(f"select max(timecreated) from '{log}'").fetchall()
    stray = newest + 120 * D
    con.execute(
        f"copy (select * from '{log}' union all select * replace ("
        f"(select max(id) from '{log}') + 1 as id, {stray} as timecreated) "
        f"from (select * from '{log}' limit 1)) to '{tmp_path / 'log.parquet'}' (format parquet)"
    )
    shutil.move(tmp_path / "log.parquet", log)
    project = DbtProject(workdir=tmp_path / "build", vars={"moodle_files_path": str(site)})
    project.run("run", "--select", "+int_as_of_resolved")
    assert project.query("select as_of, as_of_origin from intermediate.int_as_of_resolved") == [
        (newest, "newest_log_event")
    ]


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
