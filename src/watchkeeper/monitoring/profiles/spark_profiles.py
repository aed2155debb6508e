"""Profiles computed by Spark: the Polars profiles' counts, moments and sketches, as aggregations.

A profile of a Spark frame is the profile :mod:`~watchkeeper.monitoring.profiles.profile_builder`
makes of the same rows, so the two engines' profiles merge and compare:

* **numeric features** — one aggregation pass for every numeric column together: the bin counts
  on the plan's edges (``count_if`` per bin), missing values (null, NaN, ±inf), minimum,
  maximum, sum, the sum of squared deviations (``var_pop * n``: Spark merges partial moments
  by Chan's formula, as :meth:`NumericProfile.merge` does) and the KLL quantile sketch
  (``kll_sketch_agg_double``, Apache DataSketches' format, which the ``datasketches`` library
  reads and merges). Counts, minimum and maximum are exact; the sum and the squared deviations
  agree with Polars' to floating-point rounding (1e-9 relative); sketches agree within their
  rank error (exactly, below ``sketch_k`` values, where a KLL sketch keeps every value).
* **categorical features** — one ``group by (column, value)`` over every categorical column
  (values cast to strings, as Arrow casts them): the distinct labels and their counts come back
  to the driver, where the Polars code fixes the top-k categories (a reference) and counts
  tracked, other, unseen and missing values.
* **a reference** — the bin edges at the exact quantiles Polars takes (numpy's linear
  interpolation): Spark's exact ``percentile_disc`` returns the values at the ranks they are
  interpolated from (:func:`rank_share`), and the edges are interpolated here with the Polars
  formula, so they are equal bit for bit. ``percentile_disc`` holds one count per distinct
  value of the column on one executor; for a reference beyond that, ``edges="sketch"`` takes
  the edges from the merged KLL sketch, as :func:`plan_from_batches` does.

Float columns profiled as categorical are refused (Spark prints ``1.0`` where Arrow prints ``1``).

>>> plan_ranks(5, bins=4)
[1, 2, 3, 4]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pyarrow as pa
from datasketches import kll_doubles_sketch

from watchkeeper.compute.spark_session import collect_arrow
from watchkeeper.errors import SchemaError
from watchkeeper.monitoring.profiles.column_summaries import CategoryCounter, LabelCounts
from watchkeeper.monitoring.profiles.dataset_profile import DatasetProfile, FeatureProfile
from watchkeeper.monitoring.profiles.numeric_profile import DEFAULT_SKETCH_K, NumericProfile
from watchkeeper.monitoring.profiles.profile_builder import categorical_binning
from watchkeeper.monitoring.profiles.profile_plan import (
    CategoricalBinning,
    FeatureBinning,
    FeatureKind,
    NumericBinning,
    ProfilePlan,
)

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

EdgeSource = Literal["exact", "sketch"]
"""Where a Spark reference takes its bin edges: exact quantiles, or the KLL sketch's."""


def spark_profile(
    frame: DataFrame,
    plan: ProfilePlan,
    sketch_k: int = DEFAULT_SKETCH_K,
    *,
    keep_vocabulary: bool = False,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
) -> DatasetProfile:
    """Profile a Spark frame with ``plan`` (a reference's): two Spark jobs whatever the columns.

    Equal to ``build_profile`` (or a :class:`ProfileBuilder`) over the same rows, within the
    tolerances in the module's description.
    """
    _check_columns(frame, plan.kinds())
    numeric = {n: b.edges for n, b in plan.features.items() if isinstance(b, NumericBinning)}
    categorical = {n: b for n, b in plan.features.items() if isinstance(b, CategoricalBinning)}
    rows, numeric_profiles = _numeric_profiles(frame, numeric, sketch_k)
    counted = _label_counts(frame, list(categorical))
    features: dict[str, FeatureProfile] = {}
    for name, binning in plan.features.items():
        if isinstance(binning, NumericBinning):
            features[name] = numeric_profiles[name]
        else:
            counter = CategoryCounter(binning, keep_vocabulary)
            features[name] = counter.profile_counts(counted[name])
    return DatasetProfile(features, rows, window_start, window_end)


def spark_reference_profile(
    frame: DataFrame,
    kinds: Mapping[str, FeatureKind],
    bins: int = 10,
    top_k: int = 20,
    sketch_k: int = DEFAULT_SKETCH_K,
    *,
    edges: EdgeSource = "exact",
) -> DatasetProfile:
    """The reference profile ``build_reference_profile`` makes of the same rows, on Spark.

    The plan comes from the data (exact quantile edges, or the sketch's with
    ``edges="sketch"``; the ``top_k`` categories and the vocabulary), then the rows are
    profiled with it, keeping the vocabulary.
    """
    _check_columns(frame, kinds)
    numeric = [name for name, kind in kinds.items() if kind == "numeric"]
    categorical = [name for name, kind in kinds.items() if kind != "numeric"]
    found = (
        exact_edges(frame, numeric, bins)
        if edges == "exact"
        else _sketch_edges(frame, numeric, bins, sketch_k)
    )
    counted = _label_counts(frame, categorical)
    features: dict[str, FeatureBinning] = {}
    for name in kinds:
        if name in found:
            features[name] = NumericBinning(found[name])
        else:
            labels = counted[name]
            features[name] = categorical_binning(labels.labels.to_pylist(), labels.counts, top_k)
    plan = ProfilePlan(features)
    rows, numeric_profiles = _numeric_profiles(frame, found, sketch_k)
    profiles: dict[str, FeatureProfile] = {}
    for name, binning in plan.features.items():
        if isinstance(binning, CategoricalBinning):
            counter = CategoryCounter(binning, keep_vocabulary=True)
            profiles[name] = counter.profile_counts(counted[name])
        else:
            profiles[name] = numeric_profiles[name]
    return DatasetProfile(profiles, rows)


def plan_ranks(count: int, bins: int) -> list[int]:
    """The ranks (0-based, in sorted order) whose values the exact quantile edges need.

    ``quantile_edges`` interpolates between the values at ``floor(p * (n - 1))`` and the next
    rank, for ``p = 1/bins, ..., (bins - 1)/bins``.
    """
    if count == 0:
        return []
    positions = np.linspace(0.0, 1.0, bins + 1)[1:-1] * (count - 1)
    lower = np.floor(positions).astype(np.int64)
    upper = np.minimum(lower + 1, count - 1)
    return sorted({int(rank) for rank in np.concatenate([lower, upper])})


def rank_share(rank: int, count: int) -> float:
    """The share whose discrete percentile (``percentile_disc``: the first value whose
    cumulative share reaches it) is the value at ``rank`` (0-based) of ``count`` values.

    Half a value away from both neighbours, so rounding never moves it to one of them.

    >>> rank_share(0, 4), rank_share(3, 4)
    (0.125, 0.875)
    """
    return (rank + 0.5) / count


def exact_edges(frame: DataFrame, names: Sequence[str], bins: int) -> dict[str, tuple[float, ...]]:
    """Each numeric column's inner edges at its exact quantiles, equal to ``quantile_edges``
    of the same values: one pass to count the finite values, one for the values at the ranks."""
    from pyspark.sql import functions as sf

    if not names:
        return {}
    counted = frame.agg(*[sf.count(finite_value(name)).alias(name) for name in names]).first()
    counts = {name: int(counted[name]) for name in names} if counted is not None else {}
    ranks = {name: plan_ranks(counts[name], bins) for name in names}
    wanted = [name for name in names if ranks[name]]
    values: dict[str, list[float]] = {}
    if wanted:
        chosen = frame.select(*[finite_value(name).alias(name) for name in wanted])
        selected = chosen.agg(
            *[
                sf.expr(
                    f"percentile_disc(array({_doubles(rank_share(r, counts[name]) for r in ranks[name])}))"
                    f" WITHIN GROUP (ORDER BY `{name}`)"
                ).alias(name)
                for name in wanted
            ]
        ).first()
        assert selected is not None
        values = {name: [float(value) for value in selected[name]] for name in wanted}
    edges: dict[str, tuple[float, ...]] = {}
    for name in names:
        at = dict(zip(ranks[name], values.get(name, []), strict=True))
        edges[name] = _interpolated_edges(at, counts[name], bins)
    return edges


def _doubles(values: Iterable[float]) -> str:
    """Doubles as Spark SQL constants, read back to the same bits."""
    return ", ".join(f"CAST('{value!r}' AS DOUBLE)" for value in values)


def _interpolated_edges(at: Mapping[int, float], count: int, bins: int) -> tuple[float, ...]:
    """``quantile_edges``' arithmetic, on the values at the ranks it reads."""
    if count == 0:
        return ()
    positions = np.linspace(0.0, 1.0, bins + 1)[1:-1] * (count - 1)
    lower = np.floor(positions).astype(np.int64)
    upper = np.minimum(lower + 1, count - 1)
    low = np.array([at[int(rank)] for rank in lower], dtype=np.float64)
    high = np.array([at[int(rank)] for rank in upper], dtype=np.float64)
    values = low + (positions - lower) * (high - low)
    return tuple(float(edge) for edge in np.unique(values[np.isfinite(values)]))


def _sketch_edges(
    frame: DataFrame, names: Sequence[str], bins: int, sketch_k: int
) -> dict[str, tuple[float, ...]]:
    """Edges at the quantiles of each column's merged KLL sketch, as ``plan_from_batches``."""
    from pyspark.sql import functions as sf

    if not names:
        return {}
    row = frame.agg(
        *[
            sf.kll_sketch_agg_double(finite_value(name), sf.lit(sketch_k)).alias(name)
            for name in names
        ]
    ).first()
    assert row is not None
    levels = np.linspace(0.0, 1.0, bins + 1)[1:-1]
    edges: dict[str, tuple[float, ...]] = {}
    for name in names:
        sketch = kll_doubles_sketch.deserialize(bytes(row[name]))
        found = np.unique(
            np.asarray(
                sketch.get_quantiles(levels) if not sketch.is_empty() else [], dtype=np.float64
            )
        )
        edges[name] = tuple(float(edge) for edge in found[np.isfinite(found)])
    return edges


def finite_value(name: str) -> Column:
    """The column as a double, null where missing (null, NaN, ±inf), as the profiles count it."""
    from pyspark.sql import functions as sf

    value = sf.col(name).cast("double")
    usable = value.isNotNull() & ~sf.isnan(value) & (sf.abs(value) != sf.lit(math.inf))
    return sf.when(usable, value)


def _numeric_profiles(
    frame: DataFrame, edges: Mapping[str, tuple[float, ...]], sketch_k: int
) -> tuple[int, dict[str, NumericProfile]]:
    """The row count and each numeric column's profile on its edges, in one aggregation."""
    from pyspark.sql import functions as sf

    columns: list[Column] = [sf.count(sf.lit(1)).alias("__rows")]
    for number, (name, cuts) in enumerate(edges.items()):
        value = finite_value(name)
        bounds = [None, *cuts, None]
        for position in range(len(cuts) + 1):
            low, high = bounds[position], bounds[position + 1]
            condition = value.isNotNull()
            if low is not None:
                condition = condition & (value >= sf.lit(low))
            if high is not None:
                condition = condition & (value < sf.lit(high))
            columns.append(sf.count_if(condition).alias(f"c{number}_bin{position}"))
        columns += [
            sf.count(value).alias(f"c{number}_n"),
            sf.min(value).alias(f"c{number}_min"),
            sf.max(value).alias(f"c{number}_max"),
            sf.sum(value).alias(f"c{number}_sum"),
            sf.var_pop(value).alias(f"c{number}_var"),
            sf.kll_sketch_agg_double(value, sf.lit(sketch_k)).alias(f"c{number}_sketch"),
        ]
    row = frame.agg(*columns).first()
    assert row is not None
    rows = int(row["__rows"])
    profiles: dict[str, NumericProfile] = {}
    for number, (name, cuts) in enumerate(edges.items()):
        usable = int(row[f"c{number}_n"])
        if usable == 0:
            profiles[name] = replace(NumericProfile.empty(cuts, sketch_k), missing=rows)
            continue
        profiles[name] = NumericProfile(
            edges=tuple(float(edge) for edge in cuts),
            counts=tuple(int(row[f"c{number}_bin{p}"]) for p in range(len(cuts) + 1)),
            missing=rows - usable,
            minimum=float(row[f"c{number}_min"]),
            maximum=float(row[f"c{number}_max"]),
            total=float(row[f"c{number}_sum"]),
            sum_of_squared_deviations=float(row[f"c{number}_var"]) * usable,
            sketch=_exact_when_whole(bytes(row[f"c{number}_sketch"]), sketch_k),
        )
    return rows, profiles


def _exact_when_whole(payload: bytes, sketch_k: int) -> bytes:
    """A sketch that still holds every value, rebuilt as the Polars engine builds it.

    Spark's sketch of values merged from partitions may say it estimates (more than one
    level) although it kept every value; rebuilt from those values it is exact again, as the
    Polars engine's sketch of the same values is, and gives the same statistics.
    """
    sketch = kll_doubles_sketch.deserialize(payload)
    if sketch.is_empty() or sketch.num_retained != sketch.n:
        return payload
    values = np.sort(np.array([item for item, _ in sketch], dtype=np.float64))
    rebuilt = kll_doubles_sketch(sketch_k)
    rebuilt.update(values)
    return bytes(rebuilt.serialize())


def _label_counts(frame: DataFrame, names: Sequence[str]) -> dict[str, LabelCounts]:
    """Each categorical column's distinct labels, their counts and its nulls: one job."""
    from pyspark.sql import functions as sf

    if not names:
        return {}
    floats = [
        name for name in names if frame.schema[name].dataType.typeName() in ("double", "float")
    ]
    if floats:
        raise SchemaError(
            f"column {floats[0]!r}: a float column profiled as categorical is profiled by the "
            "polars engine only (its labels are printed differently)"
        )
    pairs = [
        sf.struct(sf.lit(number).alias("column"), sf.col(name).cast("string").alias("label"))
        for number, name in enumerate(names)
    ]
    stacked = frame.select(sf.explode(sf.array(*pairs)).alias("pair")).select("pair.*")
    table = collect_arrow(stacked.groupBy("column", "label").count())
    column = table.column("column").to_numpy()
    labels = table.column("label")
    counts = table.column("count").to_numpy().astype(np.int64)
    found: dict[str, LabelCounts] = {}
    for number, name in enumerate(names):
        mine = column == number
        null = labels.is_null().to_numpy(zero_copy_only=False)
        present = mine & ~null
        found[name] = LabelCounts(
            labels.filter(pa.array(present)).combine_chunks().cast(pa.string()),
            counts[present],
            int(counts[mine & null].sum()),
        )
    return found


def _check_columns(frame: DataFrame, kinds: Mapping[str, Any]) -> None:
    missing = [name for name in kinds if name not in frame.columns]
    if missing:
        raise SchemaError(
            f"column {missing[0]!r} is missing from the frame (it has {frame.columns})"
        )


__all__ = [
    "EdgeSource",
    "exact_edges",
    "finite_value",
    "plan_ranks",
    "rank_share",
    "spark_profile",
    "spark_reference_profile",
]
