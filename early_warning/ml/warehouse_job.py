"""The classifiers on PostgreSQL: a scheduled job that trains in Python and scores in SQL.

dbt-postgres has no Python models, so on PostgreSQL this job does what the dbt
Python models of ``python_models/classifiers`` do on DuckDB, with the same functions of
:mod:`early_warning.ml.registry` and :mod:`early_warning.ml.scoring` and into
tables with the same columns, in schema
``<EW_PG_SCHEMA>_ml`` (default ``ew_ml``)::

    dbt build --selector before_ml              # features and marts, not the ML part
    early-warning ml-job --target postgres      # trains when due; scores in SQL
    dbt build --selector ml_and_after           # ML marts, mart_student_current, notifications

(the named selectors are in selectors.yml)

1. Reads as_of (``int_as_of_resolved``) and the registry table
   ``ml_model_registry``; :func:`~early_warning.ml.registry.update_registry` decides per target
   whether retraining is due (no model, model ``--retrain-after-days`` old, or
   ``--force-retrain``) and only then reads the training data (feature mart,
   outcomes, courses) and trains. New rows are appended (a row with the same
   model_version is replaced, as dbt's incremental model does on DuckDB). The
   fitted pipeline is stored as skops bytes in base64 text, never pickle.
2. Scores the running courses **in PostgreSQL**: each target's current model
   (newest trained at or before as_of) becomes SQL with ``orbital``
   (:mod:`early_warning.ml.sql_scoring`), Platt calibration is applied in SQL,
   and ``ml_student_scores_raw`` is created with ``create table ... as select``
   over the feature mart. The reasons (per-feature contributions of gradient
   boosting trees, which orbital cannot give) are computed in Python for the
   running-course rows only and joined in; the same Python pass re-derives
   every probability and the job fails if SQL and Python differ by more than
   1e-6 (never a silent wrong score).
3. Rewrites ``ml_model_evaluation_raw`` and ``ml_model_calibration_raw`` from
   the registry's JSON, like the DuckDB models.

Everything from step 1 to 3 is one transaction: readers see the old tables or
the new ones, never a mix. Connection: EW_PG_DSN or EW_PG_HOST / EW_PG_PORT /
EW_PG_USER / EW_PG_PASSWORD / EW_PG_DATABASE (:mod:`early_warning.warehouse`).
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from early_warning.ml import registry as ml_registry
from early_warning.ml.scoring import SCORE_COLUMNS, StoredModel, score_running
from early_warning.ml.sql_scoring import (
    calibrated_log_odds_sql,
    compares_in_float32,
    log_odds_query,
    probability_sql,
    tree_input_sql,
)
from early_warning.warehouse import Schemas, WarehouseError, connect, pg_settings

log = logging.getLogger("early_warning.ml.warehouse_job")

#: Largest |probability(SQL) - probability(Python)| accepted before the job fails.
MAX_SQL_DRIFT = 1e-6

PG_TYPES = {
    "str": "text",
    "int64": "bigint",
    "float64": "double precision",
    "bool": "boolean",
    "datetime64[us]": "timestamp",
}

REASON_COLUMNS = [name for name in SCORE_COLUMNS if name.startswith("reason_")]


class WarehouseJobError(RuntimeError):
    """Something the operator must fix (missing dbt tables, SQL/Python disagreement)."""


@dataclass
class JobResult:
    as_of: int
    new_models: list[str]
    scored_rows: dict[str, int]
    max_sql_drift: float
    messages: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


# --------------------------------------------------------------------------- reading


def _register_numeric_as_float(con) -> None:
    """PostgreSQL numeric (sums of bigints) arrives as float, as DuckDB's HUGEINT does in pandas."""
    import psycopg2.extensions as ext

    as_float = ext.new_type(
        ext.DECIMAL.values, "EW_NUMERIC_AS_FLOAT", lambda v, c: None if v is None else float(v)
    )
    ext.register_type(as_float, con)


def read_frame(con, sql: str, params=()) -> pd.DataFrame:
    with con.cursor() as cur:
        cur.execute(sql, params)
        names = [d.name for d in cur.description]
        rows = cur.fetchall()
    frame = pd.DataFrame.from_records(rows, columns=names)
    for name in frame.columns:  # all-NULL / mixed columns: let pandas infer as DuckDB's .df() does
        if frame[name].dtype == object:
            frame[name] = frame[name].infer_objects()
    return frame


def _table_exists(con, schema: str, table: str) -> bool:
    with con.cursor() as cur:
        cur.execute("select to_regclass(%s) is not null", (f'"{schema}"."{table}"',))
        return bool(cur.fetchall()[0][0])


def _require(con, schema: str, table: str) -> None:
    if not _table_exists(con, schema, table):
        raise WarehouseJobError(
            f"{schema}.{table} does not exist: run `dbt build --selector before_ml` "
            "on this database first (EW_PG_SCHEMA must match the job's --schema-prefix)"
        )


def read_as_of(con, schemas: Schemas) -> int:
    _require(con, schemas.intermediate, "int_as_of_resolved")
    frame = read_frame(con, f"select as_of from {schemas.intermediate}.int_as_of_resolved")
    return int(frame["as_of"].iloc[0])


def read_registry(con, schemas: Schemas) -> pd.DataFrame:
    if not _table_exists(con, schemas.ml, "ml_model_registry"):
        return ml_registry.empty_registry()
    columns = ", ".join(ml_registry.REGISTRY_COLUMNS)
    frame = read_frame(con, f"select {columns} from {schemas.ml}.ml_model_registry")
    if frame.empty:
        return ml_registry.empty_registry()
    for name in ("trained_at", "train_data_from", "train_data_to"):
        frame[name] = pd.to_datetime(frame[name]).astype("datetime64[us]")
    return frame


def training_data_loader(con, schemas: Schemas):
    def load():
        for schema, table in (
            (schemas.marts, "fct_enrolment_week_features"),
            (schemas.marts, "fct_enrolment_outcomes"),
            (schemas.intermediate, "int_courses_classified"),
        ):
            _require(con, schema, table)
        return (
            read_frame(con, f"select * from {schemas.marts}.fct_enrolment_week_features"),
            read_frame(con, f"select * from {schemas.marts}.fct_enrolment_outcomes"),
            read_frame(con, f"select * from {schemas.intermediate}.int_courses_classified"),
        )

    return load


# --------------------------------------------------------------------------- writing


def _python_values(frame: pd.DataFrame) -> list[tuple]:
    """Rows of plain Python values (NaN/NaT/NA -> NULL) that psycopg2 can adapt."""
    columns = []
    for name in frame.columns:
        values = frame[name].tolist()
        columns.append([None if _missing(v) else v for v in values])
    return list(zip(*columns, strict=True)) if columns else []


def _missing(value) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _column_ddl(columns: dict[str, str]) -> str:
    return ", ".join(f'"{name}" {PG_TYPES[dtype]}' for name, dtype in columns.items())


def _insert(cur, table: str, frame: pd.DataFrame) -> None:
    from psycopg2.extras import execute_values

    if frame.empty:
        return
    names = ", ".join(f'"{c}"' for c in frame.columns)
    execute_values(cur, f"insert into {table} ({names}) values %s", _python_values(frame))


def ensure_registry_table(cur, schemas: Schemas) -> None:
    cur.execute(f'create schema if not exists "{schemas.ml}"')
    cur.execute(
        f"create table if not exists {schemas.ml}.ml_model_registry "
        f"({_column_ddl(ml_registry.REGISTRY_COLUMNS)}, primary key (model_version))"
    )


def append_registry(cur, schemas: Schemas, rows: pd.DataFrame) -> None:
    """Append registry rows; a row with an existing model_version replaces it (delete+insert)."""
    ensure_registry_table(cur, schemas)
    if rows.empty:
        return
    cur.execute(
        f"delete from {schemas.ml}.ml_model_registry where model_version = any(%s)",
        (list(rows["model_version"].astype(str)),),
    )
    _insert(cur, f"{schemas.ml}.ml_model_registry", rows[list(ml_registry.REGISTRY_COLUMNS)])


def replace_table(cur, table: str, frame: pd.DataFrame, columns: dict[str, str]) -> None:
    cur.execute(f"drop table if exists {table}")
    cur.execute(f"create table {table} ({_column_ddl(columns)})")
    _insert(cur, table, frame[list(columns)])


# --------------------------------------------------------------------------- scoring in SQL


def _feature_columns(con, schemas: Schemas) -> dict[str, str]:
    with con.cursor() as cur:
        cur.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = %s and table_name = 'fct_enrolment_week_features'",
            (schemas.marts,),
        )
        return dict(cur.fetchall())


def _as_double(column: str, data_type: str) -> str:
    if data_type == "boolean":
        return f'cast(cast(f."{column}" as integer) as double precision)'
    return f'cast(f."{column}" as double precision)'


def score_in_sql(cur, con, schemas: Schemas, registry: pd.DataFrame, as_of: int) -> JobResult:
    """Create <ml>.ml_student_scores_raw inside PostgreSQL with the current models."""
    models = {t: StoredModel(row) for t, row in ml_registry.current_models(registry, as_of).items()}
    running = (
        f"from {schemas.marts}.fct_enrolment_week_features as f "
        f"inner join {schemas.intermediate}.int_courses_classified as c on f.courseid = c.courseid "
        "where c.course_status = 'running'"
    )
    # Python pass over the running rows only: the reasons (and a cross-check of every probability)
    features = read_frame(con, f"select f.* {running}")
    courses = read_frame(
        con, f"select courseid, course_status from {schemas.intermediate}.int_courses_classified"
    )
    python_scores, messages = score_running(features, courses, registry, as_of)

    # one input table: a row id, the keys (key_*: course_week is also a feature) and every
    # model feature as double precision
    types = _feature_columns(con, schemas)
    needed = sorted({name for model in models.values() for name in model.features})
    missing = [name for name in needed if name not in types]
    if missing:
        raise WarehouseJobError(
            f"{schemas.marts}.fct_enrolment_week_features lacks column(s) the stored model needs: "
            f"{', '.join(missing)} (retrain with --force-retrain after changing the feature mart)"
        )
    cur.execute("drop table if exists pg_temp.ml_score_input")
    cur.execute(
        "create temporary table ml_score_input on commit drop as select "
        "row_number() over (order by f.enrolment_id, f.course_week) as row_id, "
        "f.enrolment_id as key_enrolment_id, f.courseid as key_courseid, "
        "f.userid as key_userid, f.course_week as key_course_week"
        + "".join(f', {_as_double(name, types[name])} as "{name}"' for name in needed)
        + f" {running}"
    )
    cur.execute("analyze ml_score_input")
    if any(compares_in_float32(model.pipeline) for model in models.values()):
        # tree models read the features rounded to float32, as scikit-learn does (sql_scoring)
        cur.execute("drop table if exists pg_temp.ml_score_input_float32")
        cur.execute(
            "create temporary table ml_score_input_float32 on commit drop as "
            + tree_input_sql(needed, "ml_score_input")
        )
        cur.execute("analyze ml_score_input_float32")

    # the Python reasons, keyed like the scores
    reason_types = {
        "enrolment_id": "str",
        "course_week": "int64",
        "target": "str",
        "baseline_log_odds": "float64",
        **{name: SCORE_COLUMNS[name] for name in REASON_COLUMNS},
    }
    cur.execute("drop table if exists pg_temp.ml_score_reasons")
    cur.execute(
        f"create temporary table ml_score_reasons ({_column_ddl(reason_types)}) on commit drop"
    )
    _insert(cur, "ml_score_reasons", python_scores[list(reason_types)])

    selects = []
    for target, model in models.items():
        log_odds = calibrated_log_odds_sql("s.z", model.platt.slope, model.platt.intercept)
        source = (
            "ml_score_input_float32" if compares_in_float32(model.pipeline) else "ml_score_input"
        )
        selects.append(
            "select i.key_enrolment_id as enrolment_id, i.key_courseid as courseid, "
            "i.key_userid as userid, i.key_course_week as course_week, "
            f"cast('{target}' as text) as target, cast('{model.model_version}' as text) as model_version, "
            f"{probability_sql(log_odds)} as probability, {log_odds} as log_odds, "
            "r.baseline_log_odds, "
            + ", ".join(f"r.{name}" for name in REASON_COLUMNS)
            + f" from ({log_odds_query(model.pipeline, model.features, source)}) as s"
            " inner join ml_score_input as i on s.row_id = i.row_id"
            " left join ml_score_reasons as r on r.enrolment_id = i.key_enrolment_id"
            f" and r.course_week = i.key_course_week and r.target = '{target}'"
        )
    table = f"{schemas.ml}.ml_student_scores_raw"
    cur.execute(f"drop table if exists {table}")
    if selects:
        cur.execute(f"create table {table} as " + " union all ".join(selects))
    else:  # no model yet: an empty table with the right columns (scores stay NULL in the mart)
        cur.execute(f"create table {table} ({_column_ddl(SCORE_COLUMNS)})")

    # the SQL probabilities against the Python ones: equal within MAX_SQL_DRIFT or fail
    sql_scores = _fetch_scores(cur, table)
    drift, counts = _drift(sql_scores, python_scores)
    result = JobResult(as_of, [], counts, drift, messages)
    if drift > MAX_SQL_DRIFT or len(sql_scores) != len(python_scores):
        raise WarehouseJobError(
            f"SQL scores disagree with scikit-learn: {len(sql_scores)} SQL rows vs "
            f"{len(python_scores)} Python rows, max |dp| = {drift:.3g} > {MAX_SQL_DRIFT}; "
            "nothing was written"
        )
    return result


def _fetch_scores(cur, table: str) -> pd.DataFrame:
    cur.execute(f"select enrolment_id, course_week, target, probability from {table}")
    return pd.DataFrame.from_records(
        cur.fetchall(), columns=["enrolment_id", "course_week", "target", "probability"]
    )


def _drift(sql_scores: pd.DataFrame, python_scores: pd.DataFrame) -> tuple[float, dict[str, int]]:
    keys = ["enrolment_id", "course_week", "target"]
    left = sql_scores.astype({"enrolment_id": "str", "course_week": "int64", "target": "str"})
    right = python_scores[[*keys, "probability"]].astype(
        {"enrolment_id": "str", "course_week": "int64", "target": "str"}
    )
    both = left.merge(right, on=keys, how="outer", suffixes=("_sql", "_python"))
    delta = (both["probability_sql"] - both["probability_python"]).abs().to_numpy(dtype="float64")
    drift = float(np.max(delta, initial=0.0)) if not np.isnan(delta).any() else math.inf
    counts = {str(t): int(n) for t, n in left.groupby("target").size().items()}
    return drift, counts


# --------------------------------------------------------------------------- the job


def run_job(
    con,
    schemas: Schemas,
    retrain_after_days: float = 7,
    force: bool = False,
) -> JobResult:
    """Train when due, append to the registry, score in SQL, rewrite evaluation/calibration."""
    _register_numeric_as_float(con)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    as_of = read_as_of(con, schemas)
    existing = read_registry(con, schemas)
    update = ml_registry.update_registry(
        training_data_loader(con, schemas), as_of, existing, retrain_after_days, force
    )
    seconds["train"] = time.perf_counter() - started
    registry = ml_registry.combined_registry(existing, update.new_rows)
    try:
        with con.cursor() as cur:
            append_registry(cur, schemas, update.new_rows)
            started = time.perf_counter()
            result = score_in_sql(cur, con, schemas, registry, as_of)
            seconds["score"] = time.perf_counter() - started
            replace_table(
                cur,
                f"{schemas.ml}.ml_model_evaluation_raw",
                ml_registry.evaluation_rows(registry),
                ml_registry.EVALUATION_COLUMNS,
            )
            replace_table(
                cur,
                f"{schemas.ml}.ml_model_calibration_raw",
                ml_registry.calibration_rows(registry),
                ml_registry.CALIBRATION_COLUMNS,
            )
            for table in (
                "ml_model_registry",
                "ml_student_scores_raw",
                "ml_model_evaluation_raw",
                "ml_model_calibration_raw",
            ):
                cur.execute(f"analyze {schemas.ml}.{table}")
        con.commit()
    except BaseException:
        con.rollback()
        raise
    result.new_models = list(update.new_rows["model_version"])
    result.messages = update.messages + result.messages
    result.seconds = seconds
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="early-warning ml-job",
        description="Train the classifiers when due and score the running courses in the "
        "warehouse (PostgreSQL: the pipeline runs as SQL generated with orbital). "
        "Run after `dbt build --selector before_ml`, before `dbt build --selector ml_and_after`.",
    )
    parser.add_argument("--target", choices=["postgres"], default="postgres")
    parser.add_argument(
        "--schema-prefix",
        default=Schemas.postgres().prefix,
        help="dbt's target schema (EW_PG_SCHEMA, default ew): reads <prefix>_marts and "
        "<prefix>_intermediate, writes <prefix>_ml",
    )
    parser.add_argument(
        "--retrain-after-days",
        type=float,
        default=7,
        help="retrain when the newest model is this many days older than as_of (dbt var ml_retrain_after_days)",
    )
    parser.add_argument(
        "--force-retrain", action="store_true", help="retrain now whatever the model's age"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")

    try:
        con = connect(pg_settings())
    except WarehouseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    try:
        result = run_job(
            con, Schemas(args.schema_prefix), args.retrain_after_days, args.force_retrain
        )
    except WarehouseJobError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        con.close()
    for message in result.messages:
        print(f"[ml-job] {message}")
    print(
        f"[ml-job] as_of {result.as_of}: new models {result.new_models or 'none'}; scored "
        f"{result.scored_rows} rows in SQL (max |SQL - Python| = {result.max_sql_drift:.2g}); "
        + ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
