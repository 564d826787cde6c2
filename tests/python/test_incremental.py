"""Incremental models give exactly the tables of a full refresh.

The daily scheduled run: a build, one more day of log rows (as_of stays the
default, the newest event, so it moves forward one day), an incremental
`dbt build`; then `--full-refresh` of the same warehouse (registry kept: a
fresh one would train other models) must give the same rows in every table.
"""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from early_warning.benchmark import append_one_day
from early_warning.dbt_runner import DbtProject

pytestmark = pytest.mark.dbt

#: table -> columns that order its rows completely
COMPARED = {
    "intermediate.int_log_events_classified": ["log_id", "log_row_number", "timecreated"],
    "marts.fct_activity_daily": ["enrolment_id", "course_day"],
    "marts.fct_enrolment_week_features": ["enrolment_id", "course_week"],
    "ml.ml_student_scores_raw": ["enrolment_id", "course_week", "target"],
    "marts.mart_student_scores": ["enrolment_id", "course_week"],
    "marts.mart_student_activity": ["enrolment_id", "course_week"],
}


def _table(project: DbtProject, table: str, order: list[str]) -> pd.DataFrame:
    frame = project.query_df(f"select * from {table}")
    return frame.sort_values(order, kind="stable", na_position="first").reset_index(drop=True)


@pytest.fixture(scope="module")
def daily_runs(tiny_site, tmp_path_factory):
    """(incremental warehouse after the next day's run, full refresh of the same data)."""
    site = tmp_path_factory.mktemp("incremental_site") / "site"
    shutil.copytree(tiny_site["path"], site)
    workdir = tmp_path_factory.mktemp("incremental_build")
    incremental = DbtProject(workdir=workdir / "incremental", vars={"moodle_files_path": str(site)})
    incremental.run("build")
    append_one_day(site)
    proc = incremental.run("build")
    full = DbtProject(workdir=workdir / "full", vars=incremental.vars)
    full.workdir.mkdir(parents=True)
    shutil.copy(incremental.duckdb_path, full.duckdb_path)
    # the registry stays: retraining is not due one day later, and a new model would differ
    full.run("run", "--full-refresh", "--exclude", "ml_model_registry")
    return incremental, full, proc.stdout


def _next_build_and_full_refresh(before: DbtProject, site, workdir):
    """(warehouse after the next build on the changed site, its --full-refresh, build output),
    both starting from a copy of ``before``'s warehouse."""
    incremental = DbtProject(workdir=workdir / "incremental", vars={"moodle_files_path": str(site)})
    incremental.workdir.mkdir(parents=True)
    shutil.copy(before.duckdb_path, incremental.duckdb_path)
    proc = incremental.run("build")
    full = DbtProject(workdir=workdir / "full", vars=incremental.vars)
    full.workdir.mkdir(parents=True)
    shutil.copy(incremental.duckdb_path, full.duckdb_path)
    # the registry stays: retraining is not due, and a new model would differ
    full.run("run", "--full-refresh", "--exclude", "ml_model_registry")
    return incremental, full, proc.stdout


def _assert_same(incremental: DbtProject, full: DbtProject, table: str) -> None:
    got = _table(incremental, table, COMPARED[table])
    expected = _table(full, table, COMPARED[table])
    assert len(got) > 0
    # same rows and values; floats to 1e-12: BLAS may round the last bit of a matrix
    # product differently for a different batch of rows (the rescored course weeks)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("table", sorted(COMPARED))
def test_incremental_run_equals_full_refresh(daily_runs, table):
    incremental, full, _ = daily_runs
    _assert_same(incremental, full, table)


@pytest.fixture(scope="module")
def changed_enrolment_runs(daily_runs, tmp_path_factory):
    """The next run after an enrolment ended earlier (old log rows change classification)."""
    before, _, _ = daily_runs
    site = tmp_path_factory.mktemp("changed_site") / "site"
    shutil.copytree(before.vars["moodle_files_path"], site)
    path = site / "user_enrolments.parquet"
    table = pq.read_table(path)
    frame = table.to_pandas()
    # a student enrolment without end in a course with log rows: it now ends two weeks in
    [(userid, courseid)] = before.query(
        "select userid, courseid from intermediate.int_enrolments_resolved"
        " where enrol_end is null and enrolment_id in"
        " (select enrolment_id from marts.fct_activity_daily) order by enrolment_id limit 1"
    )
    enrol = pq.read_table(site / "enrol.parquet").to_pandas()
    enrol_ids = enrol.loc[enrol["courseid"] == courseid, "id"]
    row = frame.index[(frame["userid"] == userid) & frame["enrolid"].isin(enrol_ids)][0]
    frame.loc[row, "timeend"] = frame.loc[row, "timestart"] + 14 * 86400
    pq.write_table(pa.Table.from_pandas(frame, schema=table.schema, preserve_index=False), path)
    return _next_build_and_full_refresh(before, site, tmp_path_factory.mktemp("changed_build"))


@pytest.mark.parametrize("table", sorted(COMPARED))
def test_changed_enrolment_reclassifies_the_whole_log(changed_enrolment_runs, table):
    incremental, full, output = changed_enrolment_runs
    assert "incremental log window: all rows (courses, enrolments or deleted users changed)" in (
        output
    )
    _assert_same(incremental, full, table)


def test_next_day_run_reprocesses_a_window_of_the_log(daily_runs):
    _, _, output = daily_runs
    for model in ("int_log_events_classified", "int_activity_daily"):
        assert f"[{model}] incremental log window: rows at or after" in output, model
    assert "incremental log window: all rows" not in output


def test_next_day_scores_only_changed_course_weeks(daily_runs):
    _, _, output = daily_runs
    found = re.search(r"incremental: (\d+) of (\d+) running rows", output)
    assert found, output[-2000:]
    rescored, total = (int(g) for g in found.groups())
    assert 0 < rescored < total


@pytest.fixture(scope="module")
def regraded_runs(daily_runs, tmp_path_factory):
    """The next run after an old grade of a running course was corrected (same timemodified)."""
    before, _, _ = daily_runs
    site = tmp_path_factory.mktemp("regraded_site") / "site"
    shutil.copytree(before.vars["moodle_files_path"], site)
    [(courseid, course_week, userid)] = before.query(
        "select e.courseid, r.course_week, e.userid"
        " from intermediate.int_assessment_results_weekly as r"
        " inner join intermediate.int_enrolments_resolved as e on r.enrolment_id = e.enrolment_id"
        " inner join intermediate.int_courses_classified as c on e.courseid = c.courseid"
        " where c.course_status = 'running' and r.n_grades > 0 and r.course_week <= c.last_week - 2"
        " order by r.course_week, e.enrolment_id limit 1"
    )
    items = pq.read_table(site / "grade_items.parquet").to_pandas()
    item_ids = items.loc[(items["courseid"] == courseid) & (items["itemtype"] == "mod"), "id"]
    path = site / "grade_grades.parquet"
    table = pq.read_table(path)
    grades = table.to_pandas()
    mask = (
        (grades["userid"] == userid)
        & grades["itemid"].isin(item_ids)
        & grades["finalgrade"].notna()
    )
    row = grades.index[mask][0]
    grades.loc[row, "finalgrade"] = grades.loc[row, "finalgrade"] / 2 + 1
    pq.write_table(pa.Table.from_pandas(grades, schema=table.schema, preserve_index=False), path)
    return (
        *_next_build_and_full_refresh(before, site, tmp_path_factory.mktemp("regraded_build")),
        courseid,
    )


@pytest.mark.parametrize("table", sorted(COMPARED))
def test_corrected_old_grade_recomputes_its_course_from_that_week(regraded_runs, table):
    incremental, full, output, courseid = regraded_runs
    assert "incremental log window: all rows" not in output
    _assert_same(incremental, full, table)


def test_corrected_old_grade_reprocesses_only_from_its_week(regraded_runs, daily_runs):
    incremental, _, _, courseid = regraded_runs
    weeks = dict(
        incremental.query(
            "select courseid, from_week from intermediate.int_course_weeks_to_reprocess"
        )
    )
    last_weeks = dict(
        incremental.query("select courseid, last_week from intermediate.int_courses_classified")
    )
    # the corrected course goes back to the graded week; the other running courses only
    # recompute their last weeks (the log window)
    assert weeks[courseid] <= last_weeks[courseid] - 2
    others = [c for c in weeks if c != courseid and weeks[c] is not None]
    assert others and all(weeks[c] >= last_weeks[c] - 1 for c in others)
    [(full_flag,)] = incremental.query(
        "select bool_or(is_full_reprocess) from intermediate.int_course_weeks_to_reprocess"
    )
    assert full_flag is False


def test_next_day_recomputes_only_the_last_weeks(daily_runs):
    incremental, _, _ = daily_runs
    rows = incremental.query(
        "select r.courseid, r.from_week, c.last_week, r.is_full_reprocess"
        " from intermediate.int_course_weeks_to_reprocess as r"
        " inner join intermediate.int_courses_classified as c on r.courseid = c.courseid"
    )
    assert rows and not any(full for *_, full in rows)
    # the log window (3 days back) reaches at most one week before the current one
    assert all(from_week >= last_week - 1 for _, from_week, last_week, _ in rows)
