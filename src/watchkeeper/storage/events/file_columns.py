"""Columns of immutable Parquet files, read once and kept within a memory budget.

A Parquet file of a Delta table never changes once written (an update writes a new file),
so a column read from it stays true for as long as the file exists. A process that reads
the same time ranges again and again — the monitor and the retraining policy on every tick
read the weeks and months behind them — reads each file's columns once and keeps them:
:class:`FileColumns` is that cache, keyed by file path and column, least recently used
first out when the kept bytes pass ``budget_bytes``. Columns a file does not hold (written
before the table gained them) are absent from its table; partition columns, which Delta
keeps in its log and not in the files, are filled from the values the caller passes.

>>> import tempfile
>>> import pyarrow as pa
>>> import pyarrow.parquet as pq
>>> path = tempfile.mkdtemp() + "/part.parquet"
>>> pq.write_table(pa.table({"x": [1, 2], "y": ["a", "b"]}), path)
>>> kept = FileColumns(budget_bytes=1 << 20)
>>> schema = pa.schema([("x", pa.int64()), ("y", pa.string()), ("day", pa.string())])
>>> kept.read(path, ["x", "day"], schema, {"day": "2026-01-01"}).to_pydict()
{'x': [1, 2], 'day': ['2026-01-01', '2026-01-01']}
>>> kept.reads, kept.read(path, ["x"], schema, {}).column("x").to_pylist(), kept.reads
(1, [1, 2], 1)
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

DEFAULT_BUDGET_BYTES = 512 * 1024 * 1024
"""What one event store's kept columns may hold: enough for the weeks a monitor rereads."""


ENTRY_BYTES = 64
"""What each kept entry counts beyond its data (its key, a row count, an absent column's
mark), so that entries without data are bounded by the budget too."""

_ABSENT = object()
"""Kept for a column the file does not hold (written before the table gained it)."""

_NOT_KEPT = object()

_ROW_COUNT = "\x00rows"
"""The key, beside a file's column names, of its row count."""


class FileColumns:
    """Columns of Parquet files by path, kept least-recently-used within ``budget_bytes``.

    Not thread-safe by itself: :class:`~watchkeeper.storage.events.delta_tables.DeltaEventTables`
    calls it under its lock.
    """

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        self.budget_bytes = budget_bytes
        self.reads = 0
        """Files opened so far (a column already kept opens nothing)."""
        self._kept: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._sizes: dict[tuple[str, str], int] = {}
        self._bytes = 0

    @property
    def kept_bytes(self) -> int:
        """The bytes kept now, data and :data:`ENTRY_BYTES` per entry (at most the budget)."""
        return self._bytes

    def read(
        self,
        path: str,
        columns: Sequence[str],
        schema: pa.Schema,
        partition_values: Mapping[str, Any],
    ) -> pa.Table:
        """``columns`` of the file at ``path`` as typed by ``schema``; a partition column
        (named in ``partition_values``) repeats its value on every row; a column the file
        lacks is left out."""
        stored = [name for name in columns if name not in partition_values]
        found = {name: self._recall((path, name)) for name in stored}
        rows = self._recall((path, _ROW_COUNT))
        missing = [name for name in stored if found[name] is _NOT_KEPT]
        if missing or rows is _NOT_KEPT:
            loaded, rows = self._load(path, missing, schema)
            found.update(loaded)
        arrays = {name: found[name] for name in stored if found[name] is not _ABSENT}
        for name in columns:
            if name in partition_values:
                value = pa.scalar(partition_values[name], schema.field(name).type)
                arrays[name] = pa.chunked_array([pa.repeat(value, rows)])
        return pa.table({name: arrays[name] for name in columns if name in arrays})

    def _recall(self, key: tuple[str, str]) -> Any:
        if key not in self._kept:
            return _NOT_KEPT
        self._kept.move_to_end(key)
        return self._kept[key]

    def _load(self, path: str, names: list[str], schema: pa.Schema) -> tuple[dict[str, Any], int]:
        self.reads += 1
        file = pq.ParquetFile(path)
        rows = file.metadata.num_rows
        readable = [name for name in names if name in file.schema_arrow.names]
        table = file.read(columns=readable) if readable else None
        loaded: dict[str, Any] = {}
        for name in names:
            if table is None or name not in readable:
                loaded[name] = _ABSENT
                continue
            column = table.column(name)
            if name in schema.names and column.type != schema.field(name).type:
                column = column.cast(schema.field(name).type)
            loaded[name] = column
        self._remember((path, _ROW_COUNT), rows, 0)
        for name, value in loaded.items():
            size = 0 if value is _ABSENT else value.nbytes
            if size + ENTRY_BYTES <= self.budget_bytes:  # else read again when asked
                self._remember((path, name), value, size)
        return loaded, rows

    def _remember(self, key: tuple[str, str], value: Any, size: int) -> None:
        self._bytes -= self._sizes.pop(key, 0)
        self._kept[key] = value
        self._kept.move_to_end(key)
        self._sizes[key] = size + ENTRY_BYTES
        self._bytes += size + ENTRY_BYTES
        while self._bytes > self.budget_bytes and self._kept:
            evicted, _ = self._kept.popitem(last=False)
            self._bytes -= self._sizes.pop(evicted)
