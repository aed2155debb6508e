"""Taking SQLite's write lock with short retries; the busy timeout is left as it was."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from watchkeeper.storage.sqlite_write_lock import begin_immediate


def connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, timeout=30.0, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    return connection


def test_the_lock_is_taken_soon_after_the_holder_commits(tmp_path: Path) -> None:
    holder, waiter = connect(tmp_path / "db"), connect(tmp_path / "db")
    holder.execute("BEGIN IMMEDIATE")
    released = threading.Timer(0.05, lambda: holder.execute("COMMIT"))
    released.start()
    started = time.monotonic()
    begin_immediate(waiter)
    waited = time.monotonic() - started
    assert waiter.in_transaction
    assert 0.04 <= waited < 1.0
    waiter.execute("COMMIT")
    released.join()
    assert waiter.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000


def test_a_lock_never_released_raises_after_the_timeout(tmp_path: Path) -> None:
    holder, waiter = connect(tmp_path / "db"), connect(tmp_path / "db")
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        begin_immediate(waiter, timeout=0.05)
    assert not waiter.in_transaction
    assert waiter.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000
    holder.execute("ROLLBACK")
