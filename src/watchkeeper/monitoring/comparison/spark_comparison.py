"""Current data held by Spark against a baseline: what ``watchkeeper drift --engine spark`` runs.

The same :class:`~watchkeeper.monitoring.comparison.baseline.FrameComparison` the Polars
stream gives, with the work on the executors:

1. the profile, by Spark aggregations (:func:`~watchkeeper.monitoring.profiles.spark_profiles.spark_profile`);
2. the exact KS and Wasserstein comparisons' first look: each partition counts its values on
   every numeric feature's reference grid (``mapInArrow``); the partial counts (a few bytes per
   reference value) are merged on the driver, as :meth:`GridCounts.merge` does;
3. where the two distributions cross between neighbouring reference values, a second look
   brings back only the values in those cells.

The reference (the baseline) stays on the driver, as in the Polars path: it is the current
data that may outgrow one machine.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

import numpy as np

from watchkeeper.compute.spark_session import PANDAS_NOTICE, collect_arrow
from watchkeeper.monitoring.comparison.baseline import Baseline, FrameComparison
from watchkeeper.monitoring.profiles.column_summaries import numeric_values
from watchkeeper.monitoring.profiles.spark_profiles import spark_profile
from watchkeeper.monitoring.statistics.quality import RangeShares
from watchkeeper.monitoring.statistics.reference_grid import GridCounts, NumericComparison

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame

FIRST_LOOK_SCHEMA = "feature int, cells binary, distances binary, outside long"
VALUES_SCHEMA = "feature int, value double"


def compare_spark_frame(baseline: Baseline, frame: DataFrame) -> FrameComparison:
    """Compare a Spark frame with ``baseline``: equal to ``compare_frame`` on the same rows
    (counts and exact statistics equal, sums within rounding, sketches within rank error)."""
    names = baseline.features
    profile = spark_profile(frame.select(*names), baseline.plan, baseline.monitoring.sketch_k)
    comparisons = {
        name: NumericComparison(grid, baseline.ranges.get(name))
        for name, grid in baseline.grids.items()
        if name in baseline.plan.features
    }
    numeric = list(comparisons)
    if numeric:
        _first_look(frame.select(*numeric), comparisons)
        crossing = [name for name in numeric if comparisons[name].needs_crossing_values]
        if crossing:
            _second_look(frame.select(*crossing), {n: comparisons[n] for n in crossing})
    return FrameComparison(
        baseline,
        profile,
        {name: item.result() for name, item in comparisons.items()},
        {
            name: RangeShares(item.outside_bounds_share, item.outside_reference_share)
            for name, item in comparisons.items()
        },
    )


def _first_look(frame: DataFrame, comparisons: Mapping[str, NumericComparison]) -> None:
    """Count every partition's values on the grids; merge the counts into ``comparisons``."""
    names = list(comparisons)
    setup = {name: (item.grid, item.bounds) for name, item in comparisons.items()}

    def count(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa

        partial = {name: NumericComparison(grid, bounds) for name, (grid, bounds) in setup.items()}
        for batch in batches:
            for name in names:
                values = numeric_values(batch.column(name))
                partial[name].add(values[np.isfinite(values)])
        yield pa.RecordBatch.from_pydict(
            {
                "feature": pa.array(range(len(names)), pa.int32()),
                "cells": [partial[n].counts.cells.astype(np.int64).tobytes() for n in names],
                "distances": [partial[n].counts.distances.tobytes() for n in names],
                "outside": pa.array([partial[n].outside for n in names], pa.int64()),
            }
        )

    parts = collect_arrow(_map_in_arrow(frame, count, FIRST_LOOK_SCHEMA)).to_pylist()
    for part in parts:
        item = comparisons[names[part["feature"]]]
        counted = GridCounts(
            item.grid.values,
            np.frombuffer(part["cells"], dtype=np.int64).copy(),
            np.frombuffer(part["distances"], dtype=np.float64).copy(),
        )
        item.counts = item.counts.merge(counted)
        item.outside += int(part["outside"])


def _second_look(frame: DataFrame, comparisons: Mapping[str, NumericComparison]) -> None:
    """Bring back the values in the crossed cells (the merged counts tell which they are)."""
    names = list(comparisons)
    merged = dict(comparisons)

    def keep(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa

        for batch in batches:
            for number, name in enumerate(names):
                values = numeric_values(batch.column(name))
                finder = NumericComparison(merged[name].grid)
                finder.counts, finder.outside = merged[name].counts, 0
                finder.add_crossing(values[np.isfinite(values)])
                kept = finder.crossing_values()
                if len(kept):
                    yield pa.RecordBatch.from_pydict(
                        {"feature": pa.array([number] * len(kept), pa.int32()), "value": kept}
                    )

    table = collect_arrow(_map_in_arrow(frame, keep, VALUES_SCHEMA))
    features = table.column("feature").to_numpy()
    values = table.column("value").to_numpy()
    for number, name in enumerate(names):
        comparisons[name].add_crossing(values[features == number])


def _map_in_arrow(
    frame: DataFrame,
    function: Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]],
    schema: str,
) -> DataFrame:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", PANDAS_NOTICE, FutureWarning)  # Arrow, no pandas
        return frame.mapInArrow(function, schema)


__all__ = ["compare_spark_frame"]
