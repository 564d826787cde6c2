"""The DuckDB warehouse over many runs (issue #16): nothing learned is lost, nothing leaks,
and a locked warehouse says so in one line.

* ``--full-refresh`` keeps the model registry (earlier model versions cannot be rebuilt
  as they were); only ``dbt run-operation drop_model_registry`` drops it;
* a week of daily runs leaves no ``<model>__dbt_tmp<timestamp>`` table behind
  (dbt-duckdb's incremental Python models used to leave one per run);
* a second ``dbt build`` on a warehouse another process holds stops with one plain
  message saying what to do, not a traceback.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from early_warning.benchmark import append_one_day
from early_warning.dbt_runner import DbtProject

pytestmark = pytest.mark.dbt

#: Relations a run may leave that are no model of the project.
STRAY = (
    "select table_schema || '.' || table_name from information_schema.tables "
    "where table_name like '%\\_\\_dbt\\_tmp%' escape '\\' "
    "or table_name like '%\\_\\_dbt\\_backup%' escape '\\' order by 1"
)
REGISTRY = (
    "select target, model_version, trained_at from ml.ml_model_registry order by trained_at, target"
)


@pytest.fixture(scope="module")
def week_of_daily_runs(tiny_site, tmp_path_factory):
    """A build, then seven daily runs (one more day of log each); returns
    (project, the relations after the first build, stray relations after each day)."""
    site = tmp_path_factory.mktemp("week_site") / "site"
    shutil.copytree(tiny_site["path"], site)
    project = DbtProject(
        workdir=tmp_path_factory.mktemp("week_build"), vars={"moodle_files_path": str(site)}
    )
    project.run("build")
    relations = "select table_schema || '.' || table_name from information_schema.tables order by 1"
    first = project.query(relations)
    strays = []
    for _ in range(7):
        append_one_day(site)
        project.run("run")
        strays.append(project.query(STRAY))
    return project, first, strays, project.query(relations)


def test_a_week_of_daily_runs_leaves_no_stray_relation(week_of_daily_runs):
    _, first, strays, last = week_of_daily_runs
    assert strays == [[]] * 7
    assert last == first  # the same relations as after the first build, no more


def test_full_refresh_keeps_the_model_registry(week_of_daily_runs):
    project, *_ = week_of_daily_runs
    before = project.query(REGISTRY)
    assert before, "the week's builds trained models"
    project.run("run", "--full-refresh")
    assert project.query(REGISTRY) == before  # every earlier model version is still there
    assert project.query(STRAY) == []


def test_only_the_documented_command_drops_the_registry(week_of_daily_runs):
    project, *_ = week_of_daily_runs
    n_versions = len(project.query(REGISTRY))
    output = project.run("run-operation", "drop_model_registry").stdout
    assert "Dropped the model registry" in output and f"({n_versions} model versions)" in output
    tables = "select table_name from information_schema.tables where table_schema = 'ml'"
    assert ("ml_model_registry",) not in project.query(tables)
    project.run("run", "--select", "ml_model_registry")  # the next run trains afresh
    assert len(project.query(REGISTRY)) == 2  # one model per target


def test_a_locked_warehouse_is_one_plain_line(tmp_path, tiny_site):
    project = DbtProject(workdir=tmp_path, vars={"moodle_files_path": str(tiny_site["path"])})
    tmp_path.mkdir(exist_ok=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('locked', flush=True);"
            " sys.stdin.read()",
            str(project.duckdb_path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        proc = project.run("build", "--select", "stg_moodle__roles", check=False)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert f"is in use by another process (PID {holder.pid}" in output
    assert "wait for it to finish (or stop it), then run this command again" in output
    assert "Traceback" not in output
    assert len(output.splitlines()) < 20
