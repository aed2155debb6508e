"""Current data compared with a baseline one column at a time: the whole, and chunks by rows.

A column file (Parquet) is read a column at a time, so only the columns being compared are in
memory (a few columns' values, not the file's rows): each column is cut into its chunks, each
chunk sorted once for its own comparison and profile, and the whole compared from the chunks'
sorted values merged (every row lies in exactly one chunk). The columns' results are then put
together per chunk and for the whole: the same numbers as comparing the rows' batches
(:func:`~watchkeeper.monitoring.comparison.chunk_drift.compare_chunked`).

>>> import numpy as np, pyarrow as pa
>>> from watchkeeper.monitoring.comparison.baseline import build_baseline
>>> rng = np.random.default_rng(0)
>>> baseline = build_baseline(pa.table({"x": rng.normal(size=3_000)}), {"x": "numeric"})
>>> current = pa.table({"x": rng.normal(size=1_000)})
>>> whole, chunks = compare_columns(baseline, current.column, 1_000, [0, 600, 1_000])
>>> whole.rows, [chunk.rows for chunk in chunks]
(1000, [600, 400])
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import pairwise
from typing import TypeVar

import pyarrow as pa

from watchkeeper.monitoring.comparison.baseline import (
    Baseline,
    FrameComparison,
    frame_comparison,
)
from watchkeeper.monitoring.profiles.dataset_profile import DatasetProfile, FeatureProfile
from watchkeeper.monitoring.profiles.profile_builder import (
    DEFAULT_THREADS,
    ProfileBuilder,
    map_columns,
)
from watchkeeper.monitoring.profiles.profile_plan import ProfilePlan
from watchkeeper.monitoring.statistics.reference_grid import NumericComparison

ColumnReader = Callable[[str], pa.ChunkedArray | pa.Array]
"""Reads one column of the current data, whole."""

T = TypeVar("T")

_Part = tuple[FeatureProfile, NumericComparison | None]


def compare_columns(
    baseline: Baseline,
    read_column: ColumnReader,
    rows: int,
    cuts: Sequence[int] | None = None,
    threads: int = DEFAULT_THREADS,
) -> tuple[FrameComparison, list[FrameComparison]]:
    """The whole current data (``rows`` rows, each feature read by ``read_column``) against
    ``baseline``, and with ``cuts`` (where chunks begin, and where the last ends:
    :func:`~watchkeeper.monitoring.comparison.chunks.row_cuts`) each chunk. ``threads``
    columns are compared at once."""
    bounds = list(pairwise(cuts)) if cuts is not None else []
    names = baseline.features

    def compare(name: str) -> tuple[_Part, list[_Part]]:
        return _compare_column(baseline, name, read_column(name), bounds)

    results = dict(zip(names, map_columns(compare, names, threads), strict=True))
    chunks = [
        _assemble(
            baseline,
            {name: results[name][1][index] for name in names},
            end - start,
            threads,
        )
        for index, (start, end) in enumerate(bounds)
    ]
    whole = _assemble(baseline, {name: results[name][0] for name in names}, rows, threads)
    return whole, chunks


def _compare_column(
    baseline: Baseline,
    name: str,
    column: pa.ChunkedArray | pa.Array,
    bounds: Sequence[tuple[int, int]],
) -> tuple[_Part, list[_Part]]:
    """One column's whole profile and comparison, and each chunk's."""
    builder = ProfileBuilder(
        ProfilePlan({name: baseline.plan.features[name]}),
        baseline.monitoring.sketch_k,
        threads=1,
        grids=_only(baseline.grids, name),
        bounds=_only(baseline.ranges, name),
        keep_values=True,
        sketches=False,
    )
    table = pa.table({name: column})
    del column
    chunks: list[_Part] = []
    if not bounds:
        builder.update(table, last=True)
    for index, (start, end) in enumerate(bounds):
        part = table.slice(start, end - start)
        profile, compared = builder.update_batch(part, last=index == len(bounds) - 1)
        chunks.append((profile.features[name], _compared(compared.get(name))))
    whole = (builder.profile().features[name], _compared(builder.comparisons.get(name)))
    return whole, chunks


def _compared(comparison: NumericComparison | None) -> NumericComparison | None:
    """``comparison`` with its result made now, in this column's thread: its kept values
    are let go at once, not when every column has been read."""
    if comparison is not None:
        comparison.result()
    return comparison


def _only(items: Mapping[str, T], name: str) -> dict[str, T]:
    return {name: items[name]} if name in items else {}


def _assemble(
    baseline: Baseline, parts: dict[str, _Part], rows: int, threads: int
) -> FrameComparison:
    """Every column's part of one chunk (or of the whole) as one comparison."""
    profile = DatasetProfile({name: part[0] for name, part in parts.items()}, rows)
    compared = {name: part[1] for name, part in parts.items() if part[1] is not None}
    return frame_comparison(baseline, profile, compared, threads)


__all__ = ["ColumnReader", "compare_columns"]
