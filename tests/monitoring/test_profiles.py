"""Profiles: exact counts, the merge property, the sketches' error bound, serialisation, streaming."""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.errors import SchemaError
from watchkeeper.monitoring.profiles.categorical_profile import CategoricalProfile
from watchkeeper.monitoring.profiles.column_summaries import CategoryCounter
from watchkeeper.monitoring.profiles.dataset_profile import DatasetProfile
from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile
from watchkeeper.monitoring.profiles.profile_builder import (
    ProfileBuilder,
    build_profile,
    build_reference_profile,
    plan_from_batches,
)
from watchkeeper.monitoring.profiles.profile_plan import (
    CategoricalBinning,
    FeatureKind,
    NumericBinning,
    ProfilePlan,
)

EDGES = (-1.0, 0.0, 0.5, 2.0)
numbers = st.one_of(
    st.floats(min_value=-5, max_value=5, allow_nan=False),
    st.just(float("nan")),
    st.sampled_from([-1.0, 0.0, 0.5, 2.0]),  # values on the edges
)
labels = st.one_of(st.sampled_from(["a", "b", "c", "d", "zz"]), st.none())


def numeric(values: list[float]) -> NumericProfile:
    return NumericProfile.from_values(np.array(values, dtype=np.float64), EDGES)


def assert_same_numeric(merged: NumericProfile, whole: NumericProfile) -> None:
    assert merged.counts == whole.counts
    assert merged.missing == whole.missing
    assert merged.minimum == whole.minimum
    assert merged.maximum == whole.maximum
    assert merged.total == pytest.approx(whole.total, abs=1e-9)
    assert merged.sum_of_squared_deviations == pytest.approx(
        whole.sum_of_squared_deviations, rel=1e-9, abs=1e-9
    )
    assert merged.quantile_sketch().n == whole.quantile_sketch().n


@settings(max_examples=150, deadline=None)
@given(st.lists(numbers, max_size=60), st.lists(numbers, max_size=60))
def test_numeric_profile_of_a_union_is_the_merge_of_the_profiles(
    first: list[float], second: list[float]
) -> None:
    merged = numeric(first).merge(numeric(second))
    assert_same_numeric(merged, numeric(first + second))


@settings(max_examples=150, deadline=None)
@given(st.lists(labels, max_size=60), st.lists(labels, max_size=60))
def test_categorical_profile_of_a_union_is_the_merge_of_the_profiles(
    first: list[str | None], second: list[str | None]
) -> None:
    counter = CategoryCounter(CategoricalBinning(("a", "b"), vocabulary=("a", "b", "c")))

    def profile(values: list[str | None]) -> CategoricalProfile:
        return counter.profile(pa.array(values, type=pa.string()))

    assert profile(first).merge(profile(second)) == profile(first + second)


def test_numeric_bins_are_left_closed_with_open_outer_bins() -> None:
    profile = numeric([-9.0, -1.0, -0.5, 0.0, 0.7, 2.0, 1e9, float("nan"), float("inf")])
    # (-inf,-1) [-1,0) [0,0.5) [0.5,2) [2,inf); nan and inf missing
    assert profile.counts == (1, 2, 1, 1, 2)
    assert profile.missing == 2
    assert (profile.minimum, profile.maximum) == (-9.0, 1e9)


def test_moments_match_numpy() -> None:
    values = np.random.default_rng(1).normal(1e6, 3.0, size=10_000)  # large mean, small spread
    halves = numeric(values[:3000].tolist()).merge(numeric(values[3000:].tolist()))
    assert halves.mean == pytest.approx(values.mean(), rel=1e-12)
    assert halves.standard_deviation == pytest.approx(values.std(), rel=1e-9)


def test_merged_sketches_stay_within_the_kll_error_bound() -> None:
    rng = np.random.default_rng(7)
    days = [rng.gamma(2.0 + day / 10, size=40_000) for day in range(7)]
    week = NumericProfile.from_values(days[0], EDGES)
    for day in days[1:]:
        week = week.merge(NumericProfile.from_values(day, EDGES))
    everything = np.sort(np.concatenate(days))
    sketch = week.quantile_sketch()
    assert sketch.n == len(everything)
    bound = sketch.normalized_rank_error(False)
    for quantile in np.linspace(0.01, 0.99, 25):
        estimate = sketch.get_quantile(quantile)
        true_rank = np.searchsorted(everything, estimate, side="right") / len(everything)
        assert abs(true_rank - quantile) <= bound


def test_merging_needs_the_same_plan() -> None:
    with pytest.raises(SchemaError, match="different bin edges"):
        numeric([1.0]).merge(NumericProfile.from_values(np.array([1.0]), (3.0,)))
    a = DatasetProfile({"x": numeric([1.0])}, rows=1)
    b = DatasetProfile({"y": numeric([1.0])}, rows=1)
    with pytest.raises(SchemaError, match="different features"):
        a.merge(b)


def test_profiles_serialise_to_json_and_bytes() -> None:
    reference = pl.DataFrame(
        {"amount": [1.0, 2.0, None, 4.0] * 50, "country": ["DE", "FR", None, "DE"] * 50}
    )
    profile = build_reference_profile(reference, {"amount": "numeric", "country": "categorical"})
    assert DatasetProfile.from_json(profile.to_json()) == profile
    assert DatasetProfile.from_bytes(profile.to_bytes()) == profile
    restored = DatasetProfile.from_bytes(profile.to_bytes()).features["amount"]
    assert isinstance(restored, NumericProfile)
    assert restored.quantile_sketch().get_quantile(0.5) == 2.0


def test_reference_profile_fixes_the_plan() -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(size=10_000)
    countries = rng.choice(
        ["DE", "FR", "IT", "ES", "PT"], p=[0.4, 0.3, 0.2, 0.06, 0.04], size=10_000
    )
    frame = pl.DataFrame({"x": values, "country": countries})
    profile = build_reference_profile(frame, {"x": "numeric", "country": "categorical"}, top_k=3)
    x = profile.features["x"]
    assert isinstance(x, NumericProfile)
    assert x.edges == pytest.approx(tuple(np.quantile(values, np.linspace(0, 1, 11)[1:-1])))
    assert max(x.counts) - min(x.counts) <= 1  # deciles: equal counts
    country = profile.features["country"]
    assert isinstance(country, CategoricalProfile)
    assert country.categories == ("DE", "FR", "IT")
    assert country.vocabulary == ("DE", "ES", "FR", "IT", "PT")
    assert country.other == int(np.isin(countries, ["ES", "PT"]).sum())
    assert country.unseen == 0


def test_streaming_in_batches_equals_one_pass() -> None:
    rng = np.random.default_rng(5)
    table = pa.table(
        {
            "x": pa.array(rng.normal(size=50_000), mask=rng.random(50_000) < 0.05),
            "c": pa.array(rng.choice(["a", "b", "c", "new"], size=50_000)),
        }
    )
    plan = ProfilePlan(
        {
            "x": NumericBinning((-1.0, 0.0, 1.0)),
            "c": CategoricalBinning(("a", "b"), ("a", "b", "c")),
        }
    )
    whole = build_profile(table, plan)
    streamed = build_profile(table.to_batches(max_chunksize=7_000), plan)
    single_thread = ProfileBuilder(plan, threads=1)
    for batch in table.to_batches(max_chunksize=7_000):
        single_thread.update(batch)
    for candidate in (streamed, single_thread.profile()):
        assert candidate.rows == whole.rows == 50_000
        assert candidate.features["c"] == whole.features["c"]
        x, whole_x = candidate.features["x"], whole.features["x"]
        assert isinstance(x, NumericProfile) and isinstance(whole_x, NumericProfile)
        assert_same_numeric(x, whole_x)
    c = whole.features["c"]
    assert isinstance(c, CategoricalProfile)
    assert c.unseen == int(np.sum(table.column("c").to_numpy(zero_copy_only=False) == "new"))


def test_dictionary_and_polars_categorical_columns_are_counted_alike() -> None:
    values = ["a", "b", None, "a", "c"]
    plan = ProfilePlan({"c": CategoricalBinning(("a",))})
    plain = build_profile(pa.table({"c": values}), plan)
    dictionary = build_profile(pa.table({"c": pa.array(values).dictionary_encode()}), plan)
    polars = build_profile(pl.DataFrame({"c": values}, schema={"c": pl.Categorical}), plan)
    assert plain == dictionary == polars
    assert plain.features["c"] == CategoricalProfile(("a",), (2,), 2, None, 1)


def test_booleans_and_integers_are_labelled_as_text() -> None:
    plan = ProfilePlan({"flag": CategoricalBinning(("true",)), "code": CategoricalBinning(("3",))})
    profile = build_profile(pa.table({"flag": [True, False, True], "code": [3, 3, 4]}), plan)
    assert profile.features["flag"] == CategoricalProfile(("true",), (2,), 1, None, 0)
    assert profile.features["code"] == CategoricalProfile(("3",), (2,), 1, None, 0)


def test_a_missing_column_is_a_schema_error() -> None:
    builder = ProfileBuilder(ProfilePlan({"x": NumericBinning(())}))
    with pytest.raises(SchemaError, match="'x' is missing"):
        builder.update(pa.table({"y": [1.0]}))


def test_streaming_plan_is_close_to_the_exact_plan() -> None:
    rng = np.random.default_rng(11)
    table = pa.table(
        {"x": rng.exponential(size=200_000), "c": rng.choice(["a", "b", "c"], 200_000)}
    )
    kinds: dict[str, FeatureKind] = {"x": "numeric", "c": "categorical"}
    exact = build_reference_profile(table, kinds, bins=10, top_k=2).plan()
    streamed = plan_from_batches(table.to_batches(max_chunksize=30_000), kinds, bins=10, top_k=2)
    assert streamed.features["c"] == exact.features["c"]
    values = np.sort(table.column("x").to_numpy())
    streamed_x = streamed.features["x"]
    assert isinstance(streamed_x, NumericBinning)
    ranks = np.searchsorted(values, np.array(streamed_x.edges)) / len(values)
    assert ranks == pytest.approx(np.linspace(0.1, 0.9, 9), abs=0.01)


def test_a_column_with_many_distinct_values_is_counted_on_one_dictionary(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from watchkeeper.monitoring.profiles import column_summaries

    rng = np.random.default_rng(4)
    values = [f"v{code}" if code else None for code in rng.integers(0, 60, 3_000)]
    column = pa.chunked_array([values[:1_000], values[1_000:]]).dictionary_encode()
    per_chunk = column_summaries.column_label_counts(column)
    monkeypatch.setattr(column_summaries, "SHARED_DICTIONARY_FROM", 10)
    shared = column_summaries.column_label_counts(column)
    expected = {label: values.count(label) for label in set(values) - {None}}
    for counted in (per_chunk, shared):
        found = dict(zip(counted.labels.to_pylist(), counted.counts.tolist(), strict=True))
        assert found == expected and counted.missing == values.count(None)
