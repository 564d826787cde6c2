"""The benchmark harness at scale: DuckDB's memory settings come from the environment, and
the next day is appended (and dropped again) by DuckDB without the log entering Python."""

from __future__ import annotations

import json
import shutil

import duckdb
import pyarrow.parquet as pq
import pytest

from early_warning import benchmark
from early_warning.benchmark import DAY, append_one_day, drop_appended_days, log_max_id
from early_warning.dbt_runner import DbtProject

SETTINGS_SQL = (
    "select current_setting('memory_limit') as memory_limit,"
    " current_setting('temp_directory') as temp_directory"
)


def _duckdb_settings(project: DbtProject) -> dict:
    """memory_limit and temp_directory of the connection dbt opens with profiles.yml."""
    proc = project.run("show", "--inline", SETTINGS_SQL, "--output", "json", "--log-format", "text")
    text = proc.stdout
    start = text.index("{")
    return json.loads(text[start : text.rindex("}") + 1])["show"][0]


def _as_duckdb_shows(memory_limit: str) -> str:
    with duckdb.connect() as con:
        con.execute(f"set memory_limit = '{memory_limit}'")
        return con.execute("select current_setting('memory_limit')").fetchall()[0][0]


@pytest.mark.dbt
def test_duckdb_memory_limit_and_temp_directory_come_from_the_environment(tmp_path, monkeypatch):
    spill = tmp_path / "spill"
    project = DbtProject(
        workdir=tmp_path / "set",
        extra_env={"EW_DUCKDB_MEMORY_LIMIT": "1536MiB", "EW_DUCKDB_TEMP_DIRECTORY": str(spill)},
    )
    settings = _duckdb_settings(project)
    assert settings["memory_limit"] == _as_duckdb_shows("1536MiB") == "1.5 GiB"
    assert settings["temp_directory"] == str(spill)

    # defaults: 4GB, and DuckDB's own spill folder beside the warehouse file
    monkeypatch.delenv("EW_DUCKDB_MEMORY_LIMIT", raising=False)
    monkeypatch.delenv("EW_DUCKDB_TEMP_DIRECTORY", raising=False)
    default = DbtProject(workdir=tmp_path / "default")
    settings = _duckdb_settings(default)
    assert settings["memory_limit"] == _as_duckdb_shows("4GB")
    assert settings["temp_directory"] == f"{default.duckdb_path}.tmp"


@pytest.fixture()
def site(tiny_site, tmp_path):
    copy = tmp_path / "site"
    shutil.copytree(tiny_site["path"], copy)
    return copy


def _log(site) -> list[dict]:
    return pq.read_table(site / "logstore_standard_log.parquet").to_pylist()


def test_next_day_append_is_made_by_duckdb_without_reading_the_log_into_python(site, monkeypatch):
    before = _log(site)
    newest = max(row["timecreated"] for row in before)
    max_id = max(row["id"] for row in before)
    last_day = [row for row in before if row["timecreated"] > newest - DAY]
    assert 0 < len(last_day) < len(before)

    def no_reading(*args, **kwargs):
        raise AssertionError("the benchmark read the log into Python")

    monkeypatch.setattr(pq, "read_table", no_reading)
    monkeypatch.setattr(pq, "ParquetFile", no_reading)
    monkeypatch.setattr(benchmark.pq, "read_table", no_reading)
    assert log_max_id(site) == max_id
    new_now = append_one_day(site)
    monkeypatch.undo()

    assert new_now == newest + DAY
    after = _log(site)
    assert after[: len(before)] == before  # the old rows first, unchanged, in their order
    appended = after[len(before) :]
    expected = [
        {**row, "id": max_id + 1 + i, "timecreated": row["timecreated"] + DAY}
        for i, row in enumerate(last_day)
    ]
    assert appended == expected
    assert pq.read_schema(site / "logstore_standard_log.parquet").names == list(before[0])

    # a second day continues the ids; dropping the appended days restores the generated log
    append_one_day(site)
    assert len(_log(site)) == len(before) + 2 * len(last_day)
    assert drop_appended_days(site, len(before)) is True
    assert _log(site) == before
    assert drop_appended_days(site, len(before)) is False
