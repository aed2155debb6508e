"""The crash-safe spool: acknowledged rows wait here, on local disk, until Delta has them.

The spool is a SQLite file in WAL mode with ``synchronous=FULL``. Each :meth:`Spool.append`
stores one entry: the table name, the row count, the clock's time and the rows as an Arrow
IPC stream. When ``append`` returns, the entry is on disk and survives ``kill -9`` (and, with
``synchronous=FULL``, a power cut). An append with ``fsync=False`` (the service's prediction
log) is committed without waiting for the disk: it survives ``kill -9`` of any process, not
necessarily a power cut (:meth:`Spool.append_payload`).

Group commit: appends made concurrently from several threads share one SQLite transaction
(and so one fsync). The first caller writes every entry queued at that moment; those who
arrive while it writes queue up for the next group. Each call returns only once its own group
is committed, so the acknowledgement means the same as before, at a fraction of the cost
under concurrency. A group that fails raises in every one of its callers, and none of its
entries is stored.

Entry ids come from ``AUTOINCREMENT``: they only grow, are never reused, and SQLite's single
writer makes them grow in commit order. So "every entry up to id N" is a well-defined prefix,
which is what the event store records in Delta to commit each entry exactly once.

Several processes may share one spool file; :meth:`Spool.exclusive` gives the lock under
which one of them at a time moves entries to Delta.

>>> import tempfile
>>> from datetime import datetime, timezone
>>> from pathlib import Path
>>> import pyarrow as pa
>>> spool = Spool(Path(tempfile.mkdtemp()) / "events.spool", owner="/data/events")
>>> now = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> spool.append("outcomes", pa.table({"event_id": ["e1", "e2"]}), created_at=now).entry_id
1
>>> [entry.rows.num_rows for entry in spool.take("outcomes", after_entry_id=0, max_rows=10)]
[2]
>>> spool.forget_through("outcomes", 1)
1
>>> spool.backlog().rows
0
>>> spool.close()
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyarrow as pa

from watchkeeper.clock import as_utc, from_epoch_microseconds, to_epoch_microseconds
from watchkeeper.errors import StorageError
from watchkeeper.storage.events.column_payload import (
    ColumnDocument,
    documents_to_table,
    is_column_payload,
    parse_column_payload,
)
from watchkeeper.storage.events.file_lock import FileLock
from watchkeeper.storage.events.spool_dead_letters import (
    DEAD_LETTERS_SCHEMA,
    DeadLetter,
    SetAside,
    count_rows,
    read,
    set_aside_statements,
)
from watchkeeper.storage.events.spool_owner import follows_a_copy, owner_record, recorded_owner
from watchkeeper.storage.events.spool_space import (
    convert_to_incremental,
    file_space,
    release_pages,
    truncate_log,
)
from watchkeeper.storage.events.sqlite_write_lock import (
    connect_for_writes,
    execute_retrying,
    write_together,
)

logger = logging.getLogger(__name__)

SPOOL_FORMAT = "2"
"""Format 2 adds entries of checked JSON columns; a format-1 spool (Arrow IPC entries only)
is read as it is and marked format 2 when opened."""
_READABLE_FORMATS = ("1", SPOOL_FORMAT)

_WAL_ATTEMPTS = 400

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS spool_identity (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS entries ("
    " entry_id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " table_name TEXT NOT NULL,"
    " row_count INTEGER NOT NULL,"
    " created_at_us INTEGER NOT NULL,"
    " payload BLOB NOT NULL)",
    "CREATE INDEX IF NOT EXISTS entries_by_table ON entries (table_name, entry_id)",
    DEAD_LETTERS_SCHEMA,
)


@dataclass(frozen=True)
class SpoolReceipt:
    """The acknowledgement of one durable spool entry."""

    entry_id: int
    table: str
    row_count: int
    created_at: datetime


@dataclass
class _PendingEntry:
    """An append waiting for its group's commit."""

    table: str
    row_count: int
    created_at_us: int
    payload: memoryview
    entry_id: int | None = None
    error: StorageError | None = None
    done: bool = False


@dataclass(frozen=True)
class SpoolEntry:
    """One pending entry with its rows, as read back for committing.

    An entry of Arrow rows has them in ``arrow``; an entry of checked JSON columns has its
    parsed ``document`` (many of them become one table at once: see
    :func:`~watchkeeper.storage.events.column_payload.documents_to_table`). :attr:`rows` gives
    either as a table. An entry whose payload cannot be read has neither, and says why in
    ``unreadable`` (the flush sets it aside as a dead letter).
    """

    entry_id: int
    table: str
    created_at: datetime
    row_count: int
    arrow: pa.Table | None = None
    document: ColumnDocument | None = None
    unreadable: str | None = None

    @property
    def rows(self) -> pa.Table:
        """The entry's rows as an Arrow table (ValueError if it cannot be read)."""
        if self.arrow is not None:
            return self.arrow
        if self.document is None:
            raise ValueError(self.unreadable or f"entry {self.entry_id} holds no rows")
        return documents_to_table([self.document])


@dataclass(frozen=True)
class SpoolBacklog:
    """What waits in the spool: entries, rows, and when the oldest was written; and, not
    waiting any more, the rows set aside as dead letters."""

    entries: int
    rows: int
    oldest_created_at: datetime | None
    dead_letter_rows: int = 0


class Spool:
    """A SQLite-backed, multi-process, crash-safe queue of Arrow row batches.

    ``owner`` names the event store the spool feeds; opening a spool with another owner
    raises :class:`StorageError`, so rows can never be replayed into the wrong store.
    """

    def __init__(self, path: Path, owner: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._group = threading.Condition(threading.Lock())
        self._queue: list[_PendingEntry] = []
        self._writing = False
        self._group_commits = 0
        self._read_lock = threading.Lock()
        self._read_connection: sqlite3.Connection | None = None
        self._append_connection: sqlite3.Connection | None = None
        self._unsynced_lock = threading.Lock()
        self._unsynced_connection: sqlite3.Connection | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._connection = sqlite3.connect(
                path, timeout=60.0, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as error:
            raise StorageError(f"cannot open the event spool {path}: {error}") from error
        try:
            self._spool_id = self._initialise(owner)
        except sqlite3.OperationalError as error:
            self._connection.close()
            raise StorageError(f"cannot open the event spool {path}: {error}") from error
        except sqlite3.DatabaseError as error:
            self._connection.close()
            raise StorageError(
                f"the event spool {path} is corrupt or not a spool ({error}); move it aside "
                f"to start a new one (its unflushed rows would be lost)"
            ) from error
        except StorageError:
            self._connection.close()
            raise

    @property
    def spool_id(self) -> str:
        """A random id fixed when the spool file was created; names it in Delta commits."""
        return self._spool_id

    def append(self, table: str, rows: pa.Table, created_at: datetime) -> SpoolReceipt:
        """Store ``rows`` for ``table`` durably; return once they are on disk.

        ``created_at`` is the caller's clock time, kept to measure how long rows wait.
        Concurrent calls are committed together (see the module).
        """
        return self.append_payload(table, rows.num_rows, ipc_payload(rows), created_at)

    def append_payload(
        self,
        table: str,
        row_count: int,
        payload: bytes | memoryview,
        created_at: datetime,
        *,
        fsync: bool = True,
    ) -> SpoolReceipt:
        """:meth:`append` of rows already encoded: an Arrow IPC stream, or checked JSON
        columns (:func:`~watchkeeper.storage.events.column_payload.encode_columns`).

        ``fsync=False``: committed at once in a transaction of its own, on a connection with
        ``synchronous=NORMAL``: the entry is in the write-ahead log, through the operating
        system, when this returns, so it survives the crash of any process (``kill -9``) but
        not necessarily a machine crash or power cut. No fsync: a call takes tens of
        microseconds, short enough for an event loop to make itself (the service's
        prediction log); about once per 1,000 pages of log, the call also copies the log
        into the file (SQLite's automatic checkpoint), which keeps the log from growing.
        """
        created_at = as_utc(created_at)
        if not fsync:
            return self._append_unsynced(table, row_count, payload, created_at)
        pending = _PendingEntry(
            table, row_count, to_epoch_microseconds(created_at), memoryview(payload)
        )
        with self._group:
            self._queue.append(pending)
            while not pending.done:
                if self._writing:
                    self._group.wait()
                    continue
                self._writing = True
                group, self._queue = self._queue, []
                self._group.release()
                try:
                    self._commit_group(group)
                finally:
                    self._group.acquire()
                    self._writing = False
                    self._group.notify_all()
        if pending.error is not None:
            raise pending.error
        assert pending.entry_id is not None
        return SpoolReceipt(pending.entry_id, table, row_count, created_at)

    def _append_unsynced(
        self, table: str, row_count: int, payload: bytes | memoryview, created_at: datetime
    ) -> SpoolReceipt:
        values = (table, row_count, to_epoch_microseconds(created_at), payload)
        with self._unsynced_lock:
            try:
                (entry_id,) = write_together(
                    self._unsynced(), [(_INSERT, values)], pause=UNSYNCED_RETRY_SECONDS
                )
            except sqlite3.DatabaseError as error:
                raise StorageError(f"event spool {self.path}: {error} (in: append)") from error
        return SpoolReceipt(int(entry_id or 0), table, row_count, created_at)

    def _unsynced(self) -> sqlite3.Connection:
        """The connection of the writes that do not wait for the disk (under
        ``_unsynced_lock``)."""
        if self._unsynced_connection is None:
            connection = connect_for_writes(self.path, synchronous="NORMAL")
            # Where SQLite is built to zero deleted content (Debian's is), each forgotten
            # entry's pages were rewritten into the log: 1.36 ms per 100 entries of 6 KB,
            # against 0.13 ms with FAST, which zeroes only what costs no extra writes.
            connection.execute("PRAGMA secure_delete=FAST")
            connection.execute(f"PRAGMA journal_size_limit={LOG_BYTES_KEPT}")
            self._unsynced_connection = connection
        return self._unsynced_connection

    @property
    def group_commits(self) -> int:
        """How many transactions :meth:`append` has committed (each one fsync)."""
        return self._group_commits

    def _commit_group(self, group: list[_PendingEntry]) -> None:
        """Insert ``group`` in one transaction; mark every entry done (or failed)."""
        error: StorageError | None = None
        with self._lock:
            try:  # short retries: the other workers hold the lock for an fsync at a time
                row_ids = write_together(
                    self._appender(), [(_INSERT, _insert_values(entry)) for entry in group]
                )
                for entry, row_id in zip(group, row_ids, strict=True):
                    entry.entry_id = row_id
                self._group_commits += 1
            except (sqlite3.DatabaseError, StorageError) as failure:
                error = StorageError(f"event spool {self.path}: {failure} (in: append)")
            except BaseException as failure:  # not ours: the group was rolled back all the same
                error = StorageError(f"event spool {self.path}: append interrupted: {failure}")
        for entry in group:
            if error is not None:
                entry.entry_id = None
                entry.error = error
            entry.done = True

    def tables(self) -> list[str]:
        """Names of the tables with pending entries, sorted."""
        with self._lock:
            found = self._execute("SELECT DISTINCT table_name FROM entries ORDER BY table_name")
            return [str(name) for (name,) in found.fetchall()]

    def backlog(self) -> SpoolBacklog:
        """Count what is pending, over all tables."""
        with self._lock:
            found = self._execute(
                "SELECT COUNT(*), COALESCE(SUM(row_count), 0), MIN(created_at_us) FROM entries"
            ).fetchone()
            try:
                dead = count_rows(self._connection)
            except sqlite3.DatabaseError as error:
                raise StorageError(f"event spool {self.path}: {error} (in: SELECT)") from error
        entries, rows, oldest = found
        oldest_at = None if oldest is None else from_epoch_microseconds(int(oldest))
        return SpoolBacklog(int(entries), int(rows), oldest_at, dead)

    def newest_entry_id(self, table: str) -> int:
        """The id of the newest pending entry of ``table`` (0 when none is pending)."""
        with self._lock:
            found = self._execute(
                "SELECT COALESCE(MAX(entry_id), 0) FROM entries WHERE table_name = ?", (table,)
            ).fetchone()
        return int(found[0])

    def take(
        self,
        table: str,
        after_entry_id: int,
        max_rows: int,
        through_entry_id: int | None = None,
    ) -> list[SpoolEntry]:
        """Read the oldest pending entries of ``table`` past ``after_entry_id`` (and up to
        ``through_entry_id``, if given), in id order.

        Stops before ``max_rows`` would be exceeded, but always returns at least one entry
        when any is pending. Entries stay in the spool until :meth:`forget_through`. Reads
        go through a connection of their own (WAL readers do not block the writer), so
        appends go on while a flush reads and decodes.
        """
        raw: list[tuple[int, int, int, bytes]] = []
        total = 0
        with self._read_lock:
            try:
                found = self._reader().execute(
                    "SELECT entry_id, row_count, created_at_us, payload FROM entries"
                    " WHERE table_name = ? AND entry_id > ? AND entry_id <= ? ORDER BY entry_id",
                    (
                        table,
                        after_entry_id,
                        _NO_ENTRY_LIMIT if through_entry_id is None else through_entry_id,
                    ),
                )
                for entry_id, row_count, created_at_us, payload in found:
                    if raw and total + int(row_count) > max_rows:
                        break
                    raw.append((int(entry_id), int(row_count), int(created_at_us), payload))
                    total += int(row_count)
                found.close()
            except sqlite3.DatabaseError as error:
                raise StorageError(f"event spool {self.path}: {error} (in: SELECT)") from error
        return [
            self._decode(
                entry_id, table, row_count, from_epoch_microseconds(created_at_us), payload
            )
            for entry_id, row_count, created_at_us, payload in raw
        ]

    def _reader(self) -> sqlite3.Connection:
        if self._read_connection is None:
            self._read_connection = sqlite3.connect(
                self.path, timeout=60.0, isolation_level=None, check_same_thread=False
            )
        return self._read_connection

    def forget_through(self, table: str, entry_id: int) -> int:
        """Delete the entries of ``table`` up to ``entry_id`` (committed); return how many.

        In transactions of :data:`FORGET_CHUNK` entries, with a pause between them in which
        waiting appends take the lock, on the unsynced connection (``secure_delete=FAST``):
        each holds the write lock for about 0.1 ms. Deleting 1,000 entries in one
        transaction held it for 10-13 ms, so the appends of a service under load waited that
        long again and again through each flush (one worker at 3,100 requests a second, two
        pairs of runs: p99 latency 6.4 and 12.3 ms in chunks of 100, 23.7 and 17.2 ms in
        chunks of 1,000 without a pause). They are committed without waiting for the disk
        (``synchronous=NORMAL``): a forget lost in a machine crash leaves entries that Delta
        already has, which the next flush finds there and forgets again.
        """
        deleted = 0
        while True:
            with self._unsynced_lock:
                try:
                    cursor = execute_retrying(
                        self._unsynced(), _FORGET_CHUNK, (table, entry_id, FORGET_CHUNK)
                    )
                except sqlite3.DatabaseError as error:
                    raise StorageError(f"event spool {self.path}: {error} (in: DELETE)") from error
            deleted += int(cursor.rowcount)
            if cursor.rowcount < FORGET_CHUNK:
                return deleted
            time.sleep(FORGET_PAUSE_SECONDS)

    def set_aside(self, table: str, pieces: list[SetAside], at: datetime) -> None:
        """Move rows the event store cannot write to the dead letters, in one transaction
        (:mod:`~watchkeeper.storage.events.spool_dead_letters`); an entry set aside whole leaves
        the spool. Setting the same rows aside again changes nothing."""
        if not pieces:
            return
        with self._lock:
            try:
                write_together(self._appender(), set_aside_statements(table, pieces, as_utc(at)))
            except sqlite3.DatabaseError as error:
                raise StorageError(
                    f"event spool {self.path}: {error} (in: dead letters)"
                ) from error

    def dead_letters(self, limit: int | None = None) -> list[DeadLetter]:
        """The rows set aside as dead letters, newest first (at most ``limit``)."""
        with self._lock:
            try:
                return read(self._connection, limit)
            except sqlite3.DatabaseError as error:
                raise StorageError(f"event spool {self.path}: {error} (in: SELECT)") from error

    def reclaim_space(self) -> int:
        """Give the free pages beyond :data:`FREE_BYTES_KEPT` back to the file system;
        return how many pages were released.

        In transactions of :data:`RECLAIM_STEP_PAGES` pages on the unsynced connection (a
        few tenths of a millisecond each), with a pause of :data:`RECLAIM_PAUSE_SECONDS`
        between them in which appends take the write lock; then the write-ahead log is
        copied into the file and emptied if no other connection is in the way
        (:mod:`~watchkeeper.storage.events.spool_space`). For the process that flushes, after a
        flush.
        """
        released = 0
        while True:
            with self._unsynced_lock:
                try:
                    connection = self._unsynced()
                    space = file_space(connection)
                    kept = FREE_BYTES_KEPT // space.page_size
                    step = min(RECLAIM_STEP_PAGES, space.free_pages - kept)
                    if step > 0 and space.incremental:
                        release_pages(connection, step)
                    else:  # nothing to give back, or a spool not converted (see spool_space)
                        step = 0
                except sqlite3.DatabaseError as error:
                    raise StorageError(f"event spool {self.path}: {error} (in: VACUUM)") from error
            if step <= 0:
                break
            released += step
            time.sleep(RECLAIM_PAUSE_SECONDS)
        if released:  # on a connection of its own: appends need not wait for the checkpoint
            try:
                with contextlib.closing(
                    sqlite3.connect(self.path, timeout=0, isolation_level=None)
                ) as checkpointer:
                    truncate_log(checkpointer)
            except sqlite3.Error as error:
                logger.info("event spool %s: the log was not emptied: %s", self.path, error)
        return released

    def exclusive(self) -> FileLock:
        """The inter-process lock under which one process at a time drains this spool."""
        return FileLock(self.path.with_name(self.path.name + ".lock"))

    def close(self) -> None:
        """Close the SQLite connections (pending entries stay on disk)."""
        with self._lock:
            self._connection.close()
            if self._append_connection is not None:
                self._append_connection.close()
                self._append_connection = None
        with self._unsynced_lock:
            if self._unsynced_connection is not None:
                self._unsynced_connection.close()
                self._unsynced_connection = None
        with self._read_lock:
            if self._read_connection is not None:
                self._read_connection.close()
                self._read_connection = None

    def _initialise(self, owner: str) -> str:
        connection = self._connection
        connection.execute("PRAGMA auto_vacuum=INCREMENTAL")  # takes effect in a new file only
        _enable_write_ahead_log(connection)
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute(f"PRAGMA journal_size_limit={LOG_BYTES_KEPT}")
        folder = self.path.parent.resolve()
        record = owner_record(owner, folder)
        connection.execute("BEGIN IMMEDIATE")
        try:
            for statement in _SCHEMA:
                connection.execute(statement)
            for key, value in (
                ("format", SPOOL_FORMAT),
                ("spool_id", uuid.uuid4().hex),
                ("owner", record),
            ):
                connection.execute(
                    "INSERT OR IGNORE INTO spool_identity (key, value) VALUES (?, ?)", (key, value)
                )
            identity = dict(connection.execute("SELECT key, value FROM spool_identity").fetchall())
            if identity.get("format") in _READABLE_FORMATS and identity["format"] != SPOOL_FORMAT:
                connection.execute(  # an older version would misread the new entries
                    "UPDATE spool_identity SET value = ? WHERE key = 'format'", (SPOOL_FORMAT,)
                )
                identity["format"] = SPOOL_FORMAT
            if identity["owner"] != record and (
                identity["owner"] == owner
                or follows_a_copy(identity["owner"], owner, folder / self.path.name)
            ):  # an absolute owner, from before owners were recorded relative
                connection.execute(
                    "UPDATE spool_identity SET value = ? WHERE key = 'owner'", (record,)
                )
                identity["owner"] = record
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        if identity.get("format") != SPOOL_FORMAT:
            raise StorageError(
                f"the event spool {self.path} has format {identity.get('format')!r}; "
                f"this version of watchkeeper reads format {SPOOL_FORMAT!r}"
            )
        if identity["owner"] != record:
            recorded = recorded_owner(identity["owner"], folder)
            raise StorageError(
                f"the event spool {self.path} feeds the event store {recorded!r}, "
                f"not {owner!r}: give each event store its own spool"
            )
        convert_to_incremental(connection, max_live_bytes=CONVERT_LIVE_BYTES)
        return str(identity["spool_id"])

    def _appender(self) -> sqlite3.Connection:
        """The connection of the appends (the caller holds ``_lock``; nothing else runs on it)."""
        if self._append_connection is None:
            try:
                self._append_connection = connect_for_writes(self.path, synchronous="FULL")
                self._append_connection.execute(f"PRAGMA journal_size_limit={LOG_BYTES_KEPT}")
            except sqlite3.Error as error:
                raise StorageError(f"cannot open the event spool {self.path}: {error}") from error
        return self._append_connection

    def _execute(self, statement: str, parameters: tuple[object, ...] = ()) -> sqlite3.Cursor:
        try:
            return self._connection.execute(statement, parameters)
        except sqlite3.DatabaseError as error:
            raise StorageError(
                f"event spool {self.path}: {error} (in: {statement.split()[0]})"
            ) from error

    def _decode(
        self, entry_id: int, table: str, row_count: int, created_at: datetime, payload: bytes
    ) -> SpoolEntry:
        try:
            if is_column_payload(payload):
                document = parse_column_payload(payload)
                return SpoolEntry(entry_id, table, created_at, row_count, document=document)
            with pa.ipc.open_stream(payload) as reader:
                arrow = reader.read_all()
            return SpoolEntry(entry_id, table, created_at, row_count, arrow=arrow)
        except (pa.ArrowInvalid, OSError, ValueError) as error:
            reason = f"entry {entry_id} is corrupt and cannot be read: {error}"
            return SpoolEntry(entry_id, table, created_at, row_count, unreadable=reason)


FORGET_CHUNK = 100
"""Entries deleted per transaction once committed to Delta (about 0.1 ms each)."""
FORGET_PAUSE_SECONDS = 0.0002
"""The pause between two of a flush's deletions, in which waiting appends take the lock."""
FREE_BYTES_KEPT = 8 * 1024 * 1024
"""Free space a spool keeps after a flush, for the next appends; the rest is given back."""
RECLAIM_STEP_PAGES = 64
"""Pages given back per transaction (about 0.3 ms of write lock)."""
RECLAIM_PAUSE_SECONDS = 0.001
"""The pause between two steps of giving space back, in which appends take the lock."""
LOG_BYTES_KEPT = 4 * 1024 * 1024
"""``journal_size_limit``: the write-ahead log is cut back to this size when it restarts
(a large transaction had grown it), about the size of SQLite's automatic checkpoints."""
CONVERT_LIVE_BYTES = 64 * 1024 * 1024
"""The most content a spool made without ``auto_vacuum`` may hold to be converted at open
(a ``VACUUM``, under the write lock: tens of milliseconds per 10 MB)."""
UNSYNCED_RETRY_SECONDS = 0.00005
"""How often an unsynced append (on an event loop) tries again while another process
writes (each holds the lock for tens of microseconds)."""
_FORGET_CHUNK = (
    "DELETE FROM entries WHERE entry_id IN (SELECT entry_id FROM entries"
    " WHERE table_name = ? AND entry_id <= ? ORDER BY entry_id LIMIT ?)"
)
_NO_ENTRY_LIMIT = 2**63 - 1
"""Past every entry id (SQLite's largest integer)."""
_INSERT = "INSERT INTO entries (table_name, row_count, created_at_us, payload) VALUES (?, ?, ?, ?)"


def _insert_values(entry: _PendingEntry) -> tuple[object, ...]:
    return (entry.table, entry.row_count, entry.created_at_us, entry.payload)


def _enable_write_ahead_log(connection: sqlite3.Connection) -> None:
    # Switching a new file to WAL needs an exclusive lock, and SQLite reports a concurrent
    # switch as "locked" at once, without waiting: processes opening a new spool together
    # take turns here.
    for attempt in range(_WAL_ATTEMPTS):
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt + 1 == _WAL_ATTEMPTS:
                raise
            time.sleep(0.005 * min(attempt + 1, 20))


def ipc_payload(rows: pa.Table) -> memoryview:
    """``rows`` as a spool payload: an Arrow IPC stream."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, rows.schema) as writer:
        writer.write_table(rows)
    return memoryview(sink.getvalue())


__all__ = [
    "DeadLetter",
    "SetAside",
    "Spool",
    "SpoolBacklog",
    "SpoolEntry",
    "SpoolReceipt",
    "ipc_payload",
]
