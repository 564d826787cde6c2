"""Model registry: trains the dropout and completion classifiers when retraining is due.

Incremental: a run appends one row per target only when no usable model exists,
the newest one is ml_retrain_after_days old (as_of minus trained_at), or
ml_force_retrain is true; otherwise it appends nothing and reads no training
data. --full-refresh never drops it (full_refresh=False): earlier model versions stay;
`dbt run-operation drop_model_registry` is the one command that does. It also (re)draws the model-quality plots into ml_plots_path. All the
work is in early_warning.ml.registry (entry points: early_warning.ml.jobs).
"""

from early_warning.ml import jobs


def _flag(value) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes")


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        unique_key="model_version",
        incremental_strategy="delete+insert",
        on_schema_change="append_new_columns",
        # trained models cannot be rebuilt as they were: --full-refresh keeps the registry
        # (like mart_student_category_history); only `dbt run-operation drop_model_registry`
        # drops it (README "Model registry")
        full_refresh=False,
    )
    retrain_after_days = float(dbt.config.meta_get("ml_retrain_after_days", 7))
    force = _flag(dbt.config.meta_get("ml_force_retrain", False))
    plots_path = dbt.config.meta_get("ml_plots_path", "")
    plots_path = str(plots_path or "").strip()
    as_of_frame = dbt.ref("int_as_of_resolved").df()
    as_of = int(as_of_frame["as_of"].iloc[0])

    existing = session.sql(f"select * from {dbt.this}").df() if dbt.is_incremental else None

    def load_training_data():
        # only the finished courses' rows reach pandas (the running ones are never trained on)
        courses = dbt.ref("int_courses_classified").df()
        features = dbt.ref("fct_enrolment_week_features")
        # and only the columns training reads (a missing one: early_warning.ml names it)
        columns = ", ".join(f'"{c}"' for c in jobs.TRAINING_COLUMNS if c in features.columns)
        return (
            features.filter(jobs.courses_filter(courses, "finished")).project(columns).df(),
            dbt.ref("fct_enrolment_outcomes").df(),
            courses,
        )

    update = jobs.update_registry(load_training_data, as_of, existing, retrain_after_days, force)
    for message in update.messages:
        print(f"[ml_model_registry] {message}", flush=True)

    if plots_path:
        from early_warning.ml.plots import ensure_plots  # matplotlib only when drawing

        registry = jobs.combined_registry(existing, update.new_rows)
        for row in jobs.current_models(registry, as_of).values():
            if ensure_plots(row, plots_path):
                print(f"[ml_model_registry] plots of {row['model_version']} in {plots_path}")
    return update.new_rows
