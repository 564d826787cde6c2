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
        ],
        shape="4.5",
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
    # PHP's round() gives a float: json_encode writes 15.0
    assert type(document["aiprovider_openai"]["generate_text"]["average_time"]) is float


def test_order_is_the_order_moodle_meets_the_rows():
    """Moodle fills its arrays reading ai_action_register in id order: providers,
    actions and models come in the order of their first row, not by name."""
    actions = [
        action_row("p_b", "summarise_text", 1, 0, average=1, first_register_id=3),
        action_row("p_b", "generate_text", 1, 0, average=1, first_register_id=5),
        action_row("p_a", "generate_text", 1, 0, average=1, first_register_id=4),
    ]
    models = [
        action_row("p_b", "summarise_text", 1, 0, average=1, model="z", first_register_id=3),
        action_row("p_b", "generate_text", 1, 0, average=1, model="y", first_register_id=5),
        action_row("p_a", "generate_text", 1, 0, average=1, model="x", first_register_id=4),
    ]
    document = ai_usage.build_ai_usage_document(actions, models, "5.0")
    assert list(document) == ["p_b", "p_a", "time_range"]
    assert list(document["p_b"]) == ["summarise_text", "generate_text"]
    assert ai_usage.moodle_json(document).startswith('{"p_b":{"summarise_text":')


def test_moodle_json_is_php_json_encode():
    document = {"aiprovider_x": {"a/b": {"average_time": 2.0}}, "é": 1}
    assert ai_usage.moodle_json(document) == (
        '{"aiprovider_x":{"a\\/b":{"average_time":2.0}},"\\u00e9":1}'
    )
    assert ai_usage.moodle_json({}) == ""


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
    document = ai_usage.build_ai_usage_document(actions, models, "detailed")
    action = document["p"]["generate_text"]
    assert action["predominant_error"] == 401
    assert action["average_time"] == 23
    assert action["models"] == {
        "A": {"success_count": 1, "fail_count": 3, "predominant_error": 404, "average_time": 10},
        "B": {"success_count": 2, "fail_count": 3, "predominant_error": 401, "average_time": 25},
        "unknown": {"success_count": 1, "fail_count": 0, "average_time": 30},
    }
    # Moodle 5.x: only a count per model, successes and failures together
    moodle5 = ai_usage.build_ai_usage_document(actions, models, "5.0")["p"]["generate_text"]
    assert moodle5["models"] == {"A": {"count": 4}, "B": {"count": 5}, "unknown": {"count": 1}}
    assert "models" not in ai_usage.build_ai_usage_document(actions)["p"]["generate_text"]


def test_no_action_gives_an_empty_string():
    assert ai_usage.build_ai_usage_document([]) == {}
    assert ai_usage.build_ai_usage_document([], []) == {}
    # Moodle: !empty($data) ? json_encode($data) : '' -- no "{}", no time_range
    assert ai_usage.moodle_json({}) == ""
    assert ai_usage.dumps({}) == ""


def test_values_become_plain_numbers():
    from decimal import Decimal

    row = action_row("p", "a", Decimal(2), Decimal(1), error=Decimal(403), average=Decimal(15))
    document = ai_usage.build_ai_usage_document([row])
    assert json.loads(ai_usage.dumps(document)) == document
    assert [type(v) for v in document["p"]["a"].values()] == [int, int, int, float]


@pytest.mark.parametrize(
    ("actions", "models", "message"),
    [
        (
            [action_row("p", "a", 1, 0), action_row("q", "a", 1, 0) | {"timeto": AS_OF + 1}],
            None,
            "time range",
        ),
        ([action_row("p", "a", 1, 0)], [action_row("p", "a", 2, 0, model="m")], "add up"),
        ([action_row("p", "a", 1, 0)], [], "add up"),
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


def _hand_made_warehouse(path: Path, empty: bool = False) -> None:
    where = " where false" if empty else ""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.mart_ai_usage_by_action as select * from (values "
            "('p', 'generate_text', 2::bigint, 3::bigint, 403::bigint, 15::bigint, "
            f"{TIMEFROM}::bigint, {AS_OF}::bigint, 1::bigint)) as t (provider, actionname, "
            "success_count, fail_count, predominant_error, average_time, timefrom, timeto, "
            f"first_register_id){where}"
        )
        con.execute(
            "create table marts.mart_ai_usage as select * from (values "
            "('p', 'generate_text', 'gpt-4o', 2::bigint, 3::bigint, 403::bigint, 15::bigint, "
            f"{TIMEFROM}::bigint, {AS_OF}::bigint, 1::bigint)) as t (provider, actionname, model, "
            "success_count, fail_count, predominant_error, average_time, timefrom, timeto, "
            f"first_register_id){where}"
        )


def test_cli_writes_stdout_or_a_file(tmp_path, capsys):
    warehouse = tmp_path / "w.duckdb"
    _hand_made_warehouse(warehouse)
    moodle45 = (
        '{"p":{"generate_text":{"success_count":2,"fail_count":3,"predominant_error":403,'
        f'"average_time":15.0}}}},"time_range":{{"timefrom":{TIMEFROM},"timeto":{AS_OF}}}}}'
    )

    for flags in (["--moodle-version", "4.5"], ["--without-models"]):
        assert ai_usage.main(["--duckdb", str(warehouse), *flags]) == 0
        assert capsys.readouterr().out == moodle45

    out = tmp_path / "ai_usage.json"
    assert ai_usage.main(["--duckdb", str(warehouse), "--out", str(out)]) == 0
    assert capsys.readouterr().out == ""
    assert out.read_text() == moodle45.replace(
        '"average_time":15.0}', '"average_time":15.0,"models":{"gpt-4o":{"count":5}}}'
    )

    assert ai_usage.main(["--duckdb", str(warehouse), "--detailed-models", "--indent", "2"]) == 0
    models = json.loads(capsys.readouterr().out)["p"]["generate_text"]["models"]
    assert models == {
        "gpt-4o": {
            "success_count": 2,
            "fail_count": 3,
            "predominant_error": 403,
            "average_time": 15,
        }
    }


def test_cli_empty_period_writes_an_empty_string(tmp_path, capsys):
    """Moodle sends an empty string (no JSON, no time_range) when nothing completed."""
    warehouse = tmp_path / "w.duckdb"
    _hand_made_warehouse(warehouse, empty=True)
    out = tmp_path / "ai_usage.json"
    for version in ("4.5", "5.0"):
        assert ai_usage.main(["--duckdb", str(warehouse), "--moodle-version", version]) == 0
        captured = capsys.readouterr()
        assert captured.out == ""
        assert "empty string" in captured.err
        assert ai_usage.main(["--duckdb", str(warehouse), "--out", str(out)]) == 0
        assert out.read_bytes() == b""


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
    warehouse, output = _build(root)
    assert "optional Moodle tables/columns missing" not in output
    return warehouse


def _build(root: Path, select: str = "+tag:ai_usage") -> tuple[Path, str]:
    """`dbt build --select <select>` of the site in root/site; (warehouse, dbt's output)."""
    warehouse = root / "ew.duckdb"
    env = {**os.environ, "EW_DUCKDB_PATH": str(warehouse), "EW_TARGET": "duckdb"}
    dbt = Path(sys.executable).with_name("dbt")
    result = subprocess.run(
        [str(dbt), "build", "--indirect-selection", "cautious", "--select", *select.split()]
        + ["--target-path", str(root / "target"), "--log-path", str(root / "logs")]
        + ["--vars", json.dumps({"moodle_files_path": str(root / "site"), "as_of": AS_OF})],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    return warehouse, result.stdout


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
            "timefrom_basis": "last_7_days",
            "first_register_id": 8,
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
            "timefrom_basis": "last_7_days",
            "first_register_id": 1,
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
        OPENAI: {"generate_text": figures_openai | {"models": {"gpt-4o": {"count": 5}}}},
        AZURE: {"generate_image": figures_azure | {"models": {"unknown": {"count": 1}}}},
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
    for shape in ("4.5", "5.0", "detailed"):
        document = ai_usage.build_ai_usage_document(actions, models, shape)
        assert ai_usage.personal_keys_in(document) == set()
    keys: set[str] = set()

    def collect(node):
        if isinstance(node, dict):
            for key, value in node.items():
                keys.add(key)
                collect(value)

    collect(document)
    assert not {k.lower() for k in keys} & PERSONAL
    text = ai_usage.dumps(document) + ai_usage.moodle_json(document)
    for secret in (SECRET_MESSAGE, str(USER_ID), str(CONTEXT_ID), "jane.doe"):
        assert secret not in text


# --- Moodle's own unit test (lib/tests/hub/registration_test.php, test_get_ai_usage) ------
# The clock is frozen at 1700000000 = AS_OF; the site is not registered. Rows in id order:
# one generated text (5 s, gpt-4o), two images (20 s, 10 s, dall-e-3), three failed images
# without model (errors 403, 403, 404). Moodle asserts: text 1 success, 0 failures; images
# 2 successes, 3 failures, average time 15, predominant error 403; time range
# [now - WEEKSECS, now]; models gpt-4o 1, dall-e-3 2, unknown 3.

MOODLE_TEST_ROWS = [
    _ai(1, OPENAI, "generate_text", "gpt-4o", True, None, AS_OF - 5, AS_OF),
    _ai(2, OPENAI, "generate_image", "dall-e-3", True, None, AS_OF - 20, AS_OF),
    _ai(3, OPENAI, "generate_image", "dall-e-3", True, None, AS_OF - 10, AS_OF),
    _ai(4, OPENAI, "generate_image", None, False, 403, AS_OF - 10, AS_OF),
    _ai(5, OPENAI, "generate_image", None, False, 403, AS_OF - 10, AS_OF),
    _ai(6, OPENAI, "generate_image", None, False, 404, AS_OF - 10, AS_OF),
]

#: What Moodle 4.5 sends for these rows (json_encode: compact, average_time a float).
MOODLE_45_JSON = (
    '{"aiprovider_openai":{'
    '"generate_text":{"success_count":1,"fail_count":0,"average_time":5.0},'
    '"generate_image":{"success_count":2,"fail_count":3,"predominant_error":403,'
    '"average_time":15.0}},'
    f'"time_range":{{"timefrom":{TIMEFROM},"timeto":{AS_OF}}}}}'
)
#: ... and Moodle 5.x, with the models (NULL model: "unknown").
MOODLE_50_JSON = MOODLE_45_JSON.replace(
    '"average_time":5.0}', '"average_time":5.0,"models":{"gpt-4o":{"count":1}}}'
).replace(
    '"average_time":15.0}',
    '"average_time":15.0,"models":{"dall-e-3":{"count":2},"unknown":{"count":3}}}',
)


@pytest.fixture(scope="module")
def moodle_test_site(tmp_path_factory) -> Path:
    """Moodle's test rows built by dbt, on a site WITHOUT registration_hubs (an optional
    table: read as empty, i.e. not registered, with one warning); returns the warehouse."""
    root = tmp_path_factory.mktemp("moodle_test_site")
    _write_site(root / "site", MOODLE_TEST_ROWS)
    (root / "site" / "registration_hubs.parquet").unlink()
    warehouse, output = _build(root, "+tag:ai_usage +mart_data_quality")
    assert output.count("optional Moodle tables/columns missing") == 1, output
    assert "registration_hubs" in output
    return warehouse


@pytest.mark.dbt
def test_moodle_unit_test_cases_through_the_marts(moodle_test_site):
    warehouse = moodle_test_site
    _, by_action = _rows(
        warehouse,
        "select provider, actionname, success_count, fail_count, predominant_error, "
        "average_time, timefrom, timeto, timefrom_basis "
        "from marts.mart_ai_usage_by_action order by first_register_id",
    )
    common = {"provider": OPENAI, "timefrom": TIMEFROM, "timeto": AS_OF}
    common |= {"timefrom_basis": "last_7_days"}  # not registered: the last 7 days
    assert by_action == [
        common
        | {"actionname": "generate_text", "success_count": 1, "fail_count": 0}
        | {"predominant_error": None, "average_time": 5},
        common
        | {"actionname": "generate_image", "success_count": 2, "fail_count": 3}
        | {"predominant_error": 403, "average_time": 15},
    ]
    _, models = _rows(
        warehouse,
        "select actionname, model, success_count + fail_count as n "
        "from marts.mart_ai_usage order by first_register_id",
    )
    assert models == [
        {"actionname": "generate_text", "model": "gpt-4o", "n": 1},
        {"actionname": "generate_image", "model": "dall-e-3", "n": 2},
        {"actionname": "generate_image", "model": "unknown", "n": 3},  # model-less failures
    ]
    _, quality = _rows(
        warehouse,
        "select source_table, check_name, n_rows, treatment from marts.mart_data_quality "
        "where check_name like 'optional_%'",
    )
    assert [(q["source_table"], q["check_name"], q["n_rows"]) for q in quality] == [
        ("registration_hubs", "optional_table_missing", 1)
    ]
    assert quality[0]["treatment"].startswith("Read as an empty table")


@pytest.mark.dbt
@pytest.mark.parametrize(
    ("version", "expected"), [("4.5", MOODLE_45_JSON), ("5.0", MOODLE_50_JSON)]
)
def test_moodle_unit_test_cases_through_the_command(moodle_test_site, tmp_path, version, expected):
    warehouse = moodle_test_site
    out = tmp_path / "aiusage.json"
    result = subprocess.run(
        [sys.executable, "-m", "early_warning.ai_usage", "--duckdb", str(warehouse)]
        + ["--moodle-version", version, "--out", str(out)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert out.read_text() == expected  # byte for byte what Moodle sends
    decoded = json.loads(expected)  # and what Moodle's test asserts on it
    images = decoded[OPENAI]["generate_image"]
    assert (images["average_time"], images["predominant_error"]) == (15, 403)
    assert decoded["time_range"] == {"timefrom": AS_OF - 604800, "timeto": AS_OF}
