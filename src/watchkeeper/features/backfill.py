"""Warm start: fill the online state from the event store's history, as serving would have.

A service that starts with an empty state computes the windowed features of its first weeks
from the events it scored itself, not from the history its model was trained on: every card
looks new. :func:`backfill_state` fills a store with what the online engine would hold after
every event up to ``until`` (:class:`~watchkeeper.features.history_state.HistoryStates`), so
that the first event scored afterwards gets exactly the features the batch engine computes
for it. It empties the groups' keys first (keys absent from the history keep no stale
state), writes the states in batches, then records the watermark
(:mod:`~watchkeeper.features.state.watermark`): running it twice leaves the same state. A
memory state is saved to its snapshot file.

:mod:`watchkeeper.application.online_state` does it for a workspace (what
``watchkeeper features backfill-state`` runs and ``watchkeeper serve`` checks).

>>> from datetime import datetime, UTC
>>> import polars as pl
>>> from watchkeeper.features.fitted import FittedFeatureSpec
>>> from watchkeeper.features.online_engine import OnlineFeatureEngine
>>> from watchkeeper.features.spec import FeatureSpec
>>> from watchkeeper.features.state.memory import MemoryStateStore
>>> spec = FeatureSpec(inputs={"ts": {"type": "timestamp"}, "card": {"type": "string"}},
...     transforms=[{"name": "n", "op": "count", "by": "card", "window": "1d"}])
>>> fitted = FittedFeatureSpec(spec=spec, training_rows=0)
>>> history = pl.DataFrame({"event_id": ["a", "b"], "card": ["x", "x"],
...     "ts": [datetime(2026, 1, 1, hour, tzinfo=UTC) for hour in (1, 2)]})
>>> store = MemoryStateStore()
>>> report = backfill_state(store, fitted, history, datetime(2026, 1, 1, 2, tzinfo=UTC))
>>> report.events, report.keys
(2, 1)
>>> OnlineFeatureEngine(fitted, store).score({"ts": "2026-01-01T03:00:00Z", "card": "x"})
{'n': 2}
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import polars as pl

from watchkeeper.clock import as_utc
from watchkeeper.features.history_state import HistoryStates
from watchkeeper.features.state.memory import MemoryStateStore
from watchkeeper.features.state.store import EntityStateStore
from watchkeeper.features.state.watermark import (
    StateWatermark,
    clear_watermark,
    write_watermark,
)

if TYPE_CHECKING:
    from watchkeeper.features.fitted import FittedFeatureSpec

BACKFILL_COMMAND = "watchkeeper features backfill-state"


@dataclass(frozen=True)
class BackfillReport:
    """What a backfill read and wrote, and how long it took."""

    until: datetime
    spec_hash: str
    events: int
    rejected: int
    keys: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly report."""
        return {
            "until": self.until.isoformat(),
            "spec_hash": self.spec_hash,
            "events": self.events,
            "rejected_rows": self.rejected,
            "keys": self.keys,
            "seconds": round(self.seconds, 3),
        }


def backfill_state(
    store: EntityStateStore,
    fitted: FittedFeatureSpec,
    events: pl.DataFrame,
    until: datetime,
    progress: Callable[[int, int], None] | None = None,
) -> BackfillReport:
    """Fill ``store`` with the online state of ``events`` up to ``until`` (inclusive).

    Rows after ``until`` are left out; rows the schema refuses are counted, not folded (the
    online engine refuses them too). ``progress`` is called after each batch with the keys
    written so far and the keys to write.
    """
    started = time.perf_counter()
    until = as_utc(until)
    spec = fitted.spec
    if events.height:
        events = events.filter(pl.col(spec.timestamp) <= until)
    history = HistoryStates.build(fitted, events)
    clear_watermark(store)  # a backfill cut short leaves no watermark behind
    for group in history.groups:
        # every key of the group, and only them: "card\x1f..." sorts below "card\x20"
        store.delete_range(f"{group.group.key}\x1f", f"{group.group.key}\x20")
    written = 0
    for batch in history.batches():
        store.put_many(batch)
        written += len(batch)
        if progress is not None:
            progress(written, history.keys)
    mark = StateWatermark(until, fitted.content_hash, events=history.events, keys=history.keys)
    write_watermark(store, mark)
    if isinstance(store, MemoryStateStore):
        store.save()
    return BackfillReport(
        until=until,
        spec_hash=fitted.content_hash,
        events=history.events,
        rejected=history.rejected,
        keys=history.keys,
        seconds=time.perf_counter() - started,
    )


__all__ = [
    "BACKFILL_COMMAND",
    "BackfillReport",
    "backfill_state",
]
