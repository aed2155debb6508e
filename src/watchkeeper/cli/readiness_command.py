"""``watchkeeper readiness``: the case study's five questions, scored from the workspace."""

from __future__ import annotations

from pathlib import Path

import typer

from watchkeeper.cli.app import JsonOption, WorkspaceOption, app
from watchkeeper.cli.output import emit_json, stdout

_STYLE = {"pass": "[green]pass[/]", "warn": "[yellow]warn[/]", "fail": "[red]fail[/]"}


@app.command()
def readiness(workspace: WorkspaceOption = Path(), json_output: JsonOption = False) -> None:
    """Score the workspace on drift detection, retraining, ownership, lineage and business value.

    Each answer is pass, warn or fail with the evidence found and the remedy. Exits 1 when a
    question fails, so it can gate a deployment pipeline.
    """
    from watchkeeper.readiness import assess
    from watchkeeper.workspace import Workspace

    with Workspace.open(workspace) as opened:
        card = assess(opened)
    if json_output:
        emit_json(card.to_dict())
    else:
        stdout.print(f"[bold]readiness of {card.model}[/]")
        for number, answer in enumerate(card.answers, start=1):
            stdout.print(f"\n{_STYLE[answer.status]}  {number}. {answer.question}")
            for line in answer.evidence:
                stdout.print(f"      {line}", markup=False)
            if answer.remedy:
                stdout.print(f"      [bold]remedy:[/] {answer.remedy}")
    if not card.passed:
        raise typer.Exit(1)


__all__ = ["readiness"]
