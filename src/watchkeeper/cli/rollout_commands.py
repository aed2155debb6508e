"""``watchkeeper rollout status | start VERSION | promote | rollback | evaluate``.

The same controller as the service's admin endpoints, on the workspace's metadata store;
every action is one transaction and lands in the audit log with the actor.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from watchkeeper.cli.app import JsonOption, WorkspaceOption, app
from watchkeeper.cli.output import emit_json, stderr, stdout

if TYPE_CHECKING:
    from watchkeeper.application.rollout_actions import CanaryEnd

rollout_app = typer.Typer(
    name="rollout", help="Start, watch, promote or roll back a canary.", no_args_is_help=True
)
app.add_typer(rollout_app)

ReasonOption = Annotated[str, typer.Option("--reason", help="Why, for the audit log.")]


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _show(document: dict[str, Any], json_output: bool) -> None:
    if json_output:
        emit_json(document)
        return
    rollout = document["rollout"]
    aliases = ", ".join(f"{alias}={version}" for alias, version in document["aliases"].items())
    stdout.print(f"state: {document['state']}  aliases: {aliases or 'none'}")
    if rollout is not None:
        stdout.print(
            f"rollout {rollout['id']}: version {rollout['challenger_version']} against "
            f"{rollout['champion_version']}, {rollout['state']}, share {rollout['canary_share']}"
            f", started {rollout['started_at']}; {escape(rollout['reason'])}"
        )


@rollout_app.command("status")
def status(workspace: WorkspaceOption = Path(), json_output: JsonOption = False) -> None:
    """Show the rollout state, the running (or last) canary and the aliases."""
    from watchkeeper.application.rollout_actions import rollout_status
    from watchkeeper.workspace import Workspace

    with Workspace.open(workspace) as opened:
        _show(rollout_status(opened).to_dict(), json_output)


@rollout_app.command("start")
def start(
    version: Annotated[str, typer.Argument(help="The version (or alias) to canary.")],
    workspace: WorkspaceOption = Path(),
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why, for the audit log (needed with --force).")
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Start a version the validation gate refused or never judged."
        ),
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Make VERSION the challenger and start its canary against the champion.

    Nothing changes unless the champion and VERSION both load (every artifact verified).
    """
    from watchkeeper.application.rollout_actions import start_canary
    from watchkeeper.workspace import Workspace

    with Workspace.open(workspace) as opened:
        started = start_canary(opened, version, actor=_actor(), reason=reason, force=force)
    _show(started.to_dict(), json_output)


@rollout_app.command("promote")
def promote(
    workspace: WorkspaceOption = Path(),
    reason: ReasonOption = "promoted from the command line",
    json_output: JsonOption = False,
) -> None:
    """Promote the running canary's challenger to champion."""
    _end_canary(workspace, "promote", reason, json_output)


@rollout_app.command("rollback")
def rollback(
    workspace: WorkspaceOption = Path(),
    reason: ReasonOption = "rolled back from the command line",
    json_output: JsonOption = False,
) -> None:
    """Roll the running canary back; the champion keeps serving."""
    _end_canary(workspace, "rollback", reason, json_output)


def _end_canary(workspace: Path, action: CanaryEnd, reason: str, json_output: bool) -> None:
    from watchkeeper.application.rollout_actions import end_canary
    from watchkeeper.workspace import Workspace

    with Workspace.open(workspace) as opened:
        ended = end_canary(opened, action, actor=_actor(), reason=reason)
    _show(ended.status.to_dict(), json_output)
    if ended.cold_state is not None:
        stderr.print(
            f"[yellow]warning:[/] after this promotion, {escape(ended.cold_state)}",
            highlight=False,
        )


@rollout_app.command("evaluate")
def evaluate(workspace: WorkspaceOption = Path(), json_output: JsonOption = False) -> None:
    """Check the canary's guards on the logged predictions: roll back, promote or wait."""
    from watchkeeper.application.rollout_actions import evaluate_canary
    from watchkeeper.workspace import Workspace

    with Workspace.open(workspace) as opened:
        evaluation = evaluate_canary(opened, actor=_actor())
    if json_output:
        emit_json(
            {
                "action": evaluation.action,
                "checks": [vars(check) for check in evaluation.checks],
                "alert": evaluation.alert,
            }
        )
        return
    stdout.print(f"action: {evaluation.action}")
    for check in evaluation.checks:
        stdout.print(f"  {'ok ' if check.passed else 'FAIL'} {escape(check.describe())}")


__all__ = ["rollout_app"]
