"""The online state of one key (a card, a merchant): recent events and running totals.

An :class:`EntityState` belongs to one ``by`` value of one
:class:`~watchkeeper.features.plan.WindowGroup`. It keeps, in time order, the timestamps of the
events still inside the group's longest window, the values of the fields that min, max,
count and count_distinct read, and for the fields that sum, mean and std read the running
compensated totals together with a snapshot of them before every kept event. A window's sum
is then the current totals minus the snapshot at the window's first event — the same
difference, with the same floating-point operations, that the batch engine takes.

Bounded: after an event at ``t`` is folded in, events older than ``t - longest_window`` are
dropped (no later event can see them). What stays forever per key is one timestamp, the
newest, for ``time_since_last`` and for recognising late events, and the running totals.

:func:`compute_group` only reads a state; :func:`fold_event` changes it. The online engine
calls them in that order, so an event's features never include the event itself.

>>> from watchkeeper.features.plan import WindowFeature, WindowGroup
>>> count = WindowFeature("n", "count", None, 60_000_000, None, False)
>>> group = WindowGroup("card", (count,), 60_000_000, (), ())
>>> state = EntityState.empty(group)
>>> for t in (0, 30_000_000, 30_000_000, 80_000_000):
...     print(compute_group(group, state, {}, t)["n"], end=" ")
...     fold_event(group, state, {}, t)
0 1 2 2
>>> state.timestamps
[30000000, 30000000, 80000000]
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from watchkeeper.features import compensated
from watchkeeper.features.plan import WindowFeature, WindowGroup
from watchkeeper.features.spec import MICROSECONDS_PER_SECOND

Totals = tuple[int, float, float, float, float]
"""Running totals of one field: present count, sum and its error, squares and their error."""

EMPTY_TOTALS: Totals = (0, 0.0, 0.0, 0.0, 0.0)


@dataclass
class EntityState:
    """The retained events and running totals of one key."""

    last_timestamp: int | None = None
    timestamps: list[int] = field(default_factory=list)
    values: dict[str, list[Any]] = field(default_factory=dict)
    totals: dict[str, Totals] = field(default_factory=dict)
    snapshots: dict[str, list[Totals]] = field(default_factory=dict)

    @classmethod
    def empty(cls, group: WindowGroup) -> EntityState:
        """A state for a key never seen before."""
        return cls(
            values={name: [] for name in group.value_fields},
            totals=dict.fromkeys(group.summed_fields, EMPTY_TOTALS),
            snapshots={name: [] for name in group.summed_fields},
        )

    def is_late(self, timestamp: int) -> bool:
        """True when ``timestamp`` is older than the newest event already folded in."""
        return self.last_timestamp is not None and timestamp < self.last_timestamp


def compute_group(
    group: WindowGroup, state: EntityState, row: Mapping[str, Any], timestamp: int
) -> dict[str, Any]:
    """The group's features for an event at ``timestamp``, from the events before it.

    A late event (older than the newest folded in) sees only the kept events before it.
    """
    timestamps = state.timestamps
    late = state.is_late(timestamp)
    end = bisect_right(timestamps, timestamp) if late else len(timestamps)
    results: dict[str, Any] = {}
    for feature in group.features:
        value = _feature_value(feature, state, timestamp, end, late)
        results[feature.name] = feature.fill if value is None else value
    return results


def _feature_value(
    feature: WindowFeature, state: EntityState, timestamp: int, end: int, late: bool
) -> Any:
    operation = feature.operation
    if operation == "time_since_last":
        # A late event looks back to the newest kept event before it, if any.
        late_previous = state.timestamps[end - 1] if end else None
        previous = late_previous if late else state.last_timestamp
        return None if previous is None else (timestamp - previous) / MICROSECONDS_PER_SECOND
    start = bisect_left(state.timestamps, timestamp - feature.window, 0, end)
    if feature.input is None:
        return end - start
    if operation in ("sum", "mean", "std"):
        return _summed(operation, state, feature.input, start, end)
    window = [value for value in state.values[feature.input][start:end] if value is not None]
    if operation == "count":
        return len(window)
    if operation == "count_distinct":
        return len(set(window))
    if not window:
        return None
    return max(window) if operation == "max" else min(window)


def _summed(operation: str, state: EntityState, name: str, start: int, end: int) -> Any:
    snapshots = state.snapshots[name]
    current = state.totals[name]
    first = snapshots[start] if start < len(snapshots) else current
    last = snapshots[end] if end < len(snapshots) else current
    count = last[0] - first[0]
    if operation == "sum":
        return compensated.window_total(last[1], last[2], first[1], first[2])
    if operation == "mean":
        if count == 0:
            return None
        return compensated.window_total(last[1], last[2], first[1], first[2]) / float(count)
    if count < 2:
        return None
    sum_high, sum_low = compensated.window_pair(last[1], last[2], first[1], first[2])
    squares_high, squares_low = compensated.window_pair(last[3], last[4], first[3], first[4])
    deviations = compensated.sum_of_squared_deviations(
        sum_high, sum_low, squares_high, squares_low, float(count)
    )
    variance = deviations / (float(count) - 1.0)
    return math.sqrt(max(variance, 0.0))


def fold_event(
    group: WindowGroup, state: EntityState, row: Mapping[str, Any], timestamp: int
) -> None:
    """Add an in-order event to the state, then drop what no later event can see."""
    state.timestamps.append(timestamp)
    for name in group.value_fields:
        state.values[name].append(row[name])
    for name in group.summed_fields:
        totals = state.totals[name]
        state.snapshots[name].append(totals)
        value = row[name]
        if value is not None:
            state.totals[name] = _add(totals, float(value))
    state.last_timestamp = timestamp
    cut = bisect_left(state.timestamps, timestamp - group.longest_window)
    if cut:
        del state.timestamps[:cut]
        for kept in state.values.values():
            del kept[:cut]
        for snapshots in state.snapshots.values():
            del snapshots[:cut]


def _add(totals: Totals, value: float) -> Totals:
    count, total, total_error, squares, squares_error = totals
    total, total_error = compensated.add_to_total(total, total_error, value)
    squares, squares_error = compensated.add_square_to_total(squares, squares_error, value)
    return (count + 1, total, total_error, squares, squares_error)


__all__ = ["EMPTY_TOTALS", "EntityState", "Totals", "compute_group", "fold_event"]
