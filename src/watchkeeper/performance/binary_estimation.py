"""Estimated performance before labels arrive: confidence-based performance estimation.

A calibrator, fitted on the reference holdout (where labels are known), maps a score to the
probability that the event is fraud. On a window without labels yet, each event then counts
as ``p`` of a positive and ``1 - p`` of a negative, which gives an *expected* confusion
matrix, and from it expected precision, recall, F1 (``2TP / (2TP + FP + FN)`` on the
expected counts, as NannyML does), false-positive rate and areas. This is the
method NannyML calls CBPE.

Its assumption, stated with every result: the relation between score and outcome is the
one seen on the reference (it holds under covariate shift). Under concept drift — fraudsters
who adapt — the calibration is wrong and so is the estimate; only the realized values, once
labels mature, or business outcomes show it.

>>> import numpy as np
>>> calibrator = ScoreCalibrator.fit(np.array([0.1, 0.2, 0.8, 0.9]), np.array([0, 0, 1, 1]))
>>> estimate = estimate_performance(np.array([0.85, 0.15]), np.array([True, False]), calibrator)
>>> estimate.precision, estimate.recall, estimate.f1, estimate.flag_rate
(1.0, 1.0, 1.0, 0.5)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

ASSUMPTION = (
    "estimated from calibrated scores: valid under covariate shift, blind to concept drift "
    "(a changed relation between inputs and outcome)"
)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class ScoreCalibrator:
    """A monotone map from score to probability of a positive (isotonic regression).

    Stored as its breakpoints, so it serialises to JSON and applies without scikit-learn.
    """

    score_breakpoints: tuple[float, ...]
    probability_breakpoints: tuple[float, ...]

    @classmethod
    def fit(
        cls,
        scores: npt.ArrayLike,
        labels: npt.ArrayLike,
        sample_weight: npt.ArrayLike | None = None,
    ) -> ScoreCalibrator:
        """Fit on the reference holdout's scores and labels (1 = positive), each row counted
        by ``sample_weight`` when given (a holdout with provisional labels)."""
        from sklearn.isotonic import IsotonicRegression

        score_values = np.asarray(scores, dtype=np.float64)
        label_values = np.asarray(labels, dtype=np.float64)
        if score_values.shape != label_values.shape or score_values.size == 0:
            raise ValueError("calibration needs as many labels as scores, and at least one")
        regression = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        regression.fit(score_values, label_values, sample_weight=sample_weight)
        return cls(
            tuple(float(value) for value in regression.X_thresholds_),
            tuple(float(value) for value in regression.y_thresholds_),
        )

    @classmethod
    def fit_delayed(
        cls,
        scores: npt.ArrayLike,
        labels: npt.ArrayLike,
        received_share: npt.ArrayLike,
        *,
        max_iterations: int = 500,
        tolerance: float = 1e-9,
    ) -> ScoreCalibrator:
        """Fit on a holdout whose labels are still arriving: ``labels`` 1 for a positive
        received so far, 0 for an event without one yet; ``received_share`` ``F`` for each
        row, the share of positives received by its age (1: its label is final).

        A row without a positive is a negative only with probability
        ``(1 - p) / (1 - p F)``: its positive may still come. Counting it as a whole
        negative while a received positive weighs ``1 / F`` (the training window's sample
        weights) keeps the positives' mass but inflates the total, so every probability
        comes out too low by ``1 / (1 + p (1 - F))`` — most where churn or fraud is likely.
        Here each such row counts as ``p (1 - F) / (1 - p F)`` of a positive, with ``p`` the
        current fit, and the isotonic fit is repeated until it no longer moves (the EM
        estimate under the label-delay model). With every share 1 it is :meth:`fit`.

        Four young events (half their positives received by their age), one positive in:

        >>> scores, labels, shares = [0.9] * 4, [1, 0, 0, 0], [0.5] * 4
        >>> fitted = ScoreCalibrator.fit_delayed(scores, labels, shares)
        >>> round(float(fitted.probabilities([0.9])[0]), 6)
        0.5
        >>> float(ScoreCalibrator.fit(scores, labels, [2, 1, 1, 1]).probabilities([0.9])[0])
        0.4
        """
        from sklearn.isotonic import IsotonicRegression, isotonic_regression

        score_values = np.asarray(scores, dtype=np.float64).ravel()
        received = np.asarray(labels, dtype=np.float64).ravel() == 1.0
        share = np.asarray(received_share, dtype=np.float64).ravel()
        if score_values.size == 0 or not score_values.size == received.size == share.size:
            raise ValueError("calibration needs one label and one received share per score")
        if not np.all(np.isfinite(share) & (share > 0.0) & (share <= 1.0)):
            raise ValueError("a received share is a number in (0, 1]: the share of positives in")
        # the iterations run on the distinct scores, sorted once (what IsotonicRegression
        # does on each fit); the stored map is one last fit on the converged targets
        distinct, group = np.unique(score_values, return_inverse=True)
        sizes = np.bincount(group).astype(np.float64)
        fitted = np.full(distinct.size, received.mean())

        def targets(probability: FloatArray) -> FloatArray:
            row = probability[group]
            pending = row * (1.0 - share) / np.maximum(1.0 - row * share, 1e-12)
            found: FloatArray = np.where(received, 1.0, pending)
            return found

        for _ in range(max_iterations):
            means = np.bincount(group, weights=targets(fitted)) / sizes
            updated = isotonic_regression(means, sample_weight=sizes, y_min=0.0, y_max=1.0)
            moved = float(np.max(np.abs(updated - fitted)))
            fitted = updated
            if moved < tolerance:
                break
        regression = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        regression.fit(score_values, targets(fitted))
        return cls(
            tuple(float(value) for value in regression.X_thresholds_),
            tuple(float(value) for value in regression.y_thresholds_),
        )

    def probabilities(self, scores: npt.ArrayLike) -> FloatArray:
        """The calibrated probability of each score (clipped at the fitted range's ends)."""
        probabilities: FloatArray = np.interp(
            np.asarray(scores, dtype=np.float64),
            np.asarray(self.score_breakpoints),
            np.asarray(self.probability_breakpoints),
        )
        return probabilities

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, stored with the model version."""
        return {
            "score_breakpoints": list(self.score_breakpoints),
            "probability_breakpoints": list(self.probability_breakpoints),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScoreCalibrator:
        """Rebuild a calibrator from :meth:`to_dict`'s output."""
        return cls(
            tuple(float(value) for value in data["score_breakpoints"]),
            tuple(float(value) for value in data["probability_breakpoints"]),
        )


@dataclass(frozen=True)
class EstimatedPerformance:
    """The expected confusion matrix of a window and the metrics derived from it."""

    events: int
    expected_positives: float
    expected_true_positives: float
    expected_false_positives: float
    precision: float | None
    recall: float | None
    false_positive_rate: float | None
    roc_auc: float | None
    pr_auc: float | None
    f1: float | None
    flag_rate: float | None
    assumption: str = ASSUMPTION


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole > 0 else None


def expected_curve_areas(probabilities: FloatArray, scores: FloatArray) -> tuple[float, float]:
    """Expected ROC AUC and average precision when each event is ``p`` positive.

    Ties in score are one step of the curve, as in scikit-learn.

    >>> expected_curve_areas(np.array([1.0, 0.0]), np.array([0.9, 0.1]))
    (1.0, 1.0)
    """
    order = np.argsort(-scores, kind="stable")
    sorted_scores = scores[order]
    positive_mass = np.cumsum(probabilities[order])
    negative_mass = np.cumsum(1.0 - probabilities[order])
    last_of_tie = np.r_[sorted_scores[1:] != sorted_scores[:-1], True]
    true_positives = np.r_[0.0, positive_mass[last_of_tie]]
    false_positives = np.r_[0.0, negative_mass[last_of_tie]]
    total_positive, total_negative = true_positives[-1], false_positives[-1]
    if total_positive <= 0 or total_negative <= 0:
        return float("nan"), float("nan")
    true_positive_rate = true_positives / total_positive
    false_positive_rate = false_positives / total_negative
    roc_auc = float(np.trapezoid(true_positive_rate, false_positive_rate))
    flagged = true_positives[1:] + false_positives[1:]
    precision = true_positives[1:] / flagged
    recall_steps = np.diff(true_positive_rate)
    average_precision = float(np.sum(recall_steps * precision))
    return roc_auc, average_precision


def estimate_performance(
    scores: npt.ArrayLike, decisions: npt.ArrayLike, calibrator: ScoreCalibrator
) -> EstimatedPerformance:
    """Expected precision, recall, F1, false-positive rate, ROC AUC and PR AUC of a window.

    The flag rate is not estimated: it is the share of the window's events flagged.
    """
    score_values = np.asarray(scores, dtype=np.float64)
    flags: BoolArray = np.asarray(decisions, dtype=np.bool_)
    probabilities = calibrator.probabilities(score_values)
    expected_positives = float(probabilities.sum())
    true_positives = float(probabilities[flags].sum())
    false_positives = float((1.0 - probabilities[flags]).sum())
    expected_negatives = float(score_values.size - expected_positives)
    roc_auc = average_precision = None
    if score_values.size:
        areas = expected_curve_areas(probabilities, score_values)
        roc_auc = None if np.isnan(areas[0]) else areas[0]
        average_precision = None if np.isnan(areas[1]) else areas[1]
    return EstimatedPerformance(
        events=int(score_values.size),
        expected_positives=expected_positives,
        expected_true_positives=true_positives,
        expected_false_positives=false_positives,
        precision=_ratio(true_positives, true_positives + false_positives),
        recall=_ratio(true_positives, expected_positives),
        false_positive_rate=_ratio(false_positives, expected_negatives),
        roc_auc=roc_auc,
        pr_auc=average_precision,
        f1=_ratio(
            2 * true_positives,
            2 * true_positives + false_positives + (expected_positives - true_positives),
        ),
        flag_rate=_ratio(float(flags.sum()), float(score_values.size)),
    )


__all__ = [
    "ASSUMPTION",
    "EstimatedPerformance",
    "ScoreCalibrator",
    "estimate_performance",
    "expected_curve_areas",
]
