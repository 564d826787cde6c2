"""Reliability-diagram bins of every registry model, before and after calibration.

Unpacks the registry's calibration_curve_json; mart_model_calibration types it.
"""

from early_warning.ml import jobs


def model(dbt, session):
    dbt.config(materialized="table")
    return jobs.calibration_rows(dbt.ref("ml_model_registry").df())
