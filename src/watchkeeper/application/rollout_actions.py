"""The canary's actions: status, start, promote, roll back and evaluate, by hand
(``watchkeeper rollout``), over HTTP (``/v1/rollout/*``), from the
loop and from Python. Each goes through the workspace's
:class:`~watchkeeper.rollout.controller.RolloutController` (which alerts the owner of every
rollback), or the one a service keeps on its own clock; after a promotion it says whether a
service would now start with a cold online state.

>>> import tempfile
>>> from pathlib import Path
>>> with Workspace.open(Workspace.create(Path(tempfile.mkdtemp()) / "ws")) as opened:
...     start_canary(opened, 2, actor="cli", force=True)
Traceback (most recent call last):
...
watchkeeper.errors.ConfigError: --force needs --reason: why the validation gate is overridden
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from watchkeeper.application.online_state import cold_state_problem
from watchkeeper.errors import ConfigError
from watchkeeper.rollout.controller import RolloutController, RolloutEvaluation, RolloutStatus
from watchkeeper.workspace import Workspace

CanaryEnd = Literal["promote", "rollback"]


@dataclass(frozen=True)
class EndedCanary:
    """The rollout after a promotion or rollback, and (after a promotion) why a service of
    the workspace would start with a cold online state, if it would."""

    status: RolloutStatus
    cold_state: str | None = None


def rollout_status(
    workspace: Workspace, *, controller: RolloutController | None = None
) -> RolloutStatus:
    """The rollout state, the running (or last) canary and the aliases."""
    return _controller(workspace, controller).status()


def start_canary(
    workspace: Workspace,
    version: int | str,
    *,
    actor: str,
    reason: str | None = None,
    force: bool = False,
    controller: RolloutController | None = None,
) -> RolloutStatus:
    """Make ``version`` the challenger and start its canary; ``force`` (a version the gate
    did not accept) needs a ``reason``."""
    if force and not (reason or "").strip():
        raise ConfigError("--force needs --reason: why the validation gate is overridden")
    control = _controller(workspace, controller)
    control.start(version, actor=actor, reason=reason or f"canary started by {actor}", force=force)
    return control.status()


def end_canary(
    workspace: Workspace,
    action: CanaryEnd,
    *,
    actor: str,
    reason: str,
    controller: RolloutController | None = None,
) -> EndedCanary:
    """Promote the running canary's challenger, or roll it back."""
    control = _controller(workspace, controller)
    end = control.promote if action == "promote" else control.rollback
    end(actor=actor, reason=reason)
    status = control.status()
    if action != "promote":
        return EndedCanary(status)
    return EndedCanary(status, cold_state_problem(workspace))


def evaluate_canary(
    workspace: Workspace, *, actor: str, controller: RolloutController | None = None
) -> RolloutEvaluation:
    """Check the canary's guards on the logged predictions: roll back, promote or wait."""
    return _controller(workspace, controller).evaluate_from_events(workspace.events, actor=actor)


def _controller(workspace: Workspace, given: RolloutController | None) -> RolloutController:
    """``given`` (a service keeps one, on its own clock), else the workspace's controller."""
    return given if given is not None else RolloutController.for_workspace(workspace)


__all__ = [
    "CanaryEnd",
    "EndedCanary",
    "end_canary",
    "evaluate_canary",
    "rollout_status",
    "start_canary",
]
