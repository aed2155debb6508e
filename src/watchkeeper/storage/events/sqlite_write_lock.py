"""Taking SQLite's write lock when other processes write the same file, without long sleeps.

SQLite's own busy handler (``sqlite3.connect(timeout=...)``) waits for a lock held by
another process by sleeping 1, 2, 5, 10, 15, 20, 25... ms between tries. Two service workers
sharing a spool or an online-state file each hold the write lock for well under a
millisecond at a time, so those sleeps, not the lock, set the wait: a request that meets
the other worker's commit waits 3 to 8 ms. :func:`begin_immediate` retries every
``pause`` seconds instead, up to ``timeout``, and leaves the connection's busy timeout as
it was for every other statement.

>>> import sqlite3, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "db")
>>> connection = sqlite3.connect(path, isolation_level=None, timeout=60.0)
>>> begin_immediate(connection)
>>> connection.in_transaction
True
>>> connection.execute("COMMIT").close()
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

DEFAULT_PAUSE = 0.0002
"""Seconds between tries while another connection holds the write lock."""


def begin_immediate(
    connection: sqlite3.Connection,
    *,
    timeout: float = 60.0,
    pause: float = DEFAULT_PAUSE,
    without_busy_timeout: bool = False,
) -> None:
    """``BEGIN IMMEDIATE`` on ``connection`` (autocommit mode), retrying every ``pause``.

    ``without_busy_timeout``: the connection was opened with ``timeout=0`` (a connection
    kept for these transactions), so its busy timeout need not be read, cleared and put back:
    three statements fewer, each of which gives the GIL away and may wait to get it back.
    Raises :class:`sqlite3.OperationalError` ("database is locked") after ``timeout`` seconds.
    """
    if without_busy_timeout:
        execute_retrying(connection, "BEGIN IMMEDIATE", timeout=timeout, pause=pause)
        return
    previous = connection.execute("PRAGMA busy_timeout").fetchone()[0]
    connection.execute("PRAGMA busy_timeout = 0")
    try:
        execute_retrying(connection, "BEGIN IMMEDIATE", timeout=timeout, pause=pause)
    finally:
        connection.execute(f"PRAGMA busy_timeout = {int(previous)}")


def execute_retrying(
    connection: sqlite3.Connection,
    statement: str,
    parameters: tuple[object, ...] = (),
    *,
    timeout: float = 60.0,
    pause: float = DEFAULT_PAUSE,
) -> sqlite3.Cursor:
    """``statement`` on a connection whose busy timeout is 0, tried again every ``pause``
    while another connection holds the lock it needs: a ``BEGIN IMMEDIATE``, or a single
    write in autocommit mode (its own transaction, which a busy error leaves unwritten).

    Raises :class:`sqlite3.OperationalError` ("database is locked") after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            return connection.execute(statement, parameters)
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                raise
            if time.monotonic() >= deadline:
                raise
            time.sleep(pause)


def connect_for_writes(path: str | Path, *, synchronous: str) -> sqlite3.Connection:
    """A connection kept for :func:`write_together`: busy timeout 0 (the writes retry by
    themselves), autocommit, shareable between threads, with ``PRAGMA synchronous``."""
    connection = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
    connection.execute(f"PRAGMA synchronous={synchronous}")
    return connection


def write_together(
    connection: sqlite3.Connection,
    statements: Sequence[tuple[str, tuple[object, ...]]],
    *,
    timeout: float = 60.0,
    pause: float = DEFAULT_PAUSE,
) -> list[int | None]:
    """Run ``statements`` on a :func:`connect_for_writes` connection, all or none; the
    ``lastrowid`` after each.

    One statement runs in its own transaction: one call into SQLite, so one release of the
    GIL (a scoring thread in the same process waits each time to get it back). Several run
    between ``BEGIN IMMEDIATE`` and ``COMMIT``, rolled back if any fails. Both wait for
    another connection's write lock in ``pause`` steps (:func:`execute_retrying`).

    >>> import tempfile, os
    >>> connection = connect_for_writes(os.path.join(tempfile.mkdtemp(), "db"), synchronous="FULL")
    >>> write_together(connection, [("CREATE TABLE t (x)", ())])
    [0]
    >>> write_together(connection, [("INSERT INTO t VALUES (?)", (1,))] * 2)
    [1, 2]
    """
    if len(statements) == 1:
        statement, parameters = statements[0]
        cursor = execute_retrying(connection, statement, parameters, timeout=timeout, pause=pause)
        return [cursor.lastrowid]
    begin_immediate(connection, timeout=timeout, pause=pause, without_busy_timeout=True)
    try:
        row_ids = [connection.execute(*statement).lastrowid for statement in statements]
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            with contextlib.suppress(sqlite3.Error):  # the statements fail as they are
                connection.execute("ROLLBACK")
        raise
    return row_ids


__all__ = [
    "DEFAULT_PAUSE",
    "begin_immediate",
    "connect_for_writes",
    "execute_retrying",
    "write_together",
]
