"""The Moodle source contract, checked by column at the start of every run (issue #18).

A site export that lacks an optional table or column builds, with one warning, and
mart_data_quality counts what was missing; one that lacks a required column stops at
run start with one message naming each table and every missing column (files and
database sources; PostgreSQL: tests/python/test_postgres.py).
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest

from early_warning.dbt_runner import PROJECT_DIR, DbtProject
from early_warning.moodle_schema import OPTIONAL_TABLES, TABLES, read_columns, required_columns

FIXTURES = PROJECT_DIR / "tests" / "fixtures"
WARNING = "optional Moodle tables/columns missing"


def _drop_csv_columns(path: Path, columns: set[str]) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    keep = [i for i, name in enumerate(rows[0]) if name not in columns]
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([[row[i] for i in keep] for row in rows])


def _dirty_copy(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "moodle_dirty", site)
    return site


def test_contract_in_dbt_is_the_python_contract():
    """The source yml (what dbt checks) lists exactly the columns moodle_schema reads,
    with their types and optional flags: one contract, two readers."""
    import yaml

    document = yaml.safe_load(
        (PROJECT_DIR / "models/staging/moodle/_moodle__sources.yml").read_text()
    )
    tables = {t["name"]: t for t in document["sources"][0]["tables"]}
    assert set(tables) == set(TABLES)
    for name, table in tables.items():
        columns = [(c["name"], c["data_type"]) for c in table["columns"]]
        types = dict(TABLES[name])
        assert columns == [(c, types[c]) for c in read_columns(name)], name
        required = [c["name"] for c in table["columns"] if not c.get("meta", {}).get("optional")]
        assert required == required_columns(name), name
        assert bool(table.get("meta", {}).get("optional")) == (name in OPTIONAL_TABLES), name


@pytest.mark.dbt
def test_missing_optional_tables_and_columns_build_with_one_warning(tmp_path):
    site = _dirty_copy(tmp_path)
    for table in ("ai_action_register", "quiz", "quiz_attempts", "user_preferences"):
        (site / f"{table}.csv").unlink()
    _drop_csv_columns(site / "user.csv", {"lang", "city"})
    project = DbtProject(
        workdir=tmp_path / "build",
        vars={"moodle_files_path": str(site), "moodle_files_format": "csv"},
    )
    output = project.run("build").stdout
    assert output.count(WARNING) == 1
    warning = next(line for line in output.splitlines() if WARNING in line)
    for gap in ("ai_action_register", "quiz", "quiz_attempts", "user_preferences"):
        assert gap in warning
    assert "user.lang" in warning and "user.city" in warning
    checks = project.query(
        "select source_table, check_name, n_rows, treatment is not null from marts.mart_data_quality"
        " where check_name like 'optional_%' order by 1"
    )
    assert checks == [
        ("ai_action_register", "optional_table_missing", 1, True),
        ("quiz", "optional_table_missing", 1, True),
        ("quiz_attempts", "optional_table_missing", 1, True),
        ("user.city", "optional_column_missing", 1, True),
        ("user.lang", "optional_column_missing", 1, True),
        ("user_preferences", "optional_table_missing", 1, True),
    ]
    # read as empty / NULL: the rest of the site is there
    assert project.query("select count(*) from staging.stg_moodle__quiz_attempts") == [(0,)]
    n_users = len((site / "user.csv").read_text().splitlines()) - 1
    assert project.query("select count(*), count(lang) from staging.stg_moodle__users") == [
        (n_users, 0)
    ]
    assert project.query("select count(*) from marts.fct_enrolment_week_features")[0][0] > 0


def _database_site(tmp_path: Path, site: Path) -> DbtProject:
    """The CSV site copied into schema moodle_raw of the DuckDB warehouse (database mode)."""
    project = DbtProject(workdir=tmp_path / "build", vars={"moodle_source": "database"})
    project.workdir.mkdir(parents=True)
    with duckdb.connect(str(project.duckdb_path)) as con:
        con.execute("create schema moodle_raw")
        for path in sorted(site.glob("*.csv")):
            con.execute(
                f"create table moodle_raw.mdl_{path.stem} as select * from "
                f"read_csv('{path}', header = true, all_varchar = true)"
            )
    return project


@pytest.mark.dbt
@pytest.mark.parametrize("mode", ["csv", "parquet", "database"])
def test_missing_required_columns_fail_at_run_start_naming_them(tmp_path, mode):
    site = _dirty_copy(tmp_path)
    _drop_csv_columns(site / "user.csv", {"username", "lang"})
    _drop_csv_columns(site / "course.csv", {"startdate", "enddate"})
    if mode == "parquet":
        with duckdb.connect() as con:
            for path in sorted(site.glob("*.csv")):
                con.execute(
                    f"copy (select * from read_csv('{path}', header = true)) "
                    f"to '{path.with_suffix('.parquet')}' (format parquet)"
                )
                path.unlink()
    if mode == "database":
        project = _database_site(tmp_path, site)
    else:
        project = DbtProject(
            workdir=tmp_path / "build",
            vars={"moodle_files_path": str(site), "moodle_files_format": mode},
        )
    proc = project.run("build", check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "do not match the source contract" in output
    assert "table course lacks the required columns startdate, enddate" in output
    assert "table user lacks the required column username (optional columns of user" in output
    assert (
        "lang" not in output.split("table user lacks the required column username")[1].split("(")[0]
    )
    assert "Binder Error" not in output
    assert "PASS=" not in output  # stopped at run start: no model ran
