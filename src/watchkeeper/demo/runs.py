"""The demo's two runs over the same stream: without watchkeeper, and with it.

*Without*: the first model, frozen, decides every event from launch to the end; nothing
watches it. *With*: the same first model starts as champion, and each day of event time the
events are scored and logged (transactions, predictions, the chargebacks received that day)
and the agent ticks — ingest, monitor, alert rules, retrain policy, validation gate, canary
controller (:func:`~watchkeeper.agent.tick.run_tick`, the code ``watchkeeper run`` runs).
The serving models are reloaded whenever the registry's champion or the running canary
changes, as the service does after a rollout action.

A workspace whose rollout waits for its owner's approval (``rollout.require_approval``, the
churn example) has nobody to approve in a replay: with ``approver`` the demo approves as the
owner, through :meth:`~watchkeeper.rollout.controller.RolloutController.promote` — what
``watchkeeper rollout promote`` calls — on the tick the canary asks for it, and the audit log
names the demo as the actor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

import polars as pl

from watchkeeper import metric_names as names
from watchkeeper.agent.tick import AgentSession, TickReport, run_tick
from watchkeeper.clock import EventTimeClock
from watchkeeper.config import ModelTask
from watchkeeper.demo.micro_batch_scorer import MicroBatchScorer
from watchkeeper.demo.stream import ReplayStream
from watchkeeper.errors import TrainingError
from watchkeeper.registry.registry import ModelRegistry
from watchkeeper.registry.statuses import CHAMPION
from watchkeeper.rollout.controller import RolloutController
from watchkeeper.serving.models import ServingModels, load_serving_models
from watchkeeper.serving.scorer import served_prediction_schema
from watchkeeper.training.attempt_runner import run_training_attempt
from watchkeeper.workspace import Workspace

if TYPE_CHECKING:
    from watchkeeper.demo.stream_scoring import StreamVia

DAY = timedelta(days=1)
DRIFT_METRICS = (
    names.PSI,
    names.SCORE_PSI,
    names.DOMAIN_AUC,
    names.DECISION_PSI,
    names.PREDICTION_PSI,
)
"""Metrics whose alerts count as drift alerts in the demo's summary."""
AWAITING_APPROVAL = "awaiting_approval"

Progress = Callable[[str, float], None]
"""Called with a step's description and the share of the whole demo done (0..1)."""


def decision_columns(task: ModelTask) -> tuple[str, ...]:
    """What a run keeps of each prediction: the event, what was decided (the predicted
    number, for regression), the version and the route.

    >>> decision_columns("regression")
    ('event_id', 'prediction', 'model_version', 'route')
    """
    answer = "prediction" if task == "regression" else "decision"
    return ("event_id", answer, "model_version", "route")


@dataclass(frozen=True)
class FiredAlert:
    """An alert the watched run's monitoring raised, on the day it fired (the tick's)."""

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
    approvals: int = 0
    """Canaries the demo approved as the owner (``approver``)."""


def fired_alerts(report: TickReport, day: date) -> list[FiredAlert]:
    """The alerts a tick's monitoring fired, dated ``day``: the replays pass the day the tick
    ran (its event time, the moment the audit log and the report give the alert), so a
    detection delay counts the days of data the tick waited for."""
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


def launch_workspace(workspace: Workspace, stream: ReplayStream, launch: datetime) -> int:
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
    kept = decision_columns(scorer.task)
    for start, stop in days_between(launch, end):
        parts.append(scorer.score_day(models, start, stop).select(kept))
        if on_day is not None:
            on_day(stop)
    return RunDecisions(pl.concat(parts))


class WatchedScoring(Protocol):
    """How the watched run scores a stretch of event time: with the serving models the
    registry names when it is called, each event's prediction logged to ``predictions``."""

    def decide(self, start: datetime, stop: datetime) -> pl.DataFrame:
        """Score and log the events of ``[start, stop)``; their :func:`decision_columns`."""
        ...


class MicroBatchScoring:
    """The watched run's default scoring: the service's path replayed a day at a time in
    this process (:class:`MicroBatchScorer`), its prediction rows appended to the spool."""

    def __init__(self, workspace: Workspace, scorer: MicroBatchScorer) -> None:
        self.workspace = workspace
        self.scorer = scorer
        self.registry = ModelRegistry.for_workspace(workspace)
        self._models: ServingModels | None = None
        self._key: tuple[int | None, int | None] | None = None

    def decide(self, start: datetime, stop: datetime) -> pl.DataFrame:
        """Score the days of ``[start, stop)``, log their predictions, return the decisions."""
        key = serving_key(self.registry)
        if self._models is None or key != self._key:
            self._models, self._key = load_serving_models(self.registry), key
        models = self._models
        predictions = pl.concat(
            [self.scorer.score_day(models, day, end) for day, end in days_between(start, stop)]
        )
        schema = served_prediction_schema(self.scorer.task)
        self.workspace.events.append("predictions", predictions.to_arrow().cast(schema))
        return predictions.select(decision_columns(self.scorer.task))


def run_with(
    workspace: Workspace,
    clock: EventTimeClock,
    stream: ReplayStream,
    scoring: WatchedScoring,
    launch: datetime,
    on_day: Callable[[datetime, TickReport], None] | None = None,
    tick: timedelta = DAY,
    approver: str | None = None,
) -> RunDecisions:
    """Score and log day by day from ``launch`` to the end of the stream; the agent ticks
    every ``tick`` (monitoring windows stay daily: a tick processes the days since the last).
    ``scoring``: :class:`MicroBatchScoring`, or the stream's
    (:class:`~watchkeeper.demo.stream_scoring.StreamScoring`). With ``approver`` (an actor's
    name) a canary awaiting approval is promoted as its owner would (see the module)."""
    approvals = 0
    parts = []
    alerts: list[FiredAlert] = []
    ticks = 0
    session = AgentSession(workspace)
    for start, stop in days_between(launch, stream.end, tick):
        workspace.events.append("transactions", stream.transactions_between(start, stop))
        decided = scoring.decide(start, stop)
        received = stream.outcomes_received(start, stop)
        if received.height:
            workspace.events.append("outcomes", received)
        clock.advance_to(stop)
        report = run_tick(workspace, now=stop, session=session)
        ticks += 1
        alerts += fired_alerts(report, stop.date())
        if approver is not None and _awaits_approval(report):
            approve_as_owner(workspace, approver)
            approvals += 1
        parts.append(decided)
        if on_day is not None:
            on_day(stop, report)
    return RunDecisions(pl.concat(parts), tuple(alerts), ticks, approvals)


def _awaits_approval(report: TickReport) -> bool:
    return report.rollout is not None and report.rollout.action == AWAITING_APPROVAL


def approve_as_owner(workspace: Workspace, approver: str) -> None:
    """Promote the canary that waits for approval, as ``watchkeeper rollout promote`` does
    (the same controller call; the audit log names ``approver``)."""
    RolloutController.for_workspace(workspace).promote(
        actor=approver,
        reason="approved by the owner after the canary's guards passed for its whole duration",
    )


def replay_runs(
    workspace: Workspace,
    clock: EventTimeClock,
    stream: ReplayStream,
    events: pl.DataFrame,
    launch: datetime,
    say: Progress,
    *,
    tick: timedelta = DAY,
    approver: str | None = None,
    via: StreamVia | None = None,
) -> tuple[RunDecisions, RunDecisions]:
    """Launch the workspace (:func:`launch_workspace`), then both runs from ``launch`` to the
    end of ``stream``: the frozen first model, then the watched loop; ``events`` are the raw
    events (truth removed) the scorers read; ``via``: the watched run scores through the
    stream (:mod:`~watchkeeper.demo.stream_scoring`). Progress goes from 2% to 95% of the demo."""
    say("training the first model on the history before launch", 0.02)
    launch_workspace(workspace, stream, launch)
    config = workspace.config
    keys = config.keys

    def scorer() -> MicroBatchScorer:
        return MicroBatchScorer(
            events,
            origin=launch,
            event_time=keys.event_time,
            entity=keys.entity,
            event_id=keys.event_id,
            task=config.model.task,
            classes=tuple(config.label.classes or ()),
        )

    total_days = (stream.end - launch).days

    def share(day: datetime) -> float:
        return min(1.0, (day - launch).days / max(1, total_days))

    frozen = load_serving_models(ModelRegistry.for_workspace(workspace))
    say("run 1 of 2: without watchkeeper (the first model, frozen)", 0.05)
    without = run_without(
        frozen,
        scorer(),
        launch,
        stream.end,
        on_day=lambda day: say(f"without: {day.date().isoformat()}", 0.05 + 0.1 * share(day)),
    )
    say(
        "run 2 of 2: with watchkeeper" + ("" if via is None else " (scored through the stream)"),
        0.15,
    )
    with watched_scoring(workspace, scorer(), events, via) as scoring:
        watched = run_with(
            workspace,
            clock,
            stream,
            scoring,
            launch,
            on_day=lambda day, report: say(
                f"with: {day.date().isoformat()}", 0.15 + 0.8 * share(day)
            ),
            tick=tick,
            approver=approver,
        )
    return without, watched


@contextmanager
def watched_scoring(
    workspace: Workspace, scorer: MicroBatchScorer, events: pl.DataFrame, via: StreamVia | None
) -> Iterator[WatchedScoring]:
    """The watched run's scoring: ``scorer`` in micro-batches, or with ``via`` through the
    stream (the online state filled from the history first, the run's streams dropped after)."""
    if via is None:
        yield MicroBatchScoring(workspace, scorer)
        return
    from watchkeeper.demo.stream_scoring import StreamScoring

    with StreamScoring.start(workspace, events, via) as scoring:
        yield scoring


def serving_key(registry: ModelRegistry) -> tuple[int | None, int | None]:
    """What decides which models serve: the champion and the running canary."""
    running = registry.metadata.rollouts.active(registry.model_name)
    return registry.aliases().get(CHAMPION), None if running is None else running.id


__all__ = [
    "DRIFT_METRICS",
    "FiredAlert",
    "MicroBatchScoring",
    "Progress",
    "RunDecisions",
    "WatchedScoring",
    "approve_as_owner",
    "days_between",
    "decision_columns",
    "fired_alerts",
    "launch_workspace",
    "replay_runs",
    "run_with",
    "run_without",
    "serving_key",
    "watched_scoring",
]
