"""The candidate classifiers: plain scikit-learn Pipelines that convert to SQL.

Only steps that the ``orbital`` library turns into exact SQL are used
(SimpleImputer, StandardScaler, LogisticRegression, GradientBoostingClassifier),
so that a later PostgreSQL job can apply the very pipeline stored in the
registry. Hyper-parameters are fixed, small and documented, not searched: with
a handful of training courses a grid search would mostly fit noise (and cost
minutes).
"""

from __future__ import annotations

from sklearn.ensemble import GradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

RANDOM_STATE = 20250512

LOGISTIC_REGRESSION = "logistic_regression"
GRADIENT_BOOSTING = "gradient_boosting"

#: Candidate name -> hyper-parameters of its final step (documented in the registry).
HYPER_PARAMETERS: dict[str, dict] = {
    # L2-regularised (C = 1 / strength); strong shrinkage because many features are
    # correlated (the 14 per-day counts, the 7- and 14-day kinds): C = 0.01 beat 0.1 on
    # OULAD's temporal splits (issue 15, benchmarks/oulad/report.md).
    LOGISTIC_REGRESSION: {"C": 0.01, "l1_ratio": 0.0, "solver": "lbfgs", "max_iter": 2000},
    # Shallow trees, 30 of them, each on half the rows and half the features per split:
    # on the large demo (40k training rows, 44 features) three course folds took 3.7 s
    # instead of 19.5 s with 50 trees on 80% of the rows and all features, for the same
    # out-of-fold dropout ROC AUC (0.9525 vs 0.9531; more in benchmarks/README.md, on a
    # shared machine). Fewer trees also mean shorter SQL
    # on PostgreSQL (DESIGN.md "ML": 50 trees convert to SQL in about a second).
    GRADIENT_BOOSTING: {
        "n_estimators": 30,
        "learning_rate": 0.15,
        "max_depth": 3,
        "min_samples_leaf": 20,
        "subsample": 0.5,
        # a quarter of the ~90 features per split (issue 15: 0.25 beat 0.5 on OULAD, and
        # keeps training time flat as the feature mart grew from 44 to 94 columns)
        "max_features": 0.25,
        "random_state": RANDOM_STATE,
    },
}

CANDIDATES: tuple[str, ...] = (LOGISTIC_REGRESSION, GRADIENT_BOOSTING)


def make_pipeline(algorithm: str) -> Pipeline:
    """A fresh, unfitted pipeline for one candidate.

    Missing values (no quiz yet, never active, first week) are imputed with the
    training median; ``keep_empty_features`` keeps a column that is entirely
    missing in training (a site without quizzes) so that features and
    contributions stay aligned with the feature list.
    """
    imputer = SimpleImputer(strategy="median", keep_empty_features=True)
    params = HYPER_PARAMETERS[algorithm]
    if algorithm == LOGISTIC_REGRESSION:
        return Pipeline(
            [
                ("impute", imputer),
                ("scale", StandardScaler()),
                ("model", LogisticRegression(**params)),
            ]
        )
    if algorithm == GRADIENT_BOOSTING:
        return Pipeline([("impute", imputer), ("model", GradientBoostingClassifier(**params))])
    raise ValueError(f"unknown algorithm {algorithm!r}; choose one of {', '.join(CANDIDATES)}")
