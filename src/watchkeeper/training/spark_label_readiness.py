"""When post-drift labels are ready, computed by Spark over the event store's Delta files.

:func:`spark_labels_ready_since` is :func:`~watchkeeper.training.pipeline.labels_ready_since`
for a workspace whose batch engine is Spark: the same transactions and outcomes, read by the
executors (:func:`~watchkeeper.training.spark_training_data.workspace_rows`); the label
delay learnt from the matured positives as the Spark training window learns it
(:func:`~watchkeeper.training.spark_window.spark_label_delay`, one number per positive to the
driver); and :func:`spark_labels_ready_at`, the moment the ``n``-th positive became usable,
found by sorting the usable moments on the cluster and bringing back the first ``n`` only.

>>> from datetime import timedelta
>>> micros(timedelta(days=1))
86400000000
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from watchkeeper.clock import as_utc
from watchkeeper.monitoring.outcomes.labels import maturity_cutoff
from watchkeeper.training.label_delay import (
    plan_provisional_labels,
    readiness_rule,
    ready_moment,
)
from watchkeeper.training.spark_training_data import (
    ONE_MICROSECOND,
    TRANSACTIONS,
    received_outcomes,
    workspace_rows,
)
from watchkeeper.training.spark_window import spark_label_delay

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from watchkeeper.config import ProvisionalLabelsConfig, WorkspaceConfig
    from watchkeeper.storage.events.store import EventStore

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
USABLE = "__wk_usable"


def micros(span: timedelta) -> int:
    """A span in whole microseconds (Spark's timestamp arithmetic here is in microseconds)."""
    return span // timedelta(microseconds=1)


def spark_labels_ready_since(
    events: EventStore,
    config: WorkspaceConfig,
    session: SparkSession,
    *,
    since: datetime,
    as_of: datetime,
    provisional: ProvisionalLabelsConfig | None,
) -> datetime | None:
    """:func:`~watchkeeper.training.pipeline.labels_ready_since` on Spark, equal to it
    (``provisional``: :func:`~watchkeeper.training.pipeline.provisional_settings`)."""

    moment = as_utc(as_of)
    horizon = config.label.maturity_horizon
    cutoff = maturity_cutoff(moment, horizon)
    start = min(as_utc(since), cutoff - config.training.window)
    keys, label = config.keys, config.label
    transactions = workspace_rows(
        session,
        events,
        config,
        TRANSACTIONS,
        start=start,
        end=moment + ONE_MICROSECOND,
        columns=[keys.event_id, keys.event_time],
    )
    received = received_outcomes(session, events, config, moment)
    delay = None
    if provisional is not None and provisional.enabled and not label.explicit_negatives:
        delay = spark_label_delay(
            transactions,
            received,
            moment=moment,
            horizon=horizon,
            since=cutoff - config.training.window,
            positive=label.positive_outcome,
            event_id=keys.event_id,
            event_time=keys.event_time,
        )
    plan = plan_provisional_labels(delay, provisional, explicit_negatives=label.explicit_negatives)
    return spark_labels_ready_at(
        transactions, received, since=since, as_of=moment, **readiness_rule(config, plan)
    )


def spark_labels_ready_at(
    events: DataFrame,
    outcomes: DataFrame,
    *,
    since: datetime,
    as_of: datetime,
    youngest_age: timedelta,
    min_positives: int,
    positive_outcome: str = "chargeback",
    event_id: str = "event_id",
    event_time: str = "ts",
    before_holdout: timedelta | None = None,
    sized_slices: int = 1,
) -> datetime | None:
    """:func:`~watchkeeper.training.label_delay.labels_ready_at` over Spark frames (the same
    rule, the same moment)."""
    from pyspark.sql import functions as sf

    moment = as_utc(as_of)
    first = (
        outcomes.where(
            (sf.col("outcome") == sf.lit(positive_outcome))
            & (sf.col("received_at") <= sf.lit(moment))
        )
        .groupBy(sf.col("event_id").alias(event_id))
        .agg(sf.unix_micros(sf.min("received_at")).alias("received_at"))
    )
    receipts = (
        events.where(sf.col(event_time) >= sf.lit(as_utc(since)))
        .select(event_id, sf.unix_micros(sf.col(event_time)).alias(event_time))
        .join(first, on=event_id, how="inner")
    )

    def nth_usable(age: timedelta, nth: int) -> datetime | None:
        if nth < 1:
            return None
        usable = sf.greatest(sf.col("received_at"), sf.col(event_time) + sf.lit(micros(age)))
        found = (
            receipts.select(usable.alias(USABLE))
            .where(sf.col(USABLE) <= sf.lit(micros(moment - EPOCH)))
            .orderBy(USABLE)
            .limit(nth)
            .collect()
        )
        if len(found) < nth:
            return None
        return EPOCH + timedelta(microseconds=int(found[nth - 1][USABLE]))

    return ready_moment(nth_usable, youngest_age, min_positives, before_holdout, sized_slices)


__all__ = ["micros", "spark_labels_ready_at", "spark_labels_ready_since"]
