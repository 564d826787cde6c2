"""AI usage report (Moodle MDL-82626): the JSON builder and the marts end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from early_warning import ai_usage
from early_warning.moodle_schema import TABLES

PROJECT_DIR = Path(__file__).resolve().parents[2]
AS_OF = 1700000000  # Tue 2023-11-14 22:13:20 UTC
TIMEFROM = AS_OF - 7 * 86400  # default range [as_of - 7 days, as_of], both inclusive

PERSONAL = {
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
}


def action_row(provider, actionname, success, fail, error=None, average=None, **extra):
    return {
        "provider": provider,
        "actionname": actionname,
        "success_count": success,
        "fail_count": fail,
        "predominant_error": error,
        "average_time": average,
        "timefrom": TIMEFROM,
        "timeto": AS_OF,
        **extra,
    }


# --- the JSON builder (pure function) ---------------------------------------------------


def test_document_has_moodles_shape():
    document = ai_usage.build_ai_usage_document(
        [
            action_row("aiprovider_openai", "generate_text", 2, 3, error=403, average=15),
            action_row("aiprovider_openai", "summarise_text", 4, 0, average=7),
            action_row("aiprovider_azureai", "generate_image", 0, 1, error=500),
        ]
    )
    assert document == {
        "aiprovider_azureai": {
            # only failures: no average_time key, as in Moodle
            "generate_image": {"success_count": 0, "fail_count": 1, "predominant_error": 500},
        },
        "aiprovider_openai": {
            "generate_text": {
                "success_count": 2,
                "fail_count": 3,
                "predominant_error": 403,
                "average_time": 15,
            },
            # no failure: no predominant_error key, as in Moodle
            "summarise_text": {"success_count": 4, "fail_count": 0, "average_time": 7},
        },
        "time_range": {"timefrom": TIMEFROM, "timeto": AS_OF},
    }
    assert list(document)[-1] == "time_range"


def test_models_nest_under_their_action():
    # Model A: 1 success of 10 s, failures 404, 404, 401; model B: 2 successes of
    # 25 s, failures 401, 401, 500; no model: 1 success of 30 s. Over the action:
    # 401 three times, (10 + 50 + 30) / 4 = 22.5 -> 23 (from the action rows).
    actions = [action_row("p", "generate_text", 4, 6, error=401, average=23)]
    models = [
        action_row("p", "generate_text", 1, 3, error=404, average=10, model="A"),
        action_row("p", "generate_text", 2, 3, error=401, average=25, model="B"),
        action_row("p", "generate_text", 1, 0, average=30, model="unknown"),
    ]
    document = ai_usage.build_ai_usage_document(actions, models)
    action = document["p"]["generate_text"]
    assert action["predominant_error"] == 401
    assert action["average_time"] == 23
    assert action["models"] == {
        "A": {"success_count": 1, "fail_count": 3, "predominant_error": 404, "average_time": 10},
        "B": {"success_count": 2, "fail_count": 3, "predominant_error": 401, "average_time": 25},
        "unknown": {"success_count": 1, "fail_count": 0, "average_time": 30},
    }
    assert "models" not in ai_usage.build_ai_usage_document(actions)["p"]["generate_text"]


def test_no_action_gives_an_empty_document():
    assert ai_usage.build_ai_usage_document([]) == {}
    assert ai_usage.build_ai_usage_document([], []) == {}
    assert ai_usage.dumps({}) == "{}\n"


def test_values_become_plain_ints():
    from decimal import Decimal

    row = action_row("p", "a", Decimal(2), Decimal(1), error=Decimal(403), average=Decimal(15))
    document = ai_usage.build_ai_usage_document([row])
    assert json.loads(ai_usage.dumps(document)) == document
    assert all(type(v) is int for v in document["p"]["a"].values())


@pytest.mark.parametrize(
    ("actions", "models", "message"),
    [
        (
            [action_row("p", "a", 1, 0), action_row("q", "a", 1, 0) | {"timeto": AS_OF + 1}],
            None,
            "time range",
        ),
        ([action_row("p", "a", 1, 0)], [action_row("p", "a", 2, 0, model="m")], "add up"),
        ([action_row("p", "a", 1, 0)], [action_row("p", "b", 1, 0, model="m")], "has not"),
        ([], [action_row("p", "b", 1, 0, model="m")], "has none"),
        ([action_row("p", "a", 1, 0), action_row("p", "a", 1, 0)], None, "duplicate"),
    ],
)
def test_inconsistent_rows_are_refused(actions, models, message):
    with pytest.raises(ValueError, match=message):
        ai_usage.build_ai_usage_document(actions, models)


def test_personal_keys_are_found_anywhere():
    assert ai_usage.personal_keys_in({"p": {"a": {"success_count": 1}}}) == set()
    assert ai_usage.personal_keys_in({"p": {"a": {"userid": 1}}, "x": [{"ErrorMessage": ""}]}) == {
        "userid",
        "ErrorMessage",
    }


# --- the command line on a hand-made warehouse ------------------------------------------


def _hand_made_warehouse(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.mart_ai_usage_by_action as select * from (values "
            "('p', 'generate_text', 2::bigint, 3::bigint, 403::bigint, 15::bigint, "
            f"{TIMEFROM}::bigint, {AS_OF}::bigint)) as t (provider, actionname, success_count, "
            "fail_count, predominant_error, average_time, timefrom, timeto)"
        )
        con.execute(
            "create table marts.mart_ai_usage as select * from (values "
            "('p', 'generate_text', 'gpt-4o', 2::bigint, 3::bigint, 403::bigint, 15::bigint, "
            f"{TIMEFROM}::bigint, {AS_OF}::bigint)) as t (provider, actionname, model, "
            "success_count, fail_count, predominant_error, average_time, timefrom, timeto)"
        )


def test_cli_writes_stdout_or_a_file(tmp_path, capsys):
    warehouse = tmp_path / "w.duckdb"
    _hand_made_warehouse(warehouse)

    assert ai_usage.main(["--duckdb", str(warehouse), "--without-models"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "p": {
            "generate_text": {
                "success_count": 2,
                "fail_count": 3,
                "predominant_error": 403,
                "average_time": 15,
            }
        },
        "time_range": {"timefrom": TIMEFROM, "timeto": AS_OF},
    }

    out = tmp_path / "ai_usage.json"
    assert ai_usage.main(["--duckdb", str(warehouse), "--out", str(out)]) == 0
    assert capsys.readouterr().out == ""
    models = json.loads(out.read_text())["p"]["generate_text"]["models"]
    assert models == {
        "gpt-4o": {
            "success_count": 2,
            "fail_count": 3,
            "predominant_error": 403,
            "average_time": 15,
        }
    }


def test_cli_explains_missing_marts(tmp_path, capsys):
    assert ai_usage.main(["--duckdb", str(tmp_path / "none.duckdb")]) == 1
    assert "no DuckDB file" in capsys.readouterr().err
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    assert ai_usage.main(["--duckdb", str(empty)]) == 1
    assert "+tag:ai_usage" in capsys.readouterr().err


# --- end to end: a fixture site through dbt ---------------------------------------------

_ARROW_TYPES = {"int64": pa.int64(), "float64": pa.float64(), "string": pa.string()}

SECRET_MESSAGE = "quota exceeded for jane.doe@example.org"
USER_ID = 987654
CONTEXT_ID = 876543


def _ai(id_, provider, actionname, model, success, errorcode, timecreated, timecompleted):
    return {
        "id": id_,
        "actionname": actionname,
        "actionid": 1000 + id_,
        "success": 1 if success else 0,
        "userid": USER_ID,
        "contextid": CONTEXT_ID,
        "provider": provider,
        "model": model,
        "errorcode": errorcode,
        "errormessage": None if success else SECRET_MESSAGE,
        "timecreated": timecreated,
        "timecompleted": timecompleted,
    }


T = AS_OF - 1000  # completed inside the default range
OPENAI, AZURE = "aiprovider_openai", "aiprovider_azureai"
AI_ROWS = [
    # failures with errors 403, 403, 404 -> predominant error 403 (their 900 s do not count)
    _ai(1, OPENAI, "generate_text", "gpt-4o", False, 403, T - 900, T),
    _ai(2, OPENAI, "generate_text", "gpt-4o", False, 403, T - 900, T),
    _ai(3, OPENAI, "generate_text", "gpt-4o", False, 404, T - 900, T),
    # successes taking 20 s and 10 s -> average time 15
    _ai(4, OPENAI, "generate_text", "gpt-4o", True, None, T - 20, T),
    _ai(5, OPENAI, "generate_text", "gpt-4o", True, None, T - 10, T),
    # outside the range (one second before timefrom, one after as_of): not counted
    _ai(6, OPENAI, "generate_text", "gpt-4o", True, None, TIMEFROM - 1001, TIMEFROM - 1),
    _ai(7, OPENAI, "generate_text", "gpt-4o", False, 500, AS_OF - 99, AS_OF + 1),
    # a provider with only failures, without model -> NULL average time, model 'unknown'
    _ai(8, AZURE, "generate_image", None, False, 500, T - 5, T),
]


def _write_site(folder: Path, ai_rows: list[dict]) -> None:
    folder.mkdir(parents=True)
    for table, columns in TABLES.items():
        schema = pa.schema([(name, _ARROW_TYPES[kind]) for name, kind in columns])
        rows = ai_rows if table == "ai_action_register" else []
        data = {name: [row[name] for row in rows] for name, _ in columns}
        pq.write_table(pa.Table.from_pydict(data, schema=schema), folder / f"{table}.parquet")


@pytest.fixture(scope="module")
def built_site(tmp_path_factory) -> Path:
    """A fixture site built by dbt into its own DuckDB file; returns that file."""
    root = tmp_path_factory.mktemp("ai_usage_site")
    _write_site(root / "site", AI_ROWS)
    warehouse = root / "ew.duckdb"
    env = {**os.environ, "EW_DUCKDB_PATH": str(warehouse), "EW_TARGET": "duckdb"}
    dbt = Path(sys.executable).with_name("dbt")
    result = subprocess.run(
        [
            str(dbt),
            "build",
            "--select",
            "+tag:ai_usage",
            "--target-path",
            str(root / "target"),
            "--log-path",
            str(root / "logs"),
            "--vars",
            json.dumps({"moodle_files_path": str(root / "site"), "as_of": AS_OF}),
        ],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    return warehouse


def _rows(warehouse: Path, query: str) -> tuple[list[str], list[dict]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(query)
        columns = [d[0] for d in cursor.description]
        return columns, [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]


@pytest.mark.dbt
def test_mart_reproduces_hand_computed_cases(built_site):
    _, rows = _rows(built_site, "select * from marts.mart_ai_usage order by provider")
    assert rows == [
        {
            "provider": AZURE,
            "actionname": "generate_image",
            "model": "unknown",
            "success_count": 0,
            "fail_count": 1,
            "predominant_error": 500,
            "average_time": None,
            "timefrom": TIMEFROM,
            "timeto": AS_OF,
        },
        {
            "provider": OPENAI,
            "actionname": "generate_text",
            "model": "gpt-4o",
            "success_count": 2,
            "fail_count": 3,
            "predominant_error": 403,
            "average_time": 15,
            "timefrom": TIMEFROM,
            "timeto": AS_OF,
        },
    ]


@pytest.mark.dbt
def test_weekly_history(built_site):
    _, rows = _rows(
        built_site,
        "select provider, week_start, success_count, fail_count, success_rate, average_time, "
        "is_complete_week from marts.mart_ai_usage_weekly order by provider, week_start",
    )
    week_of_as_of = 1699833600  # Monday 2023-11-13 00:00 UTC
    assert rows == [
        {
            "provider": AZURE,
            "week_start": week_of_as_of,
            "success_count": 0,
            "fail_count": 1,
            "success_rate": 0.0,
            "average_time": None,
            "is_complete_week": False,
        },
        {  # the success one second before the report's range (Tue 2023-11-07)
            "provider": OPENAI,
            "week_start": week_of_as_of - 7 * 86400,
            "success_count": 1,
            "fail_count": 0,
            "success_rate": 1.0,
            "average_time": 1000,
            "is_complete_week": True,
        },
        {  # the failure after as_of is left out
            "provider": OPENAI,
            "week_start": week_of_as_of,
            "success_count": 2,
            "fail_count": 3,
            "success_rate": 0.4,
            "average_time": 15,
            "is_complete_week": False,
        },
    ]


@pytest.mark.dbt
def test_json_document_end_to_end(built_site, tmp_path):
    out = tmp_path / "ai_usage.json"
    result = subprocess.run(
        [sys.executable, "-m", "early_warning.ai_usage", "--duckdb", str(built_site)]
        + ["--out", str(out)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    figures_openai = {
        "success_count": 2,
        "fail_count": 3,
        "predominant_error": 403,
        "average_time": 15,
    }
    figures_azure = {"success_count": 0, "fail_count": 1, "predominant_error": 500}
    assert json.loads(out.read_text()) == {
        OPENAI: {"generate_text": figures_openai | {"models": {"gpt-4o": figures_openai}}},
        AZURE: {"generate_image": figures_azure | {"models": {"unknown": figures_azure}}},
        "time_range": {"timefrom": TIMEFROM, "timeto": AS_OF},
    }


@pytest.mark.dbt
def test_no_personal_data_in_marts_or_json(built_site):
    for relation in ("mart_ai_usage", "mart_ai_usage_by_action", "mart_ai_usage_weekly"):
        columns, _ = _rows(built_site, f"select * from marts.{relation} limit 0")
        lowered = {c.lower() for c in columns}
        assert not lowered & PERSONAL, relation
        assert not [c for c in lowered if "user" in c or "context" in c or "message" in c]

    actions, models = ai_usage.read_marts_duckdb(built_site)
    document = ai_usage.build_ai_usage_document(actions, models)
    assert ai_usage.personal_keys_in(document) == set()
    keys: set[str] = set()

    def collect(node):
        if isinstance(node, dict):
            for key, value in node.items():
                keys.add(key)
                collect(value)

    collect(document)
    assert not {k.lower() for k in keys} & PERSONAL
    text = ai_usage.dumps(document)
    for secret in (SECRET_MESSAGE, str(USER_ID), str(CONTEXT_ID), "jane.doe"):
        assert secret not in text
