"""Entry points of the dbt Python models of python_models/classifiers.

Each dbt Python model only reads its refs and calls the functions below; the work
is in :mod:`early_warning.ml.registry` (the registry's lifecycle: train when due,
the current model, the evaluation and calibration rows) and
:mod:`early_warning.ml.scoring` (applying the current models). On PostgreSQL,
``early-warning ml-job`` (:mod:`early_warning.ml.warehouse_job`) calls the same.

==========================  ==============================================================
dbt Python model            calls
==========================  ==============================================================
ml_model_registry           courses_filter, TRAINING_COLUMNS, update_registry,
                            combined_registry, current_models
ml_student_scores_raw       courses_filter, stored_scores_current, scoring_columns,
                            score_running_by_course, SCORE_SQL_TYPES
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
from early_warning.ml.scoring import (
    SCORE_SQL_TYPES,
    courses_filter,
    score_running,
    score_running_by_course,
    scoring_columns,
    stored_scores_current,
)
from early_warning.ml.train import TRAINING_COLUMNS

__all__ = [
    "SCORE_SQL_TYPES",
    "TRAINING_COLUMNS",
    "calibration_rows",
    "combined_registry",
    "courses_filter",
    "current_models",
    "evaluation_rows",
    "score_running",
    "score_running_by_course",
    "scoring_columns",
    "stored_scores_current",
    "update_registry",
]
