"""The online state a history leaves behind, computed at once from the whole history.

What the online engine holds for a key after folding, in time order (ties by arrival), every
event of a history is known in closed form
(:mod:`~watchkeeper.features.entity_state`): the newest timestamp; the events within the
group's longest window of it, with their kept values and event ids; for every summed field
the compensated running totals, and their value before each kept event. The totals are the
per-key prefix totals the batch engine already builds
(:class:`~watchkeeper.features.window_aggregates.RunningTotals`, with the online engine's
additions, operation for operation), so no event is folded one at a time: the history is
sorted once per group (:class:`~watchkeeper.features.window_index.GroupIndex`) and each
key's state is cut out of a few arrays.

The states come in batches of keys (:func:`history_states`), ready for a store's
``put_many``; the result is exactly what :func:`~watchkeeper.features.replay.replay_online`
leaves in a fresh store, event ids included (the test suite proves it on random streams).

>>> from datetime import datetime, UTC
>>> import polars as pl
>>> from watchkeeper.features.fitted import FittedFeatureSpec
>>> from watchkeeper.features.spec import FeatureSpec
>>> spec = FeatureSpec(inputs={"ts": {"type": "timestamp"}, "card": {"type": "string"},
...                            "amount": {"type": "float"}},
...     transforms=[{"name": "s", "op": "sum", "input": "amount", "by": "card", "window": "1h"}])
>>> frame = pl.DataFrame({"event_id": ["a", "b", "c"], "card": ["x", "x", "y"],
...     "amount": [1.0, 2.0, 4.0],
...     "ts": [datetime(2026, 1, 1, hour, tzinfo=UTC) for hour in (1, 3, 2)]})
>>> history = HistoryStates.build(FittedFeatureSpec(spec=spec, training_rows=0), frame)
>>> history.events, history.keys
(3, 2)
>>> states = next(history.batches())
>>> card_x = states["card\\x1fs:x"]
>>> card_x.timestamps == [datetime(2026, 1, 1, 3, tzinfo=UTC).timestamp() * 1_000_000]
True
>>> card_x.totals["amount"][:2], card_x.values["\\x1fevent_ids"]
((2, 3.0), ['b'])
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from watchkeeper.features import compensated
from watchkeeper.features.entity_state import EntityState, Totals
from watchkeeper.features.frame_validation import validate_frame
from watchkeeper.features.online_engine import RECENT_EVENT_IDS
from watchkeeper.features.plan import FeaturePlan, WindowGroup
from watchkeeper.features.state.store import state_key
from watchkeeper.features.window_aggregates import RunningTotals
from watchkeeper.features.window_index import GroupIndex, IntArray, TimeOrder, value_codes

if TYPE_CHECKING:
    from watchkeeper.features.fitted import FittedFeatureSpec

KEYS_PER_BATCH = 2_000
"""States handed out together: one store write each."""


@dataclass(frozen=True)
class _GroupHistory:
    """One group's sorted history and, per key, the range of its kept events."""

    group: WindowGroup
    key_values: list[Any]
    last_timestamps: list[int]
    kept_bounds: IntArray
    timestamps: list[int]
    values: dict[str, list[Any]]
    snapshots: dict[str, list[Totals]]
    totals: dict[str, list[Totals]]

    @property
    def keys(self) -> int:
        return len(self.key_values)

    def states(self, first: int, stop: int) -> dict[str, EntityState]:
        """The states of keys ``first`` to ``stop`` (by key rank)."""
        found: dict[str, EntityState] = {}
        bounds = self.kept_bounds
        for rank in range(first, stop):
            low, high = int(bounds[rank]), int(bounds[rank + 1])
            found[state_key(self.group.key, self.key_values[rank])] = EntityState(
                last_timestamp=self.last_timestamps[rank],
                timestamps=self.timestamps[low:high],
                values={name: items[low:high] for name, items in self.values.items()},
                totals={name: items[rank] for name, items in self.totals.items()},
                snapshots={name: items[low:high] for name, items in self.snapshots.items()},
            )
        return found


@dataclass(frozen=True)
class HistoryStates:
    """The per-key online states a history leaves, group by group, and what was read."""

    events: int
    """Events folded (valid rows)."""
    rejected: int
    """Rows the schema refused (the online engine would have refused them too)."""
    groups: tuple[_GroupHistory, ...]

    @classmethod
    def build(cls, fitted: FittedFeatureSpec, frame: pl.DataFrame) -> HistoryStates:
        """Validate ``frame`` (invalid rows left out) and prepare every group's states."""
        plan = FeaturePlan.build(fitted)
        spec = fitted.spec
        validated = validate_frame(spec, frame, "quarantine")
        valid = validated.valid
        groups: list[_GroupHistory] = []
        if valid.height and plan.groups:
            timestamps = valid[spec.timestamp].dt.epoch("us").to_numpy()
            order = TimeOrder.build(timestamps)
            ids = valid[spec.event_id].cast(pl.String) if spec.event_id in valid.columns else None
            groups = [_group_history(group, valid, timestamps, order, ids) for group in plan.groups]
        return cls(events=valid.height, rejected=validated.rejected.height, groups=tuple(groups))

    @property
    def keys(self) -> int:
        """States to write (keys of every group)."""
        return sum(group.keys for group in self.groups)

    def batches(self, size: int = KEYS_PER_BATCH) -> Iterator[dict[str, EntityState]]:
        """The states, at most ``size`` keys at a time."""
        for group in self.groups:
            for first in range(0, group.keys, size):
                yield group.states(first, min(first + size, group.keys))


def _group_history(
    group: WindowGroup,
    valid: pl.DataFrame,
    timestamps: Any,
    time_order: TimeOrder,
    event_ids: pl.Series | None,
) -> _GroupHistory:
    index = GroupIndex.build(timestamps, value_codes(valid[group.key]), time_order)
    size = index.size
    key_rank = index.key_rank
    last_of_key = np.ones(size, dtype=np.bool_)
    last_of_key[:-1] = key_rank[1:] != key_rank[:-1]
    last_rows = np.flatnonzero(last_of_key)
    first_rows = np.flatnonzero(index.first_of_key)
    newest = index.timestamps[last_rows]
    # What fold_event keeps after the key's newest event: the events within the longest window.
    kept = np.flatnonzero(index.timestamps >= (newest - group.longest_window)[key_rank])
    kept_bounds = np.searchsorted(key_rank[kept], np.arange(last_rows.size + 1)).astype(np.int64)
    rows = pl.Series(index.order[kept])
    values = {name: valid[name].gather(rows).to_list() for name in group.value_fields}
    if event_ids is not None:
        values[RECENT_EVENT_IDS] = event_ids.gather(rows).to_list()
    snapshots: dict[str, list[Totals]] = {}
    totals: dict[str, list[Totals]] = {}
    for name in group.summed_fields:
        snapshots[name], totals[name] = _summed_field(
            index, valid[name], kept, first_rows, last_rows
        )
    return _GroupHistory(
        group=group,
        key_values=valid[group.key].gather(pl.Series(index.order[last_rows])).to_list(),
        last_timestamps=newest.tolist(),
        kept_bounds=kept_bounds,
        timestamps=index.timestamps[kept].tolist(),
        values=values,
        snapshots=snapshots,
        totals=totals,
    )


def _summed_field(
    index: GroupIndex, column: pl.Series, kept: IntArray, first_rows: IntArray, last_rows: IntArray
) -> tuple[list[Totals], list[Totals]]:
    """A field's totals before each kept event, and each key's totals after its newest."""
    present = column.is_not_null().to_numpy()[index.order]
    numbers = column.cast(pl.Float64).fill_null(0.0).to_numpy()[index.order]
    running = RunningTotals.build(index, numbers, present, with_squares=True)
    assert running.squares is not None and running.squares_error is not None
    # Counts are global prefix counts; a state counts from its key's first event.
    counts = running.count[:-1] - running.count[first_rows][index.key_rank]
    before = (counts, running.total, running.total_error, running.squares, running.squares_error)
    snapshots = list(zip(*(_python(part[kept]) for part in before), strict=True))
    last = last_rows
    value, is_present = numbers[last], present[last]
    total, rounding = compensated.two_sum(running.total[last], value)
    squares, squares_rounding = compensated.square_error_increment(running.squares[last], value)
    after = (
        counts[last] + is_present,
        np.where(is_present, total, running.total[last]),
        np.where(is_present, running.total_error[last] + rounding, running.total_error[last]),
        np.where(is_present, squares, running.squares[last]),
        np.where(
            is_present,
            running.squares_error[last] + squares_rounding,
            running.squares_error[last],
        ),
    )
    return snapshots, list(zip(*(_python(part) for part in after), strict=True))


def _python(array: Any) -> list[Any]:
    """Python ints or floats, as the online engine's totals hold them."""
    return list(array.tolist())


__all__ = ["KEYS_PER_BATCH", "HistoryStates"]
