"""The embedded event store: a crash-safe local spool in front of Delta Lake tables.

How a row travels: :meth:`DeltaEventStore.append` validates it and writes it to the spool
(one SQLite transaction, fsynced: the acknowledgement). :meth:`DeltaEventStore.flush` moves
spooled entries to Delta in id order, a micro-batch per commit. Each commit carries a Delta
application transaction ``(watchkeeper-spool-<spool id>, <last entry id>)``, written
atomically with the rows, and lists the entries in its commit metadata. Only after the
commit are the entries deleted from the spool. If the process dies in between, the next
flush (every open starts with one) reads the application transaction back and drops the
entries it covers instead of writing them again: each acknowledged row lands exactly once.
Readers also keep one row per key, as a safety net and for replayed events.

A spooled row that cannot be written (text UTF-8 cannot encode, a value its column cannot
hold, an entry that cannot be read) never holds back the rows behind it: the flush sets it
aside in the spool's dead letters with its reason (:mod:`watchkeeper.storage.events.flush_batch`,
:mod:`watchkeeper.storage.events.spool_dead_letters`) and commits the others; :meth:`dead_letters`
lists them. Errors of the storage itself (Delta unreachable, a conflict that outlasts the
retries) leave every row in the spool for the next flush. After a flush the spool gives the
space of its flushed entries back (:meth:`~watchkeeper.storage.events.spool.Spool.reclaim_space`).

Flushes of one spool take turns under a file lock; commits to one local table take turns
under another, and every commit is retried with backoff when Delta reports a conflict, so
any number of processes may append and flush at once.

>>> import tempfile
>>> from datetime import datetime, timezone
>>> from pathlib import Path
>>> import polars as pl
>>> from watchkeeper.clock import EventTimeClock
>>> folder = Path(tempfile.mkdtemp())
>>> clock = EventTimeClock(datetime(2026, 1, 2, tzinfo=timezone.utc))
>>> with DeltaEventStore(str(folder / "events"), folder / "spool.db", clock) as store:
...     _ = store.append("predictions", pl.DataFrame({
...         "event_id": ["tx-1", "tx-1"], "ts": [datetime(2026, 1, 1, 9)] * 2,
...         "entity": ["card-7"] * 2, "model_version": [3, 3], "route": ["champion"] * 2,
...         "score": [0.91, 0.91], "decision": [True, True], "latency_ms": [4.2, 4.4],
...         "raw_input": ["{}"] * 2, "features": ['{"amount": 120.0}'] * 2}))
...     _ = store.flush()
...     store.read("predictions", columns=["event_id", "latency_ms"]).rows()
[('tx-1', 4.2)]
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import polars as pl
import pyarrow as pa

from watchkeeper.clock import Clock, as_utc
from watchkeeper.errors import SchemaError, StorageError, WatchkeeperError
from watchkeeper.storage.events.column_payload import encode_columns
from watchkeeper.storage.events.deduplication import deduplicate
from watchkeeper.storage.events.delta_file_list import TableFiles
from watchkeeper.storage.events.delta_tables import (
    DEFAULT_COMMIT_ATTEMPTS,
    ApplicationTransaction,
    DeltaEventTables,
    SchemaChanged,
)
from watchkeeper.storage.events.flush_batch import prepare_batch
from watchkeeper.storage.events.rows import (
    ConformedStream,
    EventRows,
    conform_rows,
    fingerprint,
    with_arrival_sequence,
)
from watchkeeper.storage.events.spool import (
    DeadLetter,
    Spool,
    SpoolBacklog,
    SpoolEntry,
    SpoolReceipt,
)
from watchkeeper.storage.events.store import (
    AppendReceipt,
    BulkRows,
    BulkWriteResult,
    CompactionResult,
    FlushResult,
    TableFlush,
    VacuumResult,
)
from watchkeeper.storage.events.tables import (
    EVENT_DATE_COLUMN,
    EVENT_TABLES,
    DuplicatePolicy,
    EventTableDefinition,
    event_table,
)

logger = logging.getLogger(__name__)

AfterCommit = Callable[[TableFlush], None]
"""Called after each Delta commit of a flush, before the spool forgets the entries."""


class DeltaEventStore:
    """Delta Lake event tables behind a crash-safe spool; see the module docstring.

    ``flush_threshold_rows`` and ``flush_threshold_age`` make an append flush once that
    many rows wait or the oldest has waited that long (by ``clock``). ``commit_batch_rows``
    caps the rows of one Delta commit. ``after_commit`` is a hook for tests of crash
    recovery and for metrics. Set :attr:`automatic_flush` to False when another process
    flushes this spool (``watchkeeper serve``'s flusher): appends then never flush.
    """

    def __init__(
        self,
        url: str,
        spool_path: Path,
        clock: Clock,
        storage_options: dict[str, str] | None = None,
        *,
        tables: Mapping[str, EventTableDefinition] = EVENT_TABLES,
        flush_threshold_rows: int = 100_000,
        flush_threshold_age: timedelta = timedelta(minutes=1),
        commit_batch_rows: int = 1_000_000,
        commit_attempts: int = DEFAULT_COMMIT_ATTEMPTS,
        after_commit: AfterCommit | None = None,
        on_schema_change: SchemaChanged | None = None,
    ) -> None:
        self._definitions = tables
        self._clock = clock
        self._flush_threshold_rows = flush_threshold_rows
        self._flush_threshold_age = flush_threshold_age
        self._commit_batch_rows = commit_batch_rows
        self._after_commit = after_commit
        self.automatic_flush = True
        """Whether an append flushes once the thresholds are reached."""
        self._tables = DeltaEventTables(
            url,
            storage_options,
            commit_attempts=commit_attempts,
            on_schema_change=on_schema_change,
        )
        self._spool = Spool(spool_path, owner=self._tables.root)
        self._flush_lock = threading.RLock()
        self._backlog_lock = threading.Lock()
        self._waiting_rows = 0
        self._oldest_waiting: datetime | None = None
        self._closed = False
        try:
            self._flushed_at_open: FlushResult | None = self.flush()
        except BaseException:
            self._spool.close()
            raise

    @property
    def root(self) -> str:
        """The normalised root of the Delta tables (absolute path or URL)."""
        return self._tables.root

    @property
    def spool_id(self) -> str:
        """The id of this store's spool, as recorded in Delta commits."""
        return self._spool.spool_id

    def append(self, table: str, rows: EventRows) -> AppendReceipt:
        """Validate ``rows`` and store them durably in the spool; see :class:`EventStore`.

        May flush afterwards (thresholds); a failing automatic flush is logged, not raised,
        since the rows are already safe in the spool.
        """
        self._check_open()
        definition = event_table(table, self._definitions)
        self._tables.check_schema(definition)
        received_at = as_utc(self._clock.now())
        conformed = conform_rows(definition, rows, received_at)
        if conformed.num_rows == 0:
            return AppendReceipt(table, 0, 0, received_at)
        receipt = self._spool.append(table, conformed, received_at)
        return self._received(receipt, received_at)

    def append_columns(
        self, table: str, columns: Mapping[str, Sequence[Any]], *, fsync: bool = True
    ) -> AppendReceipt:
        """:meth:`append` of plain columns (name -> Python values): the cheap path for many
        small appends (a service's prediction log).

        The values are checked against the table's types here, as strictly as :meth:`append`
        checks a frame (:func:`~watchkeeper.storage.events.column_payload.encode_columns`), and stored
        as JSON; the flush turns them into Arrow in bulk. ``fsync=False``: durable against
        the crash of any process but not a power cut, and cheap enough for an event loop
        (:meth:`~watchkeeper.storage.events.spool.Spool.append_payload`).
        """
        self._check_open()
        definition = event_table(table, self._definitions)
        self._tables.check_schema(definition)
        received_at = as_utc(self._clock.now())
        row_count, payload = encode_columns(definition, columns, received_at=received_at)
        if row_count == 0:
            return AppendReceipt(table, 0, 0, received_at)
        receipt = self._spool.append_payload(table, row_count, payload, received_at, fsync=fsync)
        return self._received(receipt, received_at)

    def _received(self, receipt: SpoolReceipt, received_at: datetime) -> AppendReceipt:
        if self.automatic_flush and self._note_waiting(receipt.row_count, received_at):
            try:
                self.flush()
            except WatchkeeperError as error:
                logger.warning(
                    "automatic flush of %s failed, rows stay spooled: %s", self.root, error
                )
        return AppendReceipt(receipt.table, receipt.entry_id, receipt.row_count, received_at)

    def flush(self) -> FlushResult:
        """Commit every entry spooled when the flush began to Delta, exactly once, in id
        order per table; set aside, as dead letters, the rows that cannot be written.

        Entries appended meanwhile wait for the next flush: a flush that chased them under
        steady appends would never end, committing ever smaller batches back to back.
        Entries of a table this store does not define stay in the spool (logged).
        """
        self._check_open()
        commits: list[TableFlush] = []
        recovered = 0
        set_aside = 0
        with self._flush_lock, self._spool.exclusive():
            for table in self._spool.tables():
                definition = self._definitions.get(table)
                if definition is None:
                    logger.warning(
                        "%s: the spool holds rows of an unknown table %r; they stay there",
                        self.root,
                        table,
                    )
                    continue
                application_id = f"watchkeeper-spool-{self._spool.spool_id}"
                newest = self._spool.newest_entry_id(table)
                committed = self._tables.committed_version(table, application_id) or 0
                recovered += self._spool.forget_through(table, committed)
                while entries := self._spool.take(
                    table, committed, self._commit_batch_rows, through_entry_id=newest
                ):
                    commit, rows_set_aside = self._commit_entries(
                        definition, entries, application_id
                    )
                    if commit is not None:
                        commits.append(commit)
                    set_aside += rows_set_aside
                    committed = entries[-1].entry_id
            backlog = self._spool.backlog()
            with self._backlog_lock:
                self._waiting_rows = backlog.rows
                self._oldest_waiting = backlog.oldest_created_at
            if commits or recovered or set_aside:
                self._spool.reclaim_space()
        if recovered:
            logger.info("%s: %d spool entries were already committed", self.root, recovered)
        return FlushResult(tuple(commits), recovered, set_aside)

    def flushed_at_open(self) -> FlushResult:
        """What the flush made when this store opened (rows a previous process left in the
        spool), the first time it is asked; an empty result afterwards, so that a caller
        reporting what it committed counts those rows once."""
        found, self._flushed_at_open = self._flushed_at_open, None
        return found if found is not None else FlushResult()

    def dead_letters(self, limit: int | None = None) -> list[DeadLetter]:
        """The spooled rows set aside because they cannot be written, newest first (at
        most ``limit``); see :mod:`watchkeeper.storage.events.spool_dead_letters`."""
        self._check_open()
        return self._spool.dead_letters(limit)

    def backlog(self) -> SpoolBacklog:
        """What waits in the spool for a flush (a count over the spool file, read now):
        entries, rows, and the clock's time when the oldest was appended."""
        self._check_open()
        return self._spool.backlog()

    def read(
        self,
        table: str,
        start: datetime | None = None,
        end: datetime | None = None,
        columns: Sequence[str] | None = None,
    ) -> pl.DataFrame:
        """Rows with event time in [start, end), one per key, sorted by event time and key.

        Only the ``event_date`` partitions of the range are opened. For a table whose
        latest arrival wins (``outcomes``), the winner of each key is chosen over the whole
        table (reading only the key and ordering columns elsewhere), so reads of two
        ranges never both count one key. Spooled rows not yet flushed are not visible.
        """
        self._check_open()
        definition = event_table(table, self._definitions)
        stored = definition.stored_schema
        requested = (
            list(columns) if columns is not None else [*definition.schema.names, EVENT_DATE_COLUMN]
        )
        unknown = [name for name in requested if name not in stored.names]
        if unknown:
            raise SchemaError(f"table {table!r} has no column(s) {', '.join(map(repr, unknown))}")
        ranked = [*definition.key_columns, *definition.order_columns]
        needed = list(dict.fromkeys([*requested, *ranked, definition.time_column]))
        whole_table = definition.duplicate_policy is DuplicatePolicy.LATEST_ARRIVAL and (
            start is not None or end is not None
        )
        latest_wins = definition.duplicate_policy is DuplicatePolicy.LATEST_ARRIVAL
        if latest_wins and start is None and end is None:
            found = self._tables.whole_columns(table, needed)
        else:
            found = self._tables.range_columns(table, needed, definition.time_column, start, end)
        if found is None:
            return _empty(stored, requested)
        frame = deduplicate(_with_all_columns(found, stored, needed), definition)
        if whole_table and frame.height:
            index = self._tables.whole_columns(table, ranked)
            assert index is not None  # the range read found the table
            winners = deduplicate(_with_all_columns(index, stored, ranked), definition)
            frame = frame.join(winners.select(ranked), on=ranked, how="semi", nulls_equal=True)
        return frame.sort([definition.time_column, *definition.key_columns]).select(requested)

    def write_bulk(self, table: str, rows: BulkRows, load_id: str | None = None) -> BulkWriteResult:
        """Load ``rows`` straight into Delta in one commit, bypassing the spool.

        The load is idempotent by ``load_id``, recorded in the commit: loading the same id
        again writes nothing. Without one, a frame's content fingerprint is the id; a stream
        of batches (``pyarrow.RecordBatchReader``, read once, never held in memory whole)
        needs an explicit ``load_id``. Validation errors in a stream abort the commit.
        """
        self._check_open()
        definition = event_table(table, self._definitions)
        received_at = as_utc(self._clock.now())
        if isinstance(rows, pa.RecordBatchReader):
            if load_id is None:
                raise StorageError(f"bulk load into {table!r} from a stream needs a load_id")
            stream = ConformedStream(definition, rows, received_at)
            data: pa.Table | pa.RecordBatchReader = stream.reader()
        else:
            stream = None
            data = with_arrival_sequence(conform_rows(definition, rows, received_at), 0)
            load_id = load_id or fingerprint(data)
        application = ApplicationTransaction(f"watchkeeper-bulk-{load_id}", 1)
        if self._tables.committed_version(table, application.application_id) is not None:
            version = self._tables.version(table)
            assert version is not None
            return BulkWriteResult(table, load_id, 0, version, already_loaded=True)
        metadata = {
            "watchkeeper.bulk_load": load_id,
            "watchkeeper.received_at": received_at.isoformat(),
        }
        try:
            version = self._tables.commit(definition, data, application, metadata)
        except Exception:
            if stream is not None and stream.error is not None:
                raise stream.error from None
            raise
        row_count = stream.rows if stream is not None else data.num_rows
        return BulkWriteResult(table, load_id, row_count, version, already_loaded=False)

    def table_version(self, table: str) -> int | None:
        """The Delta version of ``table`` (for lineage); ``None`` before its first commit."""
        self._check_open()
        return self._tables.version(event_table(table, self._definitions).name)

    def compact(self, table: str) -> CompactionResult:
        """Rewrite the small files of micro-batches into large ones (``optimize.compact``)."""
        self._check_open()
        return self._tables.compact(event_table(table, self._definitions).name)

    def vacuum(
        self, table: str, retention: timedelta = timedelta(days=7), dry_run: bool = False
    ) -> VacuumResult:
        """Delete files unreferenced for longer than ``retention`` (compacted-away files)."""
        self._check_open()
        name = event_table(table, self._definitions).name
        return VacuumResult(name, tuple(self._tables.vacuum(name, retention, dry_run)), dry_run)

    def file_uris(
        self, table: str, start: datetime | None = None, end: datetime | None = None
    ) -> list[str]:
        """The active Parquet files (those that may hold [start, end)), e.g. for Spark."""
        self._check_open()
        definition = event_table(table, self._definitions)
        return self._tables.file_uris(definition.name, definition.time_column, start, end)

    def data_files(
        self, table: str, start: datetime | None = None, end: datetime | None = None
    ) -> TableFiles | None:
        """The active Parquet files (those that may hold [start, end)) with their partition
        values and the table's schema, for readers such as Spark; ``None`` before the
        table's first commit."""
        self._check_open()
        definition = event_table(table, self._definitions)
        return self._tables.data_files(definition.name, definition.time_column, start, end)

    def close(self) -> None:
        """Flush what is spooled and close the spool; closing twice does nothing."""
        if self._closed:
            return
        try:
            self.flush()
        finally:
            self._closed = True
            self._spool.close()

    def __enter__(self) -> DeltaEventStore:
        return self

    def __exit__(
        self,
        exception_type: type[BaseException] | None,
        exception: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"DeltaEventStore(root={self.root!r}, spool={str(self._spool.path)!r})"

    def _commit_entries(
        self, definition: EventTableDefinition, entries: list[SpoolEntry], application_id: str
    ) -> tuple[TableFlush | None, int]:
        """Commit the rows of ``entries`` and forget them; the commit (None when every row
        was set aside) and how many rows were set aside.

        Rows set aside are recorded first: a crash before the commit finds them again and
        records nothing twice; the commit's application transaction still names the last
        entry, so the next flush starts after it either way.
        """
        batch = prepare_batch(definition, entries)
        first, last = entries[0].entry_id, entries[-1].entry_id
        if batch.set_aside:
            self._spool.set_aside(definition.name, list(batch.set_aside), self._clock.now())
            for piece in batch.set_aside:
                logger.warning(
                    "%s: %d row(s) of %s (spool entry %d, from row %d) set aside as dead "
                    "letters: %s",
                    self.root,
                    piece.row_count,
                    definition.name,
                    piece.entry_id,
                    piece.first_row,
                    piece.reason[:200],
                )
        rows = batch.rows
        if rows.num_rows == 0:
            self._spool.forget_through(definition.name, last)
            return None, batch.rows_set_aside
        metadata = {
            "watchkeeper.spool_id": self._spool.spool_id,
            "watchkeeper.first_spool_entry": str(first),
            "watchkeeper.last_spool_entry": str(last),
            "watchkeeper.rows": str(rows.num_rows),
            "watchkeeper.flushed_at": as_utc(self._clock.now()).isoformat(),
        }
        version = self._tables.commit(
            definition, rows, ApplicationTransaction(application_id, last), metadata
        )
        flushed = TableFlush(definition.name, first, last, len(entries), rows.num_rows, version)
        if self._after_commit is not None:
            self._after_commit(flushed)
        self._spool.forget_through(definition.name, last)
        return flushed, batch.rows_set_aside

    def _note_waiting(self, row_count: int, created_at: datetime) -> bool:
        with self._backlog_lock:
            self._waiting_rows += row_count
            if self._oldest_waiting is None or created_at < self._oldest_waiting:
                self._oldest_waiting = created_at
            waited = as_utc(self._clock.now()) - self._oldest_waiting
            return (
                self._waiting_rows >= self._flush_threshold_rows
                or waited >= self._flush_threshold_age
            )

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError(f"the event store {self.root} is closed")


def _with_all_columns(rows: pa.Table, stored: pa.Schema, names: list[str]) -> pl.DataFrame:
    """A frame of ``names``, adding typed empty columns the table does not have yet."""
    frame = pl.from_arrow(rows)
    assert isinstance(frame, pl.DataFrame)
    missing = [name for name in names if name not in frame.columns]
    if missing:
        empty = _empty(stored, missing)
        frame = frame.with_columns(
            pl.lit(None, dtype=empty.schema[name]).alias(name) for name in missing
        )
    return frame


def _empty(stored: pa.Schema, names: list[str]) -> pl.DataFrame:
    frame = pl.from_arrow(stored.empty_table())
    assert isinstance(frame, pl.DataFrame)
    return frame.select(names)


__all__ = ["AfterCommit", "DeltaEventStore"]
