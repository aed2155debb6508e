"""Cut current data into chunks: by size, by number, or by period of a timestamp column.

* by size (``Chunking(size=N)``): rows ``0..N``, ``N..2N``, ... in the data's order; a last
  remainder shorter than ``min_rows`` joins the chunk before it.
* by number (``Chunking(number=K)``): ``K`` chunks of sizes differing by at most one row.
* by period (``Chunking(period=timedelta(weeks=1), timestamp_column="ts")``): rows grouped
  by the period their timestamp falls in (weeks start on Monday; days, hours, ... on the
  epoch's whole units), in time order; periods without rows are not chunks.

A row chunk's ``start`` and ``end`` are row positions (``end`` exclusive); a period chunk's
are the period's bounds. Every chunk must have at least ``min_rows`` rows: a smaller one is
refused with a one-line error, never judged on a handful of rows.

>>> import pyarrow as pa
>>> table = pa.table({"x": list(range(250))})
>>> [(chunk.start, chunk.end) for chunk in split_chunks(table, Chunking(size=100, min_rows=60))]
[(0, 100), (100, 250)]
>>> days = pa.table({"ts": pa.array([0, 3_600, 90_000, 90_001], pa.timestamp("s"))})
>>> [(str(chunk.start), chunk.rows) for chunk in split_chunks(days, Chunking(period=timedelta(days=1), timestamp_column="ts", min_rows=1))]
[('1970-01-01 00:00:00', 2), ('1970-01-02 00:00:00', 2)]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.durations import format_duration
from watchkeeper.errors import DatasetError

DEFAULT_MIN_CHUNK_ROWS = 100
"""Fewest rows a chunk may have (``--min-chunk-rows``)."""

_UNITS = (("week", 604_800), ("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1))


FLAGS = {
    "size": "--chunk-size",
    "number": "--chunks",
    "period": "--chunk-period",
    "timestamp": "--timestamp-column",
    "min_rows": "--min-chunk-rows",
}
"""The command line's name of each setting, for the messages of a chunking that is refused."""
PYTHON_NAMES = {
    "size": "chunk['size']",
    "number": "chunk['number']",
    "period": "chunk['period']",
    "timestamp": "timestamp=",
    "min_rows": "min_chunk_rows=",
}
"""The Python API's name of each setting; its messages give the flag too, as analysis does."""


@dataclass(frozen=True)
class Chunking:
    """How to cut: exactly one of ``size``, ``number`` or ``period`` (with its column).

    ``caller`` (``cli`` or ``python``) says whose names the messages use.

    >>> Chunking(size=0, caller="python")
    Traceback (most recent call last):
    ...
    watchkeeper.errors.DatasetError: chunk['size'] (--chunk-size): must be at least 1 (got 0)
    """

    size: int | None = None
    number: int | None = None
    period: timedelta | None = None
    timestamp_column: str | None = None
    min_rows: int = DEFAULT_MIN_CHUNK_ROWS
    caller: Literal["cli", "python"] = "cli"

    def option(self, setting: str) -> str:
        """The caller's name of ``setting`` (``size``, ``number``, ``period``, ``timestamp``
        or ``min_rows``)."""
        flag = FLAGS[setting]
        return flag if self.caller == "cli" else f"{PYTHON_NAMES[setting]} ({flag})"

    def __post_init__(self) -> None:
        name = self.option
        given = [
            name(setting)
            for setting, value in (
                ("size", self.size),
                ("number", self.number),
                ("period", self.period),
            )
            if value is not None
        ]
        if len(given) != 1:
            raise DatasetError(
                f"chunks: give one of {name('size')}, {name('number')} or {name('period')} "
                f"(got {', '.join(given) or 'none'})"
            )
        if self.size is not None and self.size < 1:
            raise DatasetError(f"{name('size')}: must be at least 1 (got {self.size})")
        if self.number is not None and self.number < 1:
            raise DatasetError(f"{name('number')}: must be at least 1 (got {self.number})")
        if self.min_rows < 1:
            raise DatasetError(f"{name('min_rows')}: must be at least 1 (got {self.min_rows})")
        if self.period is not None:
            if self.timestamp_column is None:
                raise DatasetError(f"{name('period')}: needs {name('timestamp')}, the rows' time")
            if self.period.total_seconds() < 1 or self.period.total_seconds() % 1:
                raise DatasetError(
                    f"{name('period')}: must be whole seconds, at least 1s "
                    f"(got {format_duration(self.period)})"
                )


@dataclass(frozen=True)
class Chunk:
    """One chunk: its number, its bounds (rows or times), and its rows."""

    index: int
    start: int | datetime
    end: int | datetime
    data: pa.Table

    @property
    def rows(self) -> int:
        """Rows in the chunk."""
        return int(self.data.num_rows)


def split_chunks(table: pa.Table, chunking: Chunking) -> list[Chunk]:
    """Cut ``table`` into chunks; a chunk below ``min_rows`` is a :class:`DatasetError`."""
    if chunking.period is not None:
        chunks = _by_period(
            table, chunking.period, str(chunking.timestamp_column), chunking.option("timestamp")
        )
    else:
        chunks = [
            Chunk(index, start, end, table.slice(start, end - start))
            for index, (start, end) in enumerate(pairwise(_cuts(table.num_rows, chunking)))
        ]
    for chunk in chunks:
        _check_size(chunk.index, _bounds(chunk), chunk.rows, chunking)
    return chunks


def stream_chunks(
    batches: Iterable[pa.RecordBatch | pa.Table], rows: int, chunking: Chunking
) -> Iterator[Chunk]:
    """The chunks by rows (size or number) of ``rows`` rows arriving in ``batches``, each
    made when its last row has arrived: only a chunk (and a batch) is held at a time. The
    chunks' sizes are checked before any is made.

    >>> batches = pa.table({"x": list(range(250))}).to_batches(max_chunksize=64)
    >>> [(chunk.start, chunk.rows) for chunk in stream_chunks(batches, 250, Chunking(number=2))]
    [(0, 125), (125, 125)]
    """
    if chunking.period is not None:
        raise ValueError("chunks by period need the whole data: use split_chunks")
    return _streamed(batches, row_cuts(rows, chunking))


def _streamed(batches: Iterable[pa.RecordBatch | pa.Table], cuts: list[int]) -> Iterator[Chunk]:
    pending: list[pa.Table] = []
    held, index = 0, 0
    for batch in batches:
        table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
        offset = 0
        while offset < table.num_rows and index < len(cuts) - 1:
            wanted = cuts[index + 1] - cuts[index]
            piece = table.slice(offset, wanted - held)
            pending.append(piece)
            held += piece.num_rows
            offset += piece.num_rows
            if held == wanted:
                yield Chunk(index, cuts[index], cuts[index + 1], pa.concat_tables(pending))
                pending, held, index = [], 0, index + 1
    if index < len(cuts) - 1:
        raise DatasetError(
            f"the data ended at row {cuts[index] + held:,}, before its {cuts[-1]:,} rows"
        )


def row_cuts(rows: int, chunking: Chunking) -> list[int]:
    """Where chunks by size or number of ``rows`` rows begin, and where the last ends; a
    chunk below ``min_rows`` is a :class:`DatasetError`.

    >>> row_cuts(250, Chunking(size=100, min_rows=60))
    [0, 100, 250]
    """
    cuts = _cuts(rows, chunking)
    for index, (start, end) in enumerate(pairwise(cuts)):
        _check_size(index, f"rows {start} to {end}", end - start, chunking)
    return cuts


def _cuts(rows: int, chunking: Chunking) -> list[int]:
    if chunking.number is not None:
        cuts = [int(cut) for cut in np.linspace(0, rows, chunking.number + 1).round()]
        return [cut for index, cut in enumerate(cuts) if index == 0 or cut != cuts[index - 1]]
    size = int(chunking.size or rows)
    cuts = [*range(0, rows, size), rows]
    if len(cuts) > 2 and cuts[-1] - cuts[-2] < chunking.min_rows:
        del cuts[-2]  # a short remainder joins the chunk before it
    return cuts


def _check_size(index: int, bounds: str, rows: int, chunking: Chunking) -> None:
    if rows < chunking.min_rows:
        raise DatasetError(
            f"chunk {index} ({bounds}) has {rows} rows: a chunk needs "
            f"at least {chunking.min_rows} ({chunking.option('min_rows')}); use fewer, larger "
            "chunks"
        )


def _by_period(table: pa.Table, period: timedelta, column: str, option: str) -> list[Chunk]:
    if column not in table.column_names:
        raise DatasetError(
            f"{option} {column}: not a column of the current data ({', '.join(table.column_names)})"
        )
    times = parse_timestamps(table.column(column).combine_chunks(), column)
    if times.null_count:
        raise DatasetError(
            f"column {column!r}: {times.null_count} rows have no timestamp; chunks by period "
            "need one on every row"
        )
    multiple, unit = _period_unit(period)
    floored = pc.floor_temporal(times, multiple, unit, week_starts_monday=True)
    floored = floored.cast(pa.timestamp("us", tz=floored.type.tz))  # whole seconds: no loss
    starts, codes = np.unique(floored.cast(pa.int64()).to_numpy(), return_inverse=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(starts) + 1))
    start_times = pa.array(starts, type=pa.int64()).cast(floored.type).to_pylist()
    return [
        Chunk(
            index,
            start_times[index],
            _period_end(start_times[index], period),
            table.take(pa.array(order[bounds[index] : bounds[index + 1]])),
        )
        for index in range(len(starts))
    ]


def _period_end(start: datetime, period: timedelta) -> datetime:
    """The end of a period: the last representable time for one starting near year 9999.

    >>> _period_end(datetime(9999, 12, 31), timedelta(weeks=1))
    datetime.datetime(9999, 12, 31, 23, 59, 59, 999999)
    """
    try:
        return start + period
    except OverflowError:
        return datetime.max.replace(tzinfo=start.tzinfo)


def parse_timestamps(values: pa.Array, column: str) -> pa.Array:
    """A column as timestamps: timestamp and date columns as they are, text as ISO 8601.

    >>> parse_timestamps(pa.array(["2026-01-05", "2026-01-05T12:30:00"]), "ts").to_pylist()[1]
    datetime.datetime(2026, 1, 5, 12, 30)
    >>> parse_timestamps(pa.array(["yesterday"]), "ts")
    Traceback (most recent call last):
    ...
    watchkeeper.errors.DatasetError: column 'ts': cannot read 'yesterday' as a timestamp (the rule: ISO 8601 text such as 2026-01-05T12:30:00, or a timestamp or date column)
    """
    data_type = values.type
    if pa.types.is_dictionary(data_type):
        values = values.cast(data_type.value_type)
        data_type = values.type
    if pa.types.is_timestamp(data_type):
        return values
    if pa.types.is_date(data_type):
        return values.cast(pa.timestamp("s"))
    rule = "ISO 8601 text such as 2026-01-05T12:30:00, or a timestamp or date column"
    if not (pa.types.is_string(data_type) or pa.types.is_large_string(data_type)):
        raise DatasetError(
            f"column {column!r}: type {data_type} is not a timestamp (the rule: {rule})"
        )
    error: pa.ArrowInvalid | None = None
    for target in (pa.timestamp("us"), pa.timestamp("us", tz="UTC")):
        try:
            return values.cast(target)
        except pa.ArrowInvalid as failed:
            error = failed
    text = str(error)
    found = text.split("string: ", 1)[1].split(" as a scalar", 1)[0] if "string: " in text else "?"
    raise DatasetError(f"column {column!r}: cannot read {found} as a timestamp (the rule: {rule})")


def _period_unit(period: timedelta) -> tuple[int, str]:
    seconds = int(period.total_seconds())
    for unit, size in _UNITS:
        if seconds % size == 0:
            return seconds // size, unit
    return seconds, "second"  # pragma: no cover - every whole number of seconds divides


def _bounds(chunk: Chunk) -> str:
    if isinstance(chunk.start, datetime) and isinstance(chunk.end, datetime):
        return f"{chunk.start.isoformat()} to {chunk.end.isoformat()}"
    return f"rows {chunk.start} to {chunk.end}"


__all__ = [
    "DEFAULT_MIN_CHUNK_ROWS",
    "Chunk",
    "Chunking",
    "parse_timestamps",
    "row_cuts",
    "split_chunks",
    "stream_chunks",
]
