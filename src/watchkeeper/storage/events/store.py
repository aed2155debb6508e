"""The event store: append-only transactions, predictions and outcomes.

An :class:`EventStore` takes rows with :meth:`~EventStore.append` (durable when it
returns: the rows wait in a local crash-safe spool), commits them to the tables in
micro-batches with :meth:`~EventStore.flush`, loads large imports directly with
:meth:`~EventStore.write_bulk`, and serves event-time ranges with :meth:`~EventStore.read`,
one row per key. The tables and their rules are in :mod:`watchkeeper.storage.events.tables`.

The embedded implementation keeps Delta Lake tables under a local folder or an object-store
URL (:class:`watchkeeper.storage.events.delta_events.DeltaEventStore`); :func:`open_event_store`
opens it and replays whatever a previous process left in the spool.

>>> import tempfile
>>> from datetime import datetime, timezone
>>> from pathlib import Path
>>> import polars as pl
>>> from watchkeeper.clock import EventTimeClock
>>> folder = Path(tempfile.mkdtemp())
>>> clock = EventTimeClock(datetime(2026, 3, 1, tzinfo=timezone.utc))
>>> store = open_event_store(str(folder / "events"), folder / "events.spool", clock)
>>> chargeback = pl.DataFrame({"event_id": ["tx-1"], "outcome": ["chargeback"],
...     "outcome_ts": [datetime(2026, 2, 20, tzinfo=timezone.utc)], "amount": [120.0]})
>>> store.append("outcomes", chargeback).row_count
1
>>> store.flush().rows
1
>>> store.read("outcomes", start=datetime(2026, 2, 1), end=datetime(2026, 3, 1))["amount"].to_list()
[120.0]
>>> store.close()
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, runtime_checkable

import polars as pl
import pyarrow as pa

from watchkeeper.clock import Clock
from watchkeeper.storage.events.rows import EventRows
from watchkeeper.storage.events.spool import DeadLetter, SpoolBacklog
from watchkeeper.storage.events.tables import EVENT_TABLES, EventTableDefinition

if TYPE_CHECKING:
    from watchkeeper.storage.events.delta_file_list import TableFiles

BulkRows: TypeAlias = pl.DataFrame | pa.Table | pa.RecordBatchReader
"""What :meth:`EventStore.write_bulk` loads: a frame, a table, or a stream of batches."""


@dataclass(frozen=True)
class AppendReceipt:
    """The acknowledgement of an append: the rows are durable in the spool.

    ``spool_entry_id`` identifies the append (it grows with every append to one spool);
    ``received_at`` is the store's clock time when the rows arrived.
    """

    table: str
    spool_entry_id: int
    row_count: int
    received_at: datetime


@dataclass(frozen=True)
class TableFlush:
    """One Delta commit made by a flush: which spool entries and rows it carried."""

    table: str
    first_spool_entry_id: int
    last_spool_entry_id: int
    spool_entries: int
    rows: int
    table_version: int


@dataclass(frozen=True)
class FlushResult:
    """What a flush moved from the spool to the tables.

    ``recovered_spool_entries`` counts entries found already committed (a previous process
    died between the commit and the spool cleanup) and dropped from the spool unwritten;
    ``dead_letter_rows`` the rows that could not be written, set aside as dead letters.

    >>> one = FlushResult((TableFlush("outcomes", 1, 2, 2, 5, 3),), 0, 1)
    >>> total = one.plus(FlushResult((TableFlush("outcomes", 3, 3, 1, 2, 4),)))
    >>> total.rows, total.dead_letter_rows
    (7, 1)
    """

    commits: tuple[TableFlush, ...] = ()
    recovered_spool_entries: int = 0
    dead_letter_rows: int = 0

    @property
    def rows(self) -> int:
        """Rows committed by this flush."""
        return sum(commit.rows for commit in self.commits)

    def plus(self, other: FlushResult) -> FlushResult:
        """What this flush and ``other`` did together."""
        return FlushResult(
            self.commits + other.commits,
            self.recovered_spool_entries + other.recovered_spool_entries,
            self.dead_letter_rows + other.dead_letter_rows,
        )


@dataclass(frozen=True)
class BulkWriteResult:
    """The outcome of a bulk load; ``already_loaded`` when ``load_id`` had been loaded."""

    table: str
    load_id: str
    rows: int
    table_version: int
    already_loaded: bool


@dataclass(frozen=True)
class CompactionResult:
    """What a compaction rewrote: many small files into a few large ones."""

    table: str
    files_added: int
    files_removed: int


@dataclass(frozen=True)
class VacuumResult:
    """The files a vacuum deleted (or would delete, in a dry run)."""

    table: str
    removed_files: tuple[str, ...]
    dry_run: bool


@runtime_checkable
class EventStore(Protocol):
    """Append-only event tables with durable appends and deduplicated range reads."""

    automatic_flush: bool
    """Whether appends flush by themselves (False: another process flushes)."""

    def append(self, table: str, rows: EventRows) -> AppendReceipt:
        """Validate ``rows`` and store them durably; nothing is written if any is invalid."""
        ...

    def append_columns(
        self, table: str, columns: Mapping[str, Sequence[Any]], *, fsync: bool = True
    ) -> AppendReceipt:
        """:meth:`append` of plain columns (name -> values), checked as strictly; the cheap
        path for many small appends. ``fsync=False``: durable against the crash of any
        process (``kill -9``), not necessarily a power cut, and much cheaper."""
        ...

    def flush(self) -> FlushResult:
        """Commit every spooled row to its table, exactly once; set aside (dead letters)
        the rows that cannot be written, so that they never hold back the others."""
        ...

    def flushed_at_open(self) -> FlushResult:
        """What opening the store committed (a previous process's leftovers), once."""
        ...

    def backlog(self) -> SpoolBacklog:
        """What the spool holds that no flush has committed yet: entries, rows, oldest;
        and the rows set aside as dead letters."""
        ...

    def dead_letters(self, limit: int | None = None) -> list[DeadLetter]:
        """The rows set aside because they cannot be written, newest first."""
        ...

    def read(
        self,
        table: str,
        start: datetime | None = None,
        end: datetime | None = None,
        columns: Sequence[str] | None = None,
    ) -> pl.DataFrame:
        """Rows with event time in [start, end), one per key, sorted by event time."""
        ...

    def write_bulk(self, table: str, rows: BulkRows, load_id: str | None = None) -> BulkWriteResult:
        """Load many rows directly (no spool); a second load with one ``load_id`` is a no-op."""
        ...

    def table_version(self, table: str) -> int | None:
        """The table's current version, for lineage; ``None`` if it has no commit yet."""
        ...

    def close(self) -> None:
        """Flush and release the store."""
        ...


@runtime_checkable
class EventTableMaintenance(Protocol):
    """Housekeeping of file-based event tables (small files from micro-batches)."""

    def compact(self, table: str) -> CompactionResult:
        """Rewrite small files into large ones without changing the rows."""
        ...

    def vacuum(
        self, table: str, retention: timedelta = timedelta(days=7), dry_run: bool = False
    ) -> VacuumResult:
        """Delete files no version younger than ``retention`` refers to."""
        ...

    def file_uris(
        self, table: str, start: datetime | None = None, end: datetime | None = None
    ) -> list[str]:
        """The active data files (of an event-time range), for readers such as Spark."""
        ...

    def data_files(
        self, table: str, start: datetime | None = None, end: datetime | None = None
    ) -> TableFiles | None:
        """The active data files (of an event-time range) with their partition values and
        the table's schema; ``None`` before the table's first commit."""
        ...


def open_event_store(
    url: str,
    spool_path: Path,
    clock: Clock,
    storage_options: dict[str, str] | None = None,
    tables: Mapping[str, EventTableDefinition] | None = None,
    on_schema_change: Callable[[str, tuple[str, ...]], None] | None = None,
) -> EventStore:
    """Open the Delta event store at ``url`` (a folder or an object-store URL).

    ``spool_path`` is a local file for the spool; rows a previous process left there are
    committed before this returns. ``storage_options`` go to deltalake as they are
    (credentials, endpoint, region). ``tables``: the workspace's table definitions
    (:func:`~watchkeeper.storage.events.workspace_tables.event_tables_for`); the default ones
    otherwise. ``on_schema_change`` is told of each column a stored table gains.
    """
    from watchkeeper.storage.events.delta_events import DeltaEventStore

    return DeltaEventStore(
        url,
        spool_path,
        clock,
        storage_options,
        tables=tables if tables is not None else EVENT_TABLES,
        on_schema_change=on_schema_change,
    )


__all__ = [
    "AppendReceipt",
    "BulkRows",
    "BulkWriteResult",
    "CompactionResult",
    "DeadLetter",
    "EventRows",
    "EventStore",
    "EventTableMaintenance",
    "FlushResult",
    "TableFlush",
    "VacuumResult",
    "open_event_store",
]
