"""Commands that create and inspect a workspace: ``init`` and ``check``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from watchkeeper.cli.app import JsonOption, WorkspaceOption, app
from watchkeeper.cli.output import emit_json, stdout
from watchkeeper.durations import format_duration
from watchkeeper.workspace import EXAMPLES, Workspace

DEAD_LETTER_REASONS_SHOWN = 3
"""How many of the latest dead letters ``check`` shows the reason of."""


@app.command()
def init(
    folder: Annotated[
        Path | None,
        typer.Argument(help="Folder to create the workspace in (default: the --workspace folder)."),
    ] = None,
    example: Annotated[
        str, typer.Option("--example", "-e", help=f"Example to start from: {', '.join(EXAMPLES)}.")
    ] = "fraud",
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing watchkeeper.yaml.")
    ] = False,
    workspace: WorkspaceOption = Path(),
    json_output: JsonOption = False,
) -> None:
    """Write a complete, working example workspace (watchkeeper.yaml)."""
    root = Workspace.create(folder if folder is not None else workspace, example, overwrite=force)
    loaded = Workspace.open(root)  # proves the written file loads
    if json_output:
        emit_json(
            {"workspace": root.resolve(), "example": example, "model": loaded.config.model.name}
        )
        return
    stdout.print(
        f"Created the [bold]{escape(example)}[/] workspace in {escape(str(root.resolve()))}"
    )
    stdout.print(f"  model: {loaded.config.model.name}; owner: {escape(loaded.config.owner.name)}")
    for step in _next_steps(example, escape(str(root))):
        stdout.print(f"  next: {step}")


def _next_steps(example: str, root: str) -> list[str]:
    """The first commands to run in a new workspace of ``example``.

    >>> _next_steps("external", "shop")[:2]
    ['watchkeeper simulate --preset churn --out shop/logs', 'watchkeeper log predictions --file shop/logs/predictions.parquet -w shop']
    """
    if example == "external":
        return [
            f"watchkeeper simulate --preset churn --out {root}/logs",
            f"watchkeeper log predictions --file {root}/logs/predictions.parquet -w {root}",
            f"watchkeeper log outcomes --file {root}/logs/outcomes.parquet -w {root}",
            f"watchkeeper monitor -w {root}",
        ]
    preset = "case-study" if example == "fraud" else example
    return [f"watchkeeper simulate --preset {preset} -w {root}", f"watchkeeper train -w {root}"]


@app.command()
def check(workspace: WorkspaceOption = Path(), json_output: JsonOption = False) -> None:
    """Validate the workspace file and open every store it names (exit 2 on any problem)."""
    with Workspace.open(workspace) as loaded:
        report = workspace_report(loaded)
    if json_output:
        emit_json(report)
        return
    table = Table(
        title=f"workspace {escape(str(report['workspace']))}", show_header=False, box=None
    )
    for key, value in report.items():
        if key not in ("workspace", "dead_letter_reasons"):
            table.add_row(f"[bold]{key}[/]", escape(str(value)))
    stdout.print(table)
    stdout.print("[green]ok[/]: the workspace file is valid and every store opens")
    if report["dead_letters"]:
        stdout.print(
            f"[yellow]warning[/]: {report['dead_letters']:,} spooled row(s) could not be written "
            "and were set aside as dead letters (watchkeeper dead-letters lists them); latest:"
        )
        for reason in report["dead_letter_reasons"]:
            stdout.print(f"  {escape(reason)}", soft_wrap=True)


def workspace_report(workspace: Workspace) -> dict[str, Any]:
    """Open each store of a workspace and describe it; a store that fails raises its error."""
    config = workspace.config
    metadata = workspace.metadata
    events = workspace.events
    artifacts = workspace.artifacts
    workspace.open_online_state().close()  # a Redis state is pinged
    return {
        "workspace": workspace.root,
        "model": config.model.name,
        "owner": f"{config.owner.name} <{config.owner.contact}>",
        "label": f"{config.label.positive_outcome}, mature after "
        f"{format_duration(config.label.maturity_horizon)}",
        "features": len(config.features.transforms),
        "metadata": f"{_redact(workspace.metadata_url())} (schema {metadata.schema_version()})",
        "events": f"{workspace.resolve(config.storage.events)} ({type(events).__name__})",
        "artifacts": f"{workspace.resolve(config.storage.artifacts)} ({type(artifacts).__name__})",
        "online_state": _online_state(workspace),
        "dead_letters": events.backlog().dead_letter_rows,
        "dead_letter_reasons": [
            f"{letter.set_aside_at.isoformat(timespec='seconds')} {letter.table}: {letter.reason}"
            for letter in events.dead_letters(DEAD_LETTER_REASONS_SHOWN)
        ],
    }


def _online_state(workspace: Workspace) -> str:
    online = workspace.config.storage.online_state
    return online.type if online.url is None else f"{online.type} {_redact(online.url)}"


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparseable URL is shown as given; opening it already succeeded
        return url


__all__ = ["check", "init", "workspace_report"]
