"""Weighted rows are counted that many times: integer weights must equal repeated rows.

The reference is independent of the weighting code: the same holdout with each row repeated
as many times as its weight, evaluated without weights.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import average_precision_score

from watchkeeper.config import BusinessValueConfig
from watchkeeper.config.lifecycle import ThresholdPolicy
from watchkeeper.modeling.threshold import choose_threshold
from watchkeeper.performance.binary_estimation import ScoreCalibrator
from watchkeeper.training.bootstrap import weighted_average_precision
from watchkeeper.training.evaluation import Holdout, evaluate_scores
from watchkeeper.training.validation import primary_statistics

ROWS = 400
BUSINESS = BusinessValueConfig()


@pytest.fixture(scope="module")
def weighted() -> tuple[Holdout, Holdout, np.ndarray, np.ndarray]:
    """A weighted holdout, the same rows repeated by weight, and both's champion scores."""
    rng = np.random.default_rng(4)
    labels = (rng.random(ROWS) < 0.15).astype(np.int8)
    signal = labels + rng.normal(0, 0.8, ROWS)
    weights = np.where(labels == 1, rng.integers(1, 4, ROWS), 1).astype(np.float64)
    amounts = rng.lognormal(4, 1, ROWS)
    holdout = Holdout(pl.DataFrame({"signal": signal}), labels, amounts, weights)
    repeat = weights.astype(np.int64)
    repeated = Holdout(
        pl.DataFrame({"signal": np.repeat(signal, repeat)}),
        np.repeat(labels, repeat),
        np.repeat(amounts, repeat),
    )
    return holdout, repeated, np.asarray(signal), np.repeat(signal, repeat)


def test_holdout_metrics_equal_those_of_the_repeated_rows(
    weighted: tuple[Holdout, Holdout, np.ndarray, np.ndarray],
) -> None:
    holdout, repeated, scores, repeated_scores = weighted
    ours = evaluate_scores(scores, 0.6, holdout, BUSINESS)
    reference = evaluate_scores(repeated_scores, 0.6, repeated, BUSINESS)
    for name in ("precision", "recall", "pr_auc", "roc_auc", "business_value"):
        assert getattr(ours, name) == pytest.approx(getattr(reference, name)), name
    assert ours.weighted_positives == reference.positives > ours.positives
    assert ours.rows == ROWS and ours.flagged == int((scores >= 0.6).sum())  # rows, not weight


def test_the_gate_statistics_equal_those_of_the_repeated_rows(
    weighted: tuple[Holdout, Holdout, np.ndarray, np.ndarray],
) -> None:
    holdout, repeated, scores, repeated_scores = weighted
    noisy = scores + np.random.default_rng(1).normal(0, 1, ROWS)
    repeat = holdout.row_weights.astype(np.int64)
    whole, whole_repeated = np.ones((1, ROWS)), np.ones((1, repeated.rows))
    for metric in ("business_value", "pr_auc"):
        ours = primary_statistics(metric, (scores, 0.6), (noisy, 0.6), holdout, BUSINESS)
        reference = primary_statistics(
            metric,
            (repeated_scores, 0.6),
            (np.repeat(noisy, repeat), 0.6),
            repeated,
            BUSINESS,
        )
        for statistic, expected in zip(ours, reference, strict=True):
            assert statistic(whole)[0] == pytest.approx(expected(whole_repeated)[0]), metric
    assert weighted_average_precision(scores, holdout.labels, holdout.weights)(whole)[
        0
    ] == pytest.approx(
        average_precision_score(holdout.labels, scores, sample_weight=holdout.weights)
    )


def test_threshold_and_calibrator_equal_those_of_the_repeated_rows(
    weighted: tuple[Holdout, Holdout, np.ndarray, np.ndarray],
) -> None:
    holdout, repeated, scores, repeated_scores = weighted
    policy = ThresholdPolicy(policy="precision", target=0.6)
    ours = choose_threshold(scores, holdout.labels, policy, holdout.weights)
    reference = choose_threshold(repeated_scores, repeated.labels, policy)
    assert ours.value == reference.value
    assert ours.precision == pytest.approx(reference.precision)
    assert ours.recall == pytest.approx(reference.recall)
    calibrated = ScoreCalibrator.fit(scores, holdout.labels, holdout.weights)
    expected = ScoreCalibrator.fit(repeated_scores, repeated.labels)
    grid = np.linspace(scores.min(), scores.max(), 50)
    assert np.allclose(calibrated.probabilities(grid), expected.probabilities(grid))


def test_bad_holdout_weights_are_refused() -> None:
    from watchkeeper.errors import TrainingDataError

    with pytest.raises(TrainingDataError, match="sample weights must be finite"):
        Holdout(pl.DataFrame({"x": [0.0, 1.0]}), np.array([0, 1]), np.ones(2), np.array([1, -1]))
