"""The OULAD source end to end: a slice of the real files through the whole pipeline.

The slice (4 presentations, the first 60 students of each) is cut from the
shared OULAD copy in the official plain-CSV format. AAA has clicks, BBB has
none (as in the shared copy). Expected values are recomputed here with pandas
from the slice's raw files, independently of the SQL.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from early_warning.dbt_runner import DbtProject
from early_warning.oulad import DEFAULT_OULAD_PATH, OuladFilesError, oulad_file, write_slice

pytestmark = [
    pytest.mark.dbt,
    pytest.mark.skipif(
        not DEFAULT_OULAD_PATH.exists(), reason=f"OULAD files not found at {DEFAULT_OULAD_PATH}"
    ),
]

PRESENTATIONS = [("AAA", "2013J"), ("AAA", "2014J"), ("BBB", "2013J"), ("BBB", "2014B")]
DAY = 86400
# Unix seconds of the presentation starts (1 October / 1 February, UTC)
STARTS = {"2013J": 1380585600, "2014J": 1412121600, "2014B": 1391212800}
AS_OF = STARTS["2014J"] + 100 * DAY


@pytest.fixture(scope="module")
def oulad_slice(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("oulad_slice")
    write_slice(DEFAULT_OULAD_PATH, out, PRESENTATIONS, max_students=60)
    return out


@pytest.fixture(scope="module")
def raw(oulad_slice) -> dict[str, pd.DataFrame]:
    return {
        name: pd.read_csv(oulad_slice / f"{name}.csv", keep_default_na=False, dtype=str)
        for name in (
            "courses",
            "assessments",
            "studentInfo",
            "studentRegistration",
            "studentAssessment",
            "studentVle",
        )
    }


@pytest.fixture(scope="module")
def oulad_build(oulad_slice, tmp_path_factory) -> DbtProject:
    """`dbt build` (every model, data test, unit test and the classifiers) on the slice,
    as_of inside AAA 2014J: the other three presentations are finished (training
    labels), AAA 2014J is running (scored)."""
    project = DbtProject(
        workdir=tmp_path_factory.mktemp("oulad_build"),
        vars={"lms_source": "oulad", "oulad_files_path": str(oulad_slice), "as_of": AS_OF},
    )
    project.run("build")
    return project


def _courses(project: DbtProject) -> dict[str, tuple]:
    rows = project.query(
        "select course_shortname, courseid, startdate, enddate, course_status, has_activity_log"
        " from intermediate.int_courses_classified"
    )
    return {r[0]: r[1:] for r in rows}


def test_presentations_are_courses_with_their_dates(oulad_build, raw):
    courses = _courses(oulad_build)
    assert set(courses) == {f"{m} {p}" for m, p in PRESENTATIONS}
    lengths = {
        f"{r.code_module} {r.code_presentation}": int(r.module_presentation_length)
        for r in raw["courses"].itertuples()
    }
    for name, (_, start, end, status, has_log) in courses.items():
        presentation = name.split()[1]
        if presentation in STARTS:
            assert start == STARTS[presentation]
        assert end == start + (lengths[name] + 1) * DAY
        assert status == ("running" if name == "AAA 2014J" else "finished")
        assert has_log == name.startswith("AAA")


def test_default_as_of_is_the_day_after_the_last_presentation(oulad_build, raw):
    """Without the var, every presentation is finished (`dbt show` runs the model, builds nothing)."""
    result = oulad_build.run(
        "show",
        "--select",
        "int_as_of_resolved",
        "--output",
        "json",
        vars={"as_of": ""},
    )
    lengths = {
        f"{r.code_module} {r.code_presentation}": int(r.module_presentation_length)
        for r in raw["courses"].itertuples()
    }
    last_end = max(_courses(oulad_build)[name][2] for name in lengths)
    assert str(last_end + DAY) in result.stdout
    assert "last_oulad_presentation_end" in result.stdout


def test_labels_are_the_final_results(oulad_build, raw):
    info = raw["studentInfo"]
    expected = {}
    for (module, presentation), group in info.groupby(["code_module", "code_presentation"]):
        if f"{module} {presentation}" == "AAA 2014J":
            continue  # running at as_of: no labels yet
        expected[f"{module} {presentation}"] = (
            len(group),
            int((group.final_result == "Withdrawn").sum()),
            int(group.final_result.isin(["Pass", "Distinction"]).sum()),
        )
    rows = oulad_build.query(
        "select c.course_shortname, count(*), sum(o.is_dropout), sum(o.is_completed)"
        " from marts.fct_enrolment_outcomes as o"
        " inner join intermediate.int_courses_classified as c on o.courseid = c.courseid"
        " where o.is_label_eligible group by c.course_shortname"
    )
    assert {r[0]: (r[1], int(r[2]), int(r[3])) for r in rows} == expected


def test_clicks_inside_the_registration_are_the_learning_events(oulad_build, raw):
    """Each studentVle row on a day from registration to unregistration is one event."""
    vle = raw["studentVle"][raw["studentVle"].code_presentation == "2013J"]
    vle = vle[vle.code_module == "AAA"]
    reg = raw["studentRegistration"]
    reg = reg[(reg.code_module == "AAA") & (reg.code_presentation == "2013J")].set_index(
        "id_student"
    )
    expected: dict[int, int] = {}
    for row in vle.itertuples():
        first = reg.at[row.id_student, "date_registration"]
        last = reg.at[row.id_student, "date_unregistration"]
        day = int(row.date)
        if (first == "" or day >= int(first)) and (last == "" or day <= int(last)):
            expected[int(row.id_student)] = expected.get(int(row.id_student), 0) + 1
    courseid = _courses(oulad_build)["AAA 2013J"][0]
    rows = oulad_build.query(
        f"select userid, sum(n_events) from marts.fct_activity_daily where courseid = {courseid} group by userid"
    )
    assert {int(u): int(n) for u, n in rows} == expected
    assert sum(expected.values()) > 10_000


def test_presentations_without_clicks_have_unknown_activity(oulad_build):
    courses = _courses(oulad_build)
    bbb = ", ".join(str(courses[name][0]) for name in courses if name.startswith("BBB"))
    n_rows, n_events, n_days_since, n_due = oulad_build.query(
        "select count(*), count(n_events), count(days_since_last_activity), count(assignments_due_so_far)"
        f" from marts.fct_enrolment_week_features where courseid in ({bbb})"
    )[0]
    assert n_rows > 1000
    assert n_events == 0 and n_days_since == 0  # unknown, not zero
    assert n_due == n_rows  # assessments are known
    # no activity category is made up for them
    assert oulad_build.query(
        f"select count(*) from marts.mart_student_activity where courseid in ({bbb})"
    ) == [(0,)]
    aaa = courses["AAA 2013J"][0]
    assert (
        oulad_build.query(
            f"select count(*) from marts.mart_student_activity where courseid = {aaa}"
        )[0][0]
        > 1000
    )


def test_assessments_are_assignments_with_deadlines_and_scores(oulad_build, raw):
    """At an enrolment's last week, submissions so far = the student's TMA/CMA submissions."""
    assessments = raw["assessments"]
    marked = assessments[assessments.assessment_type.isin(["TMA", "CMA"])]
    sub = raw["studentAssessment"].merge(marked, on="id_assessment")
    sub = sub[
        (sub.code_module == "BBB") & (sub.code_presentation == "2013J") & (sub.date_submitted != "")
    ]
    reg = raw["studentRegistration"]
    stayed = reg[
        (reg.code_module == "BBB")
        & (reg.code_presentation == "2013J")
        & (reg.date_unregistration == "")
    ]
    expected = {int(s): int((sub.id_student == s).sum()) for s in stayed.id_student}
    courseid = _courses(oulad_build)["BBB 2013J"][0]
    rows = oulad_build.query(
        "select f.userid, f.assignments_submitted_so_far from marts.fct_enrolment_week_features as f"
        " inner join intermediate.int_enrolments_resolved as e on f.enrolment_id = e.enrolment_id"
        f" where f.courseid = {courseid} and f.course_week = e.last_week and e.enrol_end is null"
    )
    assert {int(u): int(n) for u, n in rows} == expected
    assert sum(expected.values()) > 100


def test_classifiers_train_and_score_running_presentations(oulad_build):
    """With as_of inside AAA 2014J, the others are finished: models train on them and score AAA 2014J."""
    courses = _courses(oulad_build)
    assert courses["AAA 2014J"][3] == "running"
    targets = {r[0] for r in oulad_build.query("select distinct target from ml.ml_model_registry")}
    assert targets == {"dropout", "completion"}
    n, n_scored, lo, hi = oulad_build.query(
        "select count(*), count(p_dropout), min(p_dropout), max(p_dropout) from marts.mart_student_scores"
        f" where courseid = {courses['AAA 2014J'][0]}"
    )[0]
    assert n > 0 and n_scored == n and 0 <= lo <= hi <= 1


def test_bad_oulad_folders_are_refused_clearly(oulad_slice, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(oulad_slice, broken)
    (broken / "studentVle.csv").unlink()
    with pytest.raises(OuladFilesError, match="studentVle.csv"):
        oulad_file(broken, "studentVle")
    project = DbtProject(
        workdir=tmp_path / "w", vars={"lms_source": "oulad", "oulad_files_path": str(broken)}
    )
    result = project.run("run", check=False)
    assert result.returncode != 0
    assert "OULAD files missing" in result.stdout and "studentVle.csv" in result.stdout

    shutil.copy(oulad_slice / "studentVle.csv", broken / "studentVle.csv")
    shutil.copy(
        oulad_slice / "courses.csv", broken / "courses.csv.gz"
    )  # both present: rows would double
    result = project.run("run", check=False)
    assert result.returncode != 0 and "present twice" in result.stdout


def test_unknown_lms_source_is_refused(tmp_path):
    project = DbtProject(workdir=tmp_path, vars={"lms_source": "blackboard"})
    result = project.run("parse", check=False)
    assert result.returncode != 0
    assert "lms_source" in result.stdout and "'moodle'" in result.stdout


@pytest.mark.postgres
def test_postgres_builds_the_same_oulad_marts(oulad_slice, tmp_path):
    """Loaded with `early_warning.oulad load`, built on PostgreSQL: the marts equal DuckDB's."""
    import os
    import secrets

    import psycopg2

    from early_warning.compare import (
        MART_KEYS,
        MOODLE_ONLY_MARTS,
        DuckDBWarehouse,
        PostgresWarehouse,
        compare_warehouses,
    )
    from early_warning.loader import pg_settings
    from early_warning.oulad import OULAD_TABLES, load_oulad

    if os.environ.get("EW_SKIP_POSTGRES") == "1":
        pytest.skip("EW_SKIP_POSTGRES=1: PostgreSQL tests skipped")
    database = f"ew_test_oulad_{secrets.token_hex(4)}"
    settings = pg_settings(dsn_env=None)
    admin = psycopg2.connect(**settings.connect_kwargs(dbname="postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'create database "{database}"')
    try:
        db_settings = pg_settings(dsn_env=None, environ={**os.environ, "EW_PG_DATABASE": database})
        counts = load_oulad(oulad_slice, schema="oulad_raw", settings=db_settings, quiet=True)
        assert set(counts) == set(OULAD_TABLES)
        expected_clicks = len((oulad_slice / "studentVle.csv").read_text().splitlines()) - 1
        assert counts["studentVle"] == expected_clicks

        as_of = AS_OF  # AAA 2014J running: every mart has rows
        sql_only = ("--selector", "before_ml")
        pg = DbtProject(
            workdir=tmp_path / "pg",
            target="postgres",
            vars={"lms_source": "oulad", "oulad_source": "database", "as_of": as_of},
            extra_env={"EW_PG_DATABASE": database, "EW_PG_SCHEMA": "ew"},
        )
        pg.run("build", *sql_only)
        duck = DbtProject(
            workdir=tmp_path / "duck",
            vars={"lms_source": "oulad", "oulad_files_path": str(oulad_slice), "as_of": as_of},
        )
        duck.run("build", *sql_only)

        marts = {name: key for name, key in MART_KEYS.items() if name not in MOODLE_ONLY_MARTS}
        left = DuckDBWarehouse(duck.duckdb_path)
        con = psycopg2.connect(**db_settings.connect_kwargs())
        right = PostgresWarehouse(con, schema="ew_marts")
        try:
            result = compare_warehouses(left, right, marts=marts, optional_marts={})
        finally:
            left.close()
            right.close()
        assert result.ok, result.report()
        assert all(m.rows[0] > 0 for m in result.marts if m.mart not in ("mart_course_access",))
    finally:
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{database}" with (force)')
        admin.close()


def test_docs_describe_every_oulad_model_and_column(oulad_build, undocumented):
    def oulad_model(node):
        return node["resource_type"] == "model" and "oulad" in node["name"]

    assert undocumented(oulad_build, oulad_model) == []


def test_activity_log_columns_are_null_without_clicks(oulad_build):
    """The columns declared from_activity_log (int_enrolment_week_features' yml, read by
    early_warning.ml.features.activity_log_features) are NULL in every row of the
    presentations without clicks, and hold values in those with clicks."""
    from early_warning.dbt_runner import model_column_meta

    meta = model_column_meta("int_enrolment_week_features")
    flagged = [c for c, m in meta.items() if m.get("from_activity_log")]
    assert "n_events" in flagged and "assignments_due_so_far" not in flagged
    counts = ", ".join(f"count({c})" for c in flagged)
    for has_log, expected in ((False, 0), (True, None)):
        [row] = oulad_build.query(
            f"select count(*), {counts} from marts.fct_enrolment_week_features "
            f"where has_activity_log = {str(has_log).lower()}"
        )
        assert row[0] > 0
        if expected == 0:
            assert list(row[1:]) == [0] * len(flagged)
        else:
            assert all(n > 0 for n in row[1:]), dict(zip(flagged, row[1:], strict=True))
