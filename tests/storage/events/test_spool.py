"""The spool on its own: durable entries, id order, backlog, identity and corruption."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from watchkeeper.errors import StorageError
from watchkeeper.storage.events import spool as spool_module
from watchkeeper.storage.events.spool import FORGET_CHUNK, FORGET_PAUSE_SECONDS, Spool, ipc_payload

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def rows(count: int) -> pa.Table:
    return pa.table({"event_id": [f"e{index}" for index in range(count)]})


@contextlib.contextmanager
def writes_in_pauses(path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Make every pause of the spool's writes (its ``time.sleep``) take the write lock from
    another connection, which must find it free: the pauses slept, in order."""
    other_writer = sqlite3.connect(path, timeout=0, isolation_level=None)
    written_in_pauses: list[float] = []

    def pause(seconds: float) -> None:  # the write lock must be free here: no waiting
        other_writer.execute("BEGIN IMMEDIATE")
        other_writer.execute("COMMIT")
        written_in_pauses.append(seconds)

    with monkeypatch.context() as patched:
        patched.setattr(spool_module.time, "sleep", pause)
        yield written_in_pauses
    other_writer.close()


def test_entries_survive_reopening_in_id_order(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db", owner="root")
    ids = [spool.append("transactions", rows(2), NOW).entry_id for _ in range(3)]
    spool_id = spool.spool_id
    spool.close()

    reopened = Spool(tmp_path / "spool.db", owner="root")
    assert reopened.spool_id == spool_id
    assert ids == sorted(ids) and len(set(ids)) == 3
    taken = reopened.take("transactions", after_entry_id=0, max_rows=100)
    assert [entry.entry_id for entry in taken] == ids
    assert taken[0].rows.equals(rows(2))
    assert taken[0].created_at == NOW
    reopened.close()


def test_take_respects_the_row_budget_but_always_returns_one(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db", owner="root")
    for count in (5, 5, 5):
        spool.append("transactions", rows(count), NOW)
    assert len(spool.take("transactions", 0, max_rows=10)) == 2
    assert len(spool.take("transactions", 0, max_rows=1)) == 1
    assert [entry.entry_id for entry in spool.take("transactions", 2, max_rows=100)] == [3]
    assert spool.take("outcomes", 0, max_rows=100) == []
    spool.close()


def test_forget_through_only_touches_one_table(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db", owner="root")
    spool.append("transactions", rows(1), NOW)
    spool.append("outcomes", rows(2), NOW + timedelta(minutes=1))
    spool.append("transactions", rows(3), NOW + timedelta(minutes=2))
    assert spool.tables() == ["outcomes", "transactions"]
    assert spool.forget_through("transactions", 3) == 2
    backlog = spool.backlog()
    assert (backlog.entries, backlog.rows, backlog.oldest_created_at) == (
        1,
        2,
        NOW + timedelta(minutes=1),
    )
    spool.close()


def test_forgetting_more_than_one_chunk_forgets_exactly_up_to_the_id(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db", owner="root")
    payload = ipc_payload(rows(1))
    for entry_id in range(1, 2 * FORGET_CHUNK + 11):  # even ids: transactions
        table = "transactions" if entry_id % 2 == 0 else "outcomes"
        assert spool.append_payload(table, 1, payload, NOW).entry_id == entry_id
    transactions = list(range(2, 2 * FORGET_CHUNK + 11, 2))
    last = 2 * FORGET_CHUNK + 5
    assert spool.forget_through("transactions", last) == len([i for i in transactions if i <= last])
    left = spool.take("transactions", 0, max_rows=10_000)
    assert [entry.entry_id for entry in left] == [i for i in transactions if i > last]
    assert len(spool.take("outcomes", 0, max_rows=10_000)) == FORGET_CHUNK + 5
    spool.close()


def test_forgetting_lets_other_writers_in_between_its_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "spool.db"
    spool = Spool(path, owner="root")
    payload = ipc_payload(rows(1))
    for _ in range(3 * FORGET_CHUNK + 1):
        spool.append_payload("outcomes", 1, payload, NOW)
    with writes_in_pauses(path, monkeypatch) as written_in_pauses:
        assert spool.forget_through("outcomes", 3 * FORGET_CHUNK + 1) == 3 * FORGET_CHUNK + 1
    assert written_in_pauses == [FORGET_PAUSE_SECONDS] * 3
    assert spool.backlog().entries == 0
    spool.close()


def test_forgetting_does_not_rewrite_the_forgotten_entries_pages(tmp_path: Path) -> None:
    path = tmp_path / "spool.db"
    spool = Spool(path, owner="root")
    payload = bytes(range(256)) * 24  # 6 KB: the rows of a few requests
    for _ in range(50):
        spool.append_payload("predictions", 1, payload, NOW)
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert path.with_name("spool.db-wal").stat().st_size == 0
    assert spool.forget_through("predictions", 50) == 50
    # zeroing the entries would log their 300 KB of pages again; the index pages are a few
    assert path.with_name("spool.db-wal").stat().st_size < 60_000
    spool.close()


def test_unsynced_appends_take_ids_in_order_with_the_synced_ones(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db", owner="root")
    payload = ipc_payload(rows(2))
    ids = [
        spool.append_payload("transactions", 2, payload, NOW, fsync=index % 2 == 0).entry_id
        for index in range(6)
    ]
    assert ids == list(range(1, 7))
    spool.close()
    reopened = Spool(tmp_path / "spool.db", owner="root")
    taken = reopened.take("transactions", 0, max_rows=100)
    assert [entry.entry_id for entry in taken] == ids
    assert taken[-1].rows.equals(rows(2))
    reopened.close()


def test_unsynced_appends_keep_the_write_ahead_log_bounded(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db", owner="root")
    payload = b"x" * 4096
    for _ in range(5000):  # 20 MB of entries, one transaction each
        spool.append_payload("transactions", 1, payload, NOW, fsync=False)
    # SQLite's automatic checkpoint (1,000 pages) keeps the log near 4 MB; without it the
    # log held every transaction's pages
    assert (tmp_path / "spool.db-wal").stat().st_size < 12 * 1024 * 1024
    assert spool.backlog().entries == 5000
    spool.close()


def test_ids_are_never_reused_after_forgetting(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db", owner="root")
    first = spool.append("transactions", rows(1), NOW).entry_id
    spool.forget_through("transactions", first)
    assert spool.append("transactions", rows(1), NOW).entry_id > first
    spool.close()


def test_two_handles_share_one_spool_file(tmp_path: Path) -> None:
    one = Spool(tmp_path / "spool.db", owner="root")
    two = Spool(tmp_path / "spool.db", owner="root")
    one.append("transactions", rows(1), NOW)
    two.append("transactions", rows(1), NOW)
    assert one.spool_id == two.spool_id
    assert [entry.entry_id for entry in one.take("transactions", 0, 100)] == [1, 2]
    one.close()
    two.close()


def test_a_spool_feeds_only_its_own_store(tmp_path: Path) -> None:
    Spool(tmp_path / "spool.db", owner="/data/events").close()
    with pytest.raises(StorageError, match="feeds the event store '/data/events', not '/other'"):
        Spool(tmp_path / "spool.db", owner="/other")


def test_a_file_that_is_not_a_spool_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "spool.db"
    path.write_bytes(b"this is not a SQLite database, just some text" * 100)
    with pytest.raises(StorageError, match=r"spool.db is corrupt or not a spool"):
        Spool(path, owner="root")


def test_a_corrupt_entry_is_named(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db", owner="root")
    spool.append("transactions", rows(1), NOW)
    with sqlite3.connect(tmp_path / "spool.db") as connection:
        connection.execute("UPDATE entries SET payload = x'00ff00ff'")
    (entry,) = spool.take("transactions", 0, 100)  # read, and named unreadable
    assert entry.unreadable is not None
    assert entry.unreadable.startswith("entry 1 is corrupt")
    with pytest.raises(ValueError, match="entry 1 is corrupt"):
        _ = entry.rows
    spool.close()


def test_an_unwritable_location_is_a_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError, match="cannot open the event spool"):
        Spool(blocker / "spool.db", owner="root")


OPEN_AT_ONCE = """
import sys, time
from pathlib import Path
from watchkeeper.storage.events.spool import FORGET_CHUNK, Spool, ipc_payload
start = float(sys.argv[2])
while time.time() < start:
    pass
Spool(Path(sys.argv[1]), owner="root").close()
"""


@pytest.mark.slow
def test_processes_creating_one_spool_at_once_all_succeed(tmp_path: Path) -> None:
    start = time.time() + 1.0  # the processes import first, then open together
    path = tmp_path / "spool.db"
    openers = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_AT_ONCE, str(path), str(start)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    for opener in openers:
        _, errors = opener.communicate(timeout=60)
        assert opener.returncode == 0, errors


def spool_bytes(path: Path) -> int:
    """The spool file and its write-ahead log, in bytes."""
    log = path.with_name(path.name + "-wal")
    return path.stat().st_size + (log.stat().st_size if log.exists() else 0)


def test_flushed_entries_give_their_space_back(tmp_path: Path) -> None:
    path = tmp_path / "spool.db"
    spool = Spool(path, owner="root")
    payload = b"x" * 4096
    for _ in range(6000):  # 24 MB, as a few huge rows would make it
        spool.append_payload("predictions", 1, payload, NOW, fsync=False)
    assert spool.forget_through("predictions", 6000) == 6000
    assert spool_bytes(path) > 20 * 1024 * 1024  # SQLite keeps the free pages
    assert spool.reclaim_space() > 0
    assert spool_bytes(path) < spool_module.FREE_BYTES_KEPT + 2 * 1024 * 1024
    assert spool.reclaim_space() == 0  # what is kept stays for the next appends
    spool.append_payload("predictions", 1, payload, NOW)
    assert spool.backlog().entries == 1
    spool.close()


def test_giving_space_back_lets_other_writers_in_between_its_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "spool.db"
    spool = Spool(path, owner="root")
    for _ in range(4000):
        spool.append_payload("predictions", 1, b"x" * 4096, NOW, fsync=False)
    spool.forget_through("predictions", 4000)
    with writes_in_pauses(path, monkeypatch) as written_in_pauses:
        released = spool.reclaim_space()
    steps = -(-released // spool_module.RECLAIM_STEP_PAGES)
    assert steps > 1
    assert written_in_pauses == [spool_module.RECLAIM_PAUSE_SECONDS] * steps
    spool.close()


def test_a_spool_made_without_auto_vacuum_is_converted_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "spool.db"
    Spool(path, owner="root").close()
    with sqlite3.connect(path, isolation_level=None) as connection:  # as older spools were
        connection.execute("PRAGMA auto_vacuum=NONE")
        connection.execute("VACUUM")
        assert connection.execute("PRAGMA auto_vacuum").fetchone()[0] == 0
    spool = Spool(path, owner="root")
    spool.append("transactions", rows(1), NOW)
    spool.close()
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA auto_vacuum").fetchone()[0] == 2  # INCREMENTAL


def test_a_spool_too_full_to_convert_keeps_working_and_its_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "spool.db"
    Spool(path, owner="root").close()
    with sqlite3.connect(path, isolation_level=None) as connection:
        connection.execute("PRAGMA auto_vacuum=NONE")
        connection.execute("VACUUM")
    monkeypatch.setattr(spool_module, "CONVERT_LIVE_BYTES", 0)  # as if it held a large backlog
    spool = Spool(path, owner="root")
    for _ in range(3000):
        spool.append_payload("predictions", 1, b"x" * 4096, NOW, fsync=False)
    spool.forget_through("predictions", 3000)
    assert spool.reclaim_space() == 0  # nothing to give back without auto_vacuum
    spool.close()
