"""The Delta Lake side of the event store: one Delta table per event table under a root.

:class:`DeltaEventTables` creates the tables, commits row batches (retrying conflicts with
backoff and, on a local root, funnelling commits of one table through a file lock), reads
time ranges with partition pruning on ``event_date`` and file skipping on the event time,
and runs the housekeeping (compaction, vacuum, file listing for Spark).

A commit can carry an *application transaction* (Delta's ``txn`` action: an application id
and a version). Delta stores it atomically with the data, so after a crash the store asks
:meth:`DeltaEventTables.committed_version` whether a batch landed before committing it again.

>>> import tempfile
>>> from datetime import date, datetime, timezone
>>> import pyarrow as pa
>>> from watchkeeper.storage.events.rows import conform_rows, with_arrival_sequence
>>> from watchkeeper.storage.events.tables import event_table
>>> outcomes = event_table("outcomes")
>>> tables = DeltaEventTables(tempfile.mkdtemp())
>>> rows = conform_rows(outcomes, pa.table({"event_id": ["e1"], "outcome": ["chargeback"],
...     "outcome_ts": [datetime(2026, 1, 5, tzinfo=timezone.utc)]}),
...     datetime(2026, 2, 1, tzinfo=timezone.utc))
>>> tables.commit(outcomes, with_arrival_sequence(rows, 1), ApplicationTransaction("spool-x", 1))
1
>>> tables.committed_version("outcomes", "spool-x"), tables.version("outcomes")
(1, 1)
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
from deltalake import CommitProperties, DeltaTable, Transaction, write_deltalake
from deltalake import Field as DeltaField
from deltalake.exceptions import CommitFailedError, DeltaError, SchemaMismatchError

from watchkeeper.clock import as_utc
from watchkeeper.errors import SchemaError, StorageError, StoreUnavailableError
from watchkeeper.locations import is_local, local_path
from watchkeeper.storage.events.delta_file_list import TableFiles, check_readable, table_files
from watchkeeper.storage.events.file_columns import DEFAULT_BUDGET_BYTES, FileColumns
from watchkeeper.storage.events.file_lock import FileLock
from watchkeeper.storage.events.schema_evolution import added_columns
from watchkeeper.storage.events.store import CompactionResult
from watchkeeper.storage.events.tables import EVENT_DATE_COLUMN, TIMESTAMP, EventTableDefinition

DEFAULT_COMMIT_ATTEMPTS = 12
"""Outer attempts per commit; each attempt lets deltalake itself retry many times."""

DELTALAKE_COMMIT_RETRIES = 50
"""Retries inside one deltalake commit (cheap: the data files are already written)."""

LOCK_FOLDER = "_watchkeeper_locks"

logger = logging.getLogger(__name__)

_ONE_MICROSECOND = timedelta(microseconds=1)


SchemaChanged = Callable[[str, tuple[str, ...]], None]
"""Told of each schema change a table took: its name and the columns added."""


@dataclass(frozen=True)
class ApplicationTransaction:
    """A Delta ``txn`` action: ``application_id`` reached ``version`` in this commit."""

    application_id: str
    version: int


def normalise_root(url: str) -> str:
    """An absolute path for a local root, the URL without trailing slashes otherwise.

    >>> normalise_root("file:///data/events/"), normalise_root("s3://bucket/events/")
    ('/data/events', 's3://bucket/events')
    """
    if is_local(url):
        return str(Path(local_path(url)).expanduser().resolve())
    return url.rstrip("/")


class DeltaEventTables:
    """The Delta tables of one event store root (a local folder or an object-store URL)."""

    def __init__(
        self,
        root: str,
        storage_options: dict[str, str] | None = None,
        *,
        commit_attempts: int = DEFAULT_COMMIT_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
        on_schema_change: SchemaChanged | None = None,
        cache_bytes: int = DEFAULT_BUDGET_BYTES,
    ) -> None:
        self.root = normalise_root(root)
        self._on_schema_change = on_schema_change
        self._storage_options = dict(storage_options) if storage_options else None
        self._commit_attempts = commit_attempts
        self._sleep = sleep
        self._tables: dict[str, DeltaTable] = {}
        self._checked_schemas: set[str] = set()
        self._file_columns = FileColumns(cache_bytes)
        self._partition_values: dict[str, dict[str, Mapping[str, Any]]] = {}
        """Per table URI, its files' partition values as of the last listing that needed them."""
        self._lock = threading.RLock()
        if is_local(self.root):
            try:
                Path(self.root).mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise StorageError(
                    f"cannot create the event store root {self.root}: {error}"
                ) from error

    def uri(self, table: str) -> str:
        """The URI of ``table``'s Delta folder."""
        return f"{self.root}/{table}"

    def version(self, table: str) -> int | None:
        """The latest committed version of ``table``; ``None`` before its first commit."""
        found = self._load(table)
        return None if found is None else int(found.version())

    def committed_version(self, table: str, application_id: str) -> int | None:
        """The last version ``application_id`` committed to ``table``, or ``None``."""
        found = self._load(table)
        if found is None:
            return None
        version = found.transaction_version(application_id)
        return None if version is None else int(version)

    def commit(
        self,
        definition: EventTableDefinition,
        rows: pa.Table | pa.RecordBatchReader,
        application: ApplicationTransaction | None = None,
        metadata: dict[str, str] | None = None,
    ) -> int:
        """Append ``rows`` (already conformed, with arrival sequence) in one Delta commit.

        Returns the new table version. A conflict is retried with backoff. A batch whose
        ``application`` transaction is already in the table is not written again, and the
        table's current version is returned. A stream (record batch reader) can be read
        only once, so it gets deltalake's own commit retries but no second attempt. On a
        local root, commits to one table take turns under a file lock and do not conflict.
        """
        name = definition.name
        attempts = self._commit_attempts if isinstance(rows, pa.Table) else 1
        for attempt in range(attempts):
            with self._commit_lock(name), self._lock:
                table = self._load_or_create(definition)
                if application is not None:
                    landed = table.transaction_version(application.application_id)
                    if landed is not None and landed >= application.version:
                        return int(table.version())
                try:
                    write_deltalake(
                        table,
                        rows,
                        mode="append",
                        schema_mode="merge",
                        partition_by=[EVENT_DATE_COLUMN],
                        commit_properties=_commit_properties(application, metadata),
                    )
                    return int(table.version())
                except CommitFailedError as error:
                    if attempt + 1 == attempts:
                        raise StorageError(
                            f"table {self.uri(name)}: commit failed after {attempts} attempt(s): {error}"
                        ) from error
                except SchemaMismatchError as error:
                    raise SchemaError(
                        f"table {self.uri(name)}: Delta refused the rows: {error}"
                    ) from error
                except DeltaError as error:
                    raise StorageError(
                        f"table {self.uri(name)}: the commit failed: {error}"
                    ) from error
                except OSError as error:
                    raise StoreUnavailableError(f"table {self.uri(name)}: {error}") from error
            self._sleep(min(2.0, 0.02 * 2**attempt) * random.uniform(0.5, 1.0))
        raise AssertionError("unreachable")  # pragma: no cover

    def check_schema(self, definition: EventTableDefinition) -> None:
        """Bring a stored table's schema up to ``definition`` once per process: add the
        optional columns it gained, refuse (:class:`SchemaError`) any other change.

        Appends call it before spooling, so rows of a schema the table cannot take are
        refused at once rather than held in the spool by a failing flush.
        """
        if definition.name in self._checked_schemas:
            return
        with self._commit_lock(definition.name), self._lock:
            found = self._load(definition.name)
            if found is not None and definition.name not in self._checked_schemas:
                self._evolve_schema(definition, found)
                self._checked_schemas.add(definition.name)

    def range_columns(
        self,
        table: str,
        columns: list[str],
        time_column: str | None,
        start: datetime | None,
        end: datetime | None,
    ) -> pa.Table | None:
        """``columns`` of the rows of ``table`` whose ``time_column`` is in [start, end)
        (either bound may be open; with neither, ``time_column`` may be None), typed as the
        table's schema; ``None`` before the table's first commit. A column no file holds yet
        is left out.

        Partition pruning keeps only the ``event_date`` folders of the range, file skipping
        drops files whose event-time statistics fall outside it. On a local root each file's
        columns are read once and kept (:class:`~watchkeeper.storage.events.file_columns.FileColumns`):
        the monitor and the retraining policy reread the weeks behind them on every tick.
        """
        filters: list[tuple[str, str, Any]] = []
        wanted: ds.Expression | None = None
        extra: list[str] = []  # the filter reads the time column, asked for or not
        if time_column is not None:
            filters = _pruning_filters(start, end, time_column)
            wanted = time_filter(time_column, start, end)
            if wanted is not None and time_column not in columns:
                extra = [time_column]
        elif start is not None or end is not None:
            raise ValueError("a time range needs its time column")
        with self._lock:
            found = self._load(table)
            if found is None:
                return None
            if not is_local(self.root):
                dataset = found.to_pyarrow_dataset(file_pruning_predicate=filters or None)
                present = [name for name in columns if name in dataset.schema.names]
                return dataset.to_table(columns=present, filter=wanted)
            rows = self._kept_rows(found, [*columns, *extra], filters)
        if wanted is None:
            return rows
        rows = rows.filter(wanted)
        return rows.drop_columns(extra) if extra else rows

    def whole_columns(self, table: str, columns: list[str]) -> pa.Table | None:
        """``columns`` of every row of ``table`` (None before its first commit), as
        :meth:`range_columns` reads them: a reader that needs the whole table's keys on
        every call — choosing the latest arrival of each outcome — opens only the files
        added since its last call."""
        return self.range_columns(table, columns, None, None, None)

    def _kept_rows(
        self, found: DeltaTable, columns: list[str], filters: list[tuple[str, str, Any]]
    ) -> pa.Table:
        """The rows of the loaded version's files passing ``filters`` (deltalake's pruning
        predicate), from the kept columns; files are listed from the log (building a
        dataset costs a millisecond or more per file)."""
        check_readable(found)
        schema = pa.schema(found.schema().to_arrow())
        present = [name for name in columns if name in schema.names]
        paths = [
            local_path(str(uri)) for uri in found.file_uris(file_pruning_predicate=filters or None)
        ]
        if not paths:
            return schema.empty_table().select(present)
        partition_columns = set(found.metadata().partition_columns)
        partitioned = [name for name in present if name in partition_columns]
        uri = str(found.table_uri)
        values = self._partition_values.get(uri, {})
        if partitioned and any(path not in values for path in paths):  # the version's files
            values = {
                local_path(file.uri): file.partition_values for file in table_files(found).files
            }
            self._partition_values[uri] = values
        files = [
            self._file_columns.read(
                path, present, schema, {name: values[path][name] for name in partitioned}
            )
            for path in paths
        ]
        return pa.concat_tables(files, promote_options="default")

    def file_uris(
        self, table: str, time_column: str, start: datetime | None, end: datetime | None
    ) -> list[str]:
        """Absolute URIs of the active Parquet files that may hold rows of [start, end)."""
        filters = _pruning_filters(start, end, time_column)
        with self._lock:
            found = self._load(table)
            if found is None:
                return []
            return [str(uri) for uri in found.file_uris(file_pruning_predicate=filters or None)]

    def data_files(
        self, table: str, time_column: str, start: datetime | None, end: datetime | None
    ) -> TableFiles | None:
        """The active Parquet files that may hold rows of [start, end), with their partition
        values and the table's schema (:func:`~watchkeeper.storage.events.delta_file_list.table_files`);
        ``None`` before the table's first commit."""
        filters = _pruning_filters(start, end, time_column)
        with self._lock:
            found = self._load(table)
            if found is None:
                return None
            return table_files(found, filters or None)

    def compact(self, table: str, target_size: int | None = None) -> CompactionResult:
        """Rewrite small files into large ones (``optimize.compact``); data is unchanged."""
        with self._commit_lock(table), self._lock:
            found = self._load(table)
            if found is None:
                return CompactionResult(table, 0, 0)
            metrics: dict[str, Any] = found.optimize.compact(
                target_size=target_size,
                commit_properties=CommitProperties(max_commit_retries=DELTALAKE_COMMIT_RETRIES),
            )
        return CompactionResult(
            table, int(metrics["numFilesAdded"]), int(metrics["numFilesRemoved"])
        )

    def vacuum(self, table: str, retention: timedelta, dry_run: bool = False) -> list[str]:
        """Delete files unreferenced for longer than ``retention``; return their paths.

        A retention under Delta's default of 7 days can delete the files of a write still
        in flight elsewhere: use it only when no other writer is running.
        """
        with self._lock:
            found = self._load(table)
            if found is None:
                return []
            hours = int(retention / timedelta(hours=1))
            removed = found.vacuum(
                retention_hours=hours,
                dry_run=dry_run,
                enforce_retention_duration=hours >= 168,
            )
        return [str(path) for path in removed]

    def _load(self, table: str) -> DeltaTable | None:
        with self._lock:
            cached = self._tables.get(table)
            try:
                if cached is not None:
                    cached.update_incremental()
                    return cached
                if not DeltaTable.is_deltatable(self.uri(table), self._storage_options):
                    return None
                loaded = DeltaTable(self.uri(table), storage_options=self._storage_options)
            except OSError as error:
                raise StoreUnavailableError(
                    f"cannot reach the event table {self.uri(table)}: {error}"
                ) from error
            except DeltaError as error:
                raise StorageError(
                    f"cannot open the event table {self.uri(table)}: {error}"
                ) from error
            self._tables[table] = loaded
            return loaded

    def _load_or_create(self, definition: EventTableDefinition) -> DeltaTable:
        found = self._load(definition.name)
        if found is not None:
            if definition.name not in self._checked_schemas:
                self._evolve_schema(definition, found)
                self._checked_schemas.add(definition.name)
            return found
        try:
            DeltaTable.create(
                self.uri(definition.name),
                definition.stored_schema,
                mode="ignore",
                partition_by=[EVENT_DATE_COLUMN],
                name=definition.name,
                storage_options=self._storage_options,
            )
        except DeltaError:
            pass  # another process created it at the same moment: load it below
        except OSError as error:
            raise StoreUnavailableError(
                f"cannot create the event table {self.uri(definition.name)}: {error}"
            ) from error
        created = self._load(definition.name)
        if created is None:
            raise StorageError(
                f"the event table {self.uri(definition.name)} was created but cannot be opened"
            )
        return created

    def _evolve_schema(self, definition: EventTableDefinition, table: DeltaTable) -> None:
        """Add the optional columns the definition gained; refuse any other change."""
        new = added_columns(definition, pa.schema(table.schema().to_arrow()))
        if not new:
            return
        names = ", ".join(field.name for field in new)
        try:
            table.alter.add_columns(
                [DeltaField.from_arrow(field) for field in new],
                commit_properties=CommitProperties(
                    custom_metadata={"watchkeeper.schema_change": f"added optional {names}"},
                    max_commit_retries=DELTALAKE_COMMIT_RETRIES,
                ),
            )
        except DeltaError as error:
            table.update_incremental()
            if set(pa.schema(table.schema().to_arrow()).names) >= {f.name for f in new}:
                return  # another writer added them at the same moment
            raise StorageError(
                f"table {self.uri(definition.name)}: adding column(s) {names} failed: {error}"
            ) from error
        table.update_incremental()
        logger.info("table %s: added optional column(s) %s", self.uri(definition.name), names)
        if self._on_schema_change is not None:
            self._on_schema_change(definition.name, tuple(field.name for field in new))

    def _commit_lock(self, table: str) -> AbstractContextManager[object]:
        if is_local(self.root):
            return FileLock(Path(self.root) / LOCK_FOLDER / f"{table}.lock")
        return nullcontext()


def time_filter(
    time_column: str, start: datetime | None, end: datetime | None
) -> ds.Expression | None:
    """The row filter ``start <= time_column < end`` (either bound may be open).

    >>> from datetime import timezone
    >>> print(time_filter("ts", None, datetime(2026, 1, 2, tzinfo=timezone.utc)))
    (ts < 2026-01-02 00:00:00.000000Z)
    """
    expression: ds.Expression | None = None
    if start is not None:
        expression = ds.field(time_column) >= pa.scalar(as_utc(start), TIMESTAMP)
    if end is not None:
        below_end = ds.field(time_column) < pa.scalar(as_utc(end), TIMESTAMP)
        expression = below_end if expression is None else expression & below_end
    return expression


def _pruning_filters(
    start: datetime | None, end: datetime | None, time_column: str
) -> list[tuple[str, str, Any]]:
    filters: list[tuple[str, str, Any]] = []
    if start is not None:
        start = as_utc(start)
        filters += [(EVENT_DATE_COLUMN, ">=", start.date()), (time_column, ">=", start)]
    if end is not None:
        end = as_utc(end)
        filters += [
            (EVENT_DATE_COLUMN, "<=", (end - _ONE_MICROSECOND).date()),
            (time_column, "<", end),
        ]
    return filters


def _commit_properties(
    application: ApplicationTransaction | None, metadata: dict[str, str] | None
) -> CommitProperties:
    transactions = (
        None
        if application is None
        else [Transaction(application.application_id, application.version)]
    )
    return CommitProperties(
        custom_metadata=metadata,
        max_commit_retries=DELTALAKE_COMMIT_RETRIES,
        app_transactions=transactions,
    )


__all__ = [
    "DEFAULT_COMMIT_ATTEMPTS",
    "ApplicationTransaction",
    "DeltaEventTables",
    "SchemaChanged",
    "normalise_root",
    "time_filter",
]
