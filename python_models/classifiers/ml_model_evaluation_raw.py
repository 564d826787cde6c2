"""Out-of-fold metrics of every registry model, one row per candidate x interval.

Unpacks the registry's evaluation_json (computed at training time) into rows;
mart_model_evaluation documents and types them.
"""

from early_warning.ml import jobs


def model(dbt, session):
    dbt.config(materialized="table")
    return jobs.evaluation_rows(dbt.ref("ml_model_registry").df())
