"""The AI usage report as the JSON text Moodle sends at site registration.

Moodle (MDL-82626, ``core\\hub\\registration::get_ai_usage_data``) reports, for the
actions of ``ai_action_register`` whose ``timecompleted`` lies in
``[timefrom, timeto]`` (both inclusive; ``timefrom`` is the site's last confirmed
registration update, or 7 days before now for a site that is not registered)::

    {
      "<provider>": {
        "<actionname>": {
          "success_count": 3,
          "fail_count": 1,
          "predominant_error": 403,   # only when there are failures with an errorcode
          "average_time": 15.0,       # only when there are successes; PHP round() (a float)
          "models": {"<model>": {"count": 4}}   # Moodle 5.x only; NULL model: "unknown"
        }
      },
      "time_range": {"timefrom": 1699395200, "timeto": 1700000000}
    }

and an empty string when no action completed in the range. Moodle sends
``json_encode($data)``: compact, ``/`` escaped as ``\\/``, non-ASCII as ``\\uXXXX``,
providers, actions and models in the order Moodle first meets them reading the
rows in id order. :func:`moodle_json` writes exactly those bytes for the shape
of Moodle 4.5 (no ``models``) or 5.x (``--moodle-version``, default the newer).

The project's richer per-model figures (success/fail counts, predominant error and
average time per model) stay in the mart ``mart_ai_usage`` and behind the explicit
``--detailed-models`` option (not a shape Moodle sends).

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
    "first_register_id",
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
    "first_register_id",
)

#: The shapes of the document: what Moodle 4.5 sends (no models), what Moodle 5.x
#: sends (models with a count), and the project's richer per-model figures.
MOODLE_45 = "4.5"
MOODLE_50 = "5.0"
DETAILED = "detailed"
MOODLE_VERSIONS: tuple[str, ...] = (MOODLE_45, MOODLE_50)
DEFAULT_MOODLE_VERSION = MOODLE_50

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


def _figures(row: Row) -> dict[str, int | float]:
    """One action's (or model's) figures, keyed, filled and typed as Moodle does:
    ``average_time`` is PHP's ``round()`` of the mean, a float (``15.0``)."""
    figures: dict[str, int | float] = {
        "success_count": int(row["success_count"]),
        "fail_count": int(row["fail_count"]),
    }
    predominant_error = _optional_int(row["predominant_error"])
    if predominant_error is not None:
        figures["predominant_error"] = predominant_error
    average_time = _optional_int(row["average_time"])
    if average_time is not None:
        figures["average_time"] = float(average_time)
    return figures


def _time_range(rows: Sequence[Row]) -> dict[str, int]:
    ranges = {(int(row["timefrom"]), int(row["timeto"])) for row in rows}
    if len(ranges) != 1:
        raise ValueError(f"the rows disagree on the time range: {sorted(ranges)}")
    timefrom, timeto = ranges.pop()
    return {"timefrom": timefrom, "timeto": timeto}


def _first_met(row: Row) -> tuple:
    """Moodle's order: the first ai_action_register id of the row (rows without it last)."""
    first = row.get("first_register_id")
    return (first is None, 0 if first is None else int(first))


def build_ai_usage_document(
    action_rows: Iterable[Row],
    model_rows: Iterable[Row] | None = None,
    shape: str | None = None,
) -> dict[str, Any]:
    """Moodle's AI usage document from mart rows (a pure function).

    ``action_rows`` are rows of ``mart_ai_usage_by_action`` (provider x action);
    ``model_rows`` rows of ``mart_ai_usage`` (provider x action x model). ``shape``:
    ``"4.5"`` (Moodle 4.5: no models), ``"5.0"`` (Moodle 5.x: ``"models": {"<model>":
    {"count": n}}`` under each action, n = successes + failures) or ``"detailed"``
    (the project's extension: every figure per model); default ``"5.0"`` with
    model rows, ``"4.5"`` without. Providers, actions and models come in the order
    Moodle meets them (their first ``ai_action_register`` id, column
    ``first_register_id``), ``time_range`` last. No rows: an empty document (Moodle
    then sends an empty string). Raises ValueError when the rows do not describe
    one report.
    """
    actions = list(action_rows)
    models = None if model_rows is None else list(model_rows)
    shape = shape or (MOODLE_45 if models is None else MOODLE_50)
    if shape not in (*MOODLE_VERSIONS, DETAILED):
        raise ValueError(f"unknown shape {shape!r}: use 4.5, 5.0 or detailed")
    if shape != MOODLE_45 and models is None:
        raise ValueError(f"the {shape} shape needs the rows of {MODEL_RELATION}")
    if not actions:
        if models:
            raise ValueError(f"{MODEL_RELATION} has rows but {ACTION_RELATION} has none")
        return {}

    time_range = _time_range(actions)
    provider_first: dict[str, tuple] = {}
    for row in actions:
        key = str(row["provider"])
        provider_first[key] = min(provider_first.get(key, _first_met(row)), _first_met(row))
    document: dict[str, Any] = {
        provider: {} for provider in sorted(provider_first, key=lambda p: (provider_first[p], p))
    }
    for row in sorted(actions, key=lambda r: (_first_met(r), str(r["actionname"]))):
        provider = document[str(row["provider"])]
        if row["actionname"] in provider:
            raise ValueError(f"duplicate action row: {row['provider']}/{row['actionname']}")
        provider[str(row["actionname"])] = _figures(row)

    if shape != MOODLE_45:
        if models and _time_range(models) != time_range:
            raise ValueError(
                f"{MODEL_RELATION} and {ACTION_RELATION} cover different time ranges: "
                f"rebuild both ({_BUILD_HINT})"
            )
        totals: dict[tuple[str, str], list[int]] = {}
        for action in (a for p in document.values() for a in p.values()):
            action["models"] = {}
        for row in sorted(models, key=lambda r: (_first_met(r), str(r["model"]))):
            action = document.get(str(row["provider"]), {}).get(str(row["actionname"]))
            if action is None:
                raise ValueError(
                    f"{MODEL_RELATION} has {row['provider']}/{row['actionname']}, "
                    f"{ACTION_RELATION} has not"
                )
            figures = _figures(row)
            total = totals.setdefault((str(row["provider"]), str(row["actionname"])), [0, 0])
            total[0] += figures["success_count"]
            total[1] += figures["fail_count"]
            if shape == MOODLE_50:
                figures = {"count": figures["success_count"] + figures["fail_count"]}
            action["models"][str(row["model"])] = figures
        for provider_name, provider in document.items():
            for action_name, action in provider.items():
                success, fail = totals.get((provider_name, action_name), [0, 0])
                for count, total in (("success_count", success), ("fail_count", fail)):
                    if total != action[count]:
                        raise ValueError(
                            f"{provider_name}/{action_name}: {count} is {action[count]} "
                            f"but its models add up to {total}"
                        )

    document["time_range"] = time_range
    return document


def moodle_json(document: Mapping[str, Any]) -> str:
    """The document as the bytes Moodle sends (``aiusage`` of the registration data):
    PHP's ``json_encode`` (compact, ``/`` escaped, non-ASCII as ``\\uXXXX``), and an
    empty string for an empty document (Moodle: ``!empty($data) ? json_encode($data) : ''``)."""
    if not document:
        return ""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/")


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
    """The document as indented JSON text for people (ending with a newline); an empty
    document is an empty string, as Moodle sends it. Moodle's own bytes: moodle_json()."""
    if not document:
        return ""
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
        "--moodle-version",
        choices=MOODLE_VERSIONS,
        default=DEFAULT_MOODLE_VERSION,
        help="write the report byte for byte as this Moodle version sends it: 4.5 (no "
        "models) or 5.0 (5.x: a count per model under each action); default: "
        f"{DEFAULT_MOODLE_VERSION}",
    )
    parser.add_argument(
        "--without-models",
        action="store_true",
        help="same as --moodle-version 4.5",
    )
    parser.add_argument(
        "--detailed-models",
        action="store_true",
        help="every figure per model (success and fail counts, predominant error, average "
        "time) under each action: the project's extension, not a shape Moodle sends",
    )
    parser.add_argument(
        "--indent",
        type=int,
        default=None,
        help="indent the JSON for people (default: compact, Moodle's exact bytes)",
    )
    args = parser.parse_args(argv)

    if args.detailed_models and args.without_models:
        parser.error("--detailed-models and --without-models exclude each other")
    shape = MOODLE_45 if args.without_models else args.moodle_version
    if args.detailed_models:
        shape = DETAILED
    with_models = shape != MOODLE_45
    try:
        if args.postgres:
            schema = args.schema or Schemas.postgres().marts
            actions, models = read_marts_postgres(pg_settings(args.dsn_env), schema, with_models)
        else:
            path = args.duckdb or duckdb_path()
            actions, models = read_marts_duckdb(
                path, args.schema or Schemas.duckdb().marts, with_models
            )
        document = build_ai_usage_document(actions, models, shape)
    except (FileNotFoundError, ValueError, MartsUnavailable, WarehouseError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1

    text = moodle_json(document) if args.indent is None else dumps(document, args.indent)
    if not text:
        print(
            "no AI action completed in the report's time range: Moodle then sends an empty "
            "string (written as such, no JSON)",
            file=sys.stderr,
        )
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
        if text and not text.endswith("\n") and sys.stdout.isatty():
            sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
