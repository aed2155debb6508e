"""A provisional holdout is measured as the truth it stands for.

A positive of weight ``w`` (``1 / F``, a provisional label) stands for ``w`` positives, of which
``w - 1`` are still silent rows counted as negatives. The references are independent of the
weighting code:

- exact: a holdout whose silent rows hold exactly the positives the weights stand for (same
  score and amount) must measure as the truth, where those rows are positives;
- in expectation: on simulated traffic whose positives arrive with a known delay, the
  estimates averaged over many draws must equal the truth's average, where counting every
  silent row as a whole negative falls short.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from watchkeeper.config import BusinessValueConfig
from watchkeeper.config.lifecycle import ThresholdPolicy
from watchkeeper.modeling.threshold import choose_threshold
from watchkeeper.performance.binary_estimation import ScoreCalibrator
from watchkeeper.training.bootstrap import weighted_average_precision
from watchkeeper.training.evaluation import Holdout, evaluate_scores
from watchkeeper.training.validation import metric_ceiling, primary_statistics

ROWS = 400
BUSINESS = BusinessValueConfig()
Pair = tuple[Holdout, Holdout, np.ndarray, np.ndarray, np.ndarray]


def _holdout(signal: np.ndarray, labels: np.ndarray, amounts: np.ndarray, weights=None) -> Holdout:
    return Holdout(pl.DataFrame({"signal": signal}), labels, amounts, weights)


@pytest.fixture(scope="module")
def provisional_and_truth() -> Pair:
    """A provisional holdout and the truth it stands for, both's scores, and the source row of
    each of the provisional and the truth rows.

    Each positive of weight ``w`` comes with ``w - 1`` silent rows of its score and amount
    (label 0, weight 1), positives in the truth.
    """
    rng = np.random.default_rng(4)
    labels = (rng.random(ROWS) < 0.15).astype(np.int8)
    signal = labels + rng.normal(0, 0.8, ROWS)
    amounts = rng.lognormal(4, 1, ROWS)
    weights = np.where(labels == 1, rng.integers(1, 4, ROWS), 1).astype(np.float64)
    silent = np.where(labels == 1, weights - 1, 0).astype(np.int64)
    seen = np.r_[np.arange(ROWS), np.repeat(np.arange(ROWS), silent)]
    provisional = _holdout(
        signal[seen],
        np.r_[labels, np.zeros(silent.sum(), dtype=np.int8)],
        amounts[seen],
        np.r_[weights, np.ones(silent.sum())],
    )
    truth_rows = np.repeat(np.arange(ROWS), weights.astype(np.int64))
    truth = _holdout(signal[truth_rows], labels[truth_rows], amounts[truth_rows])
    return provisional, truth, signal, seen, truth_rows


def test_holdout_metrics_are_those_of_the_truth(provisional_and_truth: Pair) -> None:
    provisional, truth, signal, seen, truth_rows = provisional_and_truth
    scores, truth_scores = signal[seen], signal[truth_rows]
    ours = evaluate_scores(scores, 0.6, provisional, BUSINESS)
    reference = evaluate_scores(truth_scores, 0.6, truth, BUSINESS)
    for name in ("precision", "recall", "pr_auc", "roc_auc", "business_value"):
        assert getattr(ours, name) == pytest.approx(getattr(reference, name)), name
    for key in ("fraud_prevented", "review_cost", "false_decline_cost", "net_value"):
        assert ours.business[key] == pytest.approx(reference.business[key]), key
    assert ours.weighted_positives == reference.positives > ours.positives
    assert ours.flagged == int((scores >= 0.6).sum())  # rows reviewed, not weight
    # the truth's areas are scikit-learn's
    assert reference.pr_auc == pytest.approx(average_precision_score(truth.labels, truth_scores))
    assert reference.roc_auc == pytest.approx(roc_auc_score(truth.labels, truth_scores))


def test_the_gate_statistics_are_those_of_the_truth(provisional_and_truth: Pair) -> None:
    provisional, truth, signal, seen, truth_rows = provisional_and_truth
    scores, truth_scores = signal[seen], signal[truth_rows]
    challenger = signal + np.random.default_rng(1).normal(0, 1, ROWS)
    noisy, truth_noisy = challenger[seen], challenger[truth_rows]
    whole, whole_truth = np.ones((1, provisional.rows)), np.ones((1, truth.rows))
    for metric in ("business_value", "pr_auc", "recall_at_champion_flag_rate"):
        ours = primary_statistics(metric, (scores, 0.6), (noisy, 0.6), provisional, BUSINESS)
        reference = primary_statistics(
            metric, (truth_scores, 0.6), (truth_noisy, 0.6), truth, BUSINESS
        )
        for statistic, expected in zip(ours, reference, strict=True):
            assert statistic(whole)[0] == pytest.approx(expected(whole_truth)[0]), metric
    # the ceiling is a maximum per row, not linear in the labels: a silent row that hides a
    # positive is best passed, so the provisional ceiling can only be higher
    assert metric_ceiling("business_value", provisional, BUSINESS) >= metric_ceiling(
        "business_value", truth, BUSINESS
    )


def test_the_threshold_is_that_of_the_truth(provisional_and_truth: Pair) -> None:
    provisional, truth, signal, seen, truth_rows = provisional_and_truth
    scores, truth_scores = signal[seen], signal[truth_rows]
    policy = ThresholdPolicy(policy="precision", target=0.6)
    ours = choose_threshold(scores, provisional.labels, policy, provisional.weights)
    reference = choose_threshold(truth_scores, truth.labels, policy)
    assert ours.value == reference.value
    assert ours.precision == pytest.approx(reference.precision)
    assert ours.recall == pytest.approx(reference.recall)


def test_weights_on_negatives_repeat_rows_as_in_scikit_learn() -> None:
    rng = np.random.default_rng(7)
    labels = (rng.random(300) < 0.2).astype(np.int8)
    scores = labels + rng.normal(0, 1, 300)
    weights = np.where(labels == 0, rng.integers(1, 5, 300), 1).astype(np.float64)
    holdout = _holdout(scores, labels, np.ones(300), weights)
    found = evaluate_scores(scores, 0.5, holdout, BUSINESS)
    assert found.roc_auc == pytest.approx(roc_auc_score(labels, scores, sample_weight=weights))
    assert found.pr_auc == pytest.approx(
        average_precision_score(labels, scores, sample_weight=weights)
    )
    assert weighted_average_precision(scores, labels, weights)(np.ones((1, 300)))[
        0
    ] == pytest.approx(average_precision_score(labels, scores, sample_weight=weights))


def test_the_calibrator_counts_weighted_rows_that_many_times() -> None:
    rng = np.random.default_rng(3)
    labels = (rng.random(300) < 0.2).astype(np.int8)
    scores = labels + rng.normal(0, 1, 300)
    weights = rng.integers(1, 4, 300)
    calibrated = ScoreCalibrator.fit(scores, labels, weights.astype(np.float64))
    expected = ScoreCalibrator.fit(np.repeat(scores, weights), np.repeat(labels, weights))
    grid = np.linspace(scores.min(), scores.max(), 50)
    assert np.allclose(calibrated.probabilities(grid), expected.probabilities(grid))


def test_provisional_estimates_are_unbiased_where_whole_negatives_are_not() -> None:
    """Positives arrive with a known delay: an event of age ``a`` has its positive received
    with probability ``F(a)``; a received one weighs ``1 / F(a)``. Over 400 draws of 4,000
    events the mean estimated precision, recall and net value at the top 5 % of scores equal
    the truth's mean within four standard errors; counting the silent rows as whole
    negatives misses the precision by many."""
    rng = np.random.default_rng(11)
    draws, rows = 400, 4_000
    score = rng.normal(0, 1, (draws, rows))
    probability = 1 / (1 + np.exp(-(2.2 * score - 6.0)))
    truth = rng.random((draws, rows)) < probability
    share = rng.uniform(0.3, 1.0, (draws, rows))  # F(age), at the 0.3 floor at least
    received = truth & (rng.random((draws, rows)) < share)
    weights = np.where(received, 1 / share, 1.0)
    amounts = rng.lognormal(4, 1, (draws, rows))
    flags = score >= np.quantile(score, 0.95, axis=1, keepdims=True)
    estimates, truths, naive = [], [], []
    for draw in range(draws):
        labels = received[draw].astype(np.int8)
        holdout = _holdout(score[draw], labels, amounts[draw], weights[draw])
        threshold = float(score[draw][flags[draw]].min())
        found = evaluate_scores(score[draw], threshold, holdout, BUSINESS)
        true_holdout = _holdout(score[draw], truth[draw].astype(np.int8), amounts[draw])
        actual = evaluate_scores(score[draw], threshold, true_holdout, BUSINESS)
        estimates.append((found.precision, found.recall, found.business_value))
        truths.append((actual.precision, actual.recall, actual.business_value))
        flagged = flags[draw]
        naive.append(
            float(weights[draw][flagged] @ labels[flagged]) / float(weights[draw][flagged].sum())
        )
    estimated, true = np.array(estimates), np.array(truths)
    difference = estimated - true
    standard_error = difference.std(axis=0, ddof=1) / np.sqrt(draws)
    assert np.all(np.abs(difference.mean(axis=0)) < 4 * standard_error), (
        difference.mean(axis=0),
        standard_error,
    )
    naive_gap = np.array(naive) - true[:, 0]
    assert naive_gap.mean() < -8 * naive_gap.std(ddof=1) / np.sqrt(draws)


def test_heavy_provisional_positives_on_top_keep_precision_and_areas_within_one() -> None:
    """The top two rows are provisional positives standing for three each: the estimate of
    precision there is 3, of a quantity that cannot exceed 1; the precision, the PR area and
    the ROC area are held to [0, 1]."""
    scores = np.array([0.95, 0.9, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1])
    labels = np.array([1, 1, 0, 0, 0, 1, 0, 0], dtype=np.int8)
    weights = np.array([3.0, 3.0, 1, 1, 1, 1, 1, 1])
    holdout = _holdout(scores, labels, np.ones(8), weights)
    found = evaluate_scores(scores, 0.85, holdout, BUSINESS)
    assert found.precision == 1.0
    assert found.pr_auc is not None and 0.0 < found.pr_auc <= 1.0
    assert found.roc_auc is not None and 0.0 <= found.roc_auc <= 1.0
    raw = weighted_average_precision(scores, labels, weights)(np.ones((1, 8)))[0]
    assert raw == found.pr_auc
