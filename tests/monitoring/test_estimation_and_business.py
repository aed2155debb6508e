"""Estimated performance (CBPE) and money: exact on known cases, honest under drift."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from watchkeeper.config import BusinessValueConfig
from watchkeeper.monitoring.outcomes.business import business_outcome
from watchkeeper.performance.binary_estimation import (
    ScoreCalibrator,
    estimate_performance,
    expected_curve_areas,
)


def test_expected_areas_equal_sklearn_when_probabilities_are_the_labels() -> None:
    generator = np.random.default_rng(3)
    labels = (generator.random(3_000) < 0.1).astype(float)
    scores = np.round(generator.normal(labels, 1.0), 1)  # rounded: many ties
    roc, average = expected_curve_areas(labels, scores)
    assert roc == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    assert average == pytest.approx(average_precision_score(labels, scores), abs=1e-12)


def simulated_scores(
    size: int, generator: np.random.Generator, shift: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Scores whose true fraud probability is a known logistic function of the score."""
    scores = generator.beta(1.2, 6.0, size) + shift
    probability = 1 / (1 + np.exp(-(12 * (scores - 0.55))))
    labels = (generator.random(size) < probability).astype(int)
    return scores, labels


def test_estimate_is_close_to_realized_when_calibration_holds() -> None:
    generator = np.random.default_rng(11)
    reference_scores, reference_labels = simulated_scores(200_000, generator)
    calibrator = ScoreCalibrator.fit(reference_scores, reference_labels)
    # covariate shift: more high scores, same score-to-outcome relation
    current_scores, current_labels = simulated_scores(100_000, generator, shift=0.1)
    decisions = current_scores > 0.5
    estimate = estimate_performance(current_scores, decisions, calibrator)
    flagged_labels = current_labels[decisions]
    realized_precision = flagged_labels.mean()
    realized_recall = flagged_labels.sum() / current_labels.sum()
    assert estimate.precision == pytest.approx(realized_precision, abs=0.03)
    assert estimate.recall == pytest.approx(realized_recall, abs=0.03)
    assert estimate.roc_auc == pytest.approx(
        roc_auc_score(current_labels, current_scores), abs=0.02
    )
    assert "covariate shift" in estimate.assumption


def test_estimate_diverges_under_concept_drift() -> None:
    generator = np.random.default_rng(12)
    reference_scores, reference_labels = simulated_scores(200_000, generator)
    calibrator = ScoreCalibrator.fit(reference_scores, reference_labels)
    # concept drift: fraud now hides among low scores; the scores alone look the same
    current_scores, _ = simulated_scores(100_000, generator)
    hidden_fraud = generator.random(current_scores.size) < 0.03
    current_labels = hidden_fraud.astype(int)
    decisions = current_scores > 0.5
    estimate = estimate_performance(current_scores, decisions, calibrator)
    realized_recall = current_labels[decisions].sum() / current_labels.sum()
    assert estimate.recall is not None
    assert estimate.recall - realized_recall > 0.3


def test_calibrator_round_trips_through_json() -> None:
    calibrator = ScoreCalibrator.fit(np.array([0.1, 0.4, 0.6, 0.9]), np.array([0, 0, 1, 1]))
    again = ScoreCalibrator.from_dict(calibrator.to_dict())
    assert np.array_equal(
        again.probabilities([0.0, 0.5, 1.0]), calibrator.probabilities([0.0, 0.5, 1.0])
    )


def test_business_outcome_by_hand_and_against_a_rule() -> None:
    config = BusinessValueConfig(review_cost=4.0, false_decline_rate=0.05, false_decline_cost=2.0)
    frame = pl.DataFrame(
        {
            "amount": [500.0, 80.0, 30.0, 900.0, 12.0],
            "decision": [True, True, False, False, False],
            "rule": [False, True, True, True, False],
            "fraud_probability": [1.0, 0.0, 0.0, 1.0, 0.0],
        }
    )
    outcome = business_outcome(frame, config)
    assert outcome.fraud_prevented == 500.0
    assert outcome.fraud_loss_approved == 900.0
    assert outcome.review_cost == 8.0
    assert outcome.false_decline_cost == pytest.approx(80 * 0.05 + 2.0)
    assert outcome.net_value == pytest.approx(500 - 8 - 6)
    assert outcome.baseline_cost == 1400.0  # no model: all fraud approved
    assert outcome.value_against_baseline == pytest.approx(1400 - (900 + 8 + 6))
    against_rule = business_outcome(frame, config, baseline_decision="rule")
    rule_cost = 500.0 + 3 * 4.0 + (80 + 30) * 0.05 + 2 * 2.0
    assert against_rule.baseline_cost == pytest.approx(rule_cost)
    assert against_rule.value_against_baseline == pytest.approx(rule_cost - outcome.total_cost)


def test_estimated_business_outcome_uses_probabilities() -> None:
    frame = pl.DataFrame(
        {"amount": [100.0, 100.0], "decision": [True, False], "fraud_probability": [0.25, 0.5]}
    )
    outcome = business_outcome(
        frame,
        BusinessValueConfig(review_cost=0, false_decline_rate=0, false_decline_cost=0),
        estimated=True,
    )
    assert outcome.fraud_prevented == 25.0
    assert outcome.fraud_loss_approved == 50.0
    assert outcome.estimated
