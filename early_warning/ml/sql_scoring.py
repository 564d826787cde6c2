"""A stored scikit-learn pipeline as SQL: its log-odds, computed inside the warehouse.

The ``orbital`` library converts a fitted pipeline (through ONNX, skl2onnx) into
one SQL query for PostgreSQL, DuckDB and other dialects. Converted with
skl2onnx's ``raw_scores`` option, the classifier's output column
``output_probability.1`` is its *decision function* (the log-odds), not a
probability: the Platt calibration (two numbers) is then applied on top in
SQL, exactly as :class:`early_warning.ml.scoring.StoredModel` does in Python::

    log_odds    = slope * z + intercept
    probability = 1 / (1 + exp(-log_odds))

Only the steps of :mod:`early_warning.ml.candidates` are used (SimpleImputer,
StandardScaler, LogisticRegression, GradientBoostingClassifier), all of which
orbital translates exactly; ONNX keeps tree leaves in float32, so gradient
boosting log-odds agree with scikit-learn to about 1e-7 (well inside the 1e-6
the parity test demands).

Trees compare in float32. scikit-learn casts every input to float32 before it
walks a tree, and skl2onnx picks float32 thresholds w with
``float32(x) <= t  <=>  float32(x) <= w``. The SQL, though, compared the
*double* value: a feature value x just above a float32 w but rounding down to it
(fractional days to the second, ratios) went right in SQL and left in
scikit-learn — one misrouted split moved a probability by up to 0.03 on the
small demo's PostgreSQL ml-job. :func:`tree_input_sql` rounds the features to
float32 (``cast(x as real)``) before a tree model reads them, as scikit-learn
does; linear models keep the doubles (scikit-learn computes them in float64).
"""

from __future__ import annotations

import orbital
import orbital.types as otypes
import skl2onnx
from orbital.ast import EnsureConcatenatedInputs, ParsedPipeline
from orbital.translate import ResultsProjection

#: Output column of the orbital query holding the decision function (raw_scores).
RAW_SCORE_COLUMN = "output_probability.1"


def parse_raw_scores(pipeline, features, passthrough: dict[str, otypes.ColumnType] | None = None):
    """orbital's parsed pipeline whose positive-class output is the decision function.

    Mirrors ``orbital.parse_pipeline`` but converts the final classifier with
    skl2onnx's ``raw_scores`` option (orbital 0.6 has no switch for it).
    """
    types: dict[str, otypes.ColumnType] = {name: otypes.DoubleColumnType() for name in features}
    types.update(passthrough or {})
    inputs = {name: kind for name, kind in types.items() if not kind.is_passthrough}
    concatenated = EnsureConcatenatedInputs(inputs)
    needs_vector = concatenated.pipeline_requires_input_vector(pipeline)
    initial_types = (
        concatenated.concatenate_inputs()
        if needs_vector
        else [(name, kind._to_onnxtype()) for name, kind in inputs.items()]
    )
    estimator = pipeline.steps[-1][1]
    onnx_model = skl2onnx.to_onnx(
        pipeline, initial_types=initial_types, options={id(estimator): {"raw_scores": True}}
    )
    if needs_vector:
        onnx_model = concatenated.inject_concat_step(onnx_model)
    return ParsedPipeline._from_onnx_model(onnx_model, types)


def compares_in_float32(pipeline) -> bool:
    """True when the pipeline's classifier is a tree ensemble (float32 inputs in scikit-learn)."""
    from sklearn.ensemble import GradientBoostingClassifier

    return isinstance(pipeline.steps[-1][1], GradientBoostingClassifier)


def tree_input_sql(features, table: str, row_key: str = "row_id") -> str:
    """SELECT over ``table`` with every feature rounded to float32, as scikit-learn's trees see it.

    NULL stays NULL (imputed afterwards by the pipeline's SQL with a float32 constant,
    as scikit-learn's float64 median becomes float32 before the trees).
    """
    columns = "".join(
        f', cast(cast("{name}" as real) as double precision) as "{name}"' for name in features
    )
    return f'select "{row_key}"{columns} from {table}'


def log_odds_query(
    pipeline, features, table: str, row_key: str = "row_id", dialect: str = "postgres"
) -> str:
    """SQL returning (row_key, z) for every row of ``table``: z = pipeline.decision_function.

    ``table`` must hold a bigint ``row_key`` and the ``features`` as double
    precision (NULL = missing, imputed by the pipeline as in scikit-learn).
    """
    parsed = parse_raw_scores(
        pipeline, features, {row_key: otypes.Int64ColumnType(passthrough=True)}
    )
    sql = orbital.export_sql(
        table, parsed, dialect=dialect, projection=ResultsProjection(select=[row_key])
    )
    return f'select "{row_key}", "{RAW_SCORE_COLUMN}" as z from ({sql}) as orbital_scores'


def calibrated_log_odds_sql(z: str, slope: float, intercept: float) -> str:
    """SQL of the Platt-calibrated log-odds of decision-function expression ``z``."""
    return f"(cast({float(slope)!r} as double precision) * {z} + cast({float(intercept)!r} as double precision))"


def probability_sql(log_odds: str) -> str:
    """SQL of 1 / (1 + exp(-log_odds)), clamped so that exp never overflows (|x| > 700: 0 or 1)."""
    return f"(1.0 / (1.0 + exp(-greatest(least({log_odds}, 700.0), -700.0))))"
