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

import functools
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

    def at_or_below(self, distinct: NDArray[np.intp]) -> NDArray[np.int64]:
        """Reference values at or below the ``distinct``-th distinct value (0 for none):
        with ``distinct`` from ``searchsorted(values, t, side="right")``, those at or below ``t``.

        >>> ReferenceGrid.from_sorted(np.array([1.0, 1.0, 5.0])).at_or_below(np.array([0, 1, 2])).tolist()
        [0, 2, 3]
        """
        if self.cumulative is None:
            return distinct.astype(np.int64)
        result = self.cumulative[np.maximum(distinct - 1, 0)]
        result[distinct == 0] = 0
        return result

    def first_reaching(self, counts: NDArray[np.int64]) -> NDArray[np.intp]:
        """The first distinct value with at least ``counts`` reference values at or below it
        (``len(values)`` when none has).

        >>> ReferenceGrid.from_sorted(np.array([1.0, 1.0, 5.0])).first_reaching(np.array([1, 3, 4])).tolist()
        [0, 1, 2]
        """
        if self.cumulative is None:
            return np.clip(counts - 1, 0, len(self.values)).astype(np.intp)
        return np.searchsorted(self.cumulative, counts, side="left")

    @functools.cached_property
    def areas(self) -> PrefixAreas:
        """The integral of the reference's count at or below ``t`` from ``u_0`` to each
        ``u_k``, in blocks (computed once, on first use).

        >>> ReferenceGrid.from_sorted(np.array([1.0, 1.0, 5.0, 6.0])).areas.at(np.arange(3)).tolist()
        [0.0, 8.0, 11.0]
        """
        return PrefixAreas.of(self)

    def counter(self) -> GridCounts:
        """An empty count of current values on this grid."""
        distinct = len(self.values)
        return GridCounts(
            self.values,
            np.zeros(2 * distinct + 1, dtype=np.int32),
            np.zeros(distinct + 1, dtype=np.float64),
        )


BLOCK = 131_072
"""Values counted (or searched for crossed cells) at once: the scratch memory is a block's."""

AREA_SHIFT = 10
AREA_BLOCK = 1 << AREA_SHIFT
"""Reference cells whose prefix areas are summed from their block's start."""


@dataclass(frozen=True)
class PrefixAreas:
    """A reference's prefix areas ``Q(u_k) = sum_(j < k) C_j (u_(j+1) - u_j)`` (``C_j`` the
    reference values at or below ``u_j``) as ``base[k // AREA_BLOCK] + local[k]``: ``local``
    sums from the block's start, so the area between two nearby values is a difference of
    small sums, not of two large ones (a global running sum's rounding, at its size, would
    reach 1e-11 of a Wasserstein distance between close samples of a million rows);
    ``totals[b]`` is block ``b``'s own sum, ``base`` their running sum."""

    local: NDArray[np.float64]
    base: NDArray[np.float64]
    totals: NDArray[np.float64]

    @classmethod
    def of(cls, grid: ReferenceGrid) -> PrefixAreas:
        """The prefix areas of ``grid``."""
        size = len(grid.values)
        blocks = max(-(-size // AREA_BLOCK), 1)
        widths = np.zeros(blocks * AREA_BLOCK, dtype=np.float64)
        if size > 1:
            np.multiply(grid.reference_cumulative()[:-1], np.diff(grid.values), out=widths[1:size])
        # widths[k] is the cell just below u_k: Q(u_k) sums widths[1..k]; a block's local
        # sums run over its own cells, its total is its last
        local = np.cumsum(widths.reshape(blocks, AREA_BLOCK), axis=1)
        totals = local[:, -1].copy()
        base = np.zeros(blocks + 1, dtype=np.float64)
        np.cumsum(totals, out=base[1:])
        return cls(local.reshape(-1)[:size].copy(), base, totals)

    def at(self, index: NDArray[np.intp]) -> NDArray[np.float64]:
        """``Q(u_k)`` at each ``index``, whole (large where ``k`` is)."""
        result: NDArray[np.float64] = self.base[index >> AREA_SHIFT]
        result += self.local[index]
        return result

    def from_block(
        self, index: NDArray[np.intp], rest: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """For sorted ``index`` (and what each adds past ``u_k``): the whole ``Q(u_k) + rest``,
        and the differences between neighbours, without adding the large parts where both
        lie in one block (or taking a block's own total where they lie in neighbouring ones)."""
        block = index >> AREA_SHIFT
        local = self.local[index]
        steps = np.diff(rest)  # small differences first: the least rounding
        steps += np.diff(local)
        local += rest
        whole = self.base[block]
        whole += local
        moved = np.flatnonzero(block[1:] != block[:-1])
        if len(moved):
            low, high = block[moved], block[moved + 1]
            step = self.base[high] - self.base[low]
            near = high == low + 1
            step[near] = self.totals[low[near]]
            steps[moved] += step
        return whole, steps

    def between(
        self, first: NDArray[np.intp], first_rest: NDArray[np.float64], second: NDArray[np.intp]
    ) -> NDArray[np.float64]:
        """``Q(u_second) - (Q(u_first) + first_rest)`` (``second >= first``), without adding
        the large parts where both lie in one block."""
        low, high = first >> AREA_SHIFT, second >> AREA_SHIFT
        result = self.local[second] - self.local[first]
        result -= first_rest
        moved = np.flatnonzero(high != low)
        if len(moved):
            step = self.base[high[moved]] - self.base[low[moved]]
            near = high[moved] == low[moved] + 1
            step[near] = self.totals[low[moved][near]]
            result[moved] += step
        return result


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
        for start in range(0, len(ordered), BLOCK):  # scratch memory of a block, not all
            self._add_sorted(ordered[start : start + BLOCK])
        return self

    def _add_sorted(self, ordered: NDArray[np.float64]) -> None:
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

    With ``keep`` the values are kept instead of counted, and ``result`` takes the cheaper of
    two exact ways: counting them on the grid (``O(d)`` for ``d`` distinct reference values),
    or, for far fewer values than that (a chunk against a large reference), evaluating the
    gap only where it can be largest and the area from the reference's prefix areas
    (``O(n log d)``). Both give the same KS statistic and p-value, and the same Wasserstein
    distance up to rounding.
    """

    def __init__(
        self, grid: ReferenceGrid, bounds: Bounds | None = None, *, keep: bool = False
    ) -> None:
        self.grid = grid
        self.bounds = bounds
        self._keep = keep
        self._counts: GridCounts | None = None if keep else grid.counter()
        self._values: list[NDArray[np.float64]] | None = [] if keep else None
        """With ``keep``, the first look's sorted values, so that no second look is needed."""
        self._count = 0
        self._outside_reference = 0
        self.outside = 0
        """Values strictly below or above ``bounds`` (a schema's range), counted exactly."""
        self._crossing: NDArray[np.intp] | None = None
        self._gap_cache: tuple[_Gaps | None] | None = None
        self._kept: list[NDArray[np.float64]] = []
        self._result: tuple[ExactComparison | None] | None = None
        self._released = False

    @property
    def counts(self) -> GridCounts:
        """The values counted on the grid (with ``keep``, counted on first use, and let go
        with the values once :meth:`result` has compared them)."""
        if self._released:
            raise ValueError("the kept values were compared and let go: ask result()")
        if self._counts is None:
            self._counts = self.grid.counter()
            for values in self._values or ():
                self._counts.add(values, is_sorted=True)
        return self._counts

    @counts.setter
    def counts(self, counts: GridCounts) -> None:
        self._counts = counts

    @property
    def count(self) -> int:
        """How many values were added (or counted into :attr:`counts`)."""
        return self._count if self._keep else self.counts.count

    def add(self, values: NDArray[np.float64], *, is_sorted: bool = False) -> Self:
        """Count finite values (first look)."""
        if self._gap_cache is not None or self._result is not None:
            raise ValueError("values cannot be added after the comparison was made")
        ordered = values if is_sorted else np.sort(values)
        if self._values is not None:
            self._count += len(ordered)
            self._values.append(ordered)
            grid = self.grid.values
            if len(grid) and len(ordered):
                self._outside_reference += int(np.searchsorted(ordered, grid[0], side="left"))
                self._outside_reference += len(ordered) - int(
                    np.searchsorted(ordered, grid[-1], side="right")
                )
        if self._counts is not None:
            self._counts.add(ordered, is_sorted=True)
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
        count = self.count
        if count == 0 or len(self.grid.values) == 0:
            return None
        if self._keep:
            return self._outside_reference / count
        return float(self.counts.cells[0] + self.counts.cells[-1]) / count

    @property
    def outside_bounds_share(self) -> float | None:
        """Share of the current values outside ``bounds``; None without bounds or values."""
        count = self.count
        return None if self.bounds is None or count == 0 else self.outside / count

    @property
    def needs_crossing_values(self) -> bool:
        """Whether the exact Wasserstein distance needs a second look at the values (never
        when the first look kept them)."""
        return not self._keep and len(self._crossed()) > 0

    def add_crossing(self, values: NDArray[np.float64]) -> Self:
        """Keep the finite values that fall in a crossed cell (second look)."""
        crossed = self._crossed()
        if len(crossed) == 0 or len(values) == 0:
            return self
        # the crossed cells are few: search them, not the whole grid
        low, high = self.grid.values[crossed], self.grid.values[crossed + 1]
        for start in range(0, len(values), BLOCK):
            block = values[start : start + BLOCK]
            cell = np.searchsorted(low, block, side="right") - 1
            chosen = cell >= 0
            chosen[chosen] = block[chosen] < high[cell[chosen]]
            chosen &= block != low[np.maximum(cell, 0)]
            if chosen.any():
                self._kept.append(block[chosen])
        return self

    def crossing_values(self) -> NDArray[np.float64]:
        """The values kept by :meth:`add_crossing` so far (to send from where they were found)."""
        return np.concatenate(self._kept) if self._kept else np.zeros(0, dtype=np.float64)

    def result(self, *, fast: bool | None = None) -> ExactComparison | None:
        """The comparison; None if either side has no values. ``fast`` (with ``keep``)
        forces the ``O(m log d)`` way (True) or the grid (False); by default the cheaper.
        With ``keep`` the kept values are let go: the result is computed once."""
        if self._keep:
            if self._result is None:
                self._result = (self._kept_result(fast),)
            return self._result[0]
        return self._counted_result()

    def _kept_result(self, fast: bool | None) -> ExactComparison | None:
        """The kept values' comparison, by the cheaper way; the values, counts and gaps are
        let go after it (a chunk's comparison holds nothing of the size of the grid)."""
        kept, self._values = self._values or [], None
        ordered = _merge_sorted(kept)
        del kept
        starts = _run_starts(ordered)
        if fast is None:
            fast = _searching_is_cheaper(len(starts), len(ordered), len(self.grid.values))
        try:
            if fast:
                return _compare_sorted(self.grid, ordered, starts)
            del starts
            if self._counts is None:
                self._counts = self.grid.counter().add(ordered, is_sorted=True)
            self.add_crossing(ordered)
            return self._counted_result()
        finally:
            self._counts, self._gap_cache, self._crossing, self._kept = None, None, None, []
            self._released = True

    def _counted_result(self) -> ExactComparison | None:
        crossed = self._crossed()
        kept_values = np.sort(np.concatenate(self._kept)) if self._kept else None
        if len(crossed) and kept_values is not None:
            expected = int(self.counts.cells[2 * crossed + 2].sum())
            if len(kept_values) != expected:
                raise ValueError(
                    f"the second look found {len(kept_values)} values in the crossed cells, "
                    f"the first counted {expected}: give the same data twice"
                )
        return _compare(self.grid, self.counts, kept_values, self._gaps())

    def _gaps(self) -> _Gaps | None:
        if self._gap_cache is None:
            self._gap_cache = (_gaps(self.grid, self.counts),)
        return self._gap_cache[0]

    def _crossed(self) -> NDArray[np.intp]:
        if self._crossing is None:
            self._crossing = _crossed_cells(self.grid, self._gaps())
        return self._crossing


SEARCH_COST = 0.075
"""What one distinct current value's search costs per level of the binary search, in units
of the grid's cost per value or reference value (measured from 3,000 to a million values
against grids of 30 thousand to a million: searching costs 0.1 to 0.12 microseconds a
distinct value, counting 0.08 a grid value plus 0.1 a value). With values kept it is the
cheaper way at every size measured; counting stays for values streamed and not kept."""


def _searching_is_cheaper(distinct_values: int, values: int, grid: int) -> bool:
    """Whether ``values`` current values (``distinct_values`` of them distinct) are compared
    faster by searching a grid of ``grid`` distinct reference values, ``O(m log d)``, than by
    counting them on it, ``O(n + d)``.

    >>> _searching_is_cheaper(100_000, 100_000, 1_000_000), _searching_is_cheaper(10**8, 10**8, 10**4)
    (True, False)
    """
    return distinct_values * SEARCH_COST * max(grid.bit_length(), 1) < values + grid


def _merge_sorted(parts: list[NDArray[np.float64]]) -> NDArray[np.float64]:
    """Sorted batches as one sorted array: a stable sort (Timsort) finds the sorted runs and
    merges them, several times faster than sorting afresh (which runs slower still on
    sorted runs than on shuffled values).

    >>> _merge_sorted([np.array([1.0, 4.0]), np.array([2.0, 3.0])]).tolist()
    [1.0, 2.0, 3.0, 4.0]
    """
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return np.zeros(0, dtype=np.float64)
    merged = np.concatenate(parts)
    merged.sort(kind="stable")
    return merged


def compare_values(grid: ReferenceGrid, values: NDArray[np.float64]) -> ExactComparison | None:
    """Exact comparison of finite values held in memory with the reference."""
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    comparison = NumericComparison(grid).add(ordered, is_sorted=True)
    if comparison.needs_crossing_values:
        comparison.add_crossing(ordered)
    return comparison.result()


def _compare_sorted(
    grid: ReferenceGrid, ordered: NDArray[np.float64], starts: NDArray[np.intp]
) -> ExactComparison | None:
    """The comparison from the current's sorted finite values (``starts``: where each
    distinct value's run begins) in ``O(m log d)`` for ``m`` distinct values.

    With ``v_i`` the distinct current values, ``c_i`` the current values at or below ``v_i``
    and ``R(t)`` the reference values at or below ``t``, the gap (times ``n1 * n2``) is
    ``n1 * c_i - n2 * R(t)`` on ``[v_i, v_(i+1))``, where only ``R`` moves (it rises): its
    extremes there are at ``v_i`` and just before ``v_(i+1)`` (beyond the last current
    value it rises to 0, below the first it is at most 0 and falls). The area there splits
    where ``n2 * R`` reaches ``n1 * c_i`` (one search), and each part is an integral of
    ``R``, read from the reference's prefix areas (:class:`PrefixAreas`: differences of
    small sums within a block). Where no reference value lies inside,
    ``R`` is constant and the area the gap times the width (so data against itself gives
    exactly 0). The distinct values are taken a block at a time (each block with the first
    value of the next, for the interval between them): memory of a block, searches in cache.
    """
    n1, n2 = grid.count, len(ordered)
    if n1 == 0 or n2 == 0:
        return None
    distinct_count = len(starts)
    largest, area = 0, 0.0
    for first in range(0, distinct_count, SEARCH_BLOCK):
        stop = min(first + SEARCH_BLOCK + 1, distinct_count)
        following = int(starts[stop]) if stop < distinct_count else n2
        block = _BlockGaps.of(grid, ordered, starts[first:stop], following, n2)
        largest = max(largest, block.largest)
        if len(block.distinct) > 1:
            area += _inner_area(grid, block, n2)
        if first == 0:  # below v_0 the current CDF is 0: the reference's area up to v_0
            area += float(n2) * float(block.integral[0])
        if stop == distinct_count:  # above the last v_i it is 1, up to the largest u_k
            area += float(n2) * _area_above(grid, float(block.distinct[-1]))
    statistic = largest / (n1 * n2)
    pvalue = kolmogorov_smirnov_pvalue(statistic, n1, n2)
    return ExactComparison(statistic, pvalue, area / (float(n1) * float(n2)), 0.0, n1, n2)


def _area_above(grid: ReferenceGrid, last: float) -> float:
    """The integral of ``n1 - R(t)`` from ``last`` to the largest reference value: the sum
    of the reference values' distances above ``last`` (summed, not a difference of large
    integrals)."""
    first = int(np.searchsorted(grid.values, last, side="right"))
    distances = grid.values[first:] - last
    if grid.cumulative is not None:  # each distinct value's count
        below = int(grid.cumulative[first - 1]) if first > 0 else 0
        distances *= np.diff(grid.cumulative[first:], prepend=below)
    return float(distances.sum())


@dataclass(frozen=True)
class _BlockGaps:
    """A block of distinct current values ``v_i`` and what :func:`_compare_sorted` needs at
    each: ``level`` ``n1 * c_i``, ``gap`` and ``before`` (the gap at and just before ``v_i``,
    times ``n1 * n2``), ``integral`` (of ``R`` from ``u_0`` to ``v_i``), ``inner`` (of ``R``
    from ``v_i`` to ``v_(i+1)``, summed apart: precise); ``largest`` ``|gap|``."""

    distinct: NDArray[np.float64]
    level: NDArray[np.int64]
    gap: NDArray[np.int64]
    before: NDArray[np.int64]
    integral: NDArray[np.float64]
    inner: NDArray[np.float64]
    index: NDArray[np.intp]
    rest: NDArray[np.float64]
    largest: int

    @classmethod
    def of(
        cls,
        grid: ReferenceGrid,
        ordered: NDArray[np.float64],
        starts: NDArray[np.intp],
        following: int,
        n2: int,
    ) -> _BlockGaps:
        """The block of the runs beginning at ``starts`` (``following``: where the run after
        the last begins, or ``n2``)."""
        n1, values = grid.count, grid.values
        distinct = ordered[starts]  # v_i
        level = np.empty(len(starts), dtype=np.int64)  # c_i: where the next run starts
        level[:-1] = starts[1:]
        level[-1] = following
        level *= n1
        # the distinct reference values at or below each v_i, searched in the block's slice
        low = int(np.searchsorted(values, distinct[0], side="right"))
        high = int(np.searchsorted(values, distinct[-1], side="right"))
        above = np.searchsorted(values[low:high], distinct, side="right")
        above += low
        index = above - 1
        left = values[index]  # the largest u_k <= v_i (any value where there is none)
        at_value = grid.at_or_below(above)  # R(v_i)
        gap = level - at_value * n2
        # R just before v_i (one less distinct value where v_i is one); c_(i-1) is where
        # v_i's run starts
        before = grid.at_or_below(above - (left == distinct))
        before *= -n2
        before += starts * n1
        largest = max(int(np.abs(gap).max()), int(np.abs(before).max()))
        # the integral of R from u_0: the prefix area at u_k plus the rest up to v_i (none
        # below u_0, where v_i is measured from u_0 instead)
        below = int(np.searchsorted(above, 0, side="right"))
        index[:below] = 0
        rest = distinct - left
        rest *= at_value
        rest[:below] = 0.0
        integral, inner = grid.areas.from_block(index, rest)
        return cls(distinct, level, gap, before, integral, inner, index, rest, largest)


def _inner_area(grid: ReferenceGrid, block: _BlockGaps, n2: int) -> float:
    """The area (times ``n1 * n2``) over ``[v_i, v_(i+1))`` for each pair of consecutive
    values of the block.

    The gap ``L - n2 * R(t)`` (``L = n1 * c_i``) only falls over the interval. Where it keeps
    its sign (positive at ``v_i`` and not negative just before ``v_(i+1)``, or the reverse),
    the area is ``|L (b - a) - n2 (Q(b) - Q(a))|`` with ``Q`` the integral of ``R``; only
    where it changes sign (the CDFs cross inside: few intervals) is the crossing point ``p``
    searched, and the area ``L (p - a) - n2 (Q(p) - Q(a)) + n2 (Q(b) - Q(p)) - L (b - p)``."""
    start, end = block.distinct[:-1], block.distinct[1:]
    level, gap, before = block.level[:-1], block.gap[:-1], block.before[1:]
    area = end - start
    area *= level
    inner = block.inner * float(n2)
    area -= inner
    np.abs(area, out=area)
    crossed = np.flatnonzero((gap > 0) & (before < 0))
    if len(crossed):
        area[crossed] = _crossed_area(grid, block, crossed, n2)
    # no reference value inside (R constant: the gap just before v_(i+1) is the gap at v_i):
    # the gap times the width, exactly
    flat = before == gap
    width = end - start
    width *= np.abs(gap)
    return float(np.where(flat, width, area).sum())


def _crossed_area(
    grid: ReferenceGrid, block: _BlockGaps, crossed: NDArray[np.intp], n2: int
) -> NDArray[np.float64]:
    """The area over the intervals ``crossed`` (by index in the block), where the gap falls
    from positive to negative: it splits at the first ``u_k`` where ``n2 * R`` reaches the
    level (inside the interval)."""
    start, end = block.distinct[crossed], block.distinct[crossed + 1]
    level = block.level[crossed]
    crossing = grid.first_reaching(-(-level // n2))
    point = grid.values[crossing]
    # Q(p) - Q(a) and Q(b) - Q(a), as small differences
    to_point = grid.areas.between(block.index[crossed], block.rest[crossed], crossing)
    # L (p - a) - n2 (Q(p) - Q(a)) + n2 (Q(b) - Q(p)) - L (b - p)
    area = point * 2.0
    area -= start
    area -= end
    area *= level
    to_point *= -2.0
    to_point += block.inner[crossed]
    to_point *= float(n2)
    area += to_point
    return area


SEARCH_BLOCK = 16_384
"""Distinct current values compared at once by :func:`_compare_sorted`."""


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
    # in place, a block at a time: the only arrays of the grid's size are the two gaps
    running = np.cumsum(counts.cells, dtype=np.int64)
    running *= n1
    after = running[1::2]  # current values <= u_k, times n1
    before = running[0:-1:2]  # current values < u_k, times n1
    for start in range(0, len(after), BLOCK):
        stop = min(start + BLOCK, len(after))
        if grid.cumulative is None:  # reference values <= u_k are k + 1
            reference = np.arange(start + 1, stop + 1, dtype=np.int64)
        else:
            reference = grid.cumulative[start:stop].copy()
        reference *= n2
        after[start:stop] -= reference
        before[start + 1 : stop + 1] -= reference[: len(before) - start - 1]
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
    values = grid.values
    crossed = _crossed_cells(grid, gaps)
    bound = 0.0
    if len(crossed) == 0:
        replaced = np.zeros(0, dtype=np.float64)
    elif crossing_values is not None:
        replaced = _crossed_areas(values, gaps, crossed, crossing_values)
    else:
        # without the values: each crossed cell's values at their mean (its signed area is
        # exact)
        start, end = gaps.after[crossed] / scale, gaps.before[crossed + 1] / scale
        length = values[crossed + 1] - values[crossed]
        right = counts.distances[crossed + 1] / counts.cells[2 * crossed + 2]  # mean to u_(k+1)
        replaced = (-start * (length - right) + end * right) * scale
        bound = float(np.sum(2.0 * length * np.minimum(-start, end)))
    # each cell's area times n1 * n2: the gap just after u_k over the cell, plus what the
    # current CDF adds inside it (its values' distances to u_(k+1)); exact unless crossed.
    # A block of cells at a time: no array of the grid's size
    total = 0.0
    cells = len(values) - 1
    for first in range(0, cells, BLOCK):
        last = min(first + BLOCK, cells)
        area = np.diff(values[first : last + 1])
        area *= gaps.after[first:last]
        inside = counts.distances[first + 1 : last + 1] * float(n1)
        area += inside
        np.abs(area, out=area)
        low, high = np.searchsorted(crossed, [first, last])
        area[crossed[low:high] - first] = replaced[low:high]
        total += float(area.sum())
    return outside + total / scale, bound


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
    "PrefixAreas",
    "ReferenceGrid",
    "compare_values",
]
