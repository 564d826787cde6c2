"""The AI usage report as the JSON document Moodle sends at site registration.

Moodle (MDL-82626, ``core\\hub\\registration::get_ai_usage_data``) reports, for the
actions of ``ai_action_register`` whose ``timecompleted`` lies in
``[timefrom, timeto]`` (both inclusive)::

    {
      "<provider>": {
        "<actionname>": {
          "success_count": 3,
          "fail_count": 1,
          "predominant_error": 403,   # only when there are failures with an errorcode
          "average_time": 15          # only when there are successes; seconds, rounded
        }
      },
      "time_range": {"timefrom": 1699395200, "timeto": 1700000000}
    }

and nothing at all (an empty document) when no action completed in the range.
This module builds the same document from the dbt marts ``mart_ai_usage_by_action``
(Moodle's grain) and ``mart_ai_usage`` (per model). As an extension, each action
also carries ``"models": {"<model>": {same figures}}`` (``unknown`` for actions
without a model); ``--without-models`` gives Moodle's exact shape.

No personal data: the marts have no user ids, context ids or error messages, and
the document only has the keys above.

Usage::

    python -m early_warning.ai_usage --duckdb target/early_warning.duckdb [--out file.json]
    EW_PG_DSN='host=127.0.0.1 dbname=early_warning user=postgres' \\
        python -m early_warning.ai_usage --postgres [--schema ew_marts]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from early_warning.warehouse import (
    PgSettings,
    Schemas,
    WarehouseError,
    connect,
    duckdb_path,
    pg_settings,
)

#: Relations (in the marts schema) the document is built from.
ACTION_RELATION = "mart_ai_usage_by_action"
MODEL_RELATION = "mart_ai_usage"

ACTION_COLUMNS: tuple[str, ...] = (
    "provider",
    "actionname",
    "success_count",
    "fail_count",
    "predominant_error",
    "average_time",
    "timefrom",
    "timeto",
)
MODEL_COLUMNS: tuple[str, ...] = (
    "provider",
    "actionname",
    "model",
    "success_count",
    "fail_count",
    "predominant_error",
    "average_time",
    "timefrom",
    "timeto",
)

#: Keys that would identify people; none may appear in the document or the marts.
PERSONAL_KEYS = frozenset(
    {
        "userid",
        "user_id",
        "contextid",
        "context_id",
        "errormessage",
        "error_message",
        "username",
        "firstname",
        "lastname",
        "email",
        "ip",
        "lastip",
        "actionid",
    }
)

Row = Mapping[str, Any]

_BUILD_HINT = "dbt build --select +tag:ai_usage"

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class MartsUnavailable(RuntimeError):
    """The AI usage marts cannot be read (not built yet, wrong schema or database)."""


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _figures(row: Row) -> dict[str, int]:
    """One action's (or model's) figures, keyed and filled as Moodle does."""
    figures = {
        "success_count": int(row["success_count"]),
        "fail_count": int(row["fail_count"]),
    }
    predominant_error = _optional_int(row["predominant_error"])
    if predominant_error is not None:
        figures["predominant_error"] = predominant_error
    average_time = _optional_int(row["average_time"])
    if average_time is not None:
        figures["average_time"] = average_time
    return figures


def _time_range(rows: Sequence[Row]) -> dict[str, int]:
    ranges = {(int(row["timefrom"]), int(row["timeto"])) for row in rows}
    if len(ranges) != 1:
        raise ValueError(f"the rows disagree on the time range: {sorted(ranges)}")
    timefrom, timeto = ranges.pop()
    return {"timefrom": timefrom, "timeto": timeto}


def build_ai_usage_document(
    action_rows: Iterable[Row],
    model_rows: Iterable[Row] | None = None,
) -> dict[str, Any]:
    """Moodle's AI usage document from mart rows (a pure function).

    ``action_rows`` are rows of ``mart_ai_usage_by_action`` (provider x action);
    ``model_rows`` rows of ``mart_ai_usage`` (provider x action x model), nested
    under each action as ``models`` when given (``None``: Moodle's exact shape).
    Providers, actions and models are sorted by name; ``time_range`` comes last,
    as in Moodle. No rows: an empty document (Moodle then sends nothing).
    Raises ValueError when the two sets of rows do not describe the same report.
    """
    actions = list(action_rows)
    models = None if model_rows is None else list(model_rows)
    if not actions:
        if models:
            raise ValueError(f"{MODEL_RELATION} has rows but {ACTION_RELATION} has none")
        return {}

    time_range = _time_range(actions)
    document: dict[str, Any] = {}
    for row in sorted(actions, key=lambda r: (r["provider"], r["actionname"])):
        provider = document.setdefault(str(row["provider"]), {})
        if row["actionname"] in provider:
            raise ValueError(f"duplicate action row: {row['provider']}/{row['actionname']}")
        provider[str(row["actionname"])] = _figures(row)

    if models is not None:
        if models and _time_range(models) != time_range:
            raise ValueError(
                f"{MODEL_RELATION} and {ACTION_RELATION} cover different time ranges: "
                f"rebuild both ({_BUILD_HINT})"
            )
        for action in (a for p in document.values() for a in p.values()):
            action["models"] = {}
        for row in sorted(models, key=lambda r: (r["provider"], r["actionname"], r["model"])):
            action = document.get(str(row["provider"]), {}).get(str(row["actionname"]))
            if action is None:
                raise ValueError(
                    f"{MODEL_RELATION} has {row['provider']}/{row['actionname']}, "
                    f"{ACTION_RELATION} has not"
                )
            action["models"][str(row["model"])] = _figures(row)
        for provider_name, provider in document.items():
            for action_name, action in provider.items():
                for count in ("success_count", "fail_count"):
                    total = sum(m[count] for m in action["models"].values())
                    if total != action[count]:
                        raise ValueError(
                            f"{provider_name}/{action_name}: {count} is {action[count]} "
                            f"but its models add up to {total}"
                        )

    document["time_range"] = time_range
    return document


def personal_keys_in(document: Any) -> set[str]:
    """Keys of a (nested) document that name personal data; empty when clean."""
    found: set[str] = set()
    if isinstance(document, Mapping):
        for key, value in document.items():
            if str(key).lower() in PERSONAL_KEYS:
                found.add(str(key))
            found |= personal_keys_in(value)
    elif isinstance(document, list):
        for value in document:
            found |= personal_keys_in(value)
    return found


def dumps(document: Mapping[str, Any], indent: int | None = 2) -> str:
    """The document as JSON text (ending with a newline)."""
    return json.dumps(document, indent=indent) + "\n"


# --- database access -------------------------------------------------------------------


def _read(
    execute: Callable[[str], Sequence[Sequence[Any]]],
    schema: str,
    relation: str,
    columns: Sequence[str],
) -> list[dict[str, Any]]:
    if not _IDENTIFIER.match(schema):
        raise ValueError(f"not a plain schema name: {schema!r}")
    query = f"select {', '.join(columns)} from {schema}.{relation}"
    return [dict(zip(columns, values, strict=True)) for values in execute(query)]


def read_marts_duckdb(
    path: str | Path, schema: str = "marts", with_models: bool = True
) -> tuple[list[dict], list[dict] | None]:
    """Rows of the AI usage marts from a DuckDB file (read-only)."""
    import duckdb

    if not Path(path).exists():
        raise FileNotFoundError(f"no DuckDB file at {path}")
    with duckdb.connect(str(path), read_only=True) as con:

        def execute(query: str) -> list[tuple]:
            try:
                return con.execute(query).fetchall()
            except duckdb.Error as error:
                raise MartsUnavailable(f"{error} (build them: {_BUILD_HINT})") from error

        actions = _read(execute, schema, ACTION_RELATION, ACTION_COLUMNS)
        models = _read(execute, schema, MODEL_RELATION, MODEL_COLUMNS) if with_models else None
    return actions, models


def read_marts_postgres(
    settings: PgSettings, schema: str, with_models: bool = True
) -> tuple[list[dict], list[dict] | None]:
    """Rows of the AI usage marts from PostgreSQL (early_warning.warehouse settings)."""
    import psycopg2

    try:
        con = connect(settings)
    except WarehouseError as error:
        raise MartsUnavailable(str(error)) from error
    try:
        with con.cursor() as cur:

            def execute(query: str) -> list[tuple]:
                try:
                    cur.execute(query)
                except psycopg2.Error as error:
                    raise MartsUnavailable(f"{error} (build them: {_BUILD_HINT})") from error
                return cur.fetchall()

            actions = _read(execute, schema, ACTION_RELATION, ACTION_COLUMNS)
            models = _read(execute, schema, MODEL_RELATION, MODEL_COLUMNS) if with_models else None
    finally:
        con.close()
    return actions, models


# --- command line ------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m early_warning.ai_usage",
        description="Write Moodle's AI usage report (site registration, MDL-82626) as JSON, "
        "from the marts built by `dbt build --select +tag:ai_usage`.",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--duckdb",
        metavar="PATH",
        help="DuckDB warehouse file (default: $EW_DUCKDB_PATH or target/early_warning.duckdb)",
    )
    source.add_argument(
        "--postgres",
        action="store_true",
        help="read from PostgreSQL: the psycopg2 DSN in the env var named by --dsn-env, "
        "else the EW_PG_* variables",
    )
    parser.add_argument(
        "--dsn-env",
        default="EW_PG_DSN",
        help="env var holding the PostgreSQL DSN (default: EW_PG_DSN; unset: EW_PG_* variables)",
    )
    parser.add_argument(
        "--schema",
        help="schema of the marts (default: marts on DuckDB, <$EW_PG_SCHEMA or ew>_marts "
        "on PostgreSQL)",
    )
    parser.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")
    parser.add_argument(
        "--without-models",
        action="store_true",
        help="leave out the per-model breakdown (Moodle's exact shape)",
    )
    parser.add_argument("--indent", type=int, default=2, help="JSON indent (default: 2)")
    args = parser.parse_args(argv)

    with_models = not args.without_models
    try:
        if args.postgres:
            schema = args.schema or Schemas.postgres().marts
            actions, models = read_marts_postgres(pg_settings(args.dsn_env), schema, with_models)
        else:
            path = args.duckdb or duckdb_path()
            actions, models = read_marts_duckdb(
                path, args.schema or Schemas.duckdb().marts, with_models
            )
        document = build_ai_usage_document(actions, models)
    except (FileNotFoundError, ValueError, MartsUnavailable, WarehouseError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1

    text = dumps(document, indent=args.indent)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
