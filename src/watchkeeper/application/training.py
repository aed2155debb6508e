"""Training by hand: ``train`` (no gate) and ``retrain`` (the retrain policy, then the gate).

Both open the workspace themselves, because an attempt runs in event time: the workspace is
opened with an :class:`~watchkeeper.clock.EventTimeClock` at the attempt's as-of moment, so
versions, status changes and attempts are recorded at that moment and the retrain policy's
cooldown compares like with like on a replayed history too. The moment is known before the
workspace is opened: given, or the newest transaction (never after the wall clock's now) read
through a first, read-only opening.

>>> import tempfile
>>> from pathlib import Path
>>> root = Workspace.create(Path(tempfile.mkdtemp()) / "ws", example="external")
>>> train(root)
Traceback (most recent call last):
...
watchkeeper.errors.ConfigError: this model is served outside watchkeeper (model.serving: external): its team retrains it; watchkeeper monitors what it logs
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from watchkeeper.clock import Clock, EventTimeClock, as_utc
from watchkeeper.training.attempt_runner import (
    TrainingRun,
    check_trained_here,
    default_as_of,
    run_training_attempt,
)
from watchkeeper.training.policy_check import consult_workspace_policy
from watchkeeper.training.retrain_policy import RetrainDecision
from watchkeeper.workspace import Workspace

if TYPE_CHECKING:
    from watchkeeper.config import SparkConfig

Root = str | os.PathLike[str]
Progress = Callable[[str], None]

TRAIN_TRIGGER = "manual: watchkeeper train"


def attempt_moment(
    root: Root, as_of: datetime | None = None, clock: Clock | None = None
) -> datetime:
    """The as-of moment of an attempt on the workspace at ``root``: ``as_of`` (in UTC), else
    the newest transaction's time, never after ``clock``'s now (the wall clock by default).
    A model served elsewhere is refused first (:func:`check_trained_here`)."""
    with Workspace.open(root, clock) as opened:
        check_trained_here(opened.config.model)
        return as_utc(as_of) if as_of is not None else default_as_of(opened)


def train(
    root: Root,
    *,
    as_of: datetime | None = None,
    progress: Progress | None = None,
    spark: SparkConfig | None = None,
    sample: float | None = None,
) -> TrainingRun:
    """Train a version without the gate: the first becomes champion, later ones candidates.

    ``progress`` hears each step's name; with ``spark`` the window and its features are
    computed on that cluster; ``sample`` (a fraction of the entities) overrides
    ``training.sample``. Raises a
    :class:`~watchkeeper.errors.WatchkeeperError` for a workspace that cannot train.
    """
    moment = attempt_moment(root, as_of)
    with Workspace.open(root, EventTimeClock(moment)) as opened:
        return run_training_attempt(
            opened,
            trigger=TRAIN_TRIGGER,
            validate=False,
            as_of=moment,
            progress=progress,
            spark=spark,
            sample=sample,
        )


def retrain(
    root: Root,
    *,
    reason: str | None = None,
    force: bool = False,
    as_of: datetime | None = None,
    progress: Progress | None = None,
    spark: SparkConfig | None = None,
    sample: float | None = None,
) -> TrainingRun | RetrainDecision:
    """One attempt validated against the champion (passing makes the version challenger).

    With a ``reason`` the attempt runs for it; without one the retrain policy decides, and its
    decision not to retrain is returned (no attempt) unless ``force``. ``spark`` and
    ``sample`` as for :func:`train`.
    """
    moment = attempt_moment(root, as_of)
    with Workspace.open(root, EventTimeClock(moment)) as opened:
        degraded = None
        if reason is not None:
            trigger = f"manual: {reason}"
        else:
            decision = consult_workspace_policy(opened, as_of=moment)
            if not decision.retrain and not force:
                return decision
            degraded = decision.evidence.get("champion_degraded")
            trigger = (
                decision.reason
                if decision.retrain
                else f"manual: watchkeeper retrain --force (policy: {decision.reason})"
            )
        return run_training_attempt(
            opened,
            trigger=trigger,
            validate=True,
            as_of=moment,
            progress=progress,
            spark=spark,
            sample=sample,
            champion_degraded=degraded,
        )


__all__ = ["TRAIN_TRIGGER", "attempt_moment", "retrain", "train"]
