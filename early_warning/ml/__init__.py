"""Dropout and completion classifiers: training, honest validation, registry, scoring, reasons.

The dbt Python models in ``python_models/classifiers`` only read their refs and call
:mod:`early_warning.ml.jobs` (their entry points); everything else lives here and is unit-tested:

* :mod:`~early_warning.ml.features` — which feature-mart columns the models use, and why;
* :mod:`~early_warning.ml.candidates` — logistic regression and gradient boosting pipelines;
* :mod:`~early_warning.ml.train` — course-grouped cross-validation, selection, final fit;
* :mod:`~early_warning.ml.calibration` — Platt scaling of the log-odds (two numbers);
* :mod:`~early_warning.ml.metrics` — metrics per course week and Moodle interval, the gate;
* :mod:`~early_warning.ml.explain` — per-feature contributions and reasons in words;
* :mod:`~early_warning.ml.registry` — the registry's lifecycle (train when due, the current
  model, evaluation and calibration rows), skops serialisation, versions;
* :mod:`~early_warning.ml.scoring` — applying the current models to the running courses;
* :mod:`~early_warning.ml.warehouse_job` — the same on PostgreSQL, scoring in SQL
  (:mod:`~early_warning.ml.sql_scoring`);
* :mod:`~early_warning.ml.plots` — ROC, calibration, AUC-by-week, feature-importance PNGs.
"""
