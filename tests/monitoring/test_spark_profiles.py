"""Profiles made by Spark equal the Polars ones on the same rows, and merge with them.

Counts, missing values, minimum, maximum, bin edges and categories must be equal; the sum and
the squared deviations within 1e-9 relative; sketches hold the same number of values and, below
``sketch_k`` values (where KLL keeps them all), the same quantiles. One ``local[2]`` session
for the module (the ``spark`` fixture), a few hundred rows per frame.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import pytest

from watchkeeper.errors import SchemaError
from watchkeeper.monitoring.profiles.categorical_profile import CategoricalProfile
from watchkeeper.monitoring.profiles.dataset_profile import DatasetProfile
from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile
from watchkeeper.monitoring.profiles.profile_builder import (
    build_profile,
    build_reference_profile,
    plan_from_batches,
)
from watchkeeper.monitoring.profiles.profile_plan import FeatureKind, NumericBinning, ProfilePlan
from watchkeeper.monitoring.profiles.spark_profiles import (
    spark_profile,
    spark_reference_profile,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

KINDS: dict[str, FeatureKind] = {
    "amount": "numeric",
    "items": "numeric",
    "country": "categorical",
    "online": "categorical",
}
LEVELS = np.linspace(0.01, 0.99, 25)


def events(rows: int, seed: int, shift: float = 0.0) -> pl.DataFrame:
    """Floats with nulls, NaN and infinities; integers with ties; strings and booleans."""
    rng = np.random.default_rng(seed)
    amount = rng.lognormal(3.0 + shift, 1.0, rows)
    amount[rng.random(rows) < 0.05] = np.nan
    amount[rng.random(rows) < 0.02] = np.inf
    countries = np.array(["DE", "FR", "IT", "ES", "NL", "PL", "XX"])
    country = countries[rng.integers(0, 6 + (shift > 0), rows)].astype(object)
    country[rng.random(rows) < 0.05] = None
    return pl.DataFrame(
        {
            "amount": pl.Series(amount).set(pl.Series(rng.random(rows) < 0.03), None),
            "items": rng.integers(0, 40, rows),
            "country": pl.Series(country.tolist(), dtype=pl.String),
            "online": rng.random(rows) < 0.3,
        }
    )


def on_spark(spark: SparkSession, frame: pl.DataFrame, folder: Path, name: str) -> DataFrame:
    path = folder / f"{name}.parquet"
    frame.write_parquet(path)
    return spark.read.parquet(str(path)).repartition(2)  # two partial aggregates to merge


def assert_same_profile(actual: DatasetProfile, expected: DatasetProfile, exact: bool) -> None:
    """Equal profiles; ``exact``: the sketches also give the same quantiles (fewer than k values)."""
    assert actual.rows == expected.rows
    assert list(actual.features) == list(expected.features)
    for name, mine in actual.features.items():
        theirs = expected.features[name]
        if not isinstance(mine, NumericProfile):
            assert mine == theirs, name
            continue
        assert isinstance(theirs, NumericProfile)
        assert (mine.edges, mine.counts, mine.missing) == (
            theirs.edges,
            theirs.counts,
            theirs.missing,
        )
        assert (mine.minimum, mine.maximum) == (theirs.minimum, theirs.maximum), name
        assert math.isclose(mine.total, theirs.total, rel_tol=1e-9), name
        assert math.isclose(
            mine.sum_of_squared_deviations, theirs.sum_of_squared_deviations, rel_tol=1e-9
        ), name
        sketch, reference = mine.quantile_sketch(), theirs.quantile_sketch()
        assert sketch.n == reference.n == mine.count, name
        if exact and mine.count:
            assert sketch.get_quantiles(LEVELS) == reference.get_quantiles(LEVELS), name


@pytest.mark.spark
def test_reference_and_window_profiles_equal_the_polars_ones(
    spark: SparkSession, tmp_path: Path
) -> None:
    reference = events(350, seed=1)
    expected = build_reference_profile(reference, KINDS, bins=10, top_k=4)
    actual = spark_reference_profile(on_spark(spark, reference, tmp_path, "ref"), KINDS, 10, 4)
    assert_same_profile(actual, expected, exact=True)
    assert actual.features["country"] == expected.features["country"]  # vocabulary kept

    window = events(300, seed=2, shift=0.5)  # drifted, with a country the reference never saw
    window = window.with_columns(pl.lit(None, pl.Float64).alias("items"))  # no usable value
    plan = expected.plan()
    found = spark_profile(on_spark(spark, window, tmp_path, "window"), plan)
    assert_same_profile(found, build_profile(window, plan), exact=True)
    country = found.features["country"]
    assert isinstance(country, CategoricalProfile) and country.unseen  # counted (equal above)


@pytest.mark.spark
def test_a_spark_profile_merges_with_a_polars_profile(spark: SparkSession, tmp_path: Path) -> None:
    """Partitions profiled by different engines add up to the profile of all rows."""
    reference = events(500, seed=3)
    plan = build_reference_profile(reference, KINDS, bins=8, top_k=3).plan()
    first, second = events(2_000, seed=4), events(1_500, seed=5, shift=0.2)
    from_spark = spark_profile(on_spark(spark, first, tmp_path, "first"), plan)
    merged = from_spark.merge(build_profile(second, plan))
    whole = build_profile(pl.concat([first, second]), plan)
    assert_same_profile(merged, whole, exact=False)
    values = pl.concat([first, second])["amount"].to_numpy()
    ordered = np.sort(values[np.isfinite(values)])
    sketch = merged.features["amount"]
    assert isinstance(sketch, NumericProfile)
    bound = 3 * sketch.quantile_sketch().normalized_rank_error(False)
    for level, value in zip(LEVELS, sketch.quantile_sketch().get_quantiles(LEVELS), strict=True):
        rank = np.searchsorted(ordered, value, side="right") / len(ordered)
        assert abs(rank - level) <= bound


@pytest.mark.spark
def test_sketch_edges_equal_the_streaming_plans(spark: SparkSession, tmp_path: Path) -> None:
    reference = events(300, seed=6)
    frame = on_spark(spark, reference, tmp_path, "ref")
    numeric: dict[str, FeatureKind] = {"amount": "numeric", "items": "numeric"}
    actual = spark_reference_profile(frame, numeric, bins=5, edges="sketch").plan()
    assert actual == plan_from_batches([reference], numeric, bins=5)


@pytest.mark.spark
def test_a_float_column_is_not_profiled_as_categorical(spark: SparkSession, tmp_path: Path) -> None:
    frame = on_spark(spark, pl.DataFrame({"code": [1.0, 2.0]}), tmp_path, "codes")
    with pytest.raises(SchemaError, match="'code': a float column profiled as categorical"):
        spark_reference_profile(frame, {"code": "categorical"})


def test_an_unknown_column_is_named() -> None:
    class Frame:  # no Spark job runs: the columns are checked first
        columns = ("a",)

    plan = ProfilePlan({"b": NumericBinning((1.0,))})
    with pytest.raises(SchemaError, match="column 'b' is missing"):
        spark_profile(Frame(), plan)  # type: ignore[arg-type]
