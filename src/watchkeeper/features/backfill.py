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

:func:`fill_workspace_state` does it for a workspace: the champion's fitted spec, the raw
events of the event store's ``transactions`` table up to ``until`` (default: the newest),
the store ``storage.online_state`` names. It is what ``watchkeeper features backfill-state``
runs; :func:`cold_state_problem` is what ``watchkeeper serve`` checks before it starts.

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
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import polars as pl

from watchkeeper.clock import as_utc
from watchkeeper.errors import ConfigError, RegistryError
from watchkeeper.features.history_state import HistoryStates
from watchkeeper.features.state.memory import MemoryStateStore
from watchkeeper.features.state.store import EntityStateStore
from watchkeeper.features.state.watermark import (
    StateWatermark,
    clear_watermark,
    read_watermark,
    write_watermark,
)

if TYPE_CHECKING:
    from watchkeeper.features.fitted import FittedFeatureSpec
    from watchkeeper.workspace import Workspace

EVENTS_TABLE = "transactions"
ONE_MICROSECOND = timedelta(microseconds=1)
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


def champion_spec(workspace: Workspace) -> tuple[int, FittedFeatureSpec]:
    """The champion's version and the fitted spec it computes its features with."""
    from watchkeeper.registry.registry import ModelRegistry
    from watchkeeper.registry.statuses import CHAMPION
    from watchkeeper.serving.models import load_fitted_spec

    if workspace.config.model.serving == "external":
        raise ConfigError(
            "model.serving is external: the model's service computes its own features, "
            "watchkeeper keeps no online state for it"
        )
    registry = ModelRegistry.for_workspace(workspace)
    version = registry.aliases().get(CHAMPION)
    if version is None:
        raise RegistryError(
            f"model {registry.model_name!r} has no champion: train one ('watchkeeper train') "
            "before filling its online state"
        )
    return version, load_fitted_spec(registry, version)


def latest_event(workspace: Workspace) -> datetime | None:
    """The event time of the newest raw event in the event store (None: it holds none)."""
    column = workspace.config.keys.event_time
    times = workspace.events.read(EVENTS_TABLE, columns=[column])[column]
    newest = times.max() if times.len() else None
    return as_utc(newest) if isinstance(newest, datetime) else None


def fill_workspace_state(
    workspace: Workspace,
    until: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BackfillReport:
    """Fill the workspace's online state for its champion from its event store.

    ``until`` (inclusive) defaults to the newest event. ``progress`` is called with the keys
    written so far and the keys to write.
    """
    _, fitted = champion_spec(workspace)
    if until is None:
        until = latest_event(workspace)
        if until is None:
            raise ConfigError(
                f"the event store's {EVENTS_TABLE} table holds no events: there is no history "
                "to fill the online state with (a service starting now starts rightly empty)"
            )
    until = as_utc(until)
    events = workspace.events.read(EVENTS_TABLE, end=until + ONE_MICROSECOND)
    store = workspace.open_online_state()
    try:
        return backfill_state(store, fitted, events, until, progress=progress)
    finally:
        store.close()


def cold_state_problem(workspace: Workspace) -> str | None:
    """Why a service of this workspace would start cold (None: it would not).

    Cold: the state has no watermark for the champion's fitted spec while the event store
    holds history. An external model, or one without a champion, has no state to check.
    """
    try:
        version, fitted = champion_spec(workspace)
    except (ConfigError, RegistryError):
        return None
    store = workspace.open_online_state()
    try:
        mark = read_watermark(store)
    finally:
        store.close()
    if mark is not None and mark.fits(fitted.content_hash):
        return None
    newest = latest_event(workspace)
    if newest is None:
        return None
    if mark is None:
        found = "the online state was never filled"
    else:
        found = f"the online state was filled for another fitted spec ({mark.spec_hash[:12]})"
    return (
        f"{found} but the event store holds history up to {newest.isoformat()}: the windowed "
        f"features of champion version {version} would start empty; run '{BACKFILL_COMMAND}' "
        "first (or pass --allow-cold-state to start cold anyway)"
    )


__all__ = [
    "BACKFILL_COMMAND",
    "BackfillReport",
    "backfill_state",
    "champion_spec",
    "cold_state_problem",
    "fill_workspace_state",
    "latest_event",
]
