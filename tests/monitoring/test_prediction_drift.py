"""Prediction drift: the score PSI and the flag-rate test against scipy and by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile
from watchkeeper.monitoring.profiles.profile_plan import quantile_edges
from watchkeeper.monitoring.statistics.prediction_drift import flag_rate_drift, score_drift


def test_flag_rate_test_matches_the_2x2_chi_square_of_scipy() -> None:
    result = flag_rate_drift(baseline_flags=130, baseline_total=9_000, flags=171, total=8_000)
    table = np.array([[130, 9_000 - 130], [171, 8_000 - 171]])
    statistic, pvalue, _, _ = stats.chi2_contingency(table, correction=False)
    assert result.z_statistic**2 == pytest.approx(statistic, rel=1e-10)
    assert result.pvalue == pytest.approx(pvalue, rel=1e-9)


def test_flag_rate_interval_by_hand() -> None:
    result = flag_rate_drift(50, 1_000, 80, 1_000, confidence=0.9)
    p1, p2 = 0.05, 0.08
    error = math.sqrt(p1 * (1 - p1) / 1_000 + p2 * (1 - p2) / 1_000)
    critical = stats.norm.ppf(0.95)
    assert result.difference == pytest.approx(0.03)
    assert result.difference_low == pytest.approx(0.03 - critical * error, rel=1e-9)
    assert result.difference_high == pytest.approx(0.03 + critical * error, rel=1e-9)
    assert result.rate_ratio == pytest.approx(1.6)
    assert result.verdict == "warn"


def test_flag_rate_interval_covers_the_truth_in_repeated_samples() -> None:
    rng = np.random.default_rng(9)
    covered = 0
    for _ in range(400):
        baseline = rng.binomial(5_000, 0.02)
        current = rng.binomial(5_000, 0.03)
        result = flag_rate_drift(baseline, 5_000, current, 5_000)
        covered += result.difference_low <= 0.01 <= result.difference_high
    assert 0.92 <= covered / 400 <= 0.98


def test_flag_rate_verdict_is_an_effect_size_in_both_directions() -> None:
    assert flag_rate_drift(100_000, 10_000_000, 101_000, 10_000_000).verdict == "ok"
    assert flag_rate_drift(200, 10_000, 90, 10_000).verdict == "alert"  # halved and more
    zero = flag_rate_drift(0, 1_000, 5, 1_000)
    assert math.isinf(zero.rate_ratio) and zero.verdict == "alert"
    assert zero.to_dict()["rate_ratio"] is None
    with pytest.raises(ValueError, match="between 0 and the number"):
        flag_rate_drift(5, 4, 1, 10)


def test_score_psi_against_the_holdout_baseline() -> None:
    rng = np.random.default_rng(2)
    holdout = np.sort(rng.beta(1, 20, size=50_000))
    edges = quantile_edges(holdout, bins=10)
    baseline = NumericProfile.from_values(holdout, edges)
    same = score_drift(baseline, NumericProfile.from_values(rng.beta(1, 20, size=50_000), edges))
    assert same.verdict == "ok"
    drifted = score_drift(baseline, NumericProfile.from_values(rng.beta(1, 8, size=50_000), edges))
    assert drifted.verdict == "alert" and drifted.feature == "score"
