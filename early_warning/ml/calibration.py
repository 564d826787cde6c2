"""Platt scaling of a model's log-odds: two numbers, expressible in SQL.

``p = 1 / (1 + exp(-(slope * z + intercept)))`` where ``z`` is the pipeline's
``decision_function`` (its log-odds). Fitted on out-of-fold log-odds (courses
the model did not see), never on the training rows themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit
from sklearn.linear_model import LogisticRegression


@dataclass(frozen=True)
class Platt:
    """Calibration map on the log-odds scale."""

    slope: float = 1.0
    intercept: float = 0.0

    def log_odds(self, z) -> np.ndarray:
        return self.slope * np.asarray(z, dtype="float64") + self.intercept

    def probability(self, z) -> np.ndarray:
        return expit(self.log_odds(z))


IDENTITY = Platt()


def fit_platt(z, y) -> Platt:
    """Fit the two Platt numbers by (practically unregularised) logistic regression.

    Falls back to the identity map when the labels hold a single class (there is
    nothing to calibrate against).
    """
    z = np.asarray(z, dtype="float64").reshape(-1, 1)
    y = np.asarray(y, dtype="int64")
    if len(y) == 0 or len(np.unique(y)) < 2:
        return IDENTITY
    fit = LogisticRegression(C=1e6, solver="lbfgs", max_iter=1000).fit(z, y)
    return Platt(slope=float(fit.coef_[0, 0]), intercept=float(fit.intercept_[0]))


def cross_calibrated(z, y, folds) -> np.ndarray:
    """Out-of-fold probabilities calibrated honestly.

    For the rows of fold k, the Platt map is fitted on the out-of-fold log-odds
    and labels of the *other* folds, so no row's own label tunes its calibration.
    """
    z = np.asarray(z, dtype="float64")
    y = np.asarray(y, dtype="int64")
    folds = np.asarray(folds)
    out = np.empty_like(z)
    for fold in np.unique(folds):
        test = folds == fold
        out[test] = fit_platt(z[~test], y[~test]).probability(z[test])
    return out
