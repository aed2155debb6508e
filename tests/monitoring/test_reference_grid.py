"""Exact KS, KS p-value and Wasserstein on the reference's grid, against scipy on the raw data."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from watchkeeper.monitoring.statistics.reference_grid import (
    ExactComparison,
    NumericComparison,
    ReferenceGrid,
    _compare,
    compare_values,
)

RNG = np.random.default_rng(20260605)

CASES = {
    "normal, shifted and wider": (RNG.normal(size=5_000), RNG.normal(0.1, 1.1, size=3_000)),
    "lognormal, large": (RNG.lognormal(size=200_000), RNG.lognormal(0.02, 1.0, size=150_000)),
    "integers with ties": (
        RNG.integers(0, 10, 4_000).astype(float),
        RNG.integers(0, 12, 2_500).astype(float),
    ),
    "rounded reference, continuous current": (
        np.round(RNG.normal(size=20_000), 1),
        RNG.normal(size=15_000),
    ),
    "two reference values, uniform current": (np.array([0.0, 1.0] * 50), RNG.random(1_000)),
    "disjoint": (RNG.normal(size=300), RNG.normal(10.0, 1.0, size=200)),
    "one reference value": (np.ones(10), RNG.normal(size=20)),
    "exponential, equal sizes": (RNG.exponential(size=8_000), RNG.exponential(1.2, size=8_000)),
    "point masses and a tail": (
        np.concatenate([np.zeros(3_000), RNG.exponential(size=2_000)]),
        np.concatenate([np.zeros(2_500), RNG.exponential(1.5, size=2_600)]),
    ),
}


def streamed(reference: np.ndarray, current: np.ndarray, parts: int = 7) -> NumericComparison:
    """The current values in batches, twice over when the second look is needed."""
    comparison = NumericComparison(ReferenceGrid.from_sorted(np.sort(reference)))
    batches = np.array_split(current, parts)
    for batch in batches:
        comparison.add(batch)
    if comparison.needs_crossing_values:
        for batch in batches:
            comparison.add_crossing(batch)
    return comparison


@pytest.mark.parametrize("case", list(CASES))
def test_streamed_comparison_equals_scipy_on_the_raw_data(case: str) -> None:
    reference, current = CASES[case]
    result = streamed(reference, current).result()
    assert result is not None
    expected = stats.ks_2samp(reference, current)
    assert result.ks_statistic == pytest.approx(expected.statistic, abs=1e-15)
    assert result.ks_pvalue == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-300)
    assert result.wasserstein == pytest.approx(
        stats.wasserstein_distance(reference, current), rel=1e-11, abs=1e-15
    )
    assert result.wasserstein_error == 0.0
    assert (result.reference_count, result.current_count) == (len(reference), len(current))


@pytest.mark.parametrize("case", list(CASES))
def test_values_in_memory_give_the_streamed_result(case: str) -> None:
    reference, current = CASES[case]
    grid = ReferenceGrid.from_sorted(np.sort(reference))
    whole, parts = compare_values(grid, current), streamed(reference, current).result()
    assert whole is not None and parts is not None
    assert whole.ks_statistic == parts.ks_statistic
    assert whole.ks_pvalue == parts.ks_pvalue
    assert whole.wasserstein == pytest.approx(parts.wasserstein, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(
    "values",
    [np.arange(1_000.0), RNG.normal(size=30_000), RNG.integers(0, 5, 10_000).astype(float)],
)
def test_data_against_itself_is_exactly_no_drift(values: np.ndarray) -> None:
    grid = ReferenceGrid.from_sorted(np.sort(values))
    for current in (values, RNG.permutation(values), np.tile(values, 3)):
        result = compare_values(grid, current)
        assert result is not None
        assert (result.ks_statistic, result.ks_pvalue, result.wasserstein) == (0.0, 1.0, 0.0)


@pytest.mark.parametrize("case", list(CASES))
def test_without_the_second_look_wasserstein_stays_within_its_bound(case: str) -> None:
    reference, current = CASES[case]
    comparison = NumericComparison(ReferenceGrid.from_sorted(np.sort(reference))).add(current)
    approximate = _compare(comparison.grid, comparison.counts, None, comparison._gaps())
    assert approximate is not None
    exact = stats.wasserstein_distance(reference, current)
    assert abs(approximate.wasserstein - exact) <= approximate.wasserstein_error + 1e-12
    assert (approximate.wasserstein_error > 0) == comparison.needs_crossing_values


def test_counts_merge_like_the_concatenated_data() -> None:
    reference, current = CASES["integers with ties"]
    grid = ReferenceGrid.from_sorted(np.sort(reference))
    halves = [grid.counter().add(part) for part in np.array_split(current, 2)]
    merged, whole = halves[0].merge(halves[1]), grid.counter().add(current)
    assert merged.cells.tolist() == whole.cells.tolist() and merged.count == whole.count
    assert np.allclose(merged.distances, whole.distances)


def test_counts_widen_before_they_overflow() -> None:
    counts = ReferenceGrid.from_sorted(np.array([0.0, 1.0])).counter()
    assert counts.cells.dtype == np.int32
    counts.count = int(np.iinfo(np.int32).max) - 1  # as if two billion values were counted
    counts.add(np.array([0.5, 0.5, 2.0]))
    assert counts.cells.dtype == np.int64 and counts.cells.tolist() == [0, 0, 2, 0, 1]


def test_schema_range_and_reference_range_shares_are_counted_exactly() -> None:
    grid = ReferenceGrid.from_sorted(np.array([0.0, 5.0, 10.0]))
    comparison = NumericComparison(grid, bounds=(1.0, None))
    comparison.add(np.array([-1.0, 0.5, 1.0, 7.0, 12.0]))
    assert comparison.outside_bounds_share == pytest.approx(2 / 5)
    assert comparison.outside_reference_share == pytest.approx(2 / 5)


def test_the_second_look_must_see_the_same_data() -> None:
    reference, current = CASES["normal, shifted and wider"]
    comparison = NumericComparison(ReferenceGrid.from_sorted(np.sort(reference))).add(current)
    assert comparison.needs_crossing_values
    comparison.add_crossing(current[:100])
    with pytest.raises(ValueError, match="give the same data twice"):
        comparison.result()


# -- the two ways of comparing kept values: searching the grid and counting on it ----------

TIED = st.lists(st.integers(-6, 6).map(lambda value: value / 2), min_size=1, max_size=60)
SPREAD = st.lists(
    st.floats(-1e3, 1e3, allow_nan=False, allow_subnormal=False), min_size=1, max_size=60
)


def kept(reference: np.ndarray, current: np.ndarray, fast: bool) -> ExactComparison:
    grid = ReferenceGrid.from_sorted(np.sort(reference))
    comparison = NumericComparison(grid, keep=True)
    for part in np.array_split(current, 3):
        comparison.add(part)
    result = comparison.result(fast=fast)
    assert result is not None
    return result


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.tuples(TIED, TIED), st.tuples(SPREAD, SPREAD), st.tuples(TIED, SPREAD)))
def test_searching_and_counting_give_scipys_numbers(
    samples: tuple[list[float], list[float]],
) -> None:
    reference, current = (np.array(sample) for sample in samples)
    searched, counted = kept(reference, current, True), kept(reference, current, False)
    assert searched.ks_statistic == counted.ks_statistic  # the same integers
    assert searched.ks_pvalue == counted.ks_pvalue
    expected = stats.ks_2samp(reference, current)
    assert searched.ks_statistic == pytest.approx(expected.statistic, abs=1e-15)
    assert searched.ks_pvalue == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-300)
    distance = stats.wasserstein_distance(reference, current)
    scale = float(np.abs(np.concatenate([reference, current])).max()) + 1.0
    assert searched.wasserstein == pytest.approx(distance, rel=1e-9, abs=1e-12 * scale)
    assert counted.wasserstein == pytest.approx(distance, rel=1e-9, abs=1e-12 * scale)
    assert searched.wasserstein_error == 0.0


@settings(max_examples=200, deadline=None)
@given(st.one_of(TIED, SPREAD), st.integers(1, 3), st.randoms(use_true_random=False))
def test_searching_data_against_itself_is_exactly_no_drift(
    sample: list[float], copies: int, shuffle: random.Random
) -> None:
    reference = np.array(sample)
    current = np.tile(reference, copies)
    shuffle.shuffle(current)
    result = kept(reference, current, fast=True)
    assert (result.ks_statistic, result.ks_pvalue, result.wasserstein) == (0.0, 1.0, 0.0)


def test_searching_a_large_grid_matches_counting_on_it() -> None:
    reference, current = CASES["lognormal, large"]
    reference = np.concatenate([reference, np.round(reference[:50_000], 2)])  # ties too
    chunk = current[:20_000]
    searched, counted = kept(reference, chunk, True), kept(reference, chunk, False)
    assert (searched.ks_statistic, searched.ks_pvalue) == (counted.ks_statistic, counted.ks_pvalue)
    assert searched.wasserstein == pytest.approx(counted.wasserstein, rel=1e-11)
    assert searched.wasserstein == pytest.approx(
        stats.wasserstein_distance(reference, chunk), rel=1e-11
    )


def test_kept_values_take_the_cheaper_way_and_count_their_shares() -> None:
    grid = ReferenceGrid.from_sorted(np.arange(100_000.0))
    comparison = NumericComparison(grid, bounds=(10.0, None), keep=True)
    comparison.add(np.array([-1.0, 5.0, 50.0, 2e5]))
    assert comparison.outside_reference_share == pytest.approx(2 / 4)
    assert comparison.outside_bounds_share == pytest.approx(2 / 4)
    assert comparison.result() is not None
    assert comparison._counts is None  # four values against 100,000: searched, never counted


@pytest.mark.parametrize("seed", [1, 6])
def test_searching_close_samples_far_from_zero_keeps_wasserstein_within_1e12(seed: int) -> None:
    # the distance is small against the areas summed from the reference's start: a global
    # running sum's rounding, at its size, reached 1e-11 of it
    rng = np.random.default_rng(seed)
    reference, current = 1000 + rng.normal(size=400_000), 1000 + rng.normal(size=100_000)
    result = kept(reference, current, fast=True)
    expected = stats.wasserstein_distance(reference, current)
    assert result.wasserstein == pytest.approx(expected, rel=1e-12, abs=0.0)
