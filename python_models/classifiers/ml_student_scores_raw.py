"""Scores of the running courses: one row per enrolment x course week x target.

Loads, per target, the newest registry model trained at or before as_of and
applies it (calibrated probability, log-odds, top three reasons). A target
without a model gets no rows (mart_student_scores then shows NULL scores).

Incremental: when the stored scores were made by the current models, a run
scores only the course weeks that fct_enrolment_week_features recomputed
(int_course_weeks_to_reprocess: typically the current week of each running
course) and replaces those; after retraining it scores every running row. Rows
of courses no longer running are deleted. The table then equals a full refresh
(tests/python/test_incremental.py).

Memory: one running course at a time reaches pandas (only the columns the models
read), and its scores go into a DuckDB temporary table, which DuckDB may spill to
disk; the model returns that table.
"""

from early_warning.ml import jobs


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key=["courseid", "course_week"],
        on_schema_change="sync_all_columns",
    )
    as_of_frame = dbt.ref("int_as_of_resolved").df()
    as_of = int(as_of_frame["as_of"].iloc[0])
    courses = dbt.ref("int_courses_classified").df()
    registry = dbt.ref("ml_model_registry").df()
    features = dbt.ref("fct_enrolment_week_features")
    running = jobs.courses_filter(courses, "running")
    wanted = running
    if dbt.is_incremental:
        stored = session.sql(f"select distinct target, model_version from {dbt.this}").df()
        if jobs.stored_scores_current(stored, registry, as_of):
            # only the recomputed course weeks: their stored rows go (some may be gone)
            reprocess = dbt.ref("int_course_weeks_to_reprocess").df()
            session.register("ew_weeks_to_reprocess", reprocess)
            recomputed = (
                "exists (select 1 from ew_weeks_to_reprocess as reprocess where reprocess.courseid"
                " = {t}.courseid and {t}.course_week >= reprocess.from_week)"
            )
            session.execute(
                f"delete from {dbt.this} as stored where not ({running}) or "
                + recomputed.format(t="stored")
            )
            wanted = f"({running}) and " + recomputed.format(t="features")
        else:
            session.execute(f"delete from {dbt.this}")
            print("[ml_student_scores_raw] new models: scoring every running row")
    features.create_view("ew_features_to_score", replace=True)
    available = set(session.sql("select * from ew_features_to_score limit 0").columns)
    columns = ", ".join(
        f'"{name}"' for name in jobs.scoring_columns(registry, as_of) if name in available
    )
    session.execute(
        "create or replace temporary table ew_scores ("
        + ", ".join(f'"{name}" {kind}' for name, kind in jobs.SCORE_SQL_TYPES.items())
        + ")"
    )

    def read_course(courseid: int):
        return session.sql(
            f"select {columns} from ew_features_to_score as features"
            f" where features.courseid = {int(courseid)} and {wanted}"
        ).df()

    def write(scores):
        session.register("ew_scores_batch", scores)
        session.execute("insert into ew_scores by name select * from ew_scores_batch")
        session.unregister("ew_scores_batch")

    n_rows, messages = jobs.score_running_by_course(read_course, courses, registry, as_of, write)
    if dbt.is_incremental and wanted != running:
        [(n_running,)] = session.sql(
            f"select count(*) from ew_features_to_score where {running}"
        ).fetchall()
        print(
            f"[ml_student_scores_raw] incremental: {n_rows} of {n_running} running rows "
            "in the course weeks recomputed by fct_enrolment_week_features",
            flush=True,
        )
    session.execute("drop view ew_features_to_score")
    if wanted != running:
        session.unregister("ew_weeks_to_reprocess")
    for message in messages:
        print(f"[ml_student_scores_raw] {message}", flush=True)
    return session.table("ew_scores")
