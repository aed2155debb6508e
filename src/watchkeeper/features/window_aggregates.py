"""Batch windowed aggregates over ``[start, row)`` ranges, vectorised and exact.

Given a :class:`~watchkeeper.features.window_index.GroupIndex` (rows sorted by key and time)
and each row's window start, every aggregate is computed for all rows at once:

* counts: differences of integer prefix counts;
* sum, mean, std: differences of per-key compensated running totals
  (:mod:`~watchkeeper.features.compensated`), the very operations the online engine performs
  event by event, so both agree to the last bit;
* min, max: a sparse table built one level at a time in place (memory stays O(n)); level
  ``k`` answers the windows whose length is in ``[2**k, 2**(k+1))`` with two lookups;
* count_distinct: each occurrence of a value counts for the rows after it up to the next
  occurrence of the same value or the end of its reach (``t + w``), whichever comes first;
  those contributions are ranges, added with a difference array;
* time_since_last: the gap to the previous row of the same key.

Results come back as (values, present) arrays aligned with the sorted rows.

>>> import numpy as np
>>> values = np.array([3.0, 1.0, 2.0, 5.0])
>>> range_extreme(values, np.array([0, 0, 1]), np.array([1, 3, 4]), largest=True).tolist()
[3.0, 3.0, 5.0]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from watchkeeper.features import compensated
from watchkeeper.features.spec import MICROSECONDS_PER_SECOND
from watchkeeper.features.window_index import BoolArray, GroupIndex, IntArray

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RunningTotals:
    """Per-key exclusive prefix totals (before each row) of one field, compensated.

    ``squares`` and ``squares_error`` are only built when a standard deviation needs them.
    """

    count: IntArray
    total: FloatArray
    total_error: FloatArray
    squares: FloatArray | None
    squares_error: FloatArray | None

    @classmethod
    def build(
        cls, index: GroupIndex, values: FloatArray, present: BoolArray, with_squares: bool
    ) -> RunningTotals:
        """Fold the present ``values`` (sorted rows) into per-key running totals."""
        x = np.where(present, values, 0.0)
        square, square_error = compensated.two_product(x, x)
        first = {"total": x, "squares": square} if with_squares else {"total": x}
        inclusive = _per_key_cumulative(index, first)
        total_excl = _exclusive(inclusive["total"], index)
        _, rounding = compensated.two_sum(total_excl, x)
        second = {"total_error": rounding}
        if with_squares:
            squares_excl = _exclusive(inclusive["squares"], index)
            _, squares_rounding = compensated.two_sum(squares_excl, square)
            second["squares_error"] = squares_rounding + square_error
        errors = _per_key_cumulative(index, second)
        counts = np.concatenate([[0], np.cumsum(present, dtype=np.int64)])
        return cls(
            count=counts,
            total=total_excl,
            total_error=_exclusive(errors["total_error"], index),
            squares=squares_excl if with_squares else None,
            squares_error=_exclusive(errors["squares_error"], index) if with_squares else None,
        )


def _per_key_cumulative(index: GroupIndex, columns: dict[str, FloatArray]) -> dict[str, FloatArray]:
    """Sequential (left to right) running sums restarting at every key, as the online engine adds.

    The rows are sorted by key, which Polars is told, so each key's sum is one sequential scan.
    """
    frame = pl.DataFrame({"key": index.key_rank, **columns}).with_columns(
        pl.col("key").set_sorted()
    )
    summed = frame.select([pl.col(name).cum_sum().over("key") for name in columns])
    return {name: summed[name].to_numpy() for name in columns}


def _exclusive(inclusive: FloatArray, index: GroupIndex) -> FloatArray:
    """Totals before each row: the previous row's inclusive total, 0 at the start of a key."""
    shifted = np.empty_like(inclusive)
    shifted[0:1] = 0.0
    shifted[1:] = inclusive[:-1]
    return np.where(index.first_of_key, 0.0, shifted)


def count_values(totals_count: IntArray, starts: IntArray) -> IntArray:
    """Present values in ``[start, row)`` from the global prefix counts."""
    rows = np.arange(starts.size, dtype=np.int64)
    return totals_count[rows] - totals_count[starts]


def windowed_sum(totals: RunningTotals, starts: IntArray) -> FloatArray:
    """Sum of the present values in each window (0 for an empty one)."""
    return compensated.window_total(
        totals.total, totals.total_error, totals.total[starts], totals.total_error[starts]
    )


def windowed_std(
    totals: RunningTotals, starts: IntArray, counts: IntArray
) -> tuple[FloatArray, BoolArray]:
    """Sample standard deviation (ddof 1) of each window; present where it holds 2+ values."""
    sum_high, sum_low = compensated.window_pair(
        totals.total, totals.total_error, totals.total[starts], totals.total_error[starts]
    )
    assert totals.squares is not None and totals.squares_error is not None
    squares_high, squares_low = compensated.window_pair(
        totals.squares, totals.squares_error, totals.squares[starts], totals.squares_error[starts]
    )
    return std_from_totals(sum_high, sum_low, squares_high, squares_low, counts)


def std_from_totals(
    sum_high: FloatArray,
    sum_low: FloatArray,
    squares_high: FloatArray,
    squares_low: FloatArray,
    counts: IntArray,
) -> tuple[FloatArray, BoolArray]:
    """Sample standard deviations from windows' compensated sums; present for 2+ values."""
    present = counts >= 2
    safe_count = np.where(present, counts, 2).astype(np.float64)
    deviations = compensated.sum_of_squared_deviations(
        sum_high, sum_low, squares_high, squares_low, safe_count
    )
    variance = deviations / (safe_count - 1.0)
    return np.sqrt(np.maximum(variance, 0.0)), present


def range_extreme(values: Any, starts: IntArray, ends: IntArray, largest: bool) -> Any:
    """Minimum (or maximum) of ``values[start:end]`` for every non-empty query range."""
    result = np.empty(starts.size, dtype=values.dtype)
    if starts.size == 0:
        return result
    _, exponent = np.frexp((ends - starts).astype(np.float64))
    level = (exponent - 1).astype(np.int64)
    reduce = np.maximum if largest else np.minimum
    by_level = np.argsort(level, kind="stable")
    bounds = np.searchsorted(level[by_level], np.arange(int(level.max()) + 2))
    table = values.copy()
    for k in range(int(level.max()) + 1):
        if k > 0:
            half = 1 << (k - 1)
            table[:-half] = reduce(table[:-half], table[half:])
        chosen = by_level[bounds[k] : bounds[k + 1]]
        if chosen.size:
            width = 1 << k
            result[chosen] = reduce(table[starts[chosen]], table[ends[chosen] - width])
    return result


def windowed_extreme(
    index: GroupIndex,
    values: Any,
    present: BoolArray,
    starts: IntArray,
    counts: IntArray,
    largest: bool,
) -> tuple[Any, BoolArray]:
    """Min or max of the present values of each window; present where the window has one."""
    if values.dtype == np.float64:
        sentinel: Any = -np.inf if largest else np.inf
    else:
        limits = np.iinfo(np.int64)
        sentinel = limits.min if largest else limits.max
    filled = np.where(present, values, sentinel).astype(values.dtype)
    rows = np.arange(starts.size, dtype=np.int64)
    has_values = counts > 0
    result = np.zeros(starts.size, dtype=values.dtype)
    result[has_values] = range_extreme(filled, starts[has_values], rows[has_values], largest)
    return result, has_values


def windowed_distinct(index: GroupIndex, codes: IntArray, window: int) -> IntArray:
    """Distinct present values (integer ``codes``, -1 missing) in each window, exactly."""
    size = index.size
    rows = np.arange(size, dtype=np.int64)
    span = int(codes.max(initial=0)) + 2
    by_value = np.argsort(index.key_rank * span + (codes + 1), kind="stable")
    following = np.full(size, size, dtype=np.int64)
    same = np.flatnonzero(
        (index.key_rank[by_value][1:] == index.key_rank[by_value][:-1])
        & (codes[by_value][1:] == codes[by_value][:-1])
    )
    following[by_value[same]] = by_value[same + 1]
    reach = index.window_ends_from(window)
    stop = np.minimum(following, reach)
    contributing = (codes >= 0) & (stop > rows)
    openings = np.bincount(rows[contributing] + 1, minlength=size + 2)
    closings = np.bincount(stop[contributing] + 1, minlength=size + 2)
    return np.cumsum(openings - closings)[:size].astype(np.int64)


def time_since_previous(index: GroupIndex) -> tuple[FloatArray, BoolArray]:
    """Seconds since the previous event of the same key; absent for a key's first event."""
    gaps = np.zeros(index.size, dtype=np.int64)
    gaps[1:] = index.timestamps[1:] - index.timestamps[:-1]
    return gaps.astype(np.float64) / MICROSECONDS_PER_SECOND, ~index.first_of_key


__all__ = [
    "RunningTotals",
    "count_values",
    "range_extreme",
    "std_from_totals",
    "time_since_previous",
    "windowed_distinct",
    "windowed_extreme",
    "windowed_std",
    "windowed_sum",
]
