"""Prediction rows of requests in flight go to the event store in one append."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from watchkeeper.clock import EventTimeClock
from watchkeeper.errors import SchemaError, StorageError
from watchkeeper.serving.grouped_append import GroupedAppender
from watchkeeper.storage.events.delta_events import DeltaEventStore
from watchkeeper.storage.events.tables import SERVED_PREDICTION_SCHEMA

SCHEMA = pa.schema([("event_id", pa.string())])
CALLERS = 10


class HeldStore:
    """Holds its first append until every other caller has queued; may fail the second."""

    def __init__(self, fail_second: bool = False) -> None:
        self.appends: list[list[str]] = []
        self.first = threading.Event()
        self.appender: GroupedAppender | None = None
        self.fail_second = fail_second

    def append_columns(
        self, table: str, columns: dict[str, list[str]], *, fsync: bool = True
    ) -> None:
        if not self.first.is_set():
            self.first.set()
            deadline = time.monotonic() + 10
            assert self.appender is not None
            while len(self.appender._queue) < CALLERS - 1 and time.monotonic() < deadline:
                time.sleep(0.001)
        elif self.fail_second:
            raise StorageError("event spool: disk I/O error (test)")
        self.appends.append(list(columns["event_id"]))


def run_callers(store: HeldStore) -> dict[str, BaseException | None]:
    appender = store.appender = GroupedAppender(store, "predictions", SCHEMA)
    outcome: dict[str, BaseException | None] = {}

    def call(label: str) -> None:
        try:
            appender.append({"event_id": [label, label + ":shadow"]})
            outcome[label] = None
        except StorageError as error:
            outcome[label] = error

    first = threading.Thread(target=call, args=("e0",))
    first.start()
    assert store.first.wait(10)
    others = [threading.Thread(target=call, args=(f"e{n}",)) for n in range(1, CALLERS)]
    for thread in others:
        thread.start()
    for thread in [first, *others]:
        thread.join(10)
    return outcome


def test_callers_arriving_during_an_append_share_the_next_one() -> None:
    store = HeldStore()
    outcome = run_callers(store)
    assert outcome == dict.fromkeys((f"e{n}" for n in range(CALLERS)), None)
    assert [len(rows) for rows in store.appends] == [2, 2 * (CALLERS - 1)]
    assert sorted(store.appends[1][::2]) == sorted(f"e{n}" for n in range(1, CALLERS))
    assert store.appender is not None and store.appender.statistics.appends == 2


def test_a_failed_append_raises_in_every_caller_of_its_group() -> None:
    store = HeldStore(fail_second=True)
    outcome = run_callers(store)
    assert outcome["e0"] is None
    failed = [label for label, error in outcome.items() if error is not None]
    assert sorted(failed) == sorted(f"e{n}" for n in range(1, CALLERS))
    assert store.appends == [["e0", "e0:shadow"]]
    assert store.appender is not None
    store.fail_second = False
    store.appender.append({"event_id": ["later"]})  # the next group is unaffected
    assert store.appends[-1] == ["later"]


def test_rows_that_break_the_schema_raise_and_leave_the_appender_usable(tmp_path: Path) -> None:
    clock = EventTimeClock(datetime(2026, 3, 1, tzinfo=UTC))
    with DeltaEventStore(str(tmp_path / "events"), tmp_path / "spool", clock) as store:
        appender = GroupedAppender(store, "predictions", SERVED_PREDICTION_SCHEMA)
        row = {
            "event_id": ["e1"],
            "ts": [clock.now()],
            "entity": ["c1"],
            "model_version": [1],
            "route": ["champion"],
            "score": [0.25],
            "decision": [False],
            "latency_ms": [1.5],
            "raw_input": ["{}"],
            "features": ["{}"],
        }
        with pytest.raises(SchemaError, match="'model_version' holds str at row 0"):
            appender.append({**row, "event_id": ["bad"], "model_version": ["one"]})
        appender.append(row)
        store.flush()
        stored = store.read("predictions")
    assert stored["event_id"].to_list() == ["e1"]
    assert stored["score"].to_list() == [0.25]


class TurnStore:
    """Records each append and whether it was to wait for the disk; may fail."""

    def __init__(self) -> None:
        self.appends: list[tuple[list[str], bool]] = []
        self.fail = False

    def append_columns(
        self, table: str, columns: dict[str, list[str]], *, fsync: bool = True
    ) -> None:
        if self.fail:
            raise StorageError("event spool: disk I/O error (test)")
        self.appends.append((list(columns["event_id"]), fsync))


def test_submits_of_one_loop_turn_share_one_append_and_its_outcome() -> None:
    store = TurnStore()
    settled: list[tuple[list[int], bool]] = []
    appender = GroupedAppender(
        store,
        "predictions",
        SCHEMA,
        on_group_done=lambda tokens, durable: settled.append((tokens, durable)),
        fsync=False,
    )

    async def two_turns() -> list[BaseException | None]:
        await asyncio.gather(*(appender.submit({"event_id": [f"e{n}"]}, token=n) for n in range(3)))
        store.fail = True
        return await asyncio.gather(
            *(appender.submit({"event_id": [f"f{n}"]}, token=10 + n) for n in range(2)),
            return_exceptions=True,
        )

    second_turn = asyncio.run(two_turns())
    assert store.appends == [(["e0", "e1", "e2"], False)]
    assert settled == [([0, 1, 2], True), ([10, 11], False)]
    assert [type(outcome) for outcome in second_turn] == [StorageError, StorageError]


def test_submits_within_the_gap_after_an_append_wait_and_share_the_next_one() -> None:
    store = TurnStore()
    appender = GroupedAppender(store, "predictions", SCHEMA, fsync=False, min_gap_seconds=0.5)

    async def three_turns() -> None:
        await appender.submit({"event_id": ["a"]})  # after a quiet moment: at once
        waiting = appender.submit({"event_id": ["b"]})  # within the gap: waits for it
        await asyncio.sleep(0)
        assert store.appends == [(["a"], False)]
        joining = appender.submit({"event_id": ["c"]})  # a later turn, same gap
        await asyncio.gather(waiting, joining)

    asyncio.run(three_turns())
    assert store.appends == [(["a"], False), (["b", "c"], False)]
