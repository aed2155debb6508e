"""Concurrent spool appends share one transaction; each returns once its group is durable."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from watchkeeper.errors import StorageError
from watchkeeper.storage.events import spool as spool_module
from watchkeeper.storage.events.spool import Spool, _PendingEntry, ipc_payload

NOW = datetime(2026, 1, 1, tzinfo=UTC)
THREADS = 12


def rows(label: str) -> pa.Table:
    return pa.table({"event_id": [label]})


def test_appends_arriving_during_a_commit_share_the_next_one(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "events.spool", owner="/data/events")
    original = spool._commit_group
    first = threading.Event()

    def held_commit(group: list[Any]) -> None:
        if not first.is_set():  # hold the first group until every other append has queued
            first.set()
            deadline = time.monotonic() + 10
            while len(spool._queue) < THREADS - 1 and time.monotonic() < deadline:
                time.sleep(0.001)
        original(group)

    spool._commit_group = held_commit  # type: ignore[method-assign]
    receipts: dict[str, int] = {}

    def append(label: str) -> None:
        receipts[label] = spool.append("predictions", rows(label), NOW).entry_id

    starter = threading.Thread(target=append, args=("e0",))
    starter.start()
    assert first.wait(10)
    others = [threading.Thread(target=append, args=(f"e{n}",)) for n in range(1, THREADS)]
    for thread in others:
        thread.start()
    for thread in [starter, *others]:
        thread.join(10)

    assert spool.group_commits == 2
    assert sorted(receipts.values()) == list(range(1, THREADS + 1))
    stored = spool.take("predictions", after_entry_id=0, max_rows=1000)
    assert {entry.rows["event_id"][0].as_py() for entry in stored} == set(receipts)
    assert {entry.entry_id: entry.rows["event_id"][0].as_py() for entry in stored} == {
        entry_id: label for label, entry_id in receipts.items()
    }
    spool.close()


def test_a_single_append_is_one_commit(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "events.spool", owner="/data/events")
    for number in range(3):
        assert spool.append("outcomes", rows(f"e{number}"), NOW).entry_id == number + 1
    assert spool.group_commits == 3
    spool.close()


def test_a_failed_group_stores_nothing_and_raises_in_its_caller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = Spool(tmp_path / "events.spool", owner="/data/events")

    def failing_write(*arguments: Any, **options: Any) -> Any:
        raise sqlite3.OperationalError("disk I/O error")

    with monkeypatch.context() as patch:  # one entry: one INSERT, its own transaction
        patch.setattr(spool_module, "write_together", failing_write)
        with pytest.raises(StorageError, match="disk I/O error"):
            spool.append("predictions", rows("lost"), NOW)
    assert spool.backlog().rows == 0
    assert spool.append("predictions", rows("kept"), NOW).row_count == 1
    assert [entry.rows["event_id"][0].as_py() for entry in spool.take("predictions", 0, 10)] == [
        "kept"
    ]
    spool.close()


def test_a_group_whose_commit_fails_stores_none_of_its_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = Spool(tmp_path / "events.spool", owner="/data/events")
    original = spool_module.write_together

    def failing_last(connection: Any, statements: Any, **options: Any) -> Any:
        # the group's inserts succeed, then a statement of the same transaction fails
        return original(connection, [*statements, ("INSERT INTO no_such_table VALUES (1)", ())])

    group = [
        _PendingEntry("predictions", 1, 0, memoryview(ipc_payload(rows(label)))) for label in "ab"
    ]
    with monkeypatch.context() as patch:  # two entries: one transaction, which fails
        patch.setattr(spool_module, "write_together", failing_last)
        spool._commit_group(group)
    assert all(entry.done and entry.entry_id is None for entry in group)
    assert all(entry.error is not None and "no_such_table" in str(entry.error) for entry in group)
    assert spool.backlog().rows == 0
    assert spool.append("predictions", rows("kept"), NOW).entry_id is not None
    assert spool.backlog().rows == 1
    spool.close()
