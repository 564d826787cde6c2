"""One more next-day run, in place, on the PostgreSQL warehouse the benchmark left behind.

After ``python -m early_warning.benchmark --sizes large --postgres --no-duckdb
--workdir WORKDIR`` (database ew_bench_large at the state after its next day), this
appends to the raw log a copy of its last day one day later (new ids after the
largest) in SQL, runs ANALYZE, and times the scheduled build (``--selector
before_ml``, no unit tests) like the benchmark; ``--drop-indexes`` first drops the
raw log's and the dbt tables' indexes. Used for the with / without indexes
comparison of benchmarks/README.md (steps 2 and 3)::

    python benchmarks/postgres_large/next_day.py WORKDIR OUT_DIR [--drop-indexes]
"""

import subprocess
import sys
from pathlib import Path

from early_warning import benchmark
from early_warning.dbt_runner import DbtProject

SIZE = "large"
LOG = "moodle_raw.mdl_logstore_standard_log"
COLUMNS = (
    "eventname, component, action, target, crud, edulevel, contextid, contextlevel, "
    "contextinstanceid, userid, courseid, relateduserid, anonymous, timecreated, origin"
)
DROP_INDEXES = (
    "drop index if exists moodle_raw.mdl_logstore_standard_log_id_ix;"
    " drop index if exists moodle_raw.mdl_logstore_standard_log_timecreated_ix;"
    " do $$ declare r record; begin for r in select schemaname, indexname from pg_indexes"
    " where schemaname in ('ew_intermediate', 'ew_marts') loop"
    " execute format('drop index %I.%I', r.schemaname, r.indexname); end loop; end $$;"
)


def main() -> None:
    workdir, out = Path(sys.argv[1]), Path(sys.argv[2])
    drop = "--drop-indexes" in sys.argv[3:]
    database = f"ew_bench_{SIZE}"
    project = DbtProject(
        workdir=workdir / f"postgres_{SIZE}",
        vars={"moodle_source": "database", "moodle_schema": "moodle_raw"},
        target="postgres",
        extra_env={"EW_PG_DATABASE": database},
    )
    env = project.env()
    psql = ["psql", "-v", "ON_ERROR_STOP=1", "-h", env.get("EW_PG_HOST", "127.0.0.1"),
            "-U", env.get("EW_PG_USER", "postgres"), "-d", database]  # fmt: skip
    shifted = COLUMNS.replace("timecreated,", "timecreated + 86400,")
    append = (
        f"insert into {LOG} (id, {COLUMNS})"
        f" select m.max_id + row_number() over (order by l.id), {shifted}"
        f" from {LOG} as l cross join"
        f" (select max(id) as max_id, max(timecreated) as max_t from {LOG}) as m"
        f" where l.timecreated > m.max_t - 86400; analyze {LOG};"
    )
    subprocess.run([*psql, "-q", "-c", (DROP_INDEXES if drop else "") + append],
                   env=env, check=True)  # fmt: skip
    count = subprocess.run([*psql, "-tA", "-c", f"select count(*) from {LOG}"],
                           env=env, capture_output=True, text=True, check=True)  # fmt: skip
    dbt = str(Path(sys.executable).with_name("dbt"))
    engine = "postgres (no indexes)" if drop else "postgres"
    run = benchmark._postgres_build(SIZE, "next_day", project, env, dbt, int(count.stdout), engine)
    benchmark.write_outputs([run], out, " ".join(["python", *sys.argv]))


if __name__ == "__main__":
    main()
