"""The demo's two runs over the same stream: without watchkeeper, and with it.

*Without*: the first model, frozen, decides every event from launch to the end; nothing
watches it. *With*: the same first model starts as champion, and each day of event time the
events are scored and logged (transactions, predictions, the chargebacks received that day)
and the agent ticks — ingest, monitor, alert rules, retrain policy, validation gate, canary
controller (:func:`~watchkeeper.agent.tick.run_tick`, the code ``watchkeeper run`` runs).
The serving models are reloaded whenever the registry's champion or the running canary
changes, as the service does after a rollout action.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import polars as pl

from watchkeeper.agent.tick import AgentSession, TickReport, run_tick
from watchkeeper.clock import EventTimeClock
from watchkeeper.demo.micro_batch_scorer import MicroBatchScorer
from watchkeeper.demo.stream import DemoStream
from watchkeeper.errors import TrainingError
from watchkeeper.registry.registry import ModelRegistry
from watchkeeper.registry.statuses import CHAMPION
from watchkeeper.serving.models import ServingModels, load_serving_models
from watchkeeper.storage.event_tables import SERVED_PREDICTION_SCHEMA
from watchkeeper.training.attempt_runner import run_training_attempt
from watchkeeper.workspace import Workspace

DAY = timedelta(days=1)
DECISION_COLUMNS = ("event_id", "decision", "model_version", "route")
DRIFT_METRICS = ("psi", "score_psi", "domain_auc")
"""Metrics whose alerts count as drift alerts in the demo's summary."""


@dataclass(frozen=True)
class FiredAlert:
    """An alert the watched run's monitoring raised, on the day it fired."""

    day: date
    rule: str
    metric: str
    feature: str | None
    severity: str

    @property
    def drift(self) -> bool:
        """Whether it is an input or prediction drift alert."""
        return self.metric in DRIFT_METRICS


@dataclass(frozen=True)
class RunDecisions:
    """Every decision of a run (event id, decision, version, route) and, for the watched
    run, the alerts that fired and the number of agent ticks."""

    decisions: pl.DataFrame
    alerts: tuple[FiredAlert, ...] = ()
    ticks: int = 0


def fired_alerts(report: TickReport, day: date) -> list[FiredAlert]:
    """The alerts a tick's monitoring fired, dated ``day``."""
    if report.monitor is None:
        return []
    return [
        FiredAlert(day, alert.rule, alert.metric, alert.feature, alert.severity)
        for alert in report.monitor.alerts
        if alert.action == "fired"
    ]


def days_between(
    start: datetime, end: datetime, step: timedelta = DAY
) -> list[tuple[datetime, datetime]]:
    """Consecutive windows of ``step`` (a day by default) covering ``[start, end)``.

    >>> from datetime import UTC
    >>> [day[0].day for day in days_between(datetime(2026, 1, 30, tzinfo=UTC),
    ...                                     datetime(2026, 2, 2, tzinfo=UTC))]
    [30, 31, 1]
    >>> [day[1].day for day in days_between(datetime(2026, 1, 30, tzinfo=UTC),
    ...                                     datetime(2026, 2, 2, tzinfo=UTC), 2 * DAY)]
    [1, 2]
    """
    windows = []
    moment = start
    while moment < end:
        windows.append((moment, min(moment + step, end)))
        moment += step
    return windows


def launch_workspace(workspace: Workspace, stream: DemoStream, launch: datetime) -> int:
    """Load the history before ``launch`` and train the first model on it (the champion).

    Returns the champion's version; raises :class:`TrainingError` naming why when the first
    model cannot be trained.
    """
    workspace.events.write_bulk(
        "transactions", stream.transactions_between(stream.start, launch), load_id="demo-history"
    )
    workspace.events.write_bulk(
        "outcomes", stream.outcomes_received(stream.start, launch), load_id="demo-history-outcomes"
    )
    run = run_training_attempt(
        workspace,
        trigger="first model: trained on the history before launch",
        validate=False,
        as_of=launch,
        actor="demo",
    )
    version = run.attempt.challenger_version
    if version is None or run.status != CHAMPION:
        raise TrainingError(f"the first model could not be trained: {run.attempt.summary}")
    return version


def run_without(
    models: ServingModels,
    scorer: MicroBatchScorer,
    launch: datetime,
    end: datetime,
    on_day: Callable[[datetime], None] | None = None,
) -> RunDecisions:
    """The frozen first model decides every event from ``launch`` to ``end``."""
    parts = []
    for start, stop in days_between(launch, end):
        parts.append(scorer.score_day(models, start, stop).select(DECISION_COLUMNS))
        if on_day is not None:
            on_day(stop)
    return RunDecisions(pl.concat(parts))


def run_with(
    workspace: Workspace,
    clock: EventTimeClock,
    stream: DemoStream,
    scorer: MicroBatchScorer,
    launch: datetime,
    on_day: Callable[[datetime, TickReport], None] | None = None,
    tick: timedelta = DAY,
) -> RunDecisions:
    """Score and log day by day from ``launch`` to the end of the stream; the agent ticks
    every ``tick`` (monitoring windows stay daily: a tick processes the days since the last)."""
    registry = ModelRegistry.for_workspace(workspace)
    schema = SERVED_PREDICTION_SCHEMA
    models: ServingModels | None = None
    serving_key: tuple[int | None, int | None] | None = None
    parts = []
    alerts: list[FiredAlert] = []
    ticks = 0
    session = AgentSession(workspace)
    for start, stop in days_between(launch, stream.end, tick):
        key = _serving_key(registry)
        if models is None or key != serving_key:
            models, serving_key = load_serving_models(registry), key
        predictions = pl.concat(
            [scorer.score_day(models, day, end) for day, end in days_between(start, stop)]
        )
        workspace.events.append("transactions", stream.transactions_between(start, stop))
        workspace.events.append("predictions", predictions.to_arrow().cast(schema))
        received = stream.outcomes_received(start, stop)
        if received.height:
            workspace.events.append("outcomes", received)
        clock.advance_to(stop)
        report = run_tick(workspace, now=stop, session=session)
        ticks += 1
        alerts += fired_alerts(report, start.date())
        parts.append(predictions.select(DECISION_COLUMNS))
        if on_day is not None:
            on_day(stop, report)
    return RunDecisions(pl.concat(parts), tuple(alerts), ticks)


def _serving_key(registry: ModelRegistry) -> tuple[int | None, int | None]:
    """What decides which models serve: the champion and the running canary."""
    running = registry.metadata.rollouts.active(registry.model_name)
    return registry.aliases().get(CHAMPION), None if running is None else running.id


__all__ = [
    "DRIFT_METRICS",
    "FiredAlert",
    "RunDecisions",
    "days_between",
    "fired_alerts",
    "launch_workspace",
    "run_with",
    "run_without",
]
