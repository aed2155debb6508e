"""Batch windows as index ranges: sort once per key, then every window is ``[start, row)``.

The rows of a frame are put in time order — by timestamp, ties by arrival (input position) —
and then, stably, by key. In that order each key's events are contiguous and chronological,
so the window of a row (the earlier events of its key with timestamp ``>= t - w``) is the
contiguous range ``[start, row)``. Its start is found without a loop: with ``time_rank`` the
row's position in the global time order, ``key_rank * n + time_rank`` increases along the
sorted rows, and one ``searchsorted`` on it finds, for every row at once, the first row of the
same key whose timestamp is ``>= t - w``. All integers: exact, and no overflow below 3e9 rows.

This never relies on the input being sorted and treats equal timestamps by arrival, the two
places where Polars' ``rolling(...).over(key)`` goes wrong silently.

>>> import numpy as np
>>> index = GroupIndex.build(np.array([0, 5, 5, 9]), np.array([1, 1, 2, 1]))
>>> index.order.tolist(), index.window_starts(5).tolist()
([0, 1, 3, 2], [0, 0, 1, 3])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class TimeOrder:
    """The global time order of a frame's rows: timestamps sorted, and each row's rank."""

    sorted_timestamps: IntArray
    rank: IntArray

    @classmethod
    def build(cls, timestamps: IntArray) -> TimeOrder:
        """Rank rows by (timestamp, input position)."""
        order = np.argsort(timestamps, kind="stable").astype(np.int64)
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size, dtype=np.int64)
        return cls(sorted_timestamps=timestamps[order], rank=rank)


def value_codes(values: pl.Series) -> IntArray:
    """Exact integer codes of a column's values (equal values, equal codes); -1 where missing.

    >>> codes = value_codes(pl.Series(["b", "a", None, "b"])).tolist()
    >>> codes[0] == codes[3] != codes[1], codes[2]
    (True, -1)
    """
    if values.dtype in (pl.String, pl.Categorical) or isinstance(values.dtype, pl.Enum):
        # Categorical codes: below 2**32, so code * rows stays far below 2**63.
        codes = values.cast(pl.String).cast(pl.Categorical).to_physical().cast(pl.Int64)
        return codes.fill_null(-1).to_numpy()
    ranked = values.rank("dense")
    return ranked.cast(pl.Int64).fill_null(0).to_numpy() - 1


@dataclass(frozen=True)
class GroupIndex:
    """One key's sort order and the arrays every windowed aggregate of that key needs.

    ``order`` lists the positions (in the frame) of the rows whose key is present, sorted by
    (key, time rank); every other array is aligned with ``order``.
    """

    order: IntArray
    timestamps: IntArray
    time_rank: IntArray
    key_rank: IntArray
    first_of_key: BoolArray
    composite: IntArray
    time_order: TimeOrder

    @classmethod
    def build(
        cls, timestamps: IntArray, key_codes: IntArray, time_order: TimeOrder | None = None
    ) -> GroupIndex:
        """Sort the rows whose key code is present (``>= 0``) by key, then time rank."""
        time_order = time_order if time_order is not None else TimeOrder.build(timestamps)
        size = timestamps.size
        present = np.flatnonzero(key_codes >= 0)
        sort_key = key_codes[present] * size + time_order.rank[present]
        order = present[pl.Series(sort_key).arg_sort().to_numpy()]
        sorted_codes = key_codes[order]
        first_of_key = np.ones(order.size, dtype=np.bool_)
        first_of_key[1:] = sorted_codes[1:] != sorted_codes[:-1]
        key_rank = np.cumsum(first_of_key, dtype=np.int64) - 1
        rank = time_order.rank[order]
        return cls(
            order=order.astype(np.int64),
            timestamps=timestamps[order],
            time_rank=rank,
            key_rank=key_rank,
            first_of_key=first_of_key,
            composite=key_rank * size + rank,
            time_order=time_order,
        )

    @property
    def size(self) -> int:
        """Rows with a present key."""
        return int(self.order.size)

    def window_starts(self, window: int) -> IntArray:
        """For every sorted row, the first row of its window of ``window`` microseconds."""
        ordered = self.time_order.sorted_timestamps
        # Queries in time order are sorted, which keeps searchsorted cache-friendly.
        lower = np.searchsorted(ordered, ordered - window, side="left")[self.time_rank]
        return np.searchsorted(self.composite, self._scale() + lower, side="left").astype(np.int64)

    def window_ends_from(self, window: int) -> IntArray:
        """For every sorted row, the last row of its key with timestamp ``<= t + window``."""
        ordered = self.time_order.sorted_timestamps
        upper = np.searchsorted(ordered, ordered + window, side="right")[self.time_rank]
        found = np.searchsorted(self.composite, self._scale() + upper, side="left")
        return found.astype(np.int64) - 1

    def _scale(self) -> IntArray:
        return self.key_rank * self.time_order.rank.size


__all__ = ["GroupIndex", "TimeOrder", "value_codes"]
