"""Tests of the deterministic demo Moodle site generator (early_warning.demo)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from early_warning.demo import ARCHETYPES, DEFAULT_NOW, SIZES, generate_site
from early_warning.demo.__main__ import main
from early_warning.moodle_schema import TABLES, TELEGRAM_CHAT_PREFERENCE

ARROW_TYPES = {"int64": "int64", "float64": "double", "string": "string"}


def _connect(site: Path, fmt: str = "parquet") -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with one view per contract table plus ``truth``."""
    con = duckdb.connect()
    for table in TABLES:
        path = site / f"{table}.{fmt}"
        reader = (f"read_parquet('{path}')" if fmt == "parquet"
                  else f"read_csv('{path}', header=true, allow_quoted_nulls=false)")  # fmt: skip
        con.execute(f'create view "{table}" as select * from {reader}')
    truth = site / "_truth" / "student_archetypes.csv"
    con.execute(f"create view truth as select * from read_csv('{truth}', header=true)")
    return con


def _one(con: duckdb.DuckDBPyConnection, sql: str):
    """The first column of the first row of a query."""
    return con.execute(sql).fetchall()[0][0]


def _digest(site: Path) -> dict[str, str]:
    return {
        p.relative_to(site).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(site.rglob("*")) if p.is_file()
    }  # fmt: skip


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tiny")
    generate_site(out, size="tiny", seed=42, progress=False)
    return out


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("small")
    generate_site(out, size="small", seed=42, progress=False)
    return out


@pytest.fixture(scope="module")
def tiny_con(tiny):
    return _connect(tiny)


@pytest.fixture(scope="module")
def small_con(small):
    return _connect(small)


# -- determinism -----------------------------------------------------------------


def test_same_seed_gives_identical_files(tiny, tmp_path):
    manifest = generate_site(tmp_path, size="tiny", seed=42, progress=False)
    assert _digest(tmp_path) == _digest(tiny)
    assert manifest["now"] == DEFAULT_NOW
    assert manifest["seed"] == 42 and manifest["size"] == "tiny"


def test_different_seed_gives_a_different_log(tiny, tmp_path):
    generate_site(tmp_path, size="tiny", seed=43, progress=False)
    name = "logstore_standard_log.parquet"
    assert (tmp_path / name).read_bytes() != (tiny / name).read_bytes()
    a = pq.read_table(tmp_path / name)
    b = pq.read_table(tiny / name)
    assert a.num_rows != b.num_rows or not a.equals(b)


def test_now_moves_the_site_and_bounds_every_time(tmp_path):
    now = 1_700_000_000  # 2023-11-14, a Tuesday afternoon
    manifest = generate_site(tmp_path, size="tiny", seed=1, now=now, progress=False)
    assert manifest["now"] == now
    con = _connect(tmp_path)
    assert _one(con, "select max(timecreated) from logstore_standard_log") <= now
    assert _one(con, "select max(timemodified) from grade_grades") <= now
    assert _one(con, "select count(*) from course where id > 1 and startdate % 86400 <> 0") == 0


# -- contract --------------------------------------------------------------------


@pytest.mark.parametrize("table", list(TABLES))
def test_every_contract_table_has_exactly_the_contract_columns(tiny, table):
    schema = pq.read_schema(tiny / f"{table}.parquet")
    expected = [(name, ARROW_TYPES[typ]) for name, typ in TABLES[table]]
    assert [(f.name, str(f.type)) for f in schema] == expected


def test_manifest_counts_match_the_files(tiny):
    manifest = json.loads((tiny / "_manifest.json").read_text())
    assert set(manifest["tables"]) == set(TABLES)
    for table, rows in manifest["tables"].items():
        assert pq.read_metadata(tiny / f"{table}.parquet").num_rows == rows
    assert manifest["tables"]["logstore_standard_log"] > 0


def test_primary_ids_are_unique_and_positive(small_con):
    for table in TABLES:
        n, distinct, low = small_con.execute(
            f'select count(*), count(distinct id), min(id) from "{table}"'
        ).fetchall()[0]
        assert n == distinct, table
        assert n == 0 or low >= 1, table


def test_log_ids_are_unique_increasing_with_time_and_never_after_now(small_con):
    con = small_con
    assert _one(con, "select count(*) - count(distinct id) from logstore_standard_log") == 0
    assert _one(con, "select max(timecreated) from logstore_standard_log") <= DEFAULT_NOW
    backwards = """select count(*) from (select timecreated,
        lag(timecreated) over (order by id) as prev from logstore_standard_log)
        where timecreated < prev"""
    assert _one(con, backwards) == 0


def test_referential_integrity(small_con):
    checks = {
        "user_enrolments.enrolid": "select count(*) from user_enrolments "
                                   "where enrolid not in (select id from enrol)",
        "user_enrolments.userid": "select count(*) from user_enrolments "
                                  "where userid not in (select id from \"user\")",
        "enrol.courseid": "select count(*) from enrol where courseid not in (select id from course)",
        "course_modules.course": "select count(*) from course_modules "
                                 "where course not in (select id from course)",
        "course_modules.module": "select count(*) from course_modules "
                                 "where module not in (select id from modules)",
        "log.courseid": "select count(*) from logstore_standard_log "
                        "where courseid <> 0 and courseid not in (select id from course)",
        "log.contextid": "select count(*) from logstore_standard_log "
                         "where contextid not in (select id from context)",
        "log.userid": "select count(*) from logstore_standard_log "
                      "where userid not in (select id from \"user\")",
        "role_assignments.contextid": "select count(*) from role_assignments "
                                      "where contextid not in (select id from context)",
        "role_assignments.roleid": "select count(*) from role_assignments "
                                   "where roleid not in (select id from role)",
        "grade_grades.itemid": "select count(*) from grade_grades "
                               "where itemid not in (select id from grade_items)",
        "assign_submission.assignment": "select count(*) from assign_submission "
                                        "where assignment not in (select id from assign)",
        "quiz_attempts.quiz": "select count(*) from quiz_attempts "
                              "where quiz not in (select id from quiz)",
        "course.category": "select count(*) from course where id > 1 and category not in "
                           "(select id from course_categories)",
    }  # fmt: skip
    bad = {name: _one(small_con, sql) for name, sql in checks.items()}
    assert not any(bad.values()), bad


def test_log_context_matches_the_event_level(small_con):
    con = small_con
    wrong = """select count(*) from logstore_standard_log l join context x on x.id = l.contextid
        where x.contextlevel <> l.contextlevel
           or (l.contextlevel in (50, 70) and x.instanceid <> l.contextinstanceid)"""
    assert _one(con, wrong) == 0
    course_level = """select count(*) from logstore_standard_log
        where eventname = '\\core\\event\\course_viewed'
          and (contextlevel <> 50 or contextinstanceid <> courseid or crud <> 'r'
               or edulevel <> 2)"""
    assert _one(con, course_level) == 0
    module_level = """select count(*) from logstore_standard_log l
        join course_modules cm on cm.id = l.contextinstanceid
        where l.contextlevel = 70 and cm.course <> l.courseid"""
    assert _one(con, module_level) == 0
    login = """select count(*) from logstore_standard_log
        where eventname = '\\core\\event\\user_loggedin'
          and (courseid <> 0 or contextlevel <> 10 or edulevel <> 0)"""
    assert _one(con, login) == 0


def test_expected_event_names_and_flags_are_present(small_con):
    names = {
        r[0]
        for r in small_con.execute(
            "select distinct eventname from logstore_standard_log"
        ).fetchall()
    }
    for name in [
        r"\core\event\course_viewed", r"\mod_resource\event\course_module_viewed",
        r"\mod_page\event\course_module_viewed", r"\mod_url\event\course_module_viewed",
        r"\mod_forum\event\discussion_viewed", r"\mod_forum\event\post_created",
        r"\mod_forum\event\discussion_created", r"\mod_assign\event\submission_status_viewed",
        r"\assignsubmission_file\event\assessable_uploaded",
        r"\mod_assign\event\assessable_submitted", r"\mod_assign\event\feedback_viewed",
        r"\mod_quiz\event\attempt_started", r"\mod_quiz\event\attempt_submitted",
        r"\mod_quiz\event\attempt_reviewed", r"\gradereport_user\event\grade_report_viewed",
        r"\mod_assign\event\submission_graded", r"\core\event\course_module_updated",
        r"\core\event\user_loggedin", r"\mod_feedback\event\response_submitted",
    ]:  # fmt: skip
        assert name in names, name
    flags = small_con.execute("""select
        count(*) filter (where anonymous = 1),
        count(*) filter (where origin = 'ws'),
        count(*) filter (where eventname like '%post_created' and relateduserid is not null),
        count(*) filter (where eventname = '\\mod_assign\\event\\submission_graded'
                         and relateduserid is not null and edulevel = 1)
        from logstore_standard_log""").fetchall()[0]
    assert all(v > 0 for v in flags), flags


# -- courses and people ----------------------------------------------------------------


def test_course_kinds(tiny_con, small_con):
    for con in (tiny_con, small_con):
        now = DEFAULT_NOW
        assert _one(con, "select category from course where id = 1") == 0
        assert (
            _one(
                con,
                """select count(*) from role_assignments ra join context x
            on x.id = ra.contextid where x.contextlevel = 50 and x.instanceid = 1""",
            )
            == 0
        )
        assert (
            _one(
                con, f"select count(*) from course where id > 1 and enddate between 1 and {now - 1}"
            )
            >= 1
        )  # finished
        assert (
            _one(
                con,
                f"select count(*) from course where id > 1 and startdate < {now} "
                f"and enddate > {now}",
            )
            >= 1
        )  # running
        assert (
            _one(
                con,
                f"select count(*) from course where id > 1 and enddate = 0 and startdate < {now}",
            )
            >= 1
        )  # running, no end date
        assert _one(con, f"select count(*) from course where startdate > {now}") >= 1
        assert _one(con, "select count(*) from course where id > 1 and startdate % 86400 <> 0") == 0
        empty = f"""select count(*) from course c where c.id > 1 and c.startdate < {now}
            and (c.enddate = 0 or c.enddate > {now})
            and not exists (select 1 from logstore_standard_log l where l.courseid = c.id)
            and not exists (select 1 from role_assignments ra join context x on x.id = ra.contextid
                            where ra.roleid = 5 and x.instanceid = c.id and x.contextlevel = 50)"""
        assert _one(con, empty) >= 1
        future = f"""select count(*) from logstore_standard_log l join course c on c.id = l.courseid
            where c.startdate > {now}"""
        assert _one(con, future) == 0
    assert _one(small_con, "select count(distinct category) from course where id > 1") >= 3
    assert {r[0] for r in small_con.execute("select distinct enablecompletion from course")
            .fetchall()} == {0, 1}  # fmt: skip
    assert (
        _one(
            small_con,
            """select count(*) from course c where c.enablecompletion = 1 and
        not exists (select 1 from course_completion_criteria k where k.course = c.id)""",
        )
        == 0
    )


def test_roles_and_contexts(small_con):
    roles = dict(small_con.execute("select id, shortname from role").fetchall())
    assert {1: "manager", 3: "editingteacher", 4: "teacher", 5: "student"}.items() <= roles.items()
    assert _one(small_con, "select contextlevel from context where id = 1") == 10
    missing = """select count(*) from course_modules cm where not exists (select 1 from context x
        where x.contextlevel = 70 and x.instanceid = cm.id)"""
    assert _one(small_con, missing) == 0
    assert (
        _one(
            small_con,
            """select count(*) from course c where not exists (select 1 from
        context x where x.contextlevel = 50 and x.instanceid = c.id)""",
        )
        == 0
    )
    assert _one(small_con, "select count(distinct roleid) from role_assignments") >= 3


@pytest.mark.parametrize("site", ["tiny_con", "small_con"])
def test_every_archetype_is_present(site, request):
    con = request.getfixturevalue(site)
    found = {r[0] for r in con.execute("select distinct archetype from truth").fetchall()}
    assert found == set(ARCHETYPES)
    # dropout_week only for fading / abrupt_stop
    assert (
        _one(
            con,
            """select count(*) from truth where (dropout_week is not null) <>
        (archetype in ('fading', 'abrupt_stop'))""",
        )
        == 0
    )


def test_truth_matches_enrolments_and_behaviour(small_con):
    con = small_con
    assert (
        _one(
            con,
            """select count(*) from truth t where not exists (
        select 1 from user_enrolments ue join enrol e on e.id = ue.enrolid
        where e.courseid = t.courseid and ue.userid = t.userid)""",
        )
        == 0
    )
    never = """select count(*) from logstore_standard_log l join truth t
        on t.courseid = l.courseid and t.userid = l.userid where t.archetype = 'never_started'"""
    assert _one(con, never) == 0
    # activity after the dropout week is (almost) absent for abrupt stops
    after = """select count(*) filter (where (l.timecreated - c.startdate) / 604800 + 1
                                       > t.dropout_week + 1), count(*)
        from logstore_standard_log l join truth t on t.courseid = l.courseid
        and t.userid = l.userid join course c on c.id = l.courseid
        where t.archetype = 'abrupt_stop' and l.edulevel = 2"""
    late, total = con.execute(after).fetchall()[0]
    assert total > 0 and late < 0.05 * total


def test_engagement_correlates_with_outcomes(small_con):
    rows = dict(small_con.execute(f"""select t.archetype, avg(g.finalgrade)
        from grade_grades g join grade_items gi on gi.id = g.itemid and gi.itemtype = 'course'
        join course c on c.id = gi.courseid join truth t on t.courseid = c.id
        and t.userid = g.userid where c.enddate between 1 and {DEFAULT_NOW}
        group by all""").fetchall())  # fmt: skip
    assert rows["steady_high"] > rows["steady_low"] + 15
    assert rows["steady_high"] > rows["fading"] + 15
    completed = dict(small_con.execute(f"""select t.archetype, avg((cc.timecompleted is not
        null)::int) from course_completions cc join course c on c.id = cc.course
        join truth t on t.courseid = cc.course and t.userid = cc.userid
        where c.enddate between 1 and {DEFAULT_NOW} group by all""").fetchall())  # fmt: skip
    assert completed["steady_high"] > 0.5 > completed.get("fading", 0.0)


def test_enrolment_edge_cases(small_con):
    con = small_con
    enrol = """from user_enrolments ue join enrol e on e.id = ue.enrolid
        join course c on c.id = e.courseid"""
    assert _one(con, f"select count(*) {enrol} where ue.timestart > c.startdate + 7 * 86400") >= 1
    assert (
        _one(
            con,
            f"""select count(*) {enrol} where ue.timeend > 0
        and (c.enddate = 0 or ue.timeend < c.enddate)""",
        )
        >= 1
    )
    assert _one(con, "select count(*) from user_enrolments where status = 1") >= 1
    assert (
        _one(
            con,
            """select count(*) from user_enrolments
        where timestart > 0 and timestart < timecreated""",
        )
        == 0
    )
    assert _one(con, "select count(*) from enrol where status = 1") >= 1
    assert {r[0] for r in con.execute("select distinct enrol from enrol").fetchall()} >= {
        "manual",
        "self",
    }
    deleted_with_logs = """select count(distinct u.id) from "user" u
        join logstore_standard_log l on l.userid = u.id
        join user_enrolments ue on ue.userid = u.id where u.deleted = 1"""
    assert _one(con, deleted_with_logs) >= 1
    assert _one(con, 'select count(*) from "user" where suspended = 1') >= 1
    assert {r[0] for r in con.execute('select distinct lang from "user"').fetchall()} == {
        "en",
        "ru",
    }
    # student rows before the course start, after the course end and after the enrolment end
    outside = con.execute("""select
        count(*) filter (where l.timecreated < c.startdate),
        count(*) filter (where c.enddate > 0 and l.timecreated > c.enddate),
        count(*) filter (where ue.timeend > 0 and l.timecreated > ue.timeend)
        from logstore_standard_log l join course c on c.id = l.courseid
        join truth t on t.courseid = l.courseid and t.userid = l.userid
        join enrol e on e.courseid = l.courseid
        join user_enrolments ue on ue.enrolid = e.id and ue.userid = l.userid""").fetchall()[0]
    assert all(v > 0 for v in outside), outside


def test_submissions_on_time_late_and_missing(small_con):
    con = small_con
    stats = con.execute("""select
        count(*) filter (where s.status = 'submitted' and a.duedate > 0
                         and s.timemodified <= a.duedate),
        count(*) filter (where s.status = 'submitted' and a.duedate > 0
                         and s.timemodified > a.duedate),
        count(*) filter (where s.status in ('new', 'draft'))
        from assign_submission s join assign a on a.id = s.assignment""").fetchall()[0]
    assert all(v > 0 for v in stats), stats
    assert _one(con, "select count(*) from assign where duedate = 0") >= 1
    assert (
        _one(con, "select count(*) - count(distinct (assignment, userid)) from assign_submission")
        == 0
    )
    assert _one(con, "select min(latest) from assign_submission") == 1
    # missing: a student of the course without a submission row for a past due assignment
    missing = f"""select count(*) from assign a join truth t on t.courseid = a.course
        where a.duedate between 1 and {DEFAULT_NOW} and not exists (select 1 from
        assign_submission s where s.assignment = a.id and s.userid = t.userid)"""
    assert _one(con, missing) >= 1
    # every submission has its log event at the submission time
    unlogged = """select count(*) from assign_submission s
        join course_modules cm on cm.instance = s.assignment
        join modules m on m.id = cm.module and m.name = 'assign'
        where s.status = 'submitted' and not exists (select 1 from logstore_standard_log l
            where l.eventname = '\\mod_assign\\event\\assessable_submitted'
              and l.contextinstanceid = cm.id and l.userid = s.userid
              and l.timecreated = s.timemodified)"""
    assert _one(con, unlogged) == 0


def test_quiz_attempts_and_grades(small_con):
    con = small_con
    states = dict(con.execute("select state, count(*) from quiz_attempts group by 1").fetchall())
    assert states.get("finished", 0) > 0
    assert (
        _one(
            con,
            """select count(*) from quiz_attempts where (state = 'finished') <>
        (timefinish > 0 and sumgrades is not null)""",
        )
        == 0
    )
    unlogged = """select count(*) from quiz_attempts a
        join course_modules cm on cm.instance = a.quiz
        join modules m on m.id = cm.module and m.name = 'quiz'
        where a.state = 'finished' and not exists (select 1 from logstore_standard_log l
            where l.eventname = '\\mod_quiz\\event\\attempt_submitted'
              and l.contextinstanceid = cm.id and l.userid = a.userid
              and l.timecreated = a.timefinish)"""
    assert _one(con, unlogged) == 0
    items = con.execute("""select itemtype, count(*) filter (where itemmodule is null),
        count(*) from grade_items group by 1""").fetchall()
    by_type = {t: (nulls, n) for t, nulls, n in items}
    assert by_type["course"][0] == by_type["course"][1]  # course items: itemmodule NULL
    assert _one(con, "select count(*) from grade_items where itemtype = 'course'") == _one(
        con, "select count(*) from course where id > 1"
    )
    assert (
        _one(con, "select count(*) from grade_items where itemtype = 'course' and gradepass = 0")
        >= 1
    )
    assert _one(con, "select max(timemodified) from grade_grades") <= DEFAULT_NOW
    assert _one(con, "select count(*) from grade_grades where finalgrade is null") >= 1


def test_course_completions(small_con):
    con = small_con
    assert (
        _one(
            con,
            """select count(*) from course_completions cc join course c
        on c.id = cc.course where c.enablecompletion = 0""",
        )
        == 0
    )
    assert _one(con, "select count(*) from course_completions where timecompleted is not null") > 0
    assert _one(con, "select count(*) from course_completions where timecompleted is null") > 0
    assert (
        _one(
            con,
            """select count(*) from course_completions
        where timecompleted < timestarted or timestarted < 0""",
        )
        == 0
    )


def test_ai_action_register(small_con):
    con = small_con
    week = DEFAULT_NOW - 7 * 86400
    assert _one(con, f"select count(*) from ai_action_register where timecreated >= {week}") >= 30
    assert (
        _one(
            con,
            """select count(*) from ai_action_register
        where (success = 1) = (errorcode is not null)
           or (success = 1) = (errormessage is not null)""",
        )
        == 0
    )
    assert {
        r[0]
        for r in con.execute(
            "select distinct errorcode from ai_action_register where success = 0"
        ).fetchall()
    } <= {403, 404, 429, 500}
    assert (
        _one(
            con,
            "select count(*) from ai_action_register where timecompleted < timecreated "
            f"or timecompleted > {DEFAULT_NOW}",
        )
        == 0
    )
    assert _one(con, "select count(distinct provider) from ai_action_register") == 3
    assert _one(con, "select count(*) from ai_action_register where model is null") >= 1


def test_telegram_preferences(small_con):
    share = _one(
        small_con,
        f"""select count(distinct p.userid) / count(distinct ra.userid)
        from role_assignments ra left join user_preferences p on p.userid = ra.userid
        and p.name = '{TELEGRAM_CHAT_PREFERENCE}' where ra.roleid = 5""",
    )
    assert 0.25 < share < 0.55
    assert (
        _one(
            small_con,
            f"""select count(*) from user_preferences
        where name = '{TELEGRAM_CHAT_PREFERENCE}' and not regexp_full_match(value, '[0-9]+')""",
        )
        == 0
    )


# -- formats, files, CLI ------------------------------------------------------------------


def test_csv_format_has_the_same_rows(tiny, tmp_path):
    manifest = generate_site(tmp_path, size="tiny", seed=42, fmt="csv", progress=False)
    parquet_manifest = json.loads((tiny / "_manifest.json").read_text())
    assert manifest["tables"] == parquet_manifest["tables"]
    for table, rows in manifest["tables"].items():
        tab = pacsv.read_csv(tmp_path / f"{table}.csv")
        assert tab.num_rows == rows, table
        assert tab.column_names == [n for n, _ in TABLES[table]]
    con = _connect(tmp_path, "csv")
    # NULL stays NULL (empty field), empty strings stay empty strings
    assert _one(con, "select count(*) from logstore_standard_log where relateduserid is null") > 0
    assert _one(con, "select count(*) from \"user\" where description = ''") > 0
    assert not list(tmp_path.glob("*.parquet"))


def test_stale_files_are_removed(tmp_path):
    (tmp_path / "course.csv").write_text("stale\n")
    (tmp_path / "quiz.parquet").write_bytes(b"stale")
    (tmp_path / "notes.txt").write_text("keep me\n")
    generate_site(tmp_path, size="tiny", seed=3, progress=False)
    assert not (tmp_path / "course.csv").exists()
    assert pq.read_metadata(tmp_path / "quiz.parquet").num_rows > 0
    assert (tmp_path / "notes.txt").exists()
    assert not list(tmp_path.glob("*.tmp"))


def test_sizes_and_arguments(tmp_path):
    assert {"tiny", "small", "medium", "large", "xlarge"} <= set(SIZES)
    with pytest.raises(ValueError):
        generate_site(tmp_path, size="huge", progress=False)
    with pytest.raises(ValueError):
        generate_site(tmp_path, size="tiny", fmt="json", progress=False)
    with pytest.raises(ValueError):
        generate_site(tmp_path, size="tiny", seed=-1, progress=False)


def test_volumes(tiny, small):
    tiny_m = json.loads((tiny / "_manifest.json").read_text())
    small_m = json.loads((small / "_manifest.json").read_text())
    assert 5_000 <= tiny_m["tables"]["logstore_standard_log"] <= 15_000
    assert 150_000 <= small_m["tables"]["logstore_standard_log"] <= 400_000
    assert 45 <= tiny_m["truth"]["student_archetypes"] <= 90
    assert 450 <= small_m["truth"]["student_archetypes"] <= 800


def test_cli(tmp_path, capsys):
    assert main(["--out", str(tmp_path), "--size", "tiny", "--seed", "5",
                 "--now", "2025-03-01", "--quiet"]) == 0  # fmt: skip
    captured = capsys.readouterr()
    assert "log rows" in captured.out and captured.err == ""
    manifest = json.loads((tmp_path / "_manifest.json").read_text())
    assert manifest["now"] == 1_740_787_200 and manifest["seed"] == 5
    main(["--out", str(tmp_path), "--size", "tiny", "--format", "csv"])
    assert "logstore_standard_log" in capsys.readouterr().err
    assert (tmp_path / "course.csv").exists() and not (tmp_path / "course.parquet").exists()
