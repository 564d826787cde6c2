"""Scores of the running courses: one row per enrolment x course week x target.

Loads, per target, the newest registry model trained at or before as_of and
applies it (calibrated probability, log-odds, top three reasons). A target
without a model gets no rows (mart_student_scores then shows NULL scores).
"""

from early_warning.ml import jobs


def model(dbt, session):
    dbt.config(materialized="table")
    as_of_frame = dbt.ref("int_as_of_resolved").df()
    as_of = int(as_of_frame["as_of"].iloc[0])
    courses = dbt.ref("int_courses_classified").df()
    features = dbt.ref("fct_enrolment_week_features")
    scores, messages = jobs.score_running(
        features.filter(jobs.courses_filter(courses, "running")).df(),
        courses,
        dbt.ref("ml_model_registry").df(),
        as_of,
    )
    for message in messages:
        print(f"[ml_student_scores_raw] {message}", flush=True)
    return scores
