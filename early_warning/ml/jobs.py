"""Entry points of the dbt Python models of python_models/classifiers.

Each dbt Python model only reads its refs and calls the functions below; the work
is in :mod:`early_warning.ml.registry` (the registry's lifecycle: train when due,
the current model, the evaluation and calibration rows) and
:mod:`early_warning.ml.scoring` (applying the current models). On PostgreSQL,
``early-warning ml-job`` (:mod:`early_warning.ml.warehouse_job`) calls the same.

==========================  ==============================================================
dbt Python model            calls
==========================  ==============================================================
ml_model_registry           courses_filter, update_registry, combined_registry,
                            current_models
ml_student_scores_raw       courses_filter, stored_scores_current, score_running
ml_model_evaluation_raw     evaluation_rows
ml_model_calibration_raw    calibration_rows
==========================  ==============================================================
"""

from __future__ import annotations

from early_warning.ml.registry import (
    calibration_rows,
    combined_registry,
    current_models,
    evaluation_rows,
    update_registry,
)
from early_warning.ml.scoring import courses_filter, score_running, stored_scores_current

__all__ = [
    "calibration_rows",
    "combined_registry",
    "courses_filter",
    "current_models",
    "evaluation_rows",
    "score_running",
    "stored_scores_current",
    "update_registry",
]
