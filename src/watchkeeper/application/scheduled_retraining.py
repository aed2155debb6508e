"""Retraining when the policy says so: the loop's third step, one use case for the agent
(``watchkeeper run``), the replayed demo and an orchestrator calling it on its own schedule.

:func:`retrain_if_due` asks the retrain policy; when it says so (and no canary runs), one
validated attempt trains a challenger, and an accepted challenger starts its canary
(:func:`~watchkeeper.application.rollout_actions.start_canary`). When the policy stops for
a spent attempt budget, the owner gets a critical alert, once
(:mod:`~watchkeeper.training.budget_notice`), and the policy keeps being asked. A model served
outside watchkeeper is never trained here: :func:`request_if_due` sends its team a retraining
request instead.

>>> import tempfile
>>> from datetime import UTC, datetime
>>> from pathlib import Path
>>> with Workspace.open(Workspace.create(Path(tempfile.mkdtemp()) / "ws")) as workspace:
...     step = retrain_if_due(workspace, datetime(2026, 1, 1, tzinfo=UTC))
>>> step.decision.retrain, step.run is None
(False, True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from watchkeeper.application.rollout_actions import start_canary
from watchkeeper.registry.registry import ModelRegistry
from watchkeeper.training.attempt_runner import TrainingRun, run_training_attempt
from watchkeeper.training.budget_notice import announce_budget
from watchkeeper.training.policy_check import LabelReadiness, consult_workspace_policy
from watchkeeper.training.retrain_policy import RetrainDecision
from watchkeeper.training.retrain_request import (
    RequestDelivery,
    RetrainRequest,
    retrain_request,
    send_retrain_request,
)
from watchkeeper.workspace import Workspace

LOOP_ACTOR = "watchkeeper agent"
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


def retrain_if_due(
    workspace: Workspace,
    now: datetime,
    *,
    actor: str = LOOP_ACTOR,
    progress: Callable[[str], None] | None = None,
    readiness: LabelReadiness | None = None,
) -> RetrainStep:
    """Ask the retrain policy; train, validate and start a canary when it says so.
    ``readiness`` carries the label readiness found at earlier ticks
    (:class:`~watchkeeper.training.policy_check.LabelReadiness`).

    Nothing starts while a canary runs (its result decides first) or when the workspace
    disables retraining. A model served outside watchkeeper is never trained here: its team
    gets a retraining request instead (:func:`request_if_due`).
    """
    if workspace.config.model.serving == "external":
        return request_if_due(workspace, now)
    registry = ModelRegistry.for_workspace(workspace)
    if registry.metadata.rollouts.active(registry.model_name) is not None:
        return RetrainStep(None, skipped="a canary is running: its result comes first")
    decision = consult_workspace_policy(workspace, as_of=now, readiness=readiness)
    notice = announce_budget(workspace, decision)
    if not decision.retrain:
        return RetrainStep(decision, notice=notice)
    run = run_training_attempt(
        workspace,
        trigger=decision.reason,
        validate=True,
        as_of=now,
        actor=actor,
        progress=progress,
        champion_degraded=decision.evidence.get("champion_degraded"),
    )
    version = run.attempt.challenger_version
    if not run.attempt.accepted or version is None:
        return RetrainStep(decision, run, notice=notice)
    start_canary(workspace, version, actor=actor, reason=f"retrained: {decision.reason}")
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


__all__ = ["LOOP_ACTOR", "RetrainStep", "request_if_due", "retrain_if_due"]
