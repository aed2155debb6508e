"""Giving a spool's disk space back after flushes, a little at a time.

SQLite keeps the pages of deleted rows in the file for reuse: a spool that once held a
large backlog (or a few huge rows) kept its size after every flush. A spool is created with
``auto_vacuum=INCREMENTAL``, so free pages can be handed back to the file system in steps:
:func:`release_pages` releases a few pages per transaction (about 0.3 ms for 64), and the
spool pauses between steps so that appends take the write lock in between. The file
shrinks when the write-ahead log is next copied into it; :func:`truncate_log` then empties
the log too, when no other connection is in the way (it never waits for one).

A spool created before this (``auto_vacuum=NONE``) is converted once when opened
(:func:`convert_to_incremental`, a ``VACUUM``), but only when its live content is small
(the ``VACUUM`` rewrites it while holding the write lock) and no other process is writing;
otherwise it keeps its size, as before, until a later open converts it.

>>> import sqlite3, tempfile, os
>>> connection = sqlite3.connect(os.path.join(tempfile.mkdtemp(), "db"), isolation_level=None)
>>> connection.execute("PRAGMA auto_vacuum=NONE").close()
>>> connection.execute("CREATE TABLE t (x)").close()
>>> convert_to_incremental(connection, max_live_bytes=1 << 20)
True
>>> connection.execute("PRAGMA auto_vacuum").fetchone()[0] == INCREMENTAL
True
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass

from watchkeeper.storage.events.sqlite_write_lock import begin_immediate

INCREMENTAL = 2
"""``PRAGMA auto_vacuum``'s value for INCREMENTAL."""


@dataclass(frozen=True)
class FileSpace:
    """A SQLite file's pages: all of them, the free ones, their size in bytes, and whether
    free pages can be given back (``auto_vacuum=INCREMENTAL``)."""

    pages: int
    free_pages: int
    page_size: int
    incremental: bool


def file_space(connection: sqlite3.Connection) -> FileSpace:
    """How many pages the file has, how many are free, their size, and its vacuum mode."""
    pages = connection.execute("PRAGMA page_count").fetchone()[0]
    free = connection.execute("PRAGMA freelist_count").fetchone()[0]
    size = connection.execute("PRAGMA page_size").fetchone()[0]
    mode = connection.execute("PRAGMA auto_vacuum").fetchone()[0]
    return FileSpace(int(pages), int(free), int(size), mode == INCREMENTAL)


def release_pages(connection: sqlite3.Connection, pages: int, *, timeout: float = 60.0) -> None:
    """Hand up to ``pages`` free pages back to the file system, in one transaction.

    ``connection`` has a busy timeout of 0 (its writes retry by themselves). Python's
    ``sqlite3`` steps a statement that returns nothing only once, and one step of
    ``incremental_vacuum`` releases one page: hence one statement per page.
    """
    begin_immediate(connection, timeout=timeout, without_busy_timeout=True)
    try:
        for _ in range(pages):
            connection.execute("PRAGMA incremental_vacuum(1)").close()
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
        raise


def truncate_log(connection: sqlite3.Connection) -> bool:
    """Copy the write-ahead log into the file and empty it; whether it was emptied.

    A passive checkpoint first copies what it can without blocking anyone; the truncating
    one, on a connection with busy timeout 0, then gives up at once (returns False) rather
    than wait while another connection writes or reads an older snapshot.
    """
    try:
        connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        (busy, _, _) = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.OperationalError:
        return False
    return int(busy) == 0


def convert_to_incremental(connection: sqlite3.Connection, *, max_live_bytes: int) -> bool:
    """Switch a file made without ``auto_vacuum`` to INCREMENTAL (a ``VACUUM``); whether it
    is INCREMENTAL now.

    Does nothing (False) when more than ``max_live_bytes`` are in use, or when another
    connection holds a lock (tried once, without waiting).
    """
    space = file_space(connection)
    if space.incremental:
        return True
    if (space.pages - space.free_pages) * space.page_size > max_live_bytes:
        return False
    previous = connection.execute("PRAGMA busy_timeout").fetchone()[0]
    connection.execute("PRAGMA busy_timeout = 0")
    try:
        connection.execute("PRAGMA auto_vacuum=INCREMENTAL")
        connection.execute("VACUUM")
    except sqlite3.OperationalError:
        return False
    finally:
        connection.execute(f"PRAGMA busy_timeout = {int(previous)}")
    return bool(connection.execute("PRAGMA auto_vacuum").fetchone()[0] == INCREMENTAL)


__all__ = [
    "INCREMENTAL",
    "FileSpace",
    "convert_to_incremental",
    "file_space",
    "release_pages",
    "truncate_log",
]
