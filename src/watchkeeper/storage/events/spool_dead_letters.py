"""Dead letters: spooled rows the event store cannot write, set aside with their reason.

A row that was acknowledged but cannot become an Arrow or Delta row (text UTF-8 cannot
encode, a value out of its type's range, an entry whose bytes no longer parse) must not
hold back the rows spooled after it. The flush sets it aside in the ``dead_letters`` table
of the spool file itself, with the reason, and commits everything else.

Why in the spool and not in Delta: the rows are there because Arrow/Delta refused them, so
only a store that keeps raw bytes can hold them as they came; and moving an unreadable
entry out of ``entries`` into ``dead_letters`` is then one local SQLite transaction, with
no second system to keep in step. Each dead letter's payload is itself a spool payload (the
entry's own bytes, or the failing row alone as JSON columns or Arrow IPC), so it can be
read with the spool's decoder, repaired and appended again. Keyed by (entry, first row),
setting the same rows aside twice (a flush that died before forgetting its entries) keeps
one dead letter.

>>> import sqlite3
>>> from datetime import UTC, datetime
>>> connection = sqlite3.connect(":memory:")
>>> connection.execute(DEAD_LETTERS_SCHEMA).close()
>>> at = datetime(2026, 1, 1, tzinfo=UTC)
>>> row = SetAside(7, 2, 1, at, "column 'event_id': surrogates not allowed", b"WKCOLS1\\n{}")
>>> for statement in set_aside_statements("predictions", [row, row], at):
...     connection.execute(*statement).close()
>>> [(letter.entry_id, letter.first_row, letter.reason[:14]) for letter in read(connection)]
[(7, 2, "column 'event_")]
>>> count_rows(connection)
1
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from watchkeeper.clock import from_epoch_microseconds, to_epoch_microseconds
from watchkeeper.storage.events.storable_text import storable_text

DEAD_LETTERS_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS dead_letters ("
    " dead_letter_id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " table_name TEXT NOT NULL,"
    " entry_id INTEGER NOT NULL,"
    " first_row INTEGER NOT NULL,"
    " row_count INTEGER NOT NULL,"
    " created_at_us INTEGER NOT NULL,"
    " set_aside_at_us INTEGER NOT NULL,"
    " reason TEXT NOT NULL,"
    " payload BLOB NOT NULL,"
    " UNIQUE (entry_id, first_row))"
)

REASON_LIMIT = 500
"""Characters of a reason kept (an error message may quote the value at fault)."""


@dataclass(frozen=True)
class SetAside:
    """Rows of one spool entry to set aside: ``row_count`` rows from ``first_row``.

    ``payload`` holds those rows as a spool payload; ``None`` sets the whole entry aside
    with its own bytes (an entry that cannot be read) and removes it from the spool.
    """

    entry_id: int
    first_row: int
    row_count: int
    created_at: datetime
    reason: str
    payload: bytes | None = None


@dataclass(frozen=True)
class DeadLetter:
    """A dead letter as listed: which rows, of which table and entry, why, and when.

    ``created_at`` is when the rows were spooled, ``set_aside_at`` when a flush gave up on
    them; ``payload_bytes`` is the size of the payload kept.
    """

    dead_letter_id: int
    table: str
    entry_id: int
    first_row: int
    row_count: int
    created_at: datetime
    set_aside_at: datetime
    reason: str
    payload_bytes: int

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready summary."""
        return {
            "id": self.dead_letter_id,
            "table": self.table,
            "entry_id": self.entry_id,
            "first_row": self.first_row,
            "rows": self.row_count,
            "created_at": self.created_at.isoformat(),
            "set_aside_at": self.set_aside_at.isoformat(),
            "reason": self.reason,
            "payload_bytes": self.payload_bytes,
        }


def set_aside_statements(
    table: str, pieces: Sequence[SetAside], at: datetime
) -> list[tuple[str, tuple[object, ...]]]:
    """The statements that set ``pieces`` of ``table`` aside (to run in one transaction)."""
    statements: list[tuple[str, tuple[object, ...]]] = []
    at_us = to_epoch_microseconds(at)
    for piece in pieces:
        reason = storable_text(piece.reason, limit=REASON_LIMIT)
        common = (table, piece.entry_id, piece.first_row, piece.row_count)
        if piece.payload is None:
            statements.append(
                (
                    "INSERT OR IGNORE INTO dead_letters (table_name, entry_id, first_row,"
                    " row_count, created_at_us, set_aside_at_us, reason, payload)"
                    " SELECT ?, ?, ?, ?, created_at_us, ?, ?, payload FROM entries"
                    " WHERE entry_id = ?",
                    (*common, at_us, reason, piece.entry_id),
                )
            )
            statements.append(("DELETE FROM entries WHERE entry_id = ?", (piece.entry_id,)))
        else:
            statements.append(
                (
                    "INSERT OR IGNORE INTO dead_letters (table_name, entry_id, first_row,"
                    " row_count, created_at_us, set_aside_at_us, reason, payload)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        *common,
                        to_epoch_microseconds(piece.created_at),
                        at_us,
                        reason,
                        piece.payload,
                    ),
                )
            )
    return statements


def read(connection: sqlite3.Connection, limit: int | None = None) -> list[DeadLetter]:
    """The dead letters, newest first (at most ``limit``)."""
    found = connection.execute(
        "SELECT dead_letter_id, table_name, entry_id, first_row, row_count, created_at_us,"
        " set_aside_at_us, reason, length(payload) FROM dead_letters"
        " ORDER BY dead_letter_id DESC LIMIT ?",
        (-1 if limit is None else limit,),
    ).fetchall()
    return [
        DeadLetter(
            int(letter_id),
            str(table),
            int(entry_id),
            int(first_row),
            int(row_count),
            from_epoch_microseconds(int(created)),
            from_epoch_microseconds(int(set_aside)),
            str(reason),
            int(size),
        )
        for letter_id, table, entry_id, first_row, row_count, created, set_aside, reason, size in found
    ]


def count_rows(connection: sqlite3.Connection) -> int:
    """How many rows the dead letters hold, over all tables."""
    (rows,) = connection.execute("SELECT COALESCE(SUM(row_count), 0) FROM dead_letters").fetchone()
    return int(rows)


__all__ = [
    "DEAD_LETTERS_SCHEMA",
    "REASON_LIMIT",
    "DeadLetter",
    "SetAside",
    "count_rows",
    "read",
    "set_aside_statements",
]
