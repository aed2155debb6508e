"""Warm start, proven: after a backfill to T, the online engine scores later events exactly as
the batch engine computes them over the whole history, on every state backend.

The streams are the parity tests' (unsorted, ties and bursts, missing values, extreme
amounts, daylight-saving time zones). The history (events up to T) goes to the store through
:func:`backfill_state`; the store is closed and opened again (a memory state from its snapshot
file), then the later events are scored one by one in time order and compared with the batch
engine's features of the full stream. The filled states must also equal, key by key, what the
online engine itself leaves after serving the history event by event (event ids included).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from feature_streams import TIME_ZONES, WINDOWS, event_streams, full_spec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watchkeeper.features import OnlineFeatureEngine, compute_batch, fit
from watchkeeper.features.backfill import backfill_state
from watchkeeper.features.comparison import compare_columns
from watchkeeper.features.entity_state import EntityState
from watchkeeper.features.state import EntityStateStore, open_state_store, state_key
from watchkeeper.features.state.memory import MemoryStateStore
from watchkeeper.features.state.watermark import read_watermark

WARM_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)

Reopen = Callable[[EntityStateStore | None], EntityStateStore]
"""Given None, a fresh empty store; given a store, closes it and opens the same one again."""


@pytest.fixture(params=["memory", "sqlite", "lmdb", pytest.param("redis", marks=pytest.mark.redis)])
def reopen(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Reopen]:
    kind: str = request.param
    url = request.getfixturevalue("redis_url") if kind == "redis" else None
    opened: list[EntityStateStore] = []
    where: dict[int, str] = {}

    def reopen_store(store: EntityStateStore | None) -> EntityStateStore:
        if store is None:
            location = url if kind == "redis" else str(tmp_path / f"{uuid.uuid4().hex}.{kind}")
            namespace = f"warm-{uuid.uuid4().hex}"
        else:
            location, namespace = where[id(store)].split("|", 1)
            store.close()
        fresh = open_state_store(kind, location, namespace=namespace)
        where[id(fresh)] = f"{location}|{namespace}"
        opened.append(fresh)
        return fresh

    yield reopen_store
    for store in opened:
        store.close()


def _split(stream: pl.DataFrame, cut: float) -> tuple[pl.DataFrame, pl.DataFrame, datetime]:
    """History (events up to T, T one of the stream's times: ties at T included) and later."""
    times = sorted(stream["ts"].to_list())
    until = times[min(len(times) - 1, int(cut * len(times)))]
    return stream.filter(pl.col("ts") <= until), stream.filter(pl.col("ts") > until), until


def _in_time_order(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return frame.with_row_index("__p").sort("ts", "__p").drop("__p").to_dicts()


@WARM_SETTINGS
@given(
    stream=event_streams(),
    timezone=st.sampled_from(TIME_ZONES),
    windows=st.tuples(st.sampled_from(WINDOWS[:3]), st.sampled_from(WINDOWS[3:])),
    cut=st.floats(0.0, 1.0),
)
def test_after_a_backfill_later_events_get_the_batch_engine_features(
    reopen: Reopen, stream: pl.DataFrame, timezone: str, windows: tuple[str, str], cut: float
) -> None:
    fitted = fit(full_spec(timezone, windows), stream)
    history, later, until = _split(stream, cut)
    store = reopen(None)
    report = backfill_state(store, fitted, history, until)
    assert report.events == history.height and report.rejected == 0
    store = reopen(store)  # what a service opening the filled state sees
    mark = read_watermark(store)
    assert mark is not None and mark.until == until and mark.fits(fitted.content_hash)
    engine = OnlineFeatureEngine(fitted, store)
    rows = _in_time_order(later)
    served = {row["event_id"]: engine.score(row) for row in rows}
    batch = compute_batch(fitted, stream).features.filter(pl.col("event_id").is_in(list(served)))
    identifiers = batch["event_id"]
    online = pl.DataFrame(
        [served[event_id] for event_id in identifiers.to_list()],
        schema={column.name: column.dtype for column in engine.plan.columns},
        orient="row",
    )
    failures = {}
    for column in engine.plan.columns:
        comparison = compare_columns(
            column.name, batch[column.name], online[column.name], identifiers
        )
        if comparison.mismatches:
            failures[column.name] = comparison.examples
    assert not failures


@WARM_SETTINGS
@given(stream=event_streams(), windows=st.tuples(st.just("90s"), st.sampled_from(WINDOWS[3:])))
def test_filled_states_are_the_states_serving_the_history_leaves(
    reopen: Reopen, stream: pl.DataFrame, windows: tuple[str, str]
) -> None:
    fitted = fit(full_spec("UTC", windows), stream)
    served = OnlineFeatureEngine(fitted, MemoryStateStore())
    rows = _in_time_order(stream)
    for row in rows:  # as the service folds: staged with the event's id, then committed
        served.commit(served.stage([row], [row["event_id"]]))
    store = reopen(None)
    backfill_state(store, fitted, stream, max(stream["ts"].to_list()))
    keys = sorted(
        {
            state_key(group.key, row[group.key])
            for group in served.plan.groups
            for row in rows
            if row[group.key] is not None
        }
    )
    expected: list[EntityState | None] = served.store.get_many(keys)
    assert reopen(store).get_many(keys) == expected


def test_a_backfill_replaces_what_the_store_held_and_runs_twice_alike(tmp_path: Path) -> None:
    stream = pl.DataFrame(
        {
            "event_id": ["a", "b", "c"],
            "ts": [datetime(2026, 1, 1, hour, tzinfo=UTC) for hour in (1, 2, 3)],
            "card": ["x", "x", "y"],
            "amount": [1.0, 2.0, 4.0],
        }
    )
    fitted = fit(full_spec("UTC", ("1h", "24h")), stream)
    snapshot = tmp_path / "state.snapshot"
    store = MemoryStateStore(snapshot)
    stale = state_key("card", "gone")
    store.put_many({stale: EntityState(last_timestamp=1)})
    until = datetime(2026, 1, 1, 2, tzinfo=UTC)
    first = backfill_state(store, fitted, stream, until)
    assert store.get_many([stale]) == [None]  # a key of no event up to T keeps no state
    saved = snapshot.read_bytes()
    second = backfill_state(MemoryStateStore(snapshot), fitted, stream, until)
    assert (first.events, first.keys) == (second.events, second.keys) == (2, 1)
    assert snapshot.read_bytes() == saved
    engine = OnlineFeatureEngine(fitted, MemoryStateStore(snapshot))
    features = engine.score({"event_id": "d", "ts": until + timedelta(minutes=30), "card": "x"})
    assert features["count_card_1h"] == 1 and features["count_card_24h"] == 2
    assert features["since_last"] == 1800.0


def test_a_memory_state_keeps_its_changes_unless_its_snapshot_was_replaced(
    tmp_path: Path,
) -> None:
    snapshot = tmp_path / "state.snapshot"
    filled = MemoryStateStore(snapshot)
    filled.put_many({"k": EntityState(last_timestamp=1)})
    filled.save()
    serving = MemoryStateStore(snapshot)
    serving.put_many({"k": EntityState(last_timestamp=2)})
    serving.close()  # a clean stop writes the change back
    assert MemoryStateStore(snapshot).get_many(["k"])[0] == EntityState(last_timestamp=2)
    serving = MemoryStateStore(snapshot)
    serving.put_many({"k": EntityState(last_timestamp=3)})
    refill = MemoryStateStore(snapshot)
    refill.put_many({"k": EntityState(last_timestamp=9)})
    refill.save()  # a backfill while the process ran: its file wins
    serving.close()
    assert MemoryStateStore(snapshot).get_many(["k"])[0] == EntityState(last_timestamp=9)
