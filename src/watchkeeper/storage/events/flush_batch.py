"""Spool entries made into the rows of one Delta commit, with the rows that cannot be set aside.

:func:`prepare_batch` turns the entries a flush took from the spool into one conformed
Arrow table, each row numbered by its ``arrival_sequence`` (entry id, row). Making that
table needs nothing but the entries: an error on the way (an entry that cannot be read,
text UTF-8 cannot encode, a value its column cannot hold, a row its table refuses) is an
error of the content, the same at every try. So instead of failing the whole flush, the
batch is cut in halves until each failing piece is a single row (or an entry that cannot
be read at all), and those come back as :class:`~watchkeeper.storage.events.spool_dead_letters.SetAside`
pieces with their reason, every other row in the table. Errors of the storage itself
(Delta unreachable, a commit conflict) happen later, in the commit, and keep every row in
the spool.

The cut costs a few extra conformations per bad row (the halving), and nothing when no row
is bad; past :data:`MAX_CUTS_PER_ENTRY` cuts in one entry, a failing span is set aside
whole, good rows in it included (kept in the dead letter all the same).

>>> from datetime import UTC, datetime
>>> from watchkeeper.storage.events.column_payload import encode_columns, parse_column_payload
>>> from watchkeeper.storage.events.tables import event_table
>>> from watchkeeper.storage.events.spool import SpoolEntry
>>> outcomes = event_table("outcomes")
>>> at = datetime(2026, 3, 1, tzinfo=UTC)
>>> def entry(entry_id, ids):
...     count, payload = encode_columns(outcomes, {"event_id": ids, "outcome": ["fraud"] * len(ids),
...                                     "outcome_ts": [at] * len(ids)}, received_at=at)
...     return SpoolEntry(entry_id, "outcomes", at, count, document=parse_column_payload(payload))
>>> batch = prepare_batch(outcomes, [entry(1, ["a", "b\\ud800"]), entry(2, ["c"])])
>>> batch.rows.column("event_id").to_pylist()
['a', 'c']
>>> [(piece.entry_id, piece.first_row, piece.reason[:37]) for piece in batch.set_aside]
[(1, 1, "column 'event_id': UnicodeEncodeError")]
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from watchkeeper.errors import SchemaError
from watchkeeper.storage.events.column_payload import COLUMN_PAYLOAD_MAGIC, documents_to_table
from watchkeeper.storage.events.rows import arrival_sequences, conform_rows, with_arrival_sequence
from watchkeeper.storage.events.spool import SpoolEntry, ipc_payload
from watchkeeper.storage.events.spool_dead_letters import SetAside
from watchkeeper.storage.events.tables import ARRIVAL_SEQUENCE_COLUMN, EventTableDefinition

CONTENT_ERRORS: tuple[type[BaseException], ...] = (
    SchemaError,
    ValueError,  # UnicodeEncodeError, pyarrow's ArrowInvalid, a broken document
    TypeError,  # pyarrow's ArrowTypeError
    OverflowError,
    KeyError,
    IndexError,
    NotImplementedError,  # pyarrow's ArrowNotImplementedError
    pa.ArrowException,
)
"""What making the rows of spool entries raises when the rows themselves are at fault."""

MAX_CUTS_PER_ENTRY = 256
"""How many times one entry's rows are cut in halves before a failing span is set aside as
it is: an entry of many rows that all fail (spooled before an incompatible change of its
table) costs a bounded number of tries, not two per row."""


@dataclass(frozen=True)
class PreparedBatch:
    """The rows of a batch of entries ready for one commit, and the pieces set aside."""

    rows: pa.Table
    set_aside: tuple[SetAside, ...] = ()

    @property
    def rows_set_aside(self) -> int:
        """How many rows were set aside."""
        return sum(piece.row_count for piece in self.set_aside)


def prepare_batch(definition: EventTableDefinition, entries: Sequence[SpoolEntry]) -> PreparedBatch:
    """The conformed rows of ``entries`` (in one table, with arrival sequences), every row
    that cannot be made set aside with its reason (see the module)."""
    tables: list[pa.Table] = []
    pieces: list[SetAside] = []
    _cut_entries(definition, list(entries), tables, pieces)  # tries the whole batch first
    if len(tables) == 1:
        return PreparedBatch(tables[0], tuple(pieces))
    rows = (
        pa.concat_tables(tables).combine_chunks()
        if tables
        else definition.stored_schema.empty_table()
    )
    return PreparedBatch(rows, tuple(pieces))


def _cut_entries(
    definition: EventTableDefinition,
    entries: list[SpoolEntry],
    tables: list[pa.Table],
    pieces: list[SetAside],
) -> None:
    try:
        tables.append(_rows_of(definition, entries))
        return
    except CONTENT_ERRORS:
        if len(entries) > 1:
            middle = len(entries) // 2
            _cut_entries(definition, entries[:middle], tables, pieces)
            _cut_entries(definition, entries[middle:], tables, pieces)
            return
    entry = entries[0]
    whole = _whole_entry_fault(entry)
    if whole is not None:
        pieces.append(SetAside(entry.entry_id, 0, entry.row_count, entry.created_at, whole))
        return
    rows = _RowsOfEntry(definition, entry)
    _cut_rows(rows, range(entry.row_count), tables, pieces)


def _cut_rows(
    rows: _RowsOfEntry, span: range, tables: list[pa.Table], pieces: list[SetAside]
) -> None:
    if not span:
        return
    try:
        tables.append(rows.make(span))
        return
    except CONTENT_ERRORS as error:
        if len(span) == 1 or rows.cuts_left == 0:
            pieces.append(rows.set_aside(span, error))
            return
    rows.cuts_left -= 1
    middle = len(span) // 2
    _cut_rows(rows, span[:middle], tables, pieces)
    _cut_rows(rows, span[middle:], tables, pieces)


def _whole_entry_fault(entry: SpoolEntry) -> str | None:
    """Why ``entry`` cannot be cut into rows (then it is set aside whole), or None."""
    if entry.unreadable is not None:
        return entry.unreadable
    if entry.document is not None:
        columns = entry.document["columns"].values()
        if any(
            not isinstance(values, list) or len(values) != entry.row_count for values in columns
        ):
            return f"entry {entry.entry_id}: its columns do not all hold its {entry.row_count} rows"
    elif entry.arrow is not None and entry.arrow.num_rows != entry.row_count:
        return (
            f"entry {entry.entry_id} holds {entry.arrow.num_rows} rows, "
            f"its count says {entry.row_count}"
        )
    return None


class _RowsOfEntry:
    """Rows of one entry made (or set aside) a span at a time."""

    def __init__(self, definition: EventTableDefinition, entry: SpoolEntry) -> None:
        self.definition = definition
        self.entry = entry
        self.cuts_left = MAX_CUTS_PER_ENTRY

    def make(self, span: range) -> pa.Table:
        entry = self.entry
        if entry.arrow is not None:
            part = entry.arrow.slice(span.start, len(span))
            conformed = _conformed_arrow(self.definition, part, entry)
        else:
            conformed = self._conformed_document(span)
        return with_arrival_sequence(conformed, entry.entry_id, first_row=span.start)

    def set_aside(self, span: range, error: BaseException) -> SetAside:
        entry = self.entry
        reason = _reason(error)
        if entry.arrow is not None:
            payload = bytes(ipc_payload(entry.arrow.slice(span.start, len(span))))
        else:
            document = self._document(span)
            column = _failing_column(document)
            if column is not None and repr(column) not in reason:
                reason = f"column {column!r}: {reason}"
            payload = COLUMN_PAYLOAD_MAGIC + json.dumps(document, allow_nan=True).encode("utf-8")
        return SetAside(entry.entry_id, span.start, len(span), entry.created_at, reason, payload)

    def _document(self, span: range) -> dict[str, Any]:
        assert self.entry.document is not None
        document = self.entry.document
        return {
            "columns": {
                name: values[span.start : span.stop] for name, values in document["columns"].items()
            },
            "timestamps": document.get("timestamps", []),
        }

    def _conformed_document(self, span: range) -> pa.Table:
        merged = documents_to_table([self._document(span)])
        return conform_rows(self.definition, merged, self.entry.created_at)


def _rows_of(definition: EventTableDefinition, entries: Sequence[SpoolEntry]) -> pa.Table:
    """The conformed rows of ``entries`` with arrival sequences (raises on any fault)."""
    batches = []
    columns = []
    for entry in entries:
        if entry.unreadable is not None:
            raise ValueError(entry.unreadable)
        if entry.arrow is None:  # checked JSON columns: conformed together below
            columns.append(entry)
        else:
            batches.append(
                with_arrival_sequence(
                    _conformed_arrow(definition, entry.arrow, entry), entry.entry_id
                )
            )
    if columns:
        batches.append(_conformed_together(definition, columns))
    return pa.concat_tables(batches).combine_chunks()


def _conformed_arrow(
    definition: EventTableDefinition, rows: pa.Table, entry: SpoolEntry
) -> pa.Table:
    """Arrow rows of an entry, conformed (rows spooled before the table's definition
    changed) and checked: an IPC stream is not checked when read, and Delta would store
    text that is not UTF-8 as it is, for every later reader to fail on."""
    if not rows.schema.equals(definition.validated_schema):
        rows = conform_rows(definition, rows, entry.created_at)
    rows.validate(full=True)
    return rows


def _conformed_together(definition: EventTableDefinition, entries: list[SpoolEntry]) -> pa.Table:
    """Entries of checked JSON columns as one conformed table with arrival sequences.

    Each entry carries its own received time (filled when it was encoded), so one
    conformation serves them all.
    """
    merged = documents_to_table([entry.document for entry in entries if entry.document])
    expected = sum(entry.row_count for entry in entries)
    if merged.num_rows != expected:
        raise ValueError(
            f"table {definition.name!r}: spool entries {entries[0].entry_id}-"
            f"{entries[-1].entry_id} hold {merged.num_rows} rows, their counts say {expected}"
        )
    conformed = conform_rows(definition, merged, entries[-1].created_at)
    sequence = arrival_sequences([(entry.entry_id, entry.row_count) for entry in entries])
    return conformed.append_column(
        pa.field(ARRIVAL_SEQUENCE_COLUMN, pa.int64(), nullable=False), sequence
    )


def _failing_column(document: dict[str, Any]) -> str | None:
    """The first column of a one-row document that Arrow cannot hold, if one alone fails."""
    for name, values in document["columns"].items():
        try:
            documents_to_table([{"columns": {name: values}, "timestamps": document["timestamps"]}])
        except CONTENT_ERRORS:
            return str(name)
    return None


def _reason(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


__all__ = ["CONTENT_ERRORS", "PreparedBatch", "prepare_batch"]
