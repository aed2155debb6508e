"""Reading an event table on Spark the way the event store reads it, from its Delta files.

:func:`spark_event_rows` is :meth:`~watchkeeper.storage.events.store.EventStore.read` for a
Spark session: the same rows (event time in ``[start, end)``, one per key by the table's
duplicate policy) in a Spark frame, read by the executors from the files of the table's
current Delta version (:meth:`~watchkeeper.storage.events.delta_events.DeltaEventStore.data_files`,
:func:`~watchkeeper.compute.delta_files.read_table_files`). No row passes through the driver.

* **Files.** A table whose first arrival wins (``transactions``) is read from the files that
  may hold the range (partition pruning on ``event_date``, file skipping on the event time);
  one whose latest arrival wins (``outcomes``) from all its files, since the winner of a key
  is chosen over the whole table, as the store chooses it.
* **One row per key.** ``row_number`` over the key, ordered by the table's order columns
  (ascending for the first arrival, descending for the latest), keeps the row the store keeps.
* **Order.** The store returns rows sorted by event time and key; the frame carries that
  order in a long column ``arrival`` (a global sort, then ``monotonically_increasing_id``:
  increasing along the sort, not consecutive), which the Spark engines use wherever the
  Polars ones use row order (ties of equal timestamps).

Columns the table does not hold yet (declared since) read as typed nulls, as in the store.

>>> from watchkeeper.storage.events.tables import event_table
>>> needed_columns(event_table("outcomes"), ["event_id", "outcome"])
['event_id', 'outcome', 'received_at', 'arrival_sequence', 'outcome_ts']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import polars as pl

from watchkeeper.clock import as_utc
from watchkeeper.compute.delta_files import read_table_files, spark_schema
from watchkeeper.errors import SchemaError, StorageError
from watchkeeper.storage.events.tables import (
    EVENT_DATE_COLUMN,
    DuplicatePolicy,
    EventTableDefinition,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from watchkeeper.storage.events.store import EventStore

RANK = "__wk_rank"


def needed_columns(definition: EventTableDefinition, requested: Sequence[str]) -> list[str]:
    """The columns read to return ``requested``: with the key, order and time columns."""
    ranked = [*definition.key_columns, *definition.order_columns]
    return list(dict.fromkeys([*requested, *ranked, definition.time_column]))


def polars_schema(definition: EventTableDefinition, columns: Sequence[str]) -> pl.Schema:
    """The Polars types the store's read gives ``columns`` (to cast collected rows back).

    >>> from watchkeeper.storage.events.tables import event_table
    >>> dict(polars_schema(event_table("outcomes"), ["received_at"]))
    {'received_at': Datetime(time_unit='us', time_zone='UTC')}
    """
    frame = pl.from_arrow(definition.stored_schema.empty_table())
    assert isinstance(frame, pl.DataFrame)
    return frame.select(columns).schema


def spark_event_rows(
    session: SparkSession,
    events: EventStore,
    definition: EventTableDefinition,
    *,
    arrival: str,
    start: datetime | None = None,
    end: datetime | None = None,
    columns: Sequence[str] | None = None,
    storage_options: Mapping[str, str] | None = None,
) -> DataFrame:
    """The rows ``events.read(definition.name, start, end, columns)`` returns, as a Spark
    frame of ``columns`` and the long column ``arrival`` (their order; see the module).

    ``events`` must list its data files (a Delta event store); ``storage_options`` are the
    workspace's (:func:`~watchkeeper.compute.delta_files.hadoop_options`).
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as sf

    stored = definition.stored_schema
    requested = (
        list(columns) if columns is not None else [*definition.schema.names, EVENT_DATE_COLUMN]
    )
    unknown = [name for name in requested if name not in stored.names]
    if unknown:
        raise SchemaError(
            f"table {definition.name!r} has no column(s) {', '.join(map(repr, unknown))}"
        )
    listing = getattr(events, "data_files", None)
    if listing is None:
        raise StorageError(
            f"the Spark engine reads event tables from their files; {type(events).__name__} "
            "does not list them (use the Delta event store)"
        )
    latest_wins = definition.duplicate_policy is DuplicatePolicy.LATEST_ARRIVAL
    files = listing(definition.name) if latest_wins else listing(definition.name, start, end)
    needed = needed_columns(definition, requested)
    if files is None:
        empty = session.createDataFrame([], spark_schema(stored)).select(*requested)
        return empty.withColumn(arrival, sf.lit(0).cast("long"))
    present = [name for name in needed if name in files.schema.names]
    rows = read_table_files(session, files, storage_options, present)
    missing = [name for name in needed if name not in present]
    if missing:
        types = spark_schema(stored)
        rows = rows.withColumns({name: sf.lit(None).cast(types[name].dataType) for name in missing})
    time = sf.col(definition.time_column)
    in_range = sf.lit(True)
    if start is not None:
        in_range = in_range & (time >= sf.lit(as_utc(start)))
    if end is not None:
        in_range = in_range & (time < sf.lit(as_utc(end)))
    order = [sf.col(name) for name in definition.order_columns]
    if latest_wins:
        order = [column.desc() for column in order]
    keyed = Window.partitionBy(*definition.key_columns).orderBy(*order)
    if not latest_wins:
        rows = rows.where(in_range)
    rows = rows.withColumn(RANK, sf.row_number().over(keyed)).where(sf.col(RANK) == 1)
    if latest_wins:
        rows = rows.where(in_range)
    ordered = rows.orderBy(definition.time_column, *definition.key_columns)
    return ordered.select(*requested).withColumn(arrival, sf.monotonically_increasing_id())


__all__ = ["needed_columns", "polars_schema", "spark_event_rows"]
