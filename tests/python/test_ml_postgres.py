"""The classifiers on PostgreSQL: `early-warning ml-job` trains in Python, scores in SQL (issue 5).

One throwaway database (ew_test_ml_<random>, dropped at the end) gets the tiny
site and `dbt build --selector before_ml`, while the session fixture
tiny_build builds the same site on DuckDB. The DuckDB registry rows are copied
into the PostgreSQL registry, so both engines score with the very same stored
models; the job must reuse them, score the running courses in SQL, and
`dbt build --selector ml_and_after` must give ML marts equal to DuckDB's row
by row (probabilities within 1e-6).

Server settings as in test_postgres.py (EW_PG_*; EW_SKIP_POSTGRES=1 skips).
"""

from __future__ import annotations

import os
import secrets
import threading

import numpy as np
import pytest
from scipy.special import expit

from early_warning.compare import (
    ML_MART_KEYS,
    DuckDBWarehouse,
    PostgresWarehouse,
    compare_warehouses,
)
from early_warning.dbt_runner import DbtError, DbtProject
from early_warning.loader import load_site, pg_settings
from early_warning.ml import warehouse_job as wj
from early_warning.ml.features import feature_matrix
from early_warning.ml.scoring import StoredModel

TAG = secrets.token_hex(4)
DATABASE = f"ew_test_ml_{TAG}"
PG_SCHEMA = "ew"
SCHEMAS = wj.Schemas(PG_SCHEMA)
BEFORE_ML = ("--selector", "before_ml")  # selectors.yml
ML_AND_AFTER = ("--selector", "ml_and_after")

pytestmark = [pytest.mark.dbt, pytest.mark.postgres]


def _settings(**overrides):
    return pg_settings(dsn_env=None, environ={**os.environ, **overrides})


def _connect(dbname: str = DATABASE):
    import psycopg2

    return psycopg2.connect(**_settings().connect_kwargs(dbname=dbname))


@pytest.fixture(scope="module")
def ml_database(tiny_site):
    """A throwaway database with the tiny site loaded; dropped at the end."""
    if os.environ.get("EW_SKIP_POSTGRES") == "1":
        pytest.skip("EW_SKIP_POSTGRES=1: PostgreSQL tests skipped")
    import psycopg2

    try:
        admin = _connect("postgres")
    except psycopg2.OperationalError as error:
        pytest.fail(
            f"PostgreSQL is not reachable at {_settings().describe()}: {error}".strip()
            + "\nStart it or set EW_PG_HOST/EW_PG_PORT/EW_PG_USER/EW_PG_PASSWORD; "
            "EW_SKIP_POSTGRES=1 skips these tests.",
            pytrace=False,
        )
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'create database "{DATABASE}"')
    try:
        load_site(
            tiny_site["path"],
            schema="moodle_raw",
            settings=_settings(EW_PG_DATABASE=DATABASE),
            quiet=True,
        )
        yield DATABASE
    finally:
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{DATABASE}" with (force)')
        admin.close()


@pytest.fixture(scope="module")
def ml_project(request, ml_database, tiny_site, tmp_path_factory) -> DbtProject:
    """dbt build of everything before the job on PostgreSQL (DuckDB's tiny_build meanwhile)."""
    project = DbtProject(
        workdir=tmp_path_factory.mktemp("ml_pg"),
        target="postgres",
        vars={
            "moodle_source": "database",
            "moodle_schema": "moodle_raw",
            "as_of": int(tiny_site["manifest"]["now"]),
        },
        extra_env={"EW_PG_DATABASE": ml_database, "EW_PG_SCHEMA": PG_SCHEMA},
    )
    outcome: dict = {}

    def build():
        try:
            project.run("build", *BEFORE_ML)
        except DbtError as error:
            outcome["error"] = error

    thread = threading.Thread(target=build)
    thread.start()
    try:
        request.getfixturevalue("tiny_build")
    finally:
        thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return project


@pytest.fixture(scope="module")
def ml_scored(ml_project, tiny_build):
    """DuckDB's registry copied to PostgreSQL, the job run (reusing it), the ML marts built."""
    registry = tiny_build.query_df("select * from ml.ml_model_registry")
    assert len(registry) == 2
    con = _connect()
    try:
        with con.cursor() as cur:
            wj.append_registry(cur, SCHEMAS, registry)
        con.commit()
        result = wj.run_job(con, SCHEMAS)
    finally:
        con.close()
    ml_project.run("build", *ML_AND_AFTER)
    return {"result": result, "registry": registry}


def _scores(con, table: str) -> dict:
    with con.cursor() as cur:
        cur.execute(f"select enrolment_id, course_week, p_dropout, p_completion from {table}")
        return {(e, w): (d, c) for e, w, d, c in cur.fetchall()}


def test_job_reuses_the_stored_models_and_scores_in_sql(ml_scored):
    result = ml_scored["result"]
    assert result.new_models == []
    assert sum("reusing" in m for m in result.messages) == 2, result.messages
    assert set(result.scored_rows) == {"dropout", "completion"}
    assert min(result.scored_rows.values()) > 0
    assert result.max_sql_drift < 1e-6


def test_ml_marts_match_duckdb_row_by_row(ml_scored, tiny_build):
    left = DuckDBWarehouse(tiny_build.duckdb_path)
    right = PostgresWarehouse(_connect(), SCHEMAS.marts)
    try:
        comparison = compare_warehouses(left, right, marts=ML_MART_KEYS, optional_marts={})
        duck = {
            (e, w): (d, c)
            for e, w, d, c in left.con.sql(
                "select enrolment_id, course_week, p_dropout, p_completion "
                "from marts.mart_student_scores"
            ).fetchall()
        }
        pg = _scores(right.con, f"{SCHEMAS.marts}.mart_student_scores")
        # the stored scores, also those of a model the guard withholds from the marts
        raw_sql = "select enrolment_id, course_week, target, probability from {}"
        duck_raw = {
            (e, w, t): p
            for e, w, t, p in left.con.sql(raw_sql.format("ml.ml_student_scores_raw")).fetchall()
        }
        with right.con.cursor() as cur:
            cur.execute(raw_sql.format(f"{SCHEMAS.ml}.ml_student_scores_raw"))
            pg_raw = {(e, w, t): p for e, w, t, p in cur.fetchall()}
    finally:
        left.close()
        right.close()
    assert comparison.ok, comparison.report()
    assert {m.mart for m in comparison.marts if m.skipped is None} == set(ML_MART_KEYS)
    assert duck.keys() == pg.keys() and len(duck) > 0
    # NULL where the guard withholds a model (the tiny site's dropout model), on both
    assert all(
        (a is None) == (b is None) for k in duck for a, b in zip(duck[k], pg[k], strict=True)
    )
    deltas = [
        abs(a - b)
        for k in duck
        for a, b in zip(duck[k], pg[k], strict=True)
        if a is not None and b is not None
    ]
    assert not deltas or max(deltas) < 1e-6
    assert duck_raw.keys() == pg_raw.keys() and len(duck_raw) == 2 * len(duck)
    assert max(abs(duck_raw[k] - pg_raw[k]) for k in duck_raw) < 1e-6


def test_forced_retrain_round_trips_through_the_registry(ml_scored):
    con = _connect()
    try:
        forced = wj.run_job(con, SCHEMAS, force=True)
        again = wj.run_job(con, SCHEMAS)  # same as_of: never retrains twice
        registry = wj.read_registry(con, SCHEMAS)
        features = wj.read_frame(
            con,
            f"select f.* from {SCHEMAS.marts}.fct_enrolment_week_features as f "
            f"join {SCHEMAS.intermediate}.int_courses_classified as c using (courseid) "
            "where c.course_status = 'running'",
        )
        with con.cursor() as cur:
            cur.execute(
                f"select enrolment_id, course_week, target, model_version, probability "
                f"from {SCHEMAS.ml}.ml_student_scores_raw"
            )
            sql_rows = cur.fetchall()
    finally:
        con.close()
    assert len(forced.new_models) == 2 and again.new_models == []
    assert all("ml_force_retrain is true" in m for m in forced.messages[:2])
    assert set(registry["model_version"]) >= set(forced.new_models)
    for version in forced.new_models:
        row = registry[registry["model_version"] == version].iloc[0]
        model = StoredModel(row)  # skops with the trusted-type list, never pickle
        mine = [r for r in sql_rows if r[3] == version]
        assert len(mine) == len(features) > 0
        frame = features.set_index(["enrolment_id", "course_week"], drop=False)
        ordered = frame.loc[[(e, w) for e, w, *_ in mine]]
        python = expit(model.log_odds(feature_matrix(ordered, model.features)))
        sql = np.array([r[4] for r in mine], dtype="float64")
        assert np.abs(python - sql).max() < 1e-6


def test_cli_runs_the_job_and_names_missing_dbt_tables(ml_scored, monkeypatch, capsys):
    from early_warning.cli import main

    monkeypatch.setenv("EW_PG_DATABASE", DATABASE)
    monkeypatch.delenv("EW_PG_DSN", raising=False)
    assert main(["ml-job", "--target", "postgres", "--schema-prefix", PG_SCHEMA]) == 0
    out = capsys.readouterr().out
    assert "reusing" in out and "scored" in out
    assert main(["ml-job", "--schema-prefix", "no_such_prefix"]) == 1
    err = capsys.readouterr().err
    assert "no_such_prefix_intermediate.int_as_of_resolved does not exist" in err
    assert "dbt build --selector before_ml" in err
