"""Rows at the edge of the event store: validated, cast to the table's schema, dated.

:func:`conform_rows` is the one gate every row passes before it is spooled or written.
It rejects, with a :class:`SchemaError` naming the table, the column and the problem, a
missing required column, an unknown column, a value that cannot be cast to the declared
type and an empty required value. Rows that pass come out with exactly the declared
columns in order, timestamps in microseconds UTC (a naive timestamp is taken as UTC), the
clock's time in the table's ``received_column`` where it was empty, and ``event_date``.

>>> from datetime import datetime, timezone
>>> import polars as pl
>>> from watchkeeper.storage.events.tables import event_table
>>> received = datetime(2026, 3, 1, tzinfo=timezone.utc)
>>> rows = pl.DataFrame({"event_id": ["e1"], "outcome": ["chargeback"],
...                      "outcome_ts": [datetime(2026, 2, 27, 23, 30)]})
>>> conformed = conform_rows(event_table("outcomes"), rows, received)
>>> conformed.column_names
['event_id', 'outcome', 'outcome_ts', 'amount', 'received_at', 'event_date']
>>> conformed["event_date"][0].as_py(), conformed["received_at"][0].as_py().day
(datetime.date(2026, 2, 27), 1)
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.clock import as_utc
from watchkeeper.errors import SchemaError
from watchkeeper.storage.events.tables import (
    ARRIVAL_SEQUENCE_COLUMN,
    STORE_COLUMNS,
    EventTableDefinition,
)

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

EventRows: TypeAlias = pl.DataFrame | pa.Table
"""What callers hand to the store: a Polars frame or an Arrow table."""

_ROW_INDEX_BITS = 32


def conform_rows(
    definition: EventTableDefinition, rows: EventRows | pa.RecordBatch, received_at: datetime
) -> pa.Table:
    """Validate ``rows`` against ``definition`` and return them cast, filled and dated.

    Columns the store adds itself (``event_date``, ``arrival_sequence``) are ignored on
    input, so a frame read from one store can be appended to another.

    >>> from datetime import datetime, timezone
    >>> from watchkeeper.storage.events.tables import event_table
    >>> conform_rows(event_table("outcomes"), pa.table({"event_id": ["e1"]}),
    ...              datetime(2026, 3, 1, tzinfo=timezone.utc))
    Traceback (most recent call last):
    ...
    watchkeeper.errors.SchemaError: table 'outcomes': required column 'outcome' (string) is missing
    """
    table = _as_arrow(definition, rows)
    unknown = [name for name in table.column_names if name not in definition.schema.names]
    unknown = [name for name in unknown if name not in STORE_COLUMNS]
    if unknown:
        raise SchemaError(
            f"table {definition.name!r}: unknown column(s) {', '.join(map(repr, unknown))} "
            f"(declared: {', '.join(definition.schema.names)})"
        )
    columns = [
        _conform_column(definition, field, table, received_at) for field in definition.schema
    ]
    event_dates = pc.cast(
        columns[definition.schema.get_field_index(definition.time_column)], pa.date32()
    )
    return pa.Table.from_arrays([*columns, event_dates], schema=definition.validated_schema)


def with_arrival_sequence(rows: pa.Table, spool_entry_id: int, first_row: int = 0) -> pa.Table:
    """Append ``arrival_sequence``: the spool entry id in the high bits, the row below.

    Entry 0 stands for rows written directly (bulk loads), which rank before spooled ones;
    ``first_row`` numbers the rows of a later batch of the same load.

    >>> with_arrival_sequence(pa.table({"x": [7, 8]}), 3)["arrival_sequence"].to_pylist()
    [12884901888, 12884901889]
    """
    sequence = pa.array(_entry_sequence(spool_entry_id, rows.num_rows, first_row))
    return rows.append_column(
        pa.field(ARRIVAL_SEQUENCE_COLUMN, pa.int64(), nullable=False), sequence
    )


def arrival_sequences(entries: Sequence[tuple[int, int]]) -> pa.Array:
    """The ``arrival_sequence`` values of consecutive spool entries (entry id, row count).

    >>> arrival_sequences([(3, 2), (4, 1)]).to_pylist()
    [12884901888, 12884901889, 17179869184]
    """
    parts = [_entry_sequence(entry_id, count) for entry_id, count in entries]
    return pa.array(np.concatenate(parts) if parts else np.empty(0, dtype=np.int64))


def _entry_sequence(
    spool_entry_id: int, row_count: int, first_row: int = 0
) -> np.ndarray[Any, Any]:
    end = first_row + row_count
    if end > 1 << _ROW_INDEX_BITS:
        raise SchemaError(f"one append or bulk load holds at most {1 << _ROW_INDEX_BITS} rows")
    base = spool_entry_id << _ROW_INDEX_BITS
    return np.arange(base + first_row, base + end, dtype=np.int64)


class ConformedStream:
    """A stream of batches validated and numbered on its way into a bulk write.

    :meth:`reader` yields the batches of ``source`` conformed to the table and numbered
    by ``arrival_sequence`` (entry 0, rows counted across batches); :attr:`rows` counts
    what went through, and :attr:`error` keeps the validation error that stopped it, since
    the consumer (a Delta writer) may report it in its own words.

    >>> from datetime import datetime, timezone
    >>> from watchkeeper.storage.events.tables import event_table
    >>> source = pa.RecordBatchReader.from_batches(
    ...     pa.schema([("event_id", pa.string()), ("outcome", pa.string()),
    ...                ("outcome_ts", pa.timestamp("us"))]),
    ...     [pa.record_batch([["e1"], ["chargeback"], [datetime(2026, 1, 5)]],
    ...                      names=["event_id", "outcome", "outcome_ts"])] * 2)
    >>> stream = ConformedStream(event_table("outcomes"), source, datetime(2026, 2, 1))
    >>> stream.reader().read_all()["arrival_sequence"].to_pylist(), stream.rows
    ([0, 1], 2)
    """

    def __init__(
        self, definition: EventTableDefinition, source: pa.RecordBatchReader, received_at: datetime
    ) -> None:
        self._definition = definition
        self._source = source
        self._received_at = received_at
        self.rows = 0
        self.error: SchemaError | None = None

    def reader(self) -> pa.RecordBatchReader:
        """The conformed batches, with the table's stored schema; readable once."""
        return pa.RecordBatchReader.from_batches(self._definition.stored_schema, self._batches())

    def _batches(self) -> Iterator[pa.RecordBatch]:
        for batch in self._source:
            try:
                conformed = conform_rows(self._definition, batch, self._received_at)
            except SchemaError as error:
                self.error = error
                raise
            yield from with_arrival_sequence(conformed, 0, first_row=self.rows).to_batches()
            self.rows += conformed.num_rows


def fingerprint(rows: pa.Table) -> str:
    """A sha256 of the rows' Arrow IPC serialisation, computed batch by batch (no copy).

    Equal tables built the same way (same chunks) give equal fingerprints.

    >>> fingerprint(pa.table({"x": [1, 2]})) == fingerprint(pa.table({"x": [1, 2]}))
    True
    >>> fingerprint(pa.table({"x": [1, 2]})) == fingerprint(pa.table({"x": [2, 1]}))
    False
    """
    digest = hashlib.sha256()
    with pa.ipc.new_stream(_HashingSink(digest), rows.schema) as writer:
        for batch in rows.to_batches():
            writer.write_batch(batch)
    return digest.hexdigest()


class _HashingSink(io.RawIOBase):
    def __init__(self, digest: hashlib._Hash) -> None:
        self._digest = digest

    def writable(self) -> bool:
        return True

    def write(self, data: ReadableBuffer) -> int:
        view = memoryview(data)
        self._digest.update(view)
        return view.nbytes


def _as_arrow(definition: EventTableDefinition, rows: EventRows | pa.RecordBatch) -> pa.Table:
    if isinstance(rows, pa.RecordBatch):
        rows = pa.Table.from_batches([rows])
    if isinstance(rows, pa.Table):
        if not any(
            pa.types.is_struct(rows.schema.field(name).type)
            for name in _present_json(definition, rows.column_names)
        ):
            return rows
        frame = pl.from_arrow(rows)
        assert isinstance(frame, pl.DataFrame)
        rows = frame
    if not isinstance(rows, pl.DataFrame):
        raise SchemaError(
            f"table {definition.name!r}: rows must be a Polars DataFrame or an Arrow table, "
            f"got {type(rows).__name__}"
        )
    encoded = [
        pl.col(name).struct.json_encode()
        for name in _present_json(definition, rows.columns)
        if isinstance(rows.schema[name], pl.Struct)
    ]
    return (rows.with_columns(encoded) if encoded else rows).to_arrow()


def _present_json(definition: EventTableDefinition, names: list[str]) -> list[str]:
    return [name for name in definition.json_columns if name in names]


def _conform_column(
    definition: EventTableDefinition, field: pa.Field, table: pa.Table, received_at: datetime
) -> pa.ChunkedArray:
    fills_from_clock = field.name == definition.received_column
    if field.name not in table.column_names:
        if not field.nullable and not fills_from_clock:
            raise SchemaError(
                f"table {definition.name!r}: required column {field.name!r} ({field.type}) is missing"
            )
        column = pa.chunked_array([pa.nulls(table.num_rows, field.type)], field.type)
    else:
        column = _cast(definition, field, table.column(field.name))
    if fills_from_clock and column.null_count:
        column = pc.fill_null(column, pa.scalar(as_utc(received_at), field.type))
    if not field.nullable and column.null_count:
        raise SchemaError(
            f"table {definition.name!r}: column {field.name!r} has {column.null_count} empty "
            f"value(s) but is required"
        )
    return column


def _cast(
    definition: EventTableDefinition, field: pa.Field, column: pa.ChunkedArray
) -> pa.ChunkedArray:
    source = column.type
    if source == field.type:
        return column
    options = pc.CastOptions(field.type, allow_time_truncate=pa.types.is_timestamp(field.type))
    try:
        if (
            pa.types.is_timestamp(field.type)
            and pa.types.is_timestamp(source)
            and source.tz is None
        ):
            column = pc.cast(column, pa.timestamp(source.unit, tz="UTC"))
        return pc.cast(column, options=options)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as error:
        reason = str(error).splitlines()[0]
        raise SchemaError(
            f"table {definition.name!r}: column {field.name!r} cannot be cast from {source} "
            f"to {field.type}: {reason}"
        ) from error


__all__ = [
    "ConformedStream",
    "EventRows",
    "arrival_sequences",
    "conform_rows",
    "fingerprint",
    "with_arrival_sequence",
]
