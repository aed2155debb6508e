"""PSI under no drift, against the formula and simulations; what a window needs to be judged.

Identical distributions are simulated as multinomial draws (a reference of 21,000 rows, the
size of a 14-day holdout at 1,500 a day) on the two shapes a profile has: ten decile bins plus
the missing bin, and a categorical feature's 50 tracked categories plus ``other`` and
``missing`` with a long tail.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from scipy import stats

from watchkeeper.config import DriftThresholds, TransformConfig
from watchkeeper.monitoring.job.judgement import (
    FEW_ROWS,
    SHORT_WINDOW,
    expected_null_psi,
    feature_cycles,
    judged_drift,
    occupied_cells,
    pooled_profile,
    rows_needed,
    window_judgement,
)
from watchkeeper.monitoring.profiles.categorical_profile import CategoricalProfile
from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile
from watchkeeper.monitoring.statistics.drift import feature_drift
from watchkeeper.monitoring.statistics.drift_statistics import population_stability_index

REFERENCE_ROWS = 21_000
DECILES = np.array([0.1] * 10)
TAIL = 1 / np.arange(1, 51) ** 1.1
CATEGORIES = np.append(TAIL / TAIL.sum() * 0.97, [0.02, 0.01])  # 50 categories, other, missing
SHAPES = {"deciles": DECILES, "categories": CATEGORIES}


def null_psi(shares: np.ndarray, rows: int, draws: int, seed: int) -> np.ndarray:
    """PSI of ``draws`` samples of ``rows`` against one reference, all from ``shares``."""
    generator = np.random.default_rng(seed)
    reference = generator.multinomial(REFERENCE_ROWS, shares)
    samples = generator.multinomial(rows, shares, size=draws)
    return np.array([population_stability_index(reference, sample) for sample in samples])


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("rows", [200, 500, 1500, 5000])
def test_the_expected_psi_under_no_drift_is_cells_minus_one_over_the_effective_rows(
    shape: str, rows: int
) -> None:
    shares = SHAPES[shape]
    simulated = null_psi(shares, rows, draws=2_000, seed=rows)
    expected = expected_null_psi(len(shares), rows, REFERENCE_ROWS)
    # the formula is the chi-square limit: within 10% once every cell expects a few rows
    # (the categories' tail holds cells of 0.1%: at 200 rows the smoothing pulls PSI down)
    tolerance = 0.1 if rows * CATEGORIES.min() >= 1 or shape == "deciles" else 0.3
    assert simulated.mean() == pytest.approx(expected, rel=tolerance)
    # and n_eff * PSI follows chi-square with cells - 1 degrees of freedom in its upper tail
    effective = rows * REFERENCE_ROWS / (rows + REFERENCE_ROWS)
    quantile = np.quantile(simulated, 0.99) * effective
    assert quantile == pytest.approx(stats.chi2.ppf(0.99, len(shares) - 1), rel=0.25)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_window_of_the_rows_needed_reaches_the_warn_level_about_once_in_a_thousand(
    shape: str,
) -> None:
    shares = SHAPES[shape]
    needed = rows_needed(len(shares), REFERENCE_ROWS, level=0.1, min_rows=1)
    simulated = null_psi(shares, needed, draws=20_000, seed=7)
    assert np.mean(simulated >= 0.1) <= 0.002
    assert np.mean(simulated >= 0.25) == 0.0
    # fewer rows break it: half of them reach the warn level tens of times more often
    half = null_psi(shares, needed // 2, draws=20_000, seed=8)
    assert np.mean(half >= 0.1) > 0.02


def test_rows_needed_is_min_rows_or_more_for_many_cells() -> None:
    assert rows_needed(11, REFERENCE_ROWS, 0.1, min_rows=500) == 500
    assert rows_needed(52, REFERENCE_ROWS, 0.1, min_rows=500) == 919
    target = stats.chi2.isf(1e-3, 51) / 0.1  # n_eff needed
    assert rows_needed(52, REFERENCE_ROWS, 0.1, min_rows=1) == pytest.approx(
        target * REFERENCE_ROWS / (REFERENCE_ROWS - target), abs=1
    )
    # a reference too small for the level, or a level of 0: min_rows is all that is asked
    assert rows_needed(52, 500, 0.1, min_rows=300) == 300
    assert rows_needed(52, REFERENCE_ROWS, 0.0, min_rows=300) == 300


def test_occupied_cells_count_the_reference_cells_holding_rows() -> None:
    profile = CategoricalProfile(("a", "b", "c"), (5, 0, 2), other=0, unseen=None, missing=1)
    assert occupied_cells(profile) == 3


def test_cycles_are_inferred_from_time_part_transforms_and_declared_ones_win() -> None:
    transforms = [
        TransformConfig(name="hour", op="hour_of_day", input="ts"),
        TransformConfig(name="weekday", op="day_of_week", input="ts"),
        TransformConfig(name="weekend", op="is_weekend", input="ts"),
        TransformConfig(name="day", op="day_of_month", input="ts"),
        TransformConfig(name="amount_log", op="log1p", input="amount"),
    ]
    declared = {"hour": DriftThresholds(min_window="1d"), "region": DriftThresholds()}
    cycles = feature_cycles(transforms, declared, ["score"])
    day, week = timedelta(days=1), timedelta(days=7)
    assert cycles == {
        "hour": day, "weekday": week, "weekend": week, "day": timedelta(days=31), "score": week,
    }  # fmt: skip
    # a model that reads no cyclic feature has a score judged day by day
    assert "score" not in feature_cycles(transforms, {}, ["score"], read=["amount_log"])
    declared_score = {"score": DriftThresholds(min_window="28d")}
    assert feature_cycles([], declared_score, ["score"])["score"] == timedelta(days=28)


def test_a_window_alone_is_judged_on_its_rows_and_span() -> None:
    day, week = timedelta(days=1), timedelta(days=7)
    judgement = window_judgement(800, day, {"weekday": week}, 500, {"merchant": 921})
    assert judgement.unjudged == {"weekday": SHORT_WINDOW, "merchant": FEW_ROWS}
    assert judgement.status("amount", "alert") == "alert"


def test_a_pool_sums_counts_and_keeps_the_windows_own_sketch_statistics() -> None:
    generator = np.random.default_rng(3)
    edges = tuple(np.linspace(-1.5, 1.5, 9))
    reference = NumericProfile.from_values(generator.normal(size=20_000), edges)
    days = [NumericProfile.from_values(generator.normal(size=200), edges) for _ in range(4)]
    pool = pooled_profile(days)
    assert isinstance(pool, NumericProfile)
    assert pool.counts == tuple(np.sum([day.counts for day in days], axis=0))
    own = feature_drift("x", reference, days[0])
    drift = judged_drift(own, feature_drift("x", reference, pool))
    cells = [(*profile.counts, profile.missing) for profile in (reference, pool)]
    assert drift.psi == pytest.approx(population_stability_index(*cells))
    assert (drift.ks_statistic, drift.wasserstein) == (own.ks_statistic, own.wasserstein)
    assert drift.psi < own.psi  # four days of noise average out
