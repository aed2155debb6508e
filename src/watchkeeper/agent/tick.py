"""One tick of the loop: ingest, monitor, alerts, retraining, rollout — in that order.

Each step is its own idempotent function, so cron or an orchestrator can run them one by one
(``watchkeeper ingest``, ``monitor``, ``retrain``, ``rollout evaluate``) instead of the agent:

1. :func:`ingest` commits the spooled events (predictions, transactions, outcomes) to the
   event store;
2. :func:`monitor` profiles the windows completed by now, recomputes the windows still
   waiting for labels and evaluates the alert rules (alerts go to the owner's channels);
3. :func:`~watchkeeper.application.scheduled_retraining.retrain_if_due` asks the retrain
   policy; when it says so (and no canary runs), one validated attempt trains a challenger,
   and an accepted challenger starts its canary; when the policy stops for a spent attempt
   budget, the owner gets a critical alert, once, and the loop keeps asking;
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

from watchkeeper.application.rollout_actions import evaluate_canary
from watchkeeper.application.scheduled_retraining import LOOP_ACTOR, RetrainStep, retrain_if_due
from watchkeeper.errors import RegistryError
from watchkeeper.monitoring.job.monitor_job import MonitorJob, MonitorResult, monitor_job_for
from watchkeeper.rollout.controller import RolloutEvaluation
from watchkeeper.storage.events.store import FlushResult
from watchkeeper.training.policy_check import LabelReadiness
from watchkeeper.workspace import Workspace


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
    predictions of the windows still open for labels instead of reading them every tick, and
    the label readiness of drifted traffic the retrain policy found."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.monitor_job: MonitorJob | None = monitor_job_for(workspace, keep_reads=True)
        self.readiness = LabelReadiness()


def advance_rollout(workspace: Workspace) -> RolloutEvaluation:
    """Check the running canary's guards on the logged predictions (``idle`` when none); a
    rollback alerts the owner on the workspace's channels."""
    return evaluate_canary(workspace, actor=LOOP_ACTOR)


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
    retrain = retrain_if_due(
        workspace,
        moment,
        progress=progress,
        readiness=None if session is None else session.readiness,
    )
    if retrain.notice is not None:
        notes.append(retrain.notice)
    if workspace.config.model.serving == "external":  # no canary: the team rolls out
        return TickReport(moment, rows, result, retrain, None, tuple(notes))
    rollout = advance_rollout(workspace)
    if rollout.alert is not None:
        notes.append(rollout.alert)
    return TickReport(moment, rows, result, retrain, rollout, tuple(notes))


__all__ = [
    "AgentSession",
    "TickReport",
    "advance_rollout",
    "ingest",
    "monitor",
    "run_tick",
]
