"""Scores of the running courses: one row per enrolment x course week x target.

Loads, per target, the newest registry model trained at or before as_of and
applies it (calibrated probability, log-odds, top three reasons). A target
without a model gets no rows (mart_student_scores then shows NULL scores).

Incremental: each row keeps the fingerprint of its model inputs (feature_hash).
A daily run scores again only the course weeks whose feature rows or model
changed (the current week of each running course; all weeks after retraining)
and replaces those course weeks' rows; rows of courses no longer running are
deleted. The table then equals a full refresh (tests/python/test_incremental.py).
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
    running = jobs.courses_filter(courses, "running")
    previous = None
    if dbt.is_incremental:
        previous = session.sql(
            "select courseid, course_week, enrolment_id, target, model_version, feature_hash "
            f"from {dbt.this} where {running}"
        ).df()
        # courses that stopped running leave the table, as in a full refresh
        session.execute(f"delete from {dbt.this} where not ({running})")
    features = dbt.ref("fct_enrolment_week_features")
    scores, messages = jobs.score_running(
        features.filter(running).df(),
        courses,
        dbt.ref("ml_model_registry").df(),
        as_of,
        previous=previous if previous is not None else jobs.no_previous_scores(),
    )
    for message in messages:
        print(f"[ml_student_scores_raw] {message}", flush=True)
    return scores
