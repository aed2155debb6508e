"""The gate's power: the normal approximation by hand, and the real gate's acceptance rate."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from watchkeeper.config import RetrainingConfig
from watchkeeper.training.bootstrap import weighted_sum
from watchkeeper.training.gate_power import GatePower, gate_power
from watchkeeper.training.validation import compare_statistics


def power(
    se: float, room: float, margin: float = 0.0, confidence: float = 0.95, min_power: float = 0.8
) -> GatePower:
    """The gate's power asked to detect a tenth of ``room`` beyond ``margin``."""
    return gate_power(
        se, room=room, margin=margin, detectable_effect=0.1, confidence=confidence,
        min_power=min_power,
    )  # fmt: skip


def test_power_and_detectable_difference_match_the_normal_approximation() -> None:
    # se 12, margin 5, effect 5 + 0.1 * 300 = 35, confidence 0.9: z = 1.6449, c = 19.74
    found = power(12.0, 300.0, margin=5.0, confidence=0.9)
    z = norm.ppf(0.95)
    critical = max(5.0, z * 12.0)
    assert found.effect == pytest.approx(35.0)
    assert found.power == pytest.approx(norm.cdf((35.0 - critical) / 12.0), rel=1e-12)
    assert found.power == pytest.approx(0.8983, abs=1e-4)  # by hand: Φ((35 - 19.74) / 12)
    assert found.min_detectable == pytest.approx(critical + norm.ppf(0.8) * 12.0)
    assert found.sufficient
    # the margin binds when the interval is narrow: c = margin
    narrow = power(1.0, 10.0, margin=5.0)
    assert narrow.power == pytest.approx(norm.cdf((6.0 - 5.0) / 1.0))  # Φ(1) = 0.841
    assert narrow.sufficient
    wider = power(2.0, 10.0, margin=5.0)
    assert wider.power == pytest.approx(norm.cdf((6.0 - max(5.0, norm.ppf(0.975) * 2.0)) / 2.0))
    assert not wider.sufficient


def test_the_positives_needed_bring_the_power_to_the_level_asked() -> None:
    weak = power(30.0, 400.0)
    needed = weak.sample_needed(50)
    # with no margin: n' = n ((z + z_0.8) s / effect)^2
    exact = 50 * ((norm.ppf(0.975) + norm.ppf(0.8)) * 30.0 / 40.0) ** 2
    assert needed == math.ceil(exact)
    # at that size the standard error is s sqrt(n / n'), and the power reaches 0.8
    scaled = 30.0 * math.sqrt(50 / exact)
    again = power(scaled, 400.0)
    assert again.power == pytest.approx(0.8, abs=1e-9)
    # with a margin, both conditions: z_0.8 s <= effect - margin and (z + z_0.8) s <= effect
    margined = power(20.0, 100.0, margin=20.0)
    largest = min(10.0 / norm.ppf(0.8), 30.0 / (norm.ppf(0.975) + norm.ppf(0.8)))
    assert not margined.sufficient
    assert margined.sample_needed(40) == math.ceil(40 * (20.0 / largest) ** 2)
    # power 0 asked: every verdict stands
    off = power(30.0, 400.0, min_power=0.0)
    assert off.sufficient and off.sample_needed(50) == 50


def test_degenerate_bootstraps() -> None:
    exact = power(0.0, 1.0)
    assert exact.power == 1.0 and exact.sufficient
    unknown = power(float("nan"), 1.0)
    assert unknown.power is None and not unknown.sufficient
    assert unknown.sample_needed(10) is None
    assert "power unknown" in unknown.describe()


def test_the_reported_power_is_the_real_gates_acceptance_rate() -> None:
    """Rows whose challenger-minus-champion contributions are N(mu, sigma): the true
    difference is n mu with standard error sigma sqrt(n). The gate, run on many such holdouts,
    accepts about as often as the power says; and the power each run reports, from its own
    bootstrap, is about the same figure."""
    rows, mu, sigma, runs = 400, 0.2, 2.0, 300
    champion = np.ones(rows)  # no ceiling given: the room is the champion's value, n
    true_difference = rows * mu
    share = true_difference / rows  # detectable_effect such that δ* is the true difference
    settings = RetrainingConfig(bootstrap_samples=200, detectable_effect=share, confidence=0.95)
    se = sigma * math.sqrt(rows)
    expected = norm.cdf((true_difference - norm.ppf(0.975) * se) / se)
    rng = np.random.default_rng(11)
    accepted, reported = 0, []
    for run in range(runs):
        challenger = champion + rng.normal(mu, sigma, rows)
        compared = compare_statistics(
            weighted_sum(champion), weighted_sum(challenger), rows=rows, retraining=settings,
            seed=run,
        )  # fmt: skip
        accepted += compared.accepted
        assert compared.power is not None and compared.power.power is not None
        reported.append(compared.power.power)
    assert 0.4 < expected < 0.7  # a figure the check can tell from 0 and 1
    assert accepted / runs == pytest.approx(expected, abs=0.08)  # binomial sd 0.03
    assert float(np.mean(reported)) == pytest.approx(expected, abs=0.05)
