"""One training attempt on a workspace, end to end: read, build, train, judge, register, record.

The ``train`` and ``retrain`` commands and the agent's retraining step all go through
:func:`run_training_attempt`, so a version trained by hand and one trained by the loop are
made the same way. An input that cannot be trained on (too few positives, no outcomes, an
empty window, a schema change) is recorded as a refused attempt and returned, not raised.
A model served outside watchkeeper (``model.serving: external``) is not trained here at all
(:func:`check_trained_here` raises before anything is read or recorded).

>>> import tempfile
>>> from pathlib import Path
>>> from watchkeeper.workspace import Workspace
>>> with Workspace.open(Workspace.create(Path(tempfile.mkdtemp()) / "ws")) as workspace:
...     run = run_training_attempt(workspace, trigger="manual: first model", validate=False)
>>> run.attempt.accepted, run.status, run.attempt.summary.startswith("retraining attempt refused")
(False, None, True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from watchkeeper.config import ModelConfig, SparkConfig
from watchkeeper.errors import ConfigError, WatchkeeperError
from watchkeeper.registry.registry import ModelRegistry
from watchkeeper.training.attempts import RetrainAttempt
from watchkeeper.training.pipeline import (
    build_attempt_inputs,
    latest_event_time,
    resolve_as_of,
)
from watchkeeper.training.retrain_attempt import refuse_attempt, run_retrain_attempt
from watchkeeper.workspace import Workspace

EXTERNAL_SERVING = (
    "this model is served outside watchkeeper (model.serving: external): its team retrains "
    "it; watchkeeper monitors what it logs"
)
"""Why a workspace whose model is served outside watchkeeper is not trained by it."""


@dataclass(frozen=True)
class TrainingRun:
    """An attempt, the version's status after it, and the slices it trained on."""

    model: str
    as_of: datetime | None
    attempt: RetrainAttempt
    status: str | None
    slices: dict[str, Any] | None
    task: str = "binary"

    def document(self) -> dict[str, Any]:
        """The JSON-ready fields the commands print beside the attempt's own (``task`` for
        a multiclass or regression model)."""
        document: dict[str, Any] = {"model": self.model, "as_of": self.as_of, "status": self.status}
        if self.task != "binary":
            document["task"] = self.task
        if self.slices is not None:
            document["slices"] = self.slices
        return document


def check_trained_here(model: ModelConfig) -> None:
    """Refuse a workspace whose model watchkeeper does not serve (``model.serving: external``).

    >>> check_trained_here(ModelConfig(name="m", serving="external"))
    Traceback (most recent call last):
    ...
    watchkeeper.errors.ConfigError: this model is served outside watchkeeper (model.serving: external): its team retrains it; watchkeeper monitors what it logs
    """
    if model.serving == "external":
        raise ConfigError(EXTERNAL_SERVING)


def default_as_of(workspace: Workspace) -> datetime:
    """The newest transaction's time, never after the workspace clock's now."""
    latest = latest_event_time(workspace.events, workspace.config.keys.event_time)
    return resolve_as_of(None, latest_event=latest, now=workspace.clock.now())


def run_training_attempt(
    workspace: Workspace,
    *,
    trigger: str,
    validate: bool,
    as_of: datetime | None = None,
    actor: str = "watchkeeper",
    progress: Callable[[str], None] | None = None,
    spark: SparkConfig | None = None,
    sample: float | None = None,
    champion_degraded: str | None = None,
) -> TrainingRun:
    """Build the inputs as of ``as_of`` and run one recorded attempt (the window and its
    features on ``spark``'s cluster when given; ``sample`` overrides ``training.sample``).

    ``validate`` runs the gate against the champion (passing makes the version
    ``challenger``); without it the first version becomes champion and later ones
    ``candidate``; ``champion_degraded`` is the retrain policy's reason when it judged the
    champion degraded (an undecided gate may then take a challenger that leads). Raises :class:`~watchkeeper.errors.ConfigError` for a model served
    outside watchkeeper (:func:`check_trained_here`).
    """
    check_trained_here(workspace.config.model)
    task = workspace.config.model.task
    registry = ModelRegistry.for_workspace(workspace)
    say = progress or (lambda step: None)
    try:
        inputs = build_attempt_inputs(
            workspace, registry, as_of=as_of, progress=say, spark=spark, sample=sample
        )
    except WatchkeeperError as error:
        attempt = refuse_attempt(registry, error, trigger=trigger)
        return TrainingRun(registry.model_name, as_of, attempt, None, None, task)
    attempt = run_retrain_attempt(
        registry,
        inputs,
        workspace.config,
        trigger=trigger,
        workspace_root=workspace.root,
        actor=actor,
        validate=validate,
        progress=say,
        champion_degraded=champion_degraded,
    )
    version = attempt.challenger_version
    status = registry.record(version).status if version is not None else None
    return TrainingRun(
        registry.model_name, inputs.window.as_of, attempt, status, inputs.window.counts(), task
    )


__all__ = [
    "EXTERNAL_SERVING",
    "TrainingRun",
    "check_trained_here",
    "default_as_of",
    "run_training_attempt",
]
