"""A persistent state store in one SQLite file (one node; survives restarts).

Each key's state is one row, written as bytes (:mod:`~watchkeeper.features.state.codec`);
``put_many`` writes all its states in one transaction: up to :data:`ROWS_PER_STATEMENT` states
as one multi-row statement in its own transaction, on a connection kept for writes (busy
timeout 0, retried in short steps while another worker writes). One call into SQLite gives
the GIL away once, where ``BEGIN``, the writes and ``COMMIT`` gave it away at each step and
the scoring thread waited to get it back. WAL mode lets readers run beside the writer.

>>> import tempfile, pathlib
>>> from watchkeeper.features.entity_state import EntityState
>>> store = SqliteStateStore(pathlib.Path(tempfile.mkdtemp()) / "state.db")
>>> store.put_many({"k": EntityState(last_timestamp=7)})
>>> store.get_many(["k"])[0].last_timestamp
7
>>> store.close()
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path

from watchkeeper.errors import StorageError
from watchkeeper.features.entity_state import EntityState
from watchkeeper.features.state.codec import decode_state, encode_state
from watchkeeper.storage.events.sqlite_write_lock import (
    begin_immediate,
    connect_for_writes,
    write_together,
)

_CHUNK = 500  # keys per SELECT, below SQLite's limit on bound parameters
ROWS_PER_STATEMENT = 300
"""States written by one multi-row statement (3 bound parameters each, below SQLite's limit)."""


class SqliteStateStore:
    """Entity states in a SQLite file."""

    def __init__(self, path: Path, namespace: str = "watchkeeper") -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._connection = sqlite3.connect(
                str(path), isolation_level=None, check_same_thread=False
            )
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute("PRAGMA synchronous=NORMAL")
            self._connection.execute(
                "CREATE TABLE IF NOT EXISTS entity_state ("
                "namespace TEXT NOT NULL, key TEXT NOT NULL, state BLOB NOT NULL, "
                "PRIMARY KEY (namespace, key)) WITHOUT ROWID"
            )
        except (OSError, sqlite3.Error) as error:
            raise StorageError(f"{path}: cannot open the online state database: {error}") from None
        self._namespace = namespace
        self.path = path
        self._writer: sqlite3.Connection | None = None

    def get_many(self, keys: Sequence[str]) -> list[EntityState | None]:
        """The stored states, decoded afresh."""
        found: dict[str, bytes] = {}
        for offset in range(0, len(keys), _CHUNK):
            chunk = list(keys[offset : offset + _CHUNK])
            marks = ",".join("?" * len(chunk))
            rows = self._connection.execute(
                f"SELECT key, state FROM entity_state WHERE namespace = ? AND key IN ({marks})",
                [self._namespace, *chunk],
            )
            found.update(rows.fetchall())
        return [decode_state(found[key]) if key in found else None for key in keys]

    def put_many(self, states: Mapping[str, EntityState]) -> None:
        """Write the states in one transaction."""
        rows = [(self._namespace, key, encode_state(state)) for key, state in states.items()]
        statements = [
            (_upsert(len(chunk)), _flat(chunk))
            for offset in range(0, len(rows), ROWS_PER_STATEMENT)
            for chunk in [rows[offset : offset + ROWS_PER_STATEMENT]]
        ]
        if statements:
            write_together(self._write_connection(), statements)

    def delete_many(self, keys: Sequence[str]) -> None:
        """Forget the states of ``keys``."""
        with self._transaction():
            self._connection.executemany(
                "DELETE FROM entity_state WHERE namespace = ? AND key = ?",
                [(self._namespace, key) for key in keys],
            )

    def delete_range(self, low: str, high: str) -> None:
        """Forget the keys in ``[low, high)``: one range of the primary key."""
        with self._transaction():
            self._connection.execute(
                "DELETE FROM entity_state WHERE namespace = ? AND key >= ? AND key < ?",
                (self._namespace, low, high),
            )

    def size_of(self, key: str) -> int:
        """Bytes of the stored state of ``key``."""
        row = self._connection.execute(
            "SELECT length(state) FROM entity_state WHERE namespace = ? AND key = ?",
            (self._namespace, key),
        ).fetchone()
        return 0 if row is None else int(row[0])

    def close(self) -> None:
        """Close the database."""
        self._connection.close()
        if self._writer is not None:
            self._writer.close()

    def _write_connection(self) -> sqlite3.Connection:
        if self._writer is None:
            self._writer = connect_for_writes(self.path, synchronous="NORMAL")
        return self._writer

    def _transaction(self) -> _Transaction:
        return _Transaction(self._connection)


def _upsert(rows: int) -> str:
    values = ",".join(["(?, ?, ?)"] * rows)
    return f"INSERT OR REPLACE INTO entity_state (namespace, key, state) VALUES {values}"


def _flat(rows: list[tuple[str, str, bytes]]) -> tuple[object, ...]:
    return tuple(value for row in rows for value in row)


class _Transaction:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def __enter__(self) -> None:
        begin_immediate(self._connection)  # short retries while another worker writes

    def __exit__(self, error_type: object, *rest: object) -> None:
        self._connection.execute("ROLLBACK" if error_type is not None else "COMMIT")


__all__ = ["SqliteStateStore"]
