"""One tick of the loop: ingest, monitor, alerts, retraining, rollout — in that order.

Each step is its own idempotent function, so cron or an orchestrator can run them one by one
(``watchkeeper ingest``, ``monitor``, ``retrain``, ``rollout evaluate``) instead of the agent:

1. :func:`ingest` commits the spooled events (predictions, transactions, outcomes) to the
   event store;
2. :func:`monitor` profiles the windows completed by now, recomputes the windows still
   waiting for labels and evaluates the alert rules (alerts go to the owner's channels);
3. :func:`retrain_if_due` asks the retrain policy; when it says so (and no canary runs), one
   validated attempt trains a challenger, and an accepted challenger starts its canary; when
   the policy stops for a spent attempt budget, the owner gets a critical alert, once
   (:mod:`~watchkeeper.training.budget_notice`), and the loop keeps asking;
4. :func:`advance_rollout` checks the running canary's guards on what was logged: it rolls
   back at once on a failed guard, promotes when the duration and the event count are
   reached, or waits.

All steps read the time from the workspace's clock: the wall clock in production, the event
time when a history is replayed (the demo).

>>> import tempfile
>>> from pathlib import Path
>>> from watchkeeper.workspace import Workspace
>>> with Workspace.open(Workspace.create(Path(tempfile.mkdtemp()) / "ws")) as workspace:
...     report = run_tick(workspace)
>>> report.monitor is None, report.notes[0]
(True, "monitoring skipped: model 'card-fraud' has no champion to monitor; promote a version first")
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from watchkeeper.errors import RegistryError
from watchkeeper.monitoring.job.monitor_job import MonitorJob, MonitorResult, monitor_job_for
from watchkeeper.registry.registry import ModelRegistry
from watchkeeper.rollout.controller import RolloutController, RolloutEvaluation
from watchkeeper.storage.events.store import FlushResult
from watchkeeper.training.attempt_runner import (
    TrainingRun,
    run_training_attempt,
)
from watchkeeper.training.budget_notice import announce_budget
from watchkeeper.training.policy_check import consult_workspace_policy
from watchkeeper.training.retrain_policy import RetrainDecision
from watchkeeper.training.retrain_request import (
    RequestDelivery,
    RetrainRequest,
    retrain_request,
    send_retrain_request,
)
from watchkeeper.workspace import Workspace

AGENT_ACTOR = "watchkeeper agent"
"""Who the audit log says acted when the loop trains, starts, promotes or rolls back."""


@dataclass(frozen=True)
class RetrainStep:
    """What the retraining step decided and, if it trained, the attempt and canary;
    ``notice`` says what the owner was told of the attempt budget, if anything."""

    decision: RetrainDecision | None
    run: TrainingRun | None = None
    canary_version: int | None = None
    skipped: str | None = None
    request: RetrainRequest | None = None
    deliveries: tuple[RequestDelivery, ...] = ()
    notice: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        attempt = None if self.run is None else self.run.attempt
        return {
            "retrain": None if self.decision is None else self.decision.retrain,
            "reason": self.skipped or (None if self.decision is None else self.decision.reason),
            "attempt": None
            if attempt is None
            else {
                "accepted": attempt.accepted,
                "outcome": attempt.outcome,
                "version": attempt.challenger_version,
                "reason": attempt.reason,
            },
            "canary_version": self.canary_version,
            "notice": self.notice,
            "request": None
            if self.request is None
            else {
                **self.request.to_dict(),
                "deliveries": [vars(delivery) for delivery in self.deliveries],
            },
        }


@dataclass(frozen=True)
class TickReport:
    """What one tick did, step by step."""

    at: datetime
    ingested_rows: int
    monitor: MonitorResult | None
    retrain: RetrainStep
    rollout: RolloutEvaluation | None
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary of the tick."""
        rollout = self.rollout
        return {
            "at": self.at.isoformat(),
            "ingested_rows": self.ingested_rows,
            "monitor": None if self.monitor is None else self.monitor.to_dict(),
            "retrain": self.retrain.to_dict(),
            "rollout": None
            if rollout is None
            else {
                "action": rollout.action,
                "checks": [vars(check) for check in rollout.checks],
                "alert": rollout.alert,
            },
            "notes": list(self.notes),
        }


def ingest(workspace: Workspace) -> FlushResult:
    """Commit the spooled events to the event store; what was committed and set aside,
    including what opening the store committed (rows a previous process left)."""
    events = workspace.events
    return events.flushed_at_open().plus(events.flush())


def monitor(workspace: Workspace, until: datetime, job: MonitorJob | None = None) -> MonitorResult:
    """One incremental monitor pass up to ``until`` (alert rules evaluated after it); a
    ``job`` kept between calls reads each window's predictions once."""
    return (job if job is not None else monitor_job_for(workspace)).run(until)


class AgentSession:
    """What the loop keeps between ticks in one process: the monitor job, which keeps the
    predictions of the windows still open for labels instead of reading them every tick."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.monitor_job: MonitorJob | None = monitor_job_for(workspace, keep_reads=True)


def retrain_if_due(
    workspace: Workspace,
    now: datetime,
    *,
    progress: Callable[[str], None] | None = None,
) -> RetrainStep:
    """Ask the retrain policy; train, validate and start a canary when it says so.

    Nothing starts while a canary runs (its result decides first) or when the workspace
    disables retraining. A model served outside watchkeeper is never trained here: its team
    gets a retraining request instead (:func:`request_if_due`).
    """
    if workspace.config.model.serving == "external":
        return request_if_due(workspace, now)
    registry = ModelRegistry.for_workspace(workspace)
    if registry.metadata.rollouts.active(registry.model_name) is not None:
        return RetrainStep(None, skipped="a canary is running: its result comes first")
    decision = consult_workspace_policy(workspace, as_of=now)
    notice = announce_budget(workspace, decision)
    if not decision.retrain:
        return RetrainStep(decision, notice=notice)
    run = run_training_attempt(
        workspace,
        trigger=decision.reason,
        validate=True,
        as_of=now,
        actor=AGENT_ACTOR,
        progress=progress,
        champion_degraded=decision.evidence.get("champion_degraded"),
    )
    version = run.attempt.challenger_version
    if not run.attempt.accepted or version is None:
        return RetrainStep(decision, run, notice=notice)
    controller = RolloutController.for_workspace(workspace)
    controller.start(version, actor=AGENT_ACTOR, reason=f"retrained: {decision.reason}")
    return RetrainStep(decision, run, canary_version=version, notice=notice)


def request_if_due(workspace: Workspace, now: datetime) -> RetrainStep:
    """For a model served outside watchkeeper: ask the retrain policy, and when it says so,
    send the team a retraining request (:mod:`~watchkeeper.training.retrain_request`)."""
    decision = consult_workspace_policy(workspace, as_of=now)
    notice = announce_budget(workspace, decision)
    if not decision.retrain:
        return RetrainStep(decision, notice=notice)
    config = workspace.config
    request = retrain_request(
        config.model.name,
        decision,
        as_of=now,
        window=config.training.window,
        maturity_horizon=config.label.maturity_horizon,
    )
    return RetrainStep(
        decision,
        request=request,
        deliveries=send_retrain_request(workspace, request),
        notice=notice,
    )


def advance_rollout(workspace: Workspace) -> RolloutEvaluation:
    """Check the running canary's guards on the logged predictions (``idle`` when none); a
    rollback alerts the owner on the workspace's channels."""
    controller = RolloutController.for_workspace(workspace)
    return controller.evaluate_from_events(workspace.events, actor=AGENT_ACTOR)


def run_tick(
    workspace: Workspace,
    *,
    now: datetime | None = None,
    progress: Callable[[str], None] | None = None,
    session: AgentSession | None = None,
) -> TickReport:
    """Run the four steps once, at ``now`` (default: the workspace clock's now); a
    ``session`` carries what one process keeps between ticks."""
    moment = now if now is not None else workspace.clock.now()
    notes: list[str] = []
    ingested = ingest(workspace)
    rows = ingested.rows
    if ingested.dead_letter_rows:
        notes.append(
            f"{ingested.dead_letter_rows} spooled row(s) could not be written and were set "
            "aside as dead letters (watchkeeper dead-letters lists them)"
        )
    result: MonitorResult | None = None
    try:
        result = monitor(workspace, moment, None if session is None else session.monitor_job)
    except RegistryError as error:
        notes.append(f"monitoring skipped: {error}")
    if result is None:
        return TickReport(
            moment, rows, None, RetrainStep(None, skipped="no champion"), None, tuple(notes)
        )
    retrain = retrain_if_due(workspace, moment, progress=progress)
    if retrain.notice is not None:
        notes.append(retrain.notice)
    if workspace.config.model.serving == "external":  # no canary: the team rolls out
        return TickReport(moment, rows, result, retrain, None, tuple(notes))
    rollout = advance_rollout(workspace)
    if rollout.alert is not None:
        notes.append(rollout.alert)
    return TickReport(moment, rows, result, retrain, rollout, tuple(notes))


__all__ = [
    "AGENT_ACTOR",
    "AgentSession",
    "RetrainStep",
    "TickReport",
    "advance_rollout",
    "ingest",
    "monitor",
    "retrain_if_due",
    "run_tick",
]
