"""Building a workspace's training inputs: from the event store to a featured, labelled window.

``watchkeeper train`` and ``watchkeeper retrain`` (and the benchmark) share this one path:

1. **As of when.** :func:`resolve_as_of`: the moment asked for, else the time of the newest
   transaction, never later than the workspace clock's now. For a live workspace the newest
   event is about now; for a history loaded by the simulator it is where that history ends,
   while a wall-clock now could lie months after it (every label matured, the window past
   the data). The wall clock is never read here: "now" is the clock passed in.
2. **Read point in time.** :func:`read_training_data`: transactions from the window's start
   minus a warm-up (the longest feature window, the champion's included) up to the maturity
   cut-off — up to as-of when a binary model takes provisional labels — all at or before
   as-of; outcomes received by as-of only. With Spark,
   :func:`~watchkeeper.training.spark_training_data.read_spark_training_data` reads the same
   rows on the executors, from the event store's Delta files.
3. **Label and slice.** :func:`~watchkeeper.training.window.training_window`: matured events,
   and for a binary model the younger events with provisional, delay-weighted labels
   (``label.provisional``), split by time into train, validation and holdout (the holdout
   and the validation slice sized by ``retraining.min_positives``); the training slice
   sampled by entity with ``training.sample`` (:mod:`~watchkeeper.training.window_sample`).
   With Spark, :func:`~watchkeeper.training.spark_window.spark_training_window` does the
   same on the cluster.
4. **Features.** :func:`featured_window`: the feature spec is fitted on the training slice
   alone; the batch engine then computes every feature over the window *and* its warm-up, so
   windowed aggregates of the first days see their history, and only the window's rows are
   kept. Validation and holdout get the same fitted spec. The champion's features for the
   holdout rows are computed with the champion's own fitted spec (a raw column it needs and
   the new data lacks is a :class:`~watchkeeper.errors.SchemaError`: a schema change); with
   Spark, by Spark too.
5. :func:`build_attempt_inputs` puts it together with the table versions and the reference
   profile writer into :class:`~watchkeeper.training.retrain_attempt.AttemptInputs`.

>>> from datetime import UTC, datetime
>>> now = datetime(2026, 6, 1, tzinfo=UTC)
>>> resolve_as_of(None, latest_event=datetime(2025, 3, 1, tzinfo=UTC), now=now).date()
datetime.date(2025, 3, 1)
>>> resolve_as_of(None, latest_event=None, now=now) == now
True
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import polars as pl

from watchkeeper.clock import as_utc
from watchkeeper.config import ProvisionalLabelsConfig, WorkspaceConfig
from watchkeeper.errors import FeatureError, TrainingDataError
from watchkeeper.features.batch_engine import BatchFeatureEngine, BatchResult
from watchkeeper.features.fit import fit
from watchkeeper.features.fitted import FittedFeatureSpec
from watchkeeper.features.spec import FeatureSpec
from watchkeeper.monitoring.outcomes.labels import maturity_cutoff
from watchkeeper.registry.registry import CHAMPION, ModelRegistry
from watchkeeper.training.label_delay import (
    labels_ready_at,
    learn_provisional_labels,
    readiness_rule,
)
from watchkeeper.training.reference_profile import ReferenceProfileWriter
from watchkeeper.training.retrain_attempt import AttemptInputs, Progress
from watchkeeper.training.spark_training_data import ARRIVAL, SparkTrainingData
from watchkeeper.training.window import RECEIVED_SHARE, WEIGHT, TrainingWindow, training_window
from watchkeeper.training.window_sample import EntitySample

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from watchkeeper.config import SparkConfig
    from watchkeeper.storage.events.store import EventStore
    from watchkeeper.workspace import Workspace

TRANSACTIONS = "transactions"
OUTCOMES = "outcomes"
AMOUNT_COLUMN = "amount"
ONE_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class TrainingData:
    """What was read for one attempt: raw transactions (warm-up included) and outcomes."""

    as_of: datetime
    events: pl.DataFrame
    outcomes: pl.DataFrame
    table_versions: dict[str, int | None]


@dataclass(frozen=True)
class FeaturedWindow:
    """The labelled window whose slices hold the feature columns, and how they were made.

    ``champion_holdout`` holds the champion's features for the holdout rows (same order), or
    is None without a champion spec; ``rejected_rows`` counts rows the schema refused.
    """

    window: TrainingWindow
    fitted: FittedFeatureSpec
    feature_names: tuple[str, ...]
    champion_holdout: pl.DataFrame | None
    rejected_rows: int


def resolve_as_of(
    requested: datetime | None, *, latest_event: datetime | None, now: datetime
) -> datetime:
    """The moment an attempt is made as of (see the module's step 1), in UTC."""
    if requested is not None:
        return as_utc(requested)
    if latest_event is None:
        return as_utc(now)
    return min(as_utc(latest_event), as_utc(now))


def latest_event_time(events: EventStore, event_time: str = "ts") -> datetime | None:
    """The event time of the newest transaction in the store (None when there is none)."""
    times = events.read(TRANSACTIONS, columns=[event_time])[event_time]
    latest = times.max() if times.len() else None
    return as_utc(latest) if isinstance(latest, datetime) else None


def warm_up(config: WorkspaceConfig, champion_spec: FittedFeatureSpec | None) -> timedelta:
    """History needed before the window: the longest feature window of either spec.

    >>> import yaml
    >>> from watchkeeper.config import parse_config
    >>> from watchkeeper.workspace import example_text
    >>> warm_up(parse_config(yaml.safe_load(example_text("fraud"))), None)  # card_amount_mean_30d
    datetime.timedelta(days=30)
    """
    longest = FeatureSpec.from_workspace_config(config).longest_window
    if champion_spec is not None:
        longest = max(longest, champion_spec.spec.longest_window)
    return longest


def provisional_settings(config: WorkspaceConfig) -> ProvisionalLabelsConfig | None:
    """``label.provisional`` when it applies: a binary model, enabled, no explicit negatives.

    >>> import yaml
    >>> from watchkeeper.config import parse_config
    >>> from watchkeeper.workspace import example_text
    >>> provisional_settings(parse_config(yaml.safe_load(example_text("fraud")))).min_delay_share
    0.3
    """
    label = config.label
    applies = config.model.task == "binary" and label.provisional.enabled
    return label.provisional if applies and not label.explicit_negatives else None


def read_training_data(
    events: EventStore, config: WorkspaceConfig, *, as_of: datetime, warm_up: timedelta
) -> TrainingData:
    """Read what an attempt as of ``as_of`` may see (see the module's step 2).

    The transactions span ``[cutoff - training.window - warm_up, cutoff]`` with ``cutoff =
    as_of - label.maturity_horizon`` (to ``as_of`` with provisional labels:
    :func:`provisional_settings`); the outcomes are those received at or before ``as_of``.
    """
    moment = as_utc(as_of)
    cutoff = maturity_cutoff(moment, config.label.maturity_horizon)
    start = cutoff - config.training.window - warm_up
    end = moment if provisional_settings(config) is not None else cutoff
    transactions = events.read(TRANSACTIONS, start=start, end=end + ONE_MICROSECOND)
    outcomes = events.read(
        OUTCOMES, end=moment + ONE_MICROSECOND, columns=["event_id", "outcome", "received_at"]
    ).filter(pl.col("received_at") <= pl.lit(moment))
    versions = {table: events.table_version(table) for table in (TRANSACTIONS, OUTCOMES)}
    return TrainingData(moment, transactions, outcomes, versions)


def labels_ready_since(
    events: EventStore,
    config: WorkspaceConfig,
    *,
    since: datetime,
    as_of: datetime,
    spark: SparkSession | None = None,
) -> datetime | None:
    """When the traffic from ``since`` (a drift's onset) first held
    ``retraining.min_positives`` positives a training window as of then could use, as far as
    is known at ``as_of`` (None: not yet).

    The window's own rule (:func:`~watchkeeper.training.label_delay.labels_ready_at`): a
    positive counts once received and once its event is old enough to join — the youngest
    age admitted with provisional labels, else the maturity horizon. The delay is learnt as
    the window learns it, from the matured events of the ``training.window`` before the
    cut-off. The traffic must also hold as many again for the training slice, before the
    least spans of the holdout and the validation slice: a model
    trained on the old traffic alone, judged on the new, cannot show it learnt the new.

    With ``spark``, the same moment is computed by that session's cluster from the event
    store's Delta files (:func:`~watchkeeper.training.spark_label_readiness.spark_labels_ready_since`).
    Before the holdout and validation spans have passed since ``since`` the answer is None
    on either engine without reading the tables: no training slice from ``since`` can exist
    yet.
    """
    if as_utc(as_of) < as_utc(since) + config.training.holdout + config.training.validation:
        return None
    if spark is not None:
        from watchkeeper.training.spark_label_readiness import spark_labels_ready_since

        return spark_labels_ready_since(
            events,
            config,
            spark,
            since=since,
            as_of=as_of,
            provisional=provisional_settings(config),
        )
    moment = as_utc(as_of)
    horizon = config.label.maturity_horizon
    cutoff = maturity_cutoff(moment, horizon)
    start = min(as_utc(since), cutoff - config.training.window)
    keys = config.keys
    transactions = events.read(
        TRANSACTIONS,
        start=start,
        end=moment + ONE_MICROSECOND,
        columns=[keys.event_id, keys.event_time],
    )
    outcomes = events.read(
        OUTCOMES, end=moment + ONE_MICROSECOND, columns=["event_id", "outcome", "received_at"]
    )
    plan = learn_provisional_labels(
        transactions,
        outcomes,
        as_of=moment,
        maturity_horizon=horizon,
        since=cutoff - config.training.window,
        settings=provisional_settings(config),
        explicit_negatives=config.label.explicit_negatives,
        positive_outcome=config.label.positive_outcome,
        event_id=keys.event_id,
        event_time=keys.event_time,
    )
    return labels_ready_at(
        transactions, outcomes, since=since, as_of=moment, **readiness_rule(config, plan)
    )


def featured_window(
    data: TrainingData | SparkTrainingData,
    config: WorkspaceConfig,
    *,
    champion_spec: FittedFeatureSpec | None = None,
    progress: Progress | None = None,
    spark: SparkSession | None = None,
    sample: float | None = None,
) -> FeaturedWindow:
    """Label, slice and compute features (see the module's steps 3 and 4); with ``spark``,
    the window and the features are computed by that session's cluster (the same values),
    over ``data`` read by Spark (:class:`~watchkeeper.training.spark_training_data.SparkTrainingData`)
    or handed over from the driver (:class:`TrainingData`). ``sample`` (a fraction of the
    entities) overrides ``training.sample``."""
    say = progress or (lambda step: None)
    keys, training = config.keys, config.training
    spec = FeatureSpec.from_workspace_config(config)
    fraction = sample if sample is not None else training.sample
    settings: dict[str, Any] = {
        "as_of": data.as_of,
        "maturity_horizon": config.label.maturity_horizon,
        "window": training.window,
        "validation": training.validation,
        "holdout": training.holdout,
        "positive_outcome": config.label.positive_outcome,
        "event_id": keys.event_id,
        "event_time": keys.event_time,
        "task": config.model.task,
        "label": config.label,
        "provisional": provisional_settings(config),
        "min_positives": config.retraining.min_positives if config.model.task == "binary" else 0,
        "sample": None if fraction is None else EntitySample(fraction, keys.entity, training.seed),
    }
    if isinstance(data, SparkTrainingData):
        from watchkeeper.training.spark_window import spark_training_window

        if spark is None:
            raise TrainingDataError("training data held by Spark needs its Spark session")
        say("labelling the window (Spark engine, from the Delta files)")
        window = spark_training_window(
            data.events, data.outcomes, arrival=ARRIVAL, schema=data.schema, **settings
        )
    elif spark is not None:
        from watchkeeper.compute.spark_frames import spark_rows
        from watchkeeper.training.spark_window import spark_training_window

        say("labelling the window (Spark engine)")
        with (
            spark_rows(spark, data.events, ARRIVAL) as events,
            spark_rows(spark, data.outcomes, ARRIVAL) as outcomes,
        ):
            window = spark_training_window(
                events, outcomes, arrival=ARRIVAL, schema=data.events.schema, **settings
            )
    else:
        window = training_window(data.events, data.outcomes, **settings)
    if window.train.height == 0:
        raise TrainingDataError(
            f"the training slice is empty: no labelled event between "
            f"{window.start.isoformat()} and {window.validation_start.isoformat()}"
        )
    say("fitting the feature spec")
    fitted = fit(spec, window.train, policy="quarantine")
    names = tuple(column.name for column in fitted.output_columns)
    # an events table without amounts (a non-fraud model) trains too; binary needs them later
    amount = [AMOUNT_COLUMN] if AMOUNT_COLUMN in window.train.columns else []
    weight = [name for name in (WEIGHT, RECEIVED_SHARE) if name in window.train.columns]
    kept = [keys.event_id, keys.event_time, *amount, "label_status", "label", *weight]
    clashing = sorted(set(names) & set(kept))
    if clashing:
        raise FeatureError(f"feature {clashing[0]!r} has the name of a column training needs")
    say("computing features (Spark engine)" if spark is not None else "computing features")
    computed = _computed(fitted, data, spark)

    def featured(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.select(kept).join(
            computed.features, on=keys.event_id, how="inner", maintain_order="left"
        )

    featured_slices = replace(
        window,
        train=featured(window.train),
        validation=featured(window.validation),
        holdout=featured(window.holdout),
    )
    champion_holdout = None
    if champion_spec is not None:
        say("computing the champion's features")
        featured_slices, champion_holdout = _with_champion_features(
            featured_slices, data, champion_spec, keys.event_id, spark
        )
    return FeaturedWindow(
        window=featured_slices,
        fitted=fitted,
        feature_names=names,
        champion_holdout=champion_holdout,
        rejected_rows=computed.rejected.height,
    )


def build_attempt_inputs(
    workspace: Workspace,
    registry: ModelRegistry,
    *,
    as_of: datetime | None = None,
    progress: Progress | None = None,
    spark: SparkConfig | None = None,
    sample: float | None = None,
) -> AttemptInputs:
    """Everything :func:`~watchkeeper.training.retrain_attempt.run_retrain_attempt` needs.

    ``as_of`` None takes the default of :func:`resolve_as_of`; ``spark`` computes the window
    and its features on that cluster; ``sample`` overrides ``training.sample``. Raises a
    :class:`~watchkeeper.errors.WatchkeeperError` for data that cannot be trained on.
    """
    say = progress or (lambda step: None)
    config = workspace.config
    champion_spec = champion_feature_spec(registry)
    if spark is not None:
        built, versions = _built_on_spark(
            workspace, spark, champion_spec, as_of=as_of, progress=say, sample=sample
        )
    else:
        say("reading events")
        moment = as_of
        if moment is None:
            latest = latest_event_time(workspace.events, config.keys.event_time)
            moment = resolve_as_of(None, latest_event=latest, now=workspace.clock.now())
        data = read_training_data(
            workspace.events, config, as_of=moment, warm_up=warm_up(config, champion_spec)
        )
        versions = data.table_versions
        built = featured_window(
            data, config, champion_spec=champion_spec, progress=say, sample=sample
        )
    categorical = tuple(
        feature.name for feature in built.fitted.spec.transforms if feature.op == "encode"
    )
    writer = ReferenceProfileWriter(
        built.window.holdout.select(built.feature_names),
        workspace.artifacts,
        config.monitoring,
        categorical,
    )
    return AttemptInputs(
        window=built.window,
        feature_names=built.feature_names,
        feature_spec=built.fitted.to_json().encode("utf-8"),
        table_versions=versions,
        amount_column=AMOUNT_COLUMN,
        event_id=config.keys.event_id,
        champion_holdout=built.champion_holdout,
        reference_profile=writer,
        task_reference_profile=writer.for_predictions,
    )


def _built_on_spark(
    workspace: Workspace,
    spark: SparkConfig,
    champion_spec: FittedFeatureSpec | None,
    *,
    as_of: datetime | None,
    progress: Progress,
    sample: float | None,
) -> tuple[FeaturedWindow, dict[str, int | None]]:
    """:func:`featured_window` with every step on the cluster, the events read by Spark
    from the event store's Delta files (never by the driver)."""
    from watchkeeper.compute.spark_session import spark_session
    from watchkeeper.training.spark_training_data import (
        read_spark_training_data,
        spark_latest_event_time,
    )

    config = workspace.config
    progress("starting Spark")
    session = spark_session(spark)
    progress("reading events (Spark, from the Delta files)")
    moment = as_of
    if moment is None:
        latest = spark_latest_event_time(workspace.events, config, session)
        moment = resolve_as_of(None, latest_event=latest, now=workspace.clock.now())
    data = read_spark_training_data(
        workspace.events,
        config,
        session,
        as_of=moment,
        warm_up=warm_up(config, champion_spec),
        provisional=provisional_settings(config) is not None,
    ).persist()
    try:
        built = featured_window(
            data,
            config,
            champion_spec=champion_spec,
            progress=progress,
            spark=session,
            sample=sample,
        )
    finally:
        data.unpersist()
    return built, data.table_versions


def champion_feature_spec(registry: ModelRegistry) -> FittedFeatureSpec | None:
    """The champion's fitted feature spec (verified), or None without one."""
    if CHAMPION not in registry.aliases():
        return None
    stored = registry.feature_spec(CHAMPION)
    return None if stored is None else FittedFeatureSpec.from_json(stored.decode("utf-8"))


def _computed(
    fitted: FittedFeatureSpec,
    data: TrainingData | SparkTrainingData,
    spark: SparkSession | None,
) -> BatchResult:
    """Every feature of ``data``'s events (rows that break the schema quarantined): by the
    Polars engine, or on ``spark``'s cluster (over the rows Spark read, when it read them)."""
    if spark is None:
        assert isinstance(data, TrainingData)
        return BatchFeatureEngine(fitted).compute(data.events, policy="quarantine")
    from watchkeeper.features.spark_engine import SparkFeatureEngine

    engine = SparkFeatureEngine(fitted, spark)
    if isinstance(data, SparkTrainingData):
        return engine.compute_rows(data.events, ARRIVAL, policy="quarantine")
    return engine.compute(data.events, policy="quarantine")


def _with_champion_features(
    window: TrainingWindow,
    data: TrainingData | SparkTrainingData,
    champion_spec: FittedFeatureSpec,
    event_id: str,
    spark: SparkSession | None = None,
) -> tuple[TrainingWindow, pl.DataFrame]:
    """The champion's features for the holdout rows; rows it rejects leave both holdouts.

    Computed over the same events as the new features (unbounded features such as the time
    since the last event see the same history), then only the holdout's rows are kept; on
    ``spark``'s cluster when given.
    """
    computed = _computed(champion_spec, data, spark).features
    holdout = window.holdout.join(
        computed.select(event_id), on=event_id, how="semi", maintain_order="left"
    )
    names = [column.name for column in champion_spec.output_columns]
    champion = (
        holdout.select(event_id)
        .join(computed, on=event_id, how="left", maintain_order="left")
        .select(names)
    )
    return replace(window, holdout=holdout), champion


__all__ = [
    "FeaturedWindow",
    "TrainingData",
    "build_attempt_inputs",
    "champion_feature_spec",
    "featured_window",
    "labels_ready_since",
    "latest_event_time",
    "provisional_settings",
    "read_training_data",
    "resolve_as_of",
    "warm_up",
]
