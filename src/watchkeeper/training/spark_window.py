"""The training window on Spark: the label join, maturity, the slices' bounds and the sample.

:func:`spark_training_window` gives exactly what
:func:`~watchkeeper.training.window.training_window` gives (same rows, order, types and
values), computed by a Spark session over Spark frames of events and outcomes, so a window
whose events one machine cannot hold is selected, labelled and sampled on the cluster and
only the result comes to the driver. Each frame carries a long ``arrival`` column, its row
order in the Polars path (read by Spark from the Delta files,
:func:`~watchkeeper.compute.spark_events.spark_event_rows`, or handed over by
:func:`~watchkeeper.compute.spark_frames.spark_rows`): the window's
rows are ordered by (event time, arrival), and the latest of two outcomes received at the same
instant is the later arrival.

On Spark, in a few jobs over the window's rows (persisted between them):

1. the outcomes received by ``as_of``, and (binary, provisional labels on) the delays of the
   matured positives, collected (one number per positive) to learn ``F`` on the driver
   (:func:`~watchkeeper.training.label_delay.plan_provisional_labels`, the same decision);
2. the events between the window's bounds, joined to what the outcomes say: a received
   positive, the latest explicit outcome, or (multiclass, regression) the latest outcome's
   class or number, checked as the Polars path checks them; maturity from the cut-off;
   young events relabelled provisional;
3. one aggregate: the pending and labelled counts and the known positives' event times
   (for the holdout and validation slices sized by ``min_positives``), whose bounds the
   driver then computes as the Polars path does (:func:`~watchkeeper.training.window.slice_starts`);
4. the sample (:mod:`~watchkeeper.training.window_sample`): the training slice's rows of the
   entities out of the sample are dropped on the executors (the same hash, in Python there);
5. the rows kept are collected as Arrow, sorted by (event time, arrival), cast back to the
   events' Polars types, and split by the bounds; the provisional weights (a row-local
   function of age and label) are added on the driver by the Polars path's own function.

Only the collected result must fit the driver: sample a window larger than that.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from watchkeeper.clock import as_utc
from watchkeeper.compute.spark_session import PANDAS_NOTICE, collect_arrow
from watchkeeper.config import LabelConfig, ModelTask, ProvisionalLabelsConfig
from watchkeeper.errors import ConfigError, SchemaError, TrainingDataError
from watchkeeper.monitoring.outcomes.labels import (
    NEGATIVE,
    PENDING,
    POSITIVE,
    PROVISIONAL,
    maturity_cutoff,
)
from watchkeeper.monitoring.outcomes.task_labels import LABELLED
from watchkeeper.training.label_delay import (
    SECOND,
    LabelDelay,
    ProvisionalLabels,
    plan_provisional_labels,
)
from watchkeeper.training.window import (
    WEIGHT,
    TrainingWindow,
    WindowBounds,
    check_labelled,
    check_slices,
    empty_window_error,
    no_outcome_error,
    sliced_window,
    with_provisional_weights,
)
from watchkeeper.training.window_sample import EntitySample

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import Column, DataFrame

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

KEEP = "__wk_in_sample"
"""The helper column of the sample's verdict on a training row."""


def spark_training_window(
    events: DataFrame,
    outcomes: DataFrame,
    *,
    arrival: str,
    as_of: datetime,
    maturity_horizon: timedelta,
    window: timedelta,
    validation: timedelta,
    holdout: timedelta,
    positive_outcome: str = "chargeback",
    event_id: str = "event_id",
    event_time: str = "ts",
    task: ModelTask = "binary",
    label: LabelConfig | None = None,
    provisional: ProvisionalLabelsConfig | None = None,
    min_positives: int = 0,
    sample: EntitySample | None = None,
    schema: Mapping[str, pl.DataType] | None = None,
) -> TrainingWindow:
    """:func:`~watchkeeper.training.window.training_window` on Spark (see the module's notes).

    ``events`` and ``outcomes`` are Spark frames with the long column ``arrival`` (their rows'
    order); the other arguments are ``training_window``'s. ``schema`` (the events' Polars
    types) casts the collected columns back to them. The slices are Polars frames.
    """
    from pyspark.sql import functions as sf

    check_slices(window, validation, holdout)
    moment = as_utc(as_of)
    cutoff = maturity_cutoff(moment, maturity_horizon)
    received = outcomes.where(sf.col("received_at") <= sf.lit(moment))
    positive = label.positive_outcome if label is not None else positive_outcome
    explicit = label is not None and label.explicit_negatives
    plan = None
    if task == "binary":
        delay = None
        if provisional is not None and provisional.enabled and not explicit:
            delay = spark_label_delay(
                events,
                received,
                moment=moment,
                horizon=maturity_horizon,
                since=cutoff - window,
                positive=positive,
                event_id=event_id,
                event_time=event_time,
            )
        plan = plan_provisional_labels(delay, provisional, explicit_negatives=explicit)
    end = cutoff
    if plan is not None and plan.youngest_age is not None:
        end = max(cutoff, moment - plan.youngest_age)
    start = end - window
    time = sf.col(event_time)
    in_window = events.where((time >= sf.lit(start)) & (time <= sf.lit(end)))
    if task == "binary":
        negatives = label.negative_outcomes if (label is not None and explicit) else None
        labelled = _binary_labels(
            in_window, received, cutoff, positive, negatives, event_id, event_time, arrival
        )
    elif label is None:
        raise TrainingDataError(f"a {task} training window needs the workspace's label section")
    else:
        labelled = _task_labels(in_window, received, label, task, event_id, arrival)
    if plan is not None and plan.active:
        young = time > sf.lit(cutoff)
        labelled = labelled.withColumns(
            {
                "label_status": sf.when(young, sf.lit(PROVISIONAL)).otherwise(
                    sf.col("label_status")
                ),
                "label": sf.when(young, sf.coalesce(sf.col("label"), sf.lit(0).cast("byte")))
                .otherwise(sf.col("label"))
                .cast("byte"),
            }
        )
    bounds = WindowBounds(moment, cutoff, start, end, window, validation, holdout)
    labelled = labelled.persist()
    try:
        return _sliced(
            labelled,
            bounds,
            received=received,
            arrival=arrival,
            event_time=event_time,
            task=task,
            min_positives=min_positives,
            plan=plan,
            sample=sample,
            schema=schema,
        )
    finally:
        labelled.unpersist()


def _sliced(
    labelled: DataFrame,
    bounds: WindowBounds,
    *,
    received: DataFrame,
    arrival: str,
    event_time: str,
    task: ModelTask,
    min_positives: int,
    plan: ProvisionalLabels | None,
    sample: EntitySample | None,
    schema: Mapping[str, pl.DataType] | None,
) -> TrainingWindow:
    """Steps 3 to 5 of the module's notes: counts, bounds, sample, collection, split."""
    from pyspark.sql import functions as sf

    moment, cutoff, start = bounds.as_of, bounds.cutoff, bounds.start

    time, status = sf.col(event_time), sf.col("label_status")
    positive_times = sf.lit(None)
    if task == "binary" and min_positives > 0:
        positive_times = sf.collect_list(sf.when(sf.col("label") == 1, sf.unix_micros(time)))
    counts = (
        labelled.agg(
            sf.count_if(status == sf.lit(PENDING)).alias("pending"),
            sf.count_if(status != sf.lit(PENDING)).alias("labelled"),
            positive_times.alias("positives"),
        )
        .crossJoin(received.agg(sf.count("*").alias("received")))
        .first()
    )
    assert counts is not None
    if int(counts["received"]) == 0:  # the Polars path's checks, in its order
        raise no_outcome_error(moment)
    pending, known = int(counts["pending"]), int(counts["labelled"])
    if pending + known == 0:
        raise empty_window_error(start, bounds.end, moment, cutoff)
    unlabelled = 0
    if task != "binary":
        unlabelled, labelled = pending, labelled.where(status != sf.lit(PENDING))
        check_labelled(known, pending, start, cutoff, moment)
    else:
        check_labelled(known, pending, start, cutoff, moment, binary=True)
    positives = [EPOCH + timedelta(microseconds=value) for value in counts["positives"] or []]
    starts = bounds.slice_starts(positives, min_positives)
    kept, whole = labelled, None
    if sample is not None:
        in_training = time < sf.lit(starts[0])
        whole = labelled.where(in_training).count()
        kept = _in_sample(labelled, sample, in_training)
    rows = pl.from_arrow(collect_arrow(kept.orderBy(event_time, arrival)))
    assert isinstance(rows, pl.DataFrame)
    rows = rows.drop(arrival)
    if schema is not None:
        rows = rows.cast({name: kind for name, kind in schema.items() if name in rows.columns})
    if task == "binary":
        rows = rows.with_columns(pl.col("label").cast(pl.Int8))
        if plan is not None and plan.active:
            rows = with_provisional_weights(rows, plan, moment, cutoff, event_time)
        else:
            rows = rows.with_columns(pl.lit(1.0, dtype=pl.Float64).alias(WEIGHT))
    return sliced_window(
        rows,
        bounds,
        starts,
        event_time=event_time,
        task=task,
        unlabelled=unlabelled,
        plan=plan,
        sample=sample,
        training_rows=whole,
    )


def spark_label_delay(
    events: DataFrame,
    received: DataFrame,
    *,
    moment: datetime,
    horizon: timedelta,
    since: datetime,
    positive: str,
    event_id: str,
    event_time: str,
) -> LabelDelay:
    """``F`` learnt as :func:`~watchkeeper.training.label_delay.estimate_label_delay` learns
    it: the delays of the matured positives since ``since``, collected (one per positive)."""
    from pyspark.sql import functions as sf

    time = sf.col(event_time)
    first = (
        received.where(sf.col("outcome") == sf.lit(positive))
        .groupBy(sf.col("event_id").alias(event_id))
        .agg(sf.min("received_at").alias("__wk_received"))
    )
    matured = events.where((time <= sf.lit(moment - horizon)) & (time >= sf.lit(since)))
    delay = (sf.unix_micros(sf.col("__wk_received")) - sf.unix_micros(time)) / sf.lit(1e6)
    delays = (
        matured.select(event_id, event_time)
        .join(first, on=event_id, how="inner")
        .select(delay.alias("delay"))
        .where((sf.col("delay") >= 0) & (sf.col("delay") <= sf.lit(horizon / SECOND)))
    )
    values = collect_arrow(delays).column("delay").to_numpy()
    return LabelDelay(horizon, np.asarray(values, dtype=np.float64))


def _binary_labels(
    in_window: DataFrame,
    received: DataFrame,
    cutoff: datetime,
    positive: str,
    negatives: list[str] | None,
    event_id: str,
    event_time: str,
    arrival: str,
) -> DataFrame:
    """``label_status`` and ``label`` as
    :func:`~watchkeeper.monitoring.outcomes.labels.attach_labels` adds them (``negatives``:
    the explicit negative outcomes, None without explicit negatives)."""
    from pyspark.sql import functions as sf

    if negatives is not None:
        candidates = received.where(sf.col("outcome").isin([positive, *negatives]))
        known = _latest(candidates, arrival).select(
            sf.col("event_id").alias(event_id),
            (sf.col("outcome") == sf.lit(positive)).alias("__wk_positive"),
            (sf.col("outcome") != sf.lit(positive)).alias("__wk_negative"),
        )
    else:
        known = (
            received.where(sf.col("outcome") == sf.lit(positive))
            .select(sf.col("event_id").alias(event_id))
            .distinct()
            .select(
                event_id, sf.lit(True).alias("__wk_positive"), sf.lit(False).alias("__wk_negative")
            )
        )
    is_positive = sf.coalesce(sf.col("__wk_positive"), sf.lit(False))
    matured = sf.col(event_time) <= sf.lit(cutoff)
    negative = matured | sf.coalesce(sf.col("__wk_negative"), sf.lit(False))
    status = (
        sf.when(is_positive, sf.lit(POSITIVE))
        .when(negative, sf.lit(NEGATIVE))
        .otherwise(sf.lit(PENDING))
    )
    value = (
        sf.when(is_positive, sf.lit(1)).when(negative, sf.lit(0)).otherwise(sf.lit(None))
    ).cast("byte")
    joined = in_window.join(known, on=event_id, how="left")
    return joined.select(*in_window.columns, status.alias("label_status"), value.alias("label"))


def _task_labels(
    in_window: DataFrame,
    received: DataFrame,
    label: LabelConfig,
    task: ModelTask,
    event_id: str,
    arrival: str,
) -> DataFrame:
    """``label`` and ``label_status`` as
    :func:`~watchkeeper.monitoring.outcomes.task_labels.attach_task_labels` adds them to a
    multiclass or regression window, refusing the same outcomes."""
    from pyspark.sql import functions as sf

    latest = _latest(received, arrival)
    kind = received.schema["outcome"].dataType.simpleString()
    outcome = sf.col("outcome")
    if task == "multiclass":
        if label.classes is None:
            raise SchemaError("label.classes: a multiclass label needs the list of its classes")
        if kind not in ("string", "void"):
            raise SchemaError(f"a multiclass outcome must be a class name (a string), not {kind}")
        (unknown,) = _first_of(latest, outcome.isNotNull() & ~outcome.isin(label.classes))
        if unknown is not None:
            raise SchemaError(
                f"outcome class {unknown!r} is not in label.classes ({', '.join(label.classes)})"
            )
        value = outcome.cast("string")
    else:
        if kind == "string":
            value = sf.expr("try_cast(`outcome` AS DOUBLE)")
        elif kind in NUMERIC or kind == "void":
            value = outcome.cast("double")
        else:
            raise SchemaError(f"a regression outcome must be a number, not {kind}")
        infinite = sf.isnan(value) | (sf.abs(value) == sf.lit(float("inf")))
        failed, infinite_value = _first_of(
            latest, outcome.isNotNull() & value.isNull(), infinite, value=value
        )
        if failed is not None:
            raise SchemaError(f"regression outcome {failed!r} is not a number")
        if infinite_value is not None:
            raise SchemaError(f"regression outcome {infinite_value} is not a finite number")
    known = latest.select(sf.col("event_id").alias(event_id), value.alias("label"))
    joined = in_window.join(known, on=event_id, how="left")
    status = sf.when(sf.col("label").isNull(), sf.lit(PENDING)).otherwise(sf.lit(LABELLED))
    return joined.select(*in_window.columns, "label", status.alias("label_status"))


NUMERIC = frozenset({"tinyint", "smallint", "int", "bigint", "float", "double"})
"""Spark's numeric outcome types a regression label takes as they are (decimals too)."""


def _latest(received: DataFrame, arrival: str) -> DataFrame:
    """One row per ``event_id``: its latest outcome (ties on ``received_at``: the later
    arrival), as :func:`~watchkeeper.monitoring.outcomes.labels.latest_outcomes` keeps it."""
    from pyspark.sql import Window
    from pyspark.sql import functions as sf

    newest_first = Window.partitionBy("event_id").orderBy(
        sf.col("received_at").desc(), sf.col(arrival).desc()
    )
    ranked = received.withColumn("__wk_rank", sf.row_number().over(newest_first))
    return ranked.where(sf.col("__wk_rank") == 1).drop("__wk_rank")


def _first_of(
    latest: DataFrame, refused: Column, refused_value: Column | None = None, *, value: Any = None
) -> tuple[Any, ...]:
    """In one job: an ``outcome`` where ``refused`` holds, and (with ``refused_value``) a
    ``value`` where that holds; None for each condition no row meets."""
    from pyspark.sql import functions as sf

    firsts = [sf.first(sf.when(refused, sf.col("outcome")), ignorenulls=True)]
    if refused_value is not None:
        firsts.append(sf.first(sf.when(refused_value, value), ignorenulls=True))
    row = latest.agg(*firsts).first()
    return tuple(row) if row is not None else (None,) * len(firsts)


def _in_sample(rows: DataFrame, sample: EntitySample, in_training: Column) -> DataFrame:
    """``rows`` without the training rows of entities out of ``sample``; the hash runs on
    the executors, on Arrow batches, with :meth:`EntitySample.keep`."""
    from pyspark.sql import functions as sf
    from pyspark.sql.types import BooleanType, StructField, StructType

    if sample.entity not in rows.columns:
        raise ConfigError(
            f"training.sample: the events have no column {sample.entity!r} (keys.entity)"
        )
    position = rows.columns.index(sample.entity)

    def mark(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa

        for batch in batches:
            values = pl.from_arrow(batch.column(position))
            assert isinstance(values, pl.Series)
            keep = pa.array(sample.keep(values), type=pa.bool_())
            yield pa.RecordBatch.from_arrays(
                [*batch.columns, keep], names=[*batch.schema.names, KEEP]
            )

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", PANDAS_NOTICE, FutureWarning)  # Arrow, no pandas
        marked = rows.mapInArrow(
            mark, StructType([*rows.schema.fields, StructField(KEEP, BooleanType(), False)])
        )
    return marked.where(~in_training | sf.col(KEEP)).drop(KEEP)


__all__ = ["spark_label_delay", "spark_training_window"]
