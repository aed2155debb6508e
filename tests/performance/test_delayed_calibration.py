"""The money estimated before labels, from a calibrator fitted on a holdout whose labels are
still arriving (provisional labels), against the truth of a simulation.

A calibrated score stream: each event's score is its probability of a positive. The
holdout's positives arrive over time: by its age an event has had a share ``F`` of its
chance to show one. Fitting the calibrator with the training window's sample weights
(a received positive ``1 / F``, an event without one a whole negative) biases every
probability low by ``1 / (1 + p (1 - F))``; the delayed fit must recover the truth.
"""

from __future__ import annotations

import numpy as np
import pytest

from watchkeeper.performance.binary_estimation import ScoreCalibrator
from watchkeeper.performance.costs import binary_money, expected_binary_money

MATRIX = {"positive": {"positive": -30.0, "negative": 60.0}, "negative": {"positive": 10.0}}


Holdout = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _holdout(rng: np.random.Generator, size: int) -> Holdout:
    """Scores (= true probabilities), the final labels, the positives received so far, and
    each row's share F of its positive's chance to have arrived."""
    scores = rng.beta(1.0, 5.0, size)
    positive = rng.random(size) < scores
    share = rng.uniform(0.3, 1.0, size)
    received = positive & (rng.random(size) < share)
    return scores, positive.astype(np.int64), received.astype(np.int64), share


def _expected_cost(calibrator: ScoreCalibrator | None) -> float:
    """The expected cost of one served stream (the top tenth flagged) from ``calibrator``;
    None: under the true probabilities (the expectation of the realized cost)."""
    served = np.random.default_rng(8).beta(1.0, 5.0, 50_000)
    decisions = served >= np.quantile(served, 0.9)
    probabilities = served if calibrator is None else calibrator.probabilities(served)
    return expected_binary_money(probabilities, decisions, MATRIX).cost


def test_weighted_rows_bias_the_estimate_and_the_delayed_fit_does_not() -> None:
    """Against the truth, and against the calibrator the same holdout gives once its labels
    are final (which removes the holdout's own sampling noise from the comparison)."""
    rng = np.random.default_rng(0)
    scores, final, received, share = _holdout(rng, 60_000)
    weights = np.where(received == 1, 1.0 / share, 1.0)

    weighted = ScoreCalibrator.fit(scores, received, weights)
    delayed = ScoreCalibrator.fit_delayed(scores, received, share)
    matured = ScoreCalibrator.fit(scores, final)

    truth = _expected_cost(None)
    assert _expected_cost(matured) == pytest.approx(truth, rel=0.02)
    assert (
        _expected_cost(weighted) / _expected_cost(matured) - 1.0 < -0.03
    )  # the mechanism: 3.9% under
    assert _expected_cost(delayed) == pytest.approx(_expected_cost(matured), rel=0.01)
    assert _expected_cost(delayed) == pytest.approx(truth, rel=0.02)
    # the probabilities themselves, where positives are likely (the flagged tenth)
    top = np.linspace(np.quantile(scores, 0.9), 0.8, 200)
    assert delayed.probabilities(top).mean() == pytest.approx(top.mean(), rel=0.03)
    assert weighted.probabilities(top).mean() < 0.92 * top.mean()


def test_expected_cost_matches_realized_on_a_calibrated_stream() -> None:
    """Labels drawn from the scores: the expected cost is the realized one up to noise."""
    rng = np.random.default_rng(11)
    _, _, received, share = scores_and_labels = _holdout(rng, 40_000)
    scores = scores_and_labels[0]
    delayed = ScoreCalibrator.fit_delayed(scores, received, share)
    served = rng.beta(1.0, 5.0, 50_000)
    labels = (rng.random(served.size) < served).astype(np.int64)
    decisions = served >= np.quantile(served, 0.9)
    realized = binary_money(labels, decisions, MATRIX).cost
    expected = expected_binary_money(delayed.probabilities(served), decisions, MATRIX).cost
    assert expected == pytest.approx(realized, rel=0.03)


def test_final_labels_fit_as_before() -> None:
    rng = np.random.default_rng(3)
    scores = rng.random(500)
    labels = (rng.random(500) < scores).astype(np.int64)
    plain = ScoreCalibrator.fit(scores, labels)
    assert ScoreCalibrator.fit_delayed(scores, labels, np.ones(500)) == plain


def test_a_share_outside_zero_one_is_refused() -> None:
    with pytest.raises(ValueError, match="received share"):
        ScoreCalibrator.fit_delayed([0.1, 0.2], [0, 1], [0.0, 1.0])
