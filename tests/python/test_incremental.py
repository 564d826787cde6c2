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
    workdir = tmp_path_factory.mktemp("changed_build")
    incremental = DbtProject(workdir=workdir / "incremental", vars={"moodle_files_path": str(site)})
    incremental.workdir.mkdir(parents=True)
    shutil.copy(before.duckdb_path, incremental.duckdb_path)
    proc = incremental.run("build")
    full = DbtProject(workdir=workdir / "full", vars=incremental.vars)
    full.workdir.mkdir(parents=True)
    shutil.copy(incremental.duckdb_path, full.duckdb_path)
    full.run("run", "--full-refresh", "--exclude", "ml_model_registry")
    return incremental, full, proc.stdout


@pytest.mark.parametrize("table", sorted(COMPARED))
def test_changed_enrolment_reclassifies_the_whole_log(changed_enrolment_runs, table):
    incremental, full, output = changed_enrolment_runs
    assert "incremental log window: all rows (courses, enrolments or deleted users changed)" in (
        output
    )
    _assert_same(incremental, full, table)


def test_next_day_run_reprocesses_a_window_of_the_log(daily_runs):
    _, _, output = daily_runs
    for model in ("int_log_events_classified", "fct_activity_daily"):
        assert f"[{model}] incremental log window: rows at or after" in output, model
    assert "incremental log window: all rows" not in output


def test_next_day_scores_only_changed_course_weeks(daily_runs):
    _, _, output = daily_runs
    found = re.search(r"incremental: (\d+) of (\d+) rows .*; (\d+) course weeks keep", output)
    assert found, output[-2000:]
    rescored, total, kept_weeks = (int(g) for g in found.groups())
    assert 0 < rescored < total and kept_weeks > 0
