"""The data files of a Delta table's current version, for readers other than deltalake.

A reader that opens a Delta table's Parquet files itself (Spark, without the Delta-Spark
connector) must read exactly the files of one version — compacted-away and deleted files
excluded, as the log says — and must restore the partition columns, which Delta keeps in the
log and not in the files. :func:`table_files` lists them from a loaded ``DeltaTable``: each
file's URI with its partition values (typed, as the log holds them), and the table's Arrow
schema. Two features of the Delta protocol a plain Parquet reader cannot honour are refused
with a :class:`~watchkeeper.errors.StorageError` naming them: deletion vectors on any listed
file (rows deleted without rewriting their file) and column mapping (files whose column
names differ from the table's).

>>> import tempfile
>>> from datetime import date
>>> import pyarrow as pa
>>> from deltalake import DeltaTable, write_deltalake
>>> folder = tempfile.mkdtemp()
>>> write_deltalake(folder, pa.table({"x": [1, 2], "day": [date(2026, 1, 1), None]}),
...                 partition_by=["day"])
>>> files = table_files(DeltaTable(folder))
>>> files.partition_columns, sorted(str(f.partition_values["day"]) for f in files.files)
(('day',), ['2026-01-01', 'None'])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from watchkeeper.errors import StorageError

if TYPE_CHECKING:
    from deltalake import DeltaTable

PARTITION_PREFIX = "partition."
"""How ``get_add_actions(flatten=True)`` names the partition value columns."""


@dataclass(frozen=True)
class DataFile:
    """One Parquet file of a version: its absolute URI and its partition values."""

    uri: str
    partition_values: Mapping[str, Any]


@dataclass(frozen=True)
class TableFiles:
    """The data files of one version of a Delta table (those of a range, when pruned)."""

    table_uri: str
    version: int
    schema: pa.Schema
    partition_columns: tuple[str, ...]
    files: tuple[DataFile, ...]

    @property
    def uris(self) -> list[str]:
        """The files' URIs, in the log's order."""
        return [file.uri for file in self.files]


def table_files(table: DeltaTable, filters: list[tuple[str, str, Any]] | None = None) -> TableFiles:
    """The files of ``table``'s loaded version that may hold rows passing ``filters``
    (deltalake's file-pruning predicate: partition values and column statistics)."""
    uri = str(table.table_uri).rstrip("/")
    check_readable(table)
    metadata = table.metadata()
    partition_columns = tuple(metadata.partition_columns)
    uris = [str(found) for found in table.file_uris(file_pruning_predicate=filters or None)]
    values = _partition_values(table, partition_columns)
    files = []
    for found in uris:
        relative = _relative(found, uri)
        if relative not in values:
            raise StorageError(f"{uri}: data file {found} is not in the table's log")
        files.append(DataFile(found, values[relative]))
    _refuse_deletion_vectors(table, set(uris))
    schema = pa.schema(table.schema().to_arrow())
    return TableFiles(uri, int(table.version()), schema, partition_columns, tuple(files))


def check_readable(table: DeltaTable) -> None:
    """Refuse a table whose files a plain Parquet reader would misread (column mapping).

    Deletion vectors are checked per file by :func:`table_files`.
    """
    mode = table.metadata().configuration.get("delta.columnMapping.mode", "none")
    if mode not in ("none", None):
        raise StorageError(
            f"{table.table_uri}: the table uses column mapping (delta.columnMapping.mode: "
            f"{mode}); its Parquet files cannot be read without the Delta connector"
        )


def _partition_values(table: DeltaTable, columns: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """The partition values of every file of the version, by path relative to the table."""
    actions = pa.table(table.get_add_actions(flatten=True))
    paths = actions.column("path").to_pylist()
    found = {
        name: actions.column(PARTITION_PREFIX + name).to_pylist()
        if PARTITION_PREFIX + name in actions.column_names
        else [None] * len(paths)
        for name in columns
    }
    return {
        _unquoted(path): {name: found[name][row] for name in columns}
        for row, path in enumerate(paths)
    }


def _refuse_deletion_vectors(table: DeltaTable, uris: set[str]) -> None:
    protocol = table.protocol()
    if "deletionVectors" not in (protocol.reader_features or []):
        return
    vectors = pa.table(table.deletion_vectors())
    marked = [path for path in vectors.column("filepath").to_pylist() if path in uris]
    if marked:
        raise StorageError(
            f"{table.table_uri}: {len(marked)} data file(s) carry deletion vectors (rows "
            f"deleted in place, e.g. {marked[0]}); a Parquet reader would see those rows: "
            "purge them first (REORG TABLE ... APPLY (PURGE)) or read with the Polars engine"
        )


def _relative(uri: str, table_uri: str) -> str:
    """``uri`` relative to the table's folder, unquoted as the log's paths are."""
    folder = table_uri.removeprefix("file://") + "/"
    path = uri.removeprefix("file://")
    return _unquoted(path[len(folder) :] if path.startswith(folder) else path)


def _unquoted(path: str) -> str:
    from urllib.parse import unquote

    return unquote(path)


__all__ = ["DataFile", "TableFiles", "check_readable", "table_files"]
