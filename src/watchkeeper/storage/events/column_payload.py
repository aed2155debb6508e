"""Spool entries as checked JSON columns: the cheap encoding for many small appends.

A scoring service appends a few rows per request group. Building, validating and encoding an
Arrow table for each of those small groups costs far more than the rows are worth; encoding
them as JSON is a single C call. :func:`encode_columns` checks every value against the
table's declared types (so nothing unreadable ever reaches the spool) and writes the columns
as one JSON document, timestamps as integer microseconds since the epoch (UTC). The store
turns many such entries into one Arrow table when it flushes (:func:`documents_to_table`, then
one conformation for all of them), where the per-row cost is small.

>>> from datetime import UTC, datetime
>>> from watchkeeper.storage.events.tables import event_table
>>> definition = event_table("outcomes")
>>> moment = datetime(2026, 3, 1, tzinfo=UTC)
>>> rows, payload = encode_columns(
...     definition,
...     {"event_id": ["e1"], "outcome": ["chargeback"], "outcome_ts": [moment]},
...     received_at=moment,
... )
>>> rows, is_column_payload(payload)
(1, True)
>>> table = documents_to_table([parse_column_payload(payload)])
>>> table.column("outcome_ts").to_pylist() == [moment]
True
>>> encode_columns(definition, {"event_id": [7], "outcome": ["x"], "outcome_ts": [moment]},
...                received_at=moment)
Traceback (most recent call last):
...
watchkeeper.errors.SchemaError: table 'outcomes': column 'event_id' holds int at row 0, expected string
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from watchkeeper.errors import SchemaError
from watchkeeper.storage.events.storable_text import storable_text
from watchkeeper.storage.events.tables import STORE_COLUMNS, EventTableDefinition

COLUMN_PAYLOAD_MAGIC = b"WKCOLS1\n"
"""How a JSON-columns entry starts (an Arrow IPC stream starts with 0xFFFFFFFF)."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_TIMESTAMP_TYPE = pa.timestamp("us", tz="UTC")


def is_column_payload(payload: bytes | memoryview) -> bool:
    """Whether a spool payload was written by :func:`encode_columns`."""
    return bytes(payload[: len(COLUMN_PAYLOAD_MAGIC)]) == COLUMN_PAYLOAD_MAGIC


def encode_columns(
    definition: EventTableDefinition,
    columns: Mapping[str, Sequence[Any]],
    *,
    received_at: datetime,
) -> tuple[int, bytes]:
    """Check ``columns`` (name -> values) against ``definition``; return (rows, payload).

    Raises :class:`SchemaError` naming the column (and row) at fault: an unknown column, a
    missing required one, columns of unequal length, a value of the wrong type, an empty
    required value. The received-time column, when left out or empty, gets ``received_at``.
    A table of ``storable_text`` (``rejections``) gets U+FFFD for what UTF-8 cannot encode.
    """
    plan = _plan(definition)
    unknown = [name for name in columns if name not in plan.accepted]
    if unknown:
        raise SchemaError(
            f"table {definition.name!r}: unknown column(s) {', '.join(map(repr, unknown))} "
            f"(declared: {', '.join(definition.schema.names)})"
        )
    lengths = {len(values) for name, values in columns.items() if name not in STORE_COLUMNS}
    if len(lengths) > 1:
        raise SchemaError(f"table {definition.name!r}: columns of unequal length {sorted(lengths)}")
    row_count = lengths.pop() if lengths else 0
    encoded: dict[str, list[Any]] = {}
    for column in plan.columns:
        values = columns.get(column.name)
        if column.name == definition.received_column:
            values = [received_at if value is None else value for value in values or []] or [
                received_at
            ] * row_count
        if values is None:
            if not column.field.nullable:
                raise SchemaError(
                    f"table {definition.name!r}: required column {column.name!r} "
                    f"({column.field.type}) is missing"
                )
            continue
        encoded[column.name] = _checked(definition, column, values)
    timestamps = [name for name in encoded if name in plan.timestamps]
    document = {"columns": encoded, "timestamps": timestamps}
    return row_count, COLUMN_PAYLOAD_MAGIC + json.dumps(document, allow_nan=True).encode()


@dataclass(frozen=True)
class _Column:
    name: str
    field: pa.Field
    accepts: Callable[[Any], bool]
    timestamp: bool
    floating: bool
    text_made_storable: bool


@dataclass(frozen=True)
class _Plan:
    """What :func:`encode_columns` needs of a table's definition, read once per table."""

    columns: tuple[_Column, ...]
    accepted: frozenset[str]
    timestamps: frozenset[str]


@functools.cache
def _plan(definition: EventTableDefinition) -> _Plan:
    columns = []
    for field in definition.schema:
        timestamp = pa.types.is_timestamp(field.type)
        accepts = _ACCEPTS.get(str(field.type)) or (_is_timestamp if timestamp else None)
        if accepts is None:  # pragma: no cover - every declared type is listed
            raise SchemaError(f"table {definition.name!r}: column {field.name!r} of {field.type}")
        floating = pa.types.is_floating(field.type)
        storable = definition.storable_text and pa.types.is_string(field.type)
        columns.append(_Column(field.name, field, accepts, timestamp, floating, storable))
    names = frozenset(column.name for column in columns)
    return _Plan(
        tuple(columns),
        names | frozenset(STORE_COLUMNS),
        frozenset(column.name for column in columns if column.timestamp),
    )


ColumnDocument = dict[str, Any]
"""A parsed column payload: ``{"columns": {name: values}, "timestamps": [names]}``."""


def parse_column_payload(payload: bytes | memoryview) -> ColumnDocument:
    """The document of a payload written by :func:`encode_columns` (ValueError if broken)."""
    document = json.loads(bytes(payload[len(COLUMN_PAYLOAD_MAGIC) :]))
    if not isinstance(document, dict) or not isinstance(document.get("columns"), dict):
        raise ValueError("not a column document")
    return document


def documents_to_table(documents: Sequence[ColumnDocument]) -> pa.Table:
    """Many column documents as one Arrow table, in order: one array per column (a column
    some documents lack is empty there), so the cost per row stays small.

    >>> documents_to_table([{"columns": {"x": [1]}, "timestamps": []},
    ...                     {"columns": {"x": [2], "y": ["b"]}, "timestamps": []}]).to_pydict()
    {'x': [1, 2], 'y': [None, 'b']}
    """
    names: dict[str, None] = {}
    timestamps: set[str] = set()
    for document in documents:
        names.update(dict.fromkeys(document["columns"]))
        timestamps.update(document["timestamps"])
    merged: dict[str, list[Any]] = {name: [] for name in names}
    for document in documents:
        columns = document["columns"]
        length = len(next(iter(columns.values()))) if columns else 0
        for name, values in merged.items():
            values.extend(columns.get(name) or [None] * length)
    return pa.table(
        {
            name: pa.array(values, type=_TIMESTAMP_TYPE if name in timestamps else None)
            for name, values in merged.items()
        }
    )


def _checked(definition: EventTableDefinition, column: _Column, values: Sequence[Any]) -> list[Any]:
    accepts, nullable = column.accepts, column.field.nullable
    for row, value in enumerate(values):
        if value is None:
            if not nullable:
                raise SchemaError(
                    f"table {definition.name!r}: column {column.name!r} is empty at row {row} "
                    f"but is required"
                )
        elif not accepts(value):
            raise SchemaError(
                f"table {definition.name!r}: column {column.name!r} holds "
                f"{type(value).__name__} at row {row}, expected {column.field.type}"
            )
    if column.timestamp:
        return [None if value is None else _microseconds(value) for value in values]
    if column.floating:
        return [None if value is None else float(value) for value in values]
    if column.text_made_storable:
        return [None if value is None else storable_text(value) for value in values]
    return list(values)


def _is_timestamp(value: Any) -> bool:
    return isinstance(value, datetime)


def _microseconds(moment: datetime) -> int:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return (aware - _EPOCH) // _MICROSECOND


_ACCEPTS = {
    "string": lambda value: isinstance(value, str),
    "int64": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "double": lambda value: isinstance(value, int | float) and not isinstance(value, bool),
    "bool": lambda value: isinstance(value, bool),
}


__all__ = [
    "COLUMN_PAYLOAD_MAGIC",
    "ColumnDocument",
    "documents_to_table",
    "encode_columns",
    "is_column_payload",
    "parse_column_payload",
]
