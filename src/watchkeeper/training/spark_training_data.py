"""What a training attempt reads, read by Spark from the event store's Delta files.

:func:`read_spark_training_data` is :func:`~watchkeeper.training.pipeline.read_training_data`
for a Spark session: the same transactions (the window and its warm-up) and outcomes
(received by as-of), as Spark frames read by the executors from the files of the tables'
current Delta versions (:func:`~watchkeeper.compute.spark_events.spark_event_rows`), each
with the long column :data:`ARRIVAL` carrying the store's row order. Nothing is read into
the driver; the training window and the features are then computed on the cluster
(:func:`~watchkeeper.training.pipeline.featured_window`), and only their results come back.

>>> from watchkeeper.training.spark_training_data import ARRIVAL
>>> ARRIVAL
'__wk_arrival'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import polars as pl

from watchkeeper.clock import as_utc
from watchkeeper.compute.spark_events import polars_schema, spark_event_rows
from watchkeeper.monitoring.outcomes.labels import maturity_cutoff
from watchkeeper.storage.events.tables import EVENT_DATE_COLUMN, event_table
from watchkeeper.storage.events.workspace_tables import event_tables_for

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from watchkeeper.config import WorkspaceConfig
    from watchkeeper.storage.events.store import EventStore

TRANSACTIONS = "transactions"
OUTCOMES = "outcomes"
ARRIVAL = "__wk_arrival"
"""The row-order column of the frames Spark reads (the store's order: event time, key)."""
ONE_MICROSECOND = timedelta(microseconds=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SparkTrainingData:
    """What was read for one attempt, held by Spark: transactions (warm-up included) and
    outcomes, each with :data:`ARRIVAL`; ``schema`` is the transactions' Polars types."""

    as_of: datetime
    events: DataFrame
    outcomes: DataFrame
    schema: pl.Schema
    table_versions: dict[str, int | None]

    def persist(self) -> SparkTrainingData:
        """Keep both frames on the executors (memory, then disk) while they are used."""
        self.events.persist()
        self.outcomes.persist()
        return self

    def unpersist(self) -> None:
        """Let the executors drop the kept frames."""
        self.events.unpersist()
        self.outcomes.unpersist()


def workspace_rows(
    session: SparkSession,
    events: EventStore,
    config: WorkspaceConfig,
    table: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    columns: list[str] | None = None,
) -> DataFrame:
    """``events.read(table, start, end, columns)`` of the workspace's table, on Spark."""
    return spark_event_rows(
        session,
        events,
        event_table(table, event_tables_for(config)),
        arrival=ARRIVAL,
        start=start,
        end=end,
        columns=columns,
        storage_options=config.storage.storage_options,
    )


def read_spark_training_data(
    events: EventStore,
    config: WorkspaceConfig,
    session: SparkSession,
    *,
    as_of: datetime,
    warm_up: timedelta,
    provisional: bool,
) -> SparkTrainingData:
    """The rows :func:`~watchkeeper.training.pipeline.read_training_data` reads, held by
    Spark (``provisional``: the window reaches as-of, for provisional labels)."""

    moment = as_utc(as_of)
    cutoff = maturity_cutoff(moment, config.label.maturity_horizon)
    start = cutoff - config.training.window - warm_up
    end = moment if provisional else cutoff
    transactions = workspace_rows(
        session, events, config, TRANSACTIONS, start=start, end=end + ONE_MICROSECOND
    )
    outcomes = received_outcomes(session, events, config, moment)
    definition = event_table(TRANSACTIONS, event_tables_for(config))
    schema = polars_schema(definition, [*definition.schema.names, EVENT_DATE_COLUMN])
    versions = {table: events.table_version(table) for table in (TRANSACTIONS, OUTCOMES)}
    return SparkTrainingData(moment, transactions, outcomes, schema, versions)


def received_outcomes(
    session: SparkSession, events: EventStore, config: WorkspaceConfig, as_of: datetime
) -> DataFrame:
    """The outcomes received by ``as_of`` (event id, outcome, when received), one per event
    (the latest arrival), as the training window reads them; on Spark."""
    from pyspark.sql import functions as sf

    moment = as_utc(as_of)
    return workspace_rows(
        session,
        events,
        config,
        OUTCOMES,
        end=moment + ONE_MICROSECOND,
        columns=["event_id", "outcome", "received_at"],
    ).where(sf.col("received_at") <= sf.lit(moment))


def spark_latest_event_time(
    events: EventStore, config: WorkspaceConfig, session: SparkSession
) -> datetime | None:
    """:func:`~watchkeeper.training.pipeline.latest_event_time` on Spark (one aggregate)."""
    from pyspark.sql import functions as sf

    time = config.keys.event_time
    rows = workspace_rows(session, events, config, TRANSACTIONS, columns=[time])
    found = rows.agg(sf.unix_micros(sf.max(time)).alias("latest")).first()
    latest = None if found is None else found["latest"]
    return None if latest is None else EPOCH + timedelta(microseconds=int(latest))


__all__ = [
    "ARRIVAL",
    "SparkTrainingData",
    "read_spark_training_data",
    "received_outcomes",
    "spark_latest_event_time",
    "workspace_rows",
]
