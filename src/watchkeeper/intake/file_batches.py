"""Reading a Parquet or CSV file in batches, so memory stays flat whatever the file's size.

Parquet batches keep the file's types. CSV cells are read as text and parsed by the checks
with the workspace's types (a value that does not parse is a refused row, never a guess).

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "p.csv"
>>> _ = path.write_text("event_id,score\\na,0.5\\nb,0.25\\nc,0.75\\n")
>>> batches = file_batches(path, batch_rows=2)
>>> batches.total_rows, [batch.height for batch in batches]
(None, [2, 1])
>>> file_batches(path.with_suffix(".xlsx"))  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
watchkeeper.errors.DatasetError: ...: must be a Parquet (.parquet) or CSV (.csv) file, not .xlsx
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from watchkeeper.errors import DatasetError
from watchkeeper.intake import DEFAULT_BATCH_ROWS


class FileBatches:
    """The batches of one file; iterate once. ``total_rows`` is known for Parquet only."""

    def __init__(self, path: Path, batch_rows: int) -> None:
        self.path = path
        self.batch_rows = batch_rows
        self.total_rows: int | None = None
        suffix = path.suffix.lower()
        if suffix not in (".parquet", ".pq", ".csv"):
            raise DatasetError(
                f"{path}: must be a Parquet (.parquet) or CSV (.csv) file, not {suffix or 'no suffix'}"
            )
        if not path.is_file():
            raise DatasetError(f"{path}: no such file")
        self._parquet = suffix != ".csv"
        if self._parquet:
            try:
                self.total_rows = pq.ParquetFile(path).metadata.num_rows
            except (pa.ArrowInvalid, OSError) as error:
                raise DatasetError(f"{path}: not a readable Parquet file ({error})") from None

    def __iter__(self) -> Iterator[pl.DataFrame]:
        try:
            batches = self._parquet_batches() if self._parquet else self._csv_batches()
            for batch in batches:
                frame = pl.from_arrow(batch)
                assert isinstance(frame, pl.DataFrame)
                yield frame
        except (pa.ArrowInvalid, OSError) as error:
            raise DatasetError(f"{self.path}: cannot be read ({error})") from None

    def _parquet_batches(self) -> Iterator[pa.RecordBatch]:
        yield from pq.ParquetFile(self.path).iter_batches(batch_size=self.batch_rows)

    def _csv_batches(self) -> Iterator[pa.RecordBatch]:
        with self.path.open(newline="", encoding="utf-8") as handle:
            header = next(csv.reader(handle), None)
        if not header:
            return
        reader = pa_csv.open_csv(
            self.path,
            read_options=pa_csv.ReadOptions(block_size=1 << 22),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                strings_can_be_null=True,
            ),
        )
        pending: list[pa.RecordBatch] = []
        rows = 0
        for batch in reader:
            pending.append(batch)
            rows += batch.num_rows
            if rows >= self.batch_rows:
                table = pa.Table.from_batches(pending)
                yield from table.slice(0, self.batch_rows).combine_chunks().to_batches()
                rest = table.slice(self.batch_rows)
                pending, rows = rest.to_batches(), rest.num_rows
        if rows:
            yield from pa.Table.from_batches(pending).combine_chunks().to_batches()


def file_batches(path: Path, batch_rows: int = DEFAULT_BATCH_ROWS) -> FileBatches:
    """The batches of the Parquet or CSV file at ``path``; a bad path is an
    :class:`DatasetError` naming it."""
    return FileBatches(Path(path), batch_rows)


__all__ = ["DEFAULT_BATCH_ROWS", "FileBatches", "file_batches"]
