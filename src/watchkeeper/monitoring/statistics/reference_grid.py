"""Exact KS statistic, KS p-value and Wasserstein distance of streamed data against a reference.

The reference is held in memory; its distinct finite values ``u_0 < ... < u_(d-1)`` cut the
line into ``2d + 1`` cells: below ``u_0``, at ``u_0``, strictly between ``u_0`` and ``u_1``, at
``u_1``, ..., above ``u_(d-1)``. Counting the current values per cell (and, per open cell, the
sum of their distances to its inner edge) is **mergeable**: batches and chunks add up, in
memory that depends on the reference, never on the number of current rows.

* The **KS statistic** is exact. The reference's CDF is constant inside an open cell and the
  current's only rises there, so the largest gap lies at a reference value or just before
  one, where both CDFs are known from the counts. It is computed on integers, so data
  against itself gives exactly 0 (p-value 1); the p-value is
  :func:`~watchkeeper.monitoring.statistics.drift_statistics.kolmogorov_smirnov_pvalue`, scipy's.
* The **Wasserstein-1 distance** (the area between the CDFs) follows from the counts and
  distances in every open cell where the two CDFs do not cross: the area there is linear in
  the values. In the few cells where the current CDF rises past the reference's, the area
  depends on where exactly the values lie; :class:`NumericComparison` then asks for those
  values in a second look at the data (:meth:`NumericComparison.add_crossing`, a second
  pass over a file) and the result is exact too. Without them the cell's values are taken
  at their mean, and :attr:`ExactComparison.wasserstein_error` bounds the error (twice the
  cell's length times the smaller of the gaps at its two ends, summed).

>>> reference = ReferenceGrid.from_sorted(np.array([1.0, 2.0, 2.0, 3.0]))
>>> result = compare_values(reference, np.array([2.0, 2.5, 4.0]))
>>> round(result.ks_statistic, 4), round(result.wasserstein, 4), result.wasserstein_error
(0.4167, 0.8333, 0.0)
>>> import scipy.stats
>>> a, b = [1.0, 2.0, 2.0, 3.0], [2.0, 2.5, 4.0]
>>> ks, w = scipy.stats.ks_2samp(a, b).statistic, scipy.stats.wasserstein_distance(a, b)
>>> round(float(ks), 4), round(float(w), 4)
(0.4167, 0.8333)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

import numpy as np
from numpy.typing import NDArray

from watchkeeper.monitoring.statistics.drift_statistics import kolmogorov_smirnov_pvalue

Bounds = tuple[float | None, float | None]


@dataclass(frozen=True, eq=False)
class ReferenceGrid:
    """A reference's distinct finite values, sorted, and how many reference values lie at or
    below each (None when every value is distinct: then it is ``1, 2, ..., d``)."""

    values: NDArray[np.float64]
    cumulative: NDArray[np.int64] | None
    count: int

    @classmethod
    def from_sorted(cls, usable: NDArray[np.float64]) -> ReferenceGrid:
        """The grid of sorted finite values.

        >>> ReferenceGrid.from_sorted(np.array([1.0, 1.0, 5.0])).cumulative.tolist()
        [2, 3]
        """
        values = np.asarray(usable, dtype=np.float64)
        if len(values) == 0:
            return cls(values, None, 0)
        starts = _run_starts(values)
        if len(starts) == len(values):
            return cls(values, None, len(values))
        return cls(values[starts], np.append(starts[1:], len(values)), len(values))

    def reference_cumulative(self) -> NDArray[np.int64]:
        """Reference values at or below each distinct value."""
        if self.cumulative is not None:
            return self.cumulative
        return np.arange(1, len(self.values) + 1, dtype=np.int64)

    def counter(self) -> GridCounts:
        """An empty count of current values on this grid."""
        distinct = len(self.values)
        return GridCounts(
            self.values,
            np.zeros(2 * distinct + 1, dtype=np.int32),
            np.zeros(distinct + 1, dtype=np.float64),
        )


class GridCounts:
    """Current values counted on a reference's grid: ``cells[2k]`` the open cell below
    ``u_k`` (``cells[2d]``: above the largest), ``cells[2k + 1]`` the values equal to ``u_k``;
    ``distances[k]`` the open cell's sum of distances to its inner edge (``u_k``, or
    ``u_(d-1)`` for the cell above). Counts are 32-bit (half the memory) until they could
    overflow, then 64-bit."""

    def __init__(
        self,
        grid: NDArray[np.float64],
        cells: NDArray[np.int32] | NDArray[np.int64],
        distances: NDArray[np.float64],
    ) -> None:
        self.grid = grid
        self.cells = cells
        self.distances = distances
        self.count = int(cells.sum(dtype=np.int64))
        """How many values were counted."""
        self._buffers: tuple[NDArray[np.float64], NDArray[np.bool_]] | None = None

    def add(self, values: NDArray[np.float64], *, is_sorted: bool = False) -> Self:
        """Count finite ``values`` (sorted ones are counted fastest); returns ``self``.

        >>> grid = ReferenceGrid.from_sorted(np.array([0.0, 1.0]))
        >>> grid.counter().add(np.array([-1.0, 0.0, 0.5, 3.0])).cells.tolist()
        [1, 1, 1, 0, 1]
        """
        ordered = values if is_sorted else np.sort(values)
        if len(ordered) == 0:
            return self
        self.count += len(ordered)
        if self.count > np.iinfo(self.cells.dtype).max:
            self.cells = self.cells.astype(np.int64)
        grid, size = self.grid, len(ordered)
        positions = np.searchsorted(grid, ordered, side="left")
        above = int(np.searchsorted(positions, len(grid)))  # values above the largest u_k
        gaps, equal = self._scratch(size)
        # each value's distance to its cell's inner edge (0 for a value equal to u_k)
        right = np.take(grid, positions[:above], out=gaps[:above], mode="clip")
        np.equal(right, ordered[:above], out=equal[:above])
        equal[above:] = False
        np.subtract(right, ordered[:above], out=gaps[:above])
        np.subtract(ordered[above:], grid[-1], out=gaps[above:])
        np.add.at(self.distances, positions, gaps)
        positions *= 2  # open cell 2k, or at-cell 2k + 1
        positions += equal
        np.add.at(self.cells, positions, self.cells.dtype.type(1))
        return self

    def _scratch(self, size: int) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        """Buffers reused batch after batch: fresh ones each time cost page faults."""
        if self._buffers is None or len(self._buffers[0]) < size:
            self._buffers = (np.empty(size, dtype=np.float64), np.empty(size, dtype=np.bool_))
        return self._buffers[0][:size], self._buffers[1][:size]

    def merge(self, other: GridCounts) -> GridCounts:
        """The counts of both together (same grid)."""
        if len(self.cells) != len(other.cells):
            raise ValueError("grid counts of different grids cannot be merged")
        cells = self.cells.astype(np.int64) + other.cells
        return GridCounts(self.grid, cells, self.distances + other.distances)


@dataclass(frozen=True)
class ExactComparison:
    """KS statistic and p-value and Wasserstein-1 distance (in the feature's units), with a
    bound on the Wasserstein distance's error (0 when exact)."""

    ks_statistic: float
    ks_pvalue: float
    wasserstein: float
    wasserstein_error: float
    reference_count: int
    current_count: int


class NumericComparison:
    """One numeric feature's current values against its reference grid, in one or two looks.

    ``add`` every batch; if :attr:`needs_crossing_values`, ``add_crossing`` every batch again
    (only values in the crossed cells are kept); then ``result``.
    """

    def __init__(
        self, grid: ReferenceGrid, bounds: Bounds | None = None, *, keep: bool = False
    ) -> None:
        self.grid = grid
        self.counts = grid.counter()
        self.bounds = bounds
        self._values: list[NDArray[np.float64]] | None = [] if keep else None
        """With ``keep``, the first look's values, so that no second look is needed."""
        self.outside = 0
        """Values strictly below or above ``bounds`` (a schema's range), counted exactly."""
        self._crossing: NDArray[np.intp] | None = None
        self._gap_cache: tuple[_Gaps | None] | None = None
        self._kept: list[NDArray[np.float64]] = []

    def add(self, values: NDArray[np.float64], *, is_sorted: bool = False) -> Self:
        """Count finite values (first look)."""
        if self._gap_cache is not None:
            raise ValueError("values cannot be added after the crossed cells were found")
        ordered = values if is_sorted else np.sort(values)
        self.counts.add(ordered, is_sorted=True)
        if self._values is not None:
            self._values.append(ordered)
        if self.bounds is not None:
            low, high = self.bounds
            if low is not None:
                self.outside += int(np.searchsorted(ordered, low, side="left"))
            if high is not None:
                self.outside += len(ordered) - int(np.searchsorted(ordered, high, side="right"))
        return self

    @property
    def outside_reference_share(self) -> float | None:
        """Share of the current values below the reference's minimum or above its maximum."""
        count = self.counts.count
        if count == 0 or len(self.grid.values) == 0:
            return None
        return float(self.counts.cells[0] + self.counts.cells[-1]) / count

    @property
    def outside_bounds_share(self) -> float | None:
        """Share of the current values outside ``bounds``; None without bounds or values."""
        count = self.counts.count
        return None if self.bounds is None or count == 0 else self.outside / count

    @property
    def needs_crossing_values(self) -> bool:
        """Whether the exact Wasserstein distance needs a second look at the values (never
        when the first look kept them)."""
        return self._values is None and len(self._crossed()) > 0

    def add_crossing(self, values: NDArray[np.float64]) -> Self:
        """Keep the finite values that fall in a crossed cell (second look)."""
        crossed = self._crossed()
        if len(crossed) == 0 or len(values) == 0:
            return self
        # the crossed cells are few: search them, not the whole grid
        low, high = self.grid.values[crossed], self.grid.values[crossed + 1]
        cell = np.searchsorted(low, values, side="right") - 1
        chosen = cell >= 0
        chosen[chosen] = values[chosen] < high[cell[chosen]]
        chosen &= values != low[np.maximum(cell, 0)]
        if chosen.any():
            self._kept.append(values[chosen])
        return self

    def crossing_values(self) -> NDArray[np.float64]:
        """The values kept by :meth:`add_crossing` so far (to send from where they were found)."""
        return np.concatenate(self._kept) if self._kept else np.zeros(0, dtype=np.float64)

    def result(self) -> ExactComparison | None:
        """The comparison; None if either side has no values."""
        if self._values is not None:  # the second look, on the values kept
            first_look, self._values = self._values, None
            for values in first_look:
                self.add_crossing(values)
        crossed = self._crossed()
        kept = np.sort(np.concatenate(self._kept)) if self._kept else None
        if len(crossed) and kept is not None:
            expected = int(self.counts.cells[2 * crossed + 2].sum())
            if len(kept) != expected:
                raise ValueError(
                    f"the second look found {len(kept)} values in the crossed cells, "
                    f"the first counted {expected}: give the same data twice"
                )
        return _compare(self.grid, self.counts, kept, self._gaps())

    def _gaps(self) -> _Gaps | None:
        if self._gap_cache is None:
            self._gap_cache = (_gaps(self.grid, self.counts),)
        return self._gap_cache[0]

    def _crossed(self) -> NDArray[np.intp]:
        if self._crossing is None:
            self._crossing = _crossed_cells(self.grid, self._gaps())
        return self._crossing


def compare_values(grid: ReferenceGrid, values: NDArray[np.float64]) -> ExactComparison | None:
    """Exact comparison of finite values held in memory with the reference."""
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    comparison = NumericComparison(grid).add(ordered, is_sorted=True)
    if comparison.needs_crossing_values:
        comparison.add_crossing(ordered)
    return comparison.result()


@dataclass(frozen=True)
class _Gaps:
    """Current-minus-reference CDF gaps times ``n1 * n2`` (integers) at each reference value."""

    after: NDArray[np.int64]  # just after u_k
    before: NDArray[np.int64]  # just before u_k
    n1: int
    n2: int


def _gaps(grid: ReferenceGrid, counts: GridCounts) -> _Gaps | None:
    n1, n2 = grid.count, counts.count
    if n1 == 0 or n2 == 0:
        return None
    running = np.cumsum(counts.cells, dtype=np.int64)
    after = running[1::2] * n1  # current values <= u_k, times n1
    before = running[0:-1:2] * n1  # current values < u_k, times n1
    del running
    if grid.cumulative is None:  # reference values <= u_k are k + 1
        reference = np.arange(n2, (len(grid.values) + 1) * n2, n2, dtype=np.int64)
    else:
        reference = grid.cumulative * n2
    after -= reference
    before[1:] -= reference[:-1]
    return _Gaps(after, before, n1, n2)


def _crossed_cells(grid: ReferenceGrid, gaps: _Gaps | None) -> NDArray[np.intp]:
    """Gaps ``k`` (between ``u_k`` and ``u_(k+1)``) where the current CDF rises past the
    reference's: below it just after ``u_k``, above it just before ``u_(k+1)``."""
    if gaps is None or len(grid.values) < 2:
        return np.empty(0, dtype=np.intp)
    return np.flatnonzero((gaps.after[:-1] < 0) & (gaps.before[1:] > 0))


def _compare(
    grid: ReferenceGrid,
    counts: GridCounts,
    crossing_values: NDArray[np.float64] | None,
    gaps: _Gaps | None,
) -> ExactComparison | None:
    if gaps is None:
        return None
    n1, n2 = gaps.n1, gaps.n2
    after, before = gaps.after, gaps.before
    largest = max(int(after.max()), -int(after.min()), int(before.max()), -int(before.min()))
    statistic = largest / (n1 * n2)
    pvalue = kolmogorov_smirnov_pvalue(statistic, n1, n2)
    wasserstein, error = _wasserstein(grid, counts, gaps, crossing_values)
    return ExactComparison(statistic, pvalue, wasserstein, error, n1, n2)


def _wasserstein(
    grid: ReferenceGrid,
    counts: GridCounts,
    gaps: _Gaps,
    crossing_values: NDArray[np.float64] | None,
) -> tuple[float, float]:
    n1, n2 = gaps.n1, gaps.n2
    scale = float(n1) * float(n2)
    # outside the reference's range one CDF is 0 or 1: the area is the distances' sum
    outside = float(counts.distances[0] + counts.distances[-1]) / n2
    if len(grid.values) < 2:
        return outside, 0.0
    lengths = np.diff(grid.values)
    # each cell's area times n1 * n2: the gap just after u_k over the cell, plus what the
    # current CDF adds inside it (its values' distances to u_(k+1)); exact unless crossed
    area = gaps.after[:-1] * lengths
    area += counts.distances[1:-1] * float(n1)
    np.abs(area, out=area)
    crossed = _crossed_cells(grid, gaps)
    if len(crossed) == 0:
        return outside + float(area.sum()) / scale, 0.0
    if crossing_values is not None:
        area[crossed] = _crossed_areas(grid.values, gaps, crossed, crossing_values)
        return outside + float(area.sum()) / scale, 0.0
    # without the values: each crossed cell's values at their mean (its signed area is exact)
    start, end = gaps.after[crossed] / scale, gaps.before[crossed + 1] / scale
    length = lengths[crossed]
    right = counts.distances[crossed + 1] / counts.cells[2 * crossed + 2]  # mean to u_(k+1)
    area[crossed] = (-start * (length - right) + end * right) * scale
    bound = float(np.sum(2.0 * length * np.minimum(-start, end)))
    return outside + float(area.sum()) / scale, bound


def _crossed_areas(
    grid: NDArray[np.float64],
    gaps: _Gaps,
    crossed: NDArray[np.intp],
    values: NDArray[np.float64],
) -> NDArray[np.float64]:
    """The exact area (times ``n1 * n2``) in each crossed cell from its sorted values: the
    gap is a step function rising by ``1 / n2`` at each value."""
    n1 = gaps.n1
    cells = np.searchsorted(grid, values, side="left") - 1  # values are sorted, so are cells
    starts = _run_starts(cells)
    run_cells = cells[starts]
    rank = np.arange(len(values)) - np.repeat(starts, np.diff(np.append(starts, len(values))))
    # the gap (times n1 * n2) after each value, and the step up to the next value or edge
    levels = gaps.after[cells] + (rank + 1) * n1
    following = np.append(values[1:], 0.0)
    last_in_cell = np.append(cells[1:] != cells[:-1], True)
    following[last_in_cell] = grid[cells[last_in_cell] + 1]
    steps = np.abs(levels) * (following - values)
    first = np.abs(gaps.after[run_cells]) * (values[starts] - grid[run_cells])
    per_cell = np.add.reduceat(steps, starts) + first
    result = np.zeros(len(crossed), dtype=np.float64)
    result[np.searchsorted(crossed, run_cells)] = per_cell
    return result


def _run_starts(sorted_keys: NDArray[Any]) -> NDArray[np.intp]:
    """Where each run of equal keys begins."""
    return np.flatnonzero(np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1])))


__all__ = [
    "Bounds",
    "ExactComparison",
    "GridCounts",
    "NumericComparison",
    "ReferenceGrid",
    "compare_values",
]
