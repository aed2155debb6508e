"""Taking SQLite's write lock with short retries; the busy timeout is left as it was."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from watchkeeper.storage.events.sqlite_write_lock import begin_immediate


def connect(path: Path, timeout: float = 30.0) -> sqlite3.Connection:
    connection = sqlite3.connect(
        path, isolation_level=None, timeout=timeout, check_same_thread=False
    )
    connection.execute("PRAGMA journal_mode=WAL")
    return connection


@pytest.mark.parametrize("busy_timeout", [30.0, 0.0], ids=["own_timeout", "timeout_0"])
def test_the_lock_is_taken_soon_after_the_holder_commits(
    tmp_path: Path, busy_timeout: float
) -> None:
    holder, waiter = connect(tmp_path / "db"), connect(tmp_path / "db", busy_timeout)
    holder.execute("BEGIN IMMEDIATE")
    committed = threading.Event()

    def commit() -> None:
        holder.execute("COMMIT")
        committed.set()

    released = threading.Timer(0.05, commit)
    released.start()
    begin_immediate(waiter, without_busy_timeout=busy_timeout == 0)
    assert waiter.in_transaction
    # The waiter waited for the holder and got the lock after its COMMIT. The holder leaves
    # its transaction (SQLite's autocommit flag) before the lock is released; the event is
    # set only after ``execute`` returns, which may come after the waiter holds the lock.
    assert not holder.in_transaction
    waiter.execute("COMMIT")
    released.join()
    assert committed.is_set()
    expected = int(busy_timeout * 1000)
    assert waiter.execute("PRAGMA busy_timeout").fetchone()[0] == expected


def test_a_lock_never_released_raises_after_the_timeout(tmp_path: Path) -> None:
    holder, waiter = connect(tmp_path / "db"), connect(tmp_path / "db")
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        begin_immediate(waiter, timeout=0.05)
    assert not waiter.in_transaction
    assert waiter.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000
    holder.execute("ROLLBACK")
