"""Consult the retrain policy for a workspace's model: gather its inputs, then decide.

:func:`~watchkeeper.training.retrain_policy.decide_retrain` is pure; this module reads what
it needs — the metric series monitoring wrote, the audit log's attempts, the champion's
holdout metrics and when its data ended — from the registry's metadata store.

>>> from datetime import UTC, datetime
>>> from pathlib import Path
>>> import tempfile
>>> from watchkeeper.clock import EventTimeClock
>>> from watchkeeper.config import RetrainingConfig
>>> from watchkeeper.registry.registry import ModelRegistry
>>> from watchkeeper.storage.artifacts.store import open_artifact_store
>>> from watchkeeper.storage.metadata.store import open_metadata_store
>>> store = open_metadata_store("sqlite://", EventTimeClock(datetime(2026, 6, 1, tzinfo=UTC)))
>>> registry = ModelRegistry(store, open_artifact_store(Path(tempfile.mkdtemp())), "fraud")
>>> consult_retrain_policy(registry, RetrainingConfig(), as_of=datetime(2026, 6, 1, tzinfo=UTC)).reason
'no trigger fired'
>>> store.close()
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from watchkeeper import metric_names as names
from watchkeeper.clock import as_utc, utc_from_iso
from watchkeeper.config import ModelTask, RetrainingConfig
from watchkeeper.registry.registry import CHAMPION, ModelRegistry
from watchkeeper.storage.metadata.decision_kinds import RETRAIN_ATTEMPT, RETRAIN_REQUEST
from watchkeeper.storage.metadata.records import MetricRow
from watchkeeper.training.pipeline import labels_ready_since
from watchkeeper.training.retrain_policy import POOLING_WEIGHTS, RetrainDecision, decide_retrain
from watchkeeper.workspace import Workspace


def consult_retrain_policy(
    registry: ModelRegistry,
    config: RetrainingConfig,
    *,
    as_of: datetime,
    label_horizon: timedelta | None = None,
    holdout: timedelta | None = None,
    attempt_kind: str = RETRAIN_ATTEMPT,
    task: ModelTask = "binary",
    serving_version: int | None = None,
    labels_ready: Callable[[datetime], datetime | None] | None = None,
) -> RetrainDecision:
    """Whether the policy starts an attempt at ``as_of``, from what the metadata store holds.

    ``attempt_kind``: the audit entries that count as attempts (retraining requests, for a
    model its team retrains). ``serving_version``: for a model served elsewhere, the version
    serving now (its newest label): only its windows are judged, since the last windows of a
    version its team replaced say nothing about the one serving — judged again after each
    cooldown, they would ask for a retraining the new version has already answered.
    ``task``: the model's, for what counts as new evidence (positives, or labelled rows).

    The champion's "last trained" moment is the as-of of its training data (from its
    lineage), so simulated histories and live ones are judged on the same time line; its
    registration time stands in when no lineage was recorded. ``label_horizon`` and
    ``holdout`` make drift-triggered attempts wait for matured post-drift labels (see
    :func:`~watchkeeper.training.retrain_policy.decide_retrain`), or less, until
    ``labels_ready`` (from the drift's onset) says the drifted traffic holds the positives a
    training window can use.
    """
    metadata, model = registry.metadata, registry.model_name
    champion = registry.aliases().get(CHAMPION)
    champion_metrics: dict[str, object] = {}
    last_trained_at = None
    if champion is not None:
        record = registry.record(champion)
        champion_metrics = dict(record.metrics)
        last_trained_at = record.created_at
        lineage = registry.lineage(champion)
        if lineage is not None and lineage.data.as_of is not None:
            last_trained_at = utc_from_iso(lineage.data.as_of)
    rows = policy_rows(registry, config)
    if serving_version is not None:
        rows = [row for row in rows if row.model_version in (None, serving_version)]
    return decide_retrain(
        rows,
        metadata.decisions(model, kind=attempt_kind, limit=1000),
        config=config,
        as_of=as_utc(as_of),
        champion_metrics=champion_metrics,
        champion_version=champion if champion is not None else serving_version,
        last_trained_at=last_trained_at,
        label_horizon=label_horizon,
        holdout=holdout,
        task=task,
        labels_ready=labels_ready,
    )


def policy_rows(registry: ModelRegistry, config: RetrainingConfig) -> list[MetricRow]:
    """The metric rows the policy reads: drift, the performance metrics it watches
    (realized and estimated), the windows' weights and their labelled events (new evidence).

    Every window of those metrics is read: a drift seen once and followed by no window (a
    quiet feed) still triggers once its labels have matured, however long that took."""
    watched = config.triggers.performance_metrics
    read = [
        names.PSI,
        names.SCORE_PSI,
        *watched,
        *(names.estimated(name) for name in watched),
        *POOLING_WEIGHTS,
        names.LABELLED_EVENTS,
    ]
    return [
        row for name in read for row in registry.metadata.metrics(registry.model_name, metric=name)
    ]


class LabelReadiness:
    """Remembers, per drift onset, when the drifted traffic was found to hold the labels a
    training window needs, so a process that consults the policy every tick reads the event
    store for it once per episode rather than once per tick.

    Only an answer at or before the moment it was asked is kept: received positives stay
    received and events only grow older, so traffic that held its labels still holds them;
    an answer of "not yet" is asked again next time.

    >>> from datetime import UTC, datetime
    >>> onset, day = datetime(2026, 6, 25, tzinfo=UTC), datetime(2026, 7, 20, tzinfo=UTC)
    >>> readiness = LabelReadiness()
    >>> readiness.remember(onset, None, as_of=day)
    >>> readiness.known(onset) is None
    True
    >>> readiness.remember(onset, datetime(2026, 7, 18, tzinfo=UTC), as_of=day)
    >>> readiness.known(onset).day
    18
    """

    def __init__(self) -> None:
        self._ready: dict[datetime, datetime] = {}

    def known(self, onset: datetime) -> datetime | None:
        """The moment found for ``onset``'s traffic, if one was found already."""
        return self._ready.get(as_utc(onset))

    def remember(self, onset: datetime, ready: datetime | None, *, as_of: datetime) -> None:
        """Keep ``ready`` for ``onset`` when it had come by ``as_of`` (see the class)."""
        if ready is not None and as_utc(ready) <= as_utc(as_of):
            self._ready[as_utc(onset)] = as_utc(ready)


def consult_workspace_policy(
    workspace: Workspace, *, as_of: datetime, readiness: LabelReadiness | None = None
) -> RetrainDecision:
    """:func:`consult_retrain_policy` with the workspace's retraining, label and holdout
    settings: drift-triggered attempts wait for post-drift labels — for a binary model
    trained here, until the event store's drifted traffic holds the positives its training
    window can use, provisional labels included
    (:func:`~watchkeeper.training.pipeline.labels_ready_since`, on Spark when the workspace's
    ``compute.engine`` is spark); a model served elsewhere is
    judged on its newest version's windows. ``readiness`` (kept by a process that ticks)
    spares reading the event store again for traffic already found ready."""
    config = workspace.config
    external = config.model.serving == "external"
    serving = None
    if external:
        entries = workspace.metadata.external_versions.entries(config.model.name)
        serving = entries[-1].version if entries else None
    labels_ready = None
    if not external and config.model.task == "binary":

        def labels_ready(onset: datetime) -> datetime | None:
            known = readiness.known(onset) if readiness is not None else None
            if known is not None:
                return known
            session = None
            if config.compute.engine == "spark":  # started only when a drift asks
                from watchkeeper.compute.spark_session import spark_session

                session = spark_session(config.compute.spark)
            ready = labels_ready_since(
                workspace.events, config, since=onset, as_of=as_of, spark=session
            )
            if readiness is not None:
                readiness.remember(onset, ready, as_of=as_of)
            return ready

    return consult_retrain_policy(
        ModelRegistry.for_workspace(workspace),
        config.retraining,
        as_of=as_of,
        label_horizon=config.label.maturity_horizon,
        holdout=config.training.holdout,
        attempt_kind=RETRAIN_REQUEST if external else RETRAIN_ATTEMPT,
        task=config.model.task,
        serving_version=serving,
        labels_ready=labels_ready,
    )


__all__ = ["LabelReadiness", "consult_retrain_policy", "consult_workspace_policy", "policy_rows"]
