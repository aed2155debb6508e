"""``watchkeeper history``: the audit log of every decision, newest first.

Alerts, retraining attempts (accepted or not, with their evidence), promotions and
rollbacks are all decisions; this command lists them for the workspace.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from watchkeeper.cli.app import JsonOption, WorkspaceOption, app
from watchkeeper.cli.output import emit_json, stdout
from watchkeeper.errors import ConfigError


@app.command()
def history(
    kind: Annotated[
        str | None,
        typer.Option(
            help="Only decisions of this kind: alert, alert_resolved, retrain_attempt, "
            "retrain_request, rollout_start, rollout_promote, rollout_rollback, schema_change."
        ),
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many decisions.", min=1)] = 50,
    workspace: WorkspaceOption = Path(),
    json_output: JsonOption = False,
) -> None:
    """List the decisions of the audit log, newest first, with their evidence."""
    from watchkeeper.storage.metadata.decision_kinds import DECISION_KINDS
    from watchkeeper.workspace import Workspace

    if kind is not None and kind not in DECISION_KINDS:
        raise ConfigError(
            f"--kind: {kind!r} is not a kind of decision; choose one of "
            f"{', '.join(sorted(DECISION_KINDS))}"
        )
    with Workspace.open(workspace) as opened:
        entries = opened.metadata.decisions(None, kind=kind, limit=limit)
    documents: list[dict[str, Any]] = [
        {
            "id": entry.id,
            "at": entry.at,
            "model": entry.model,
            "kind": entry.kind,
            "actor": entry.actor,
            "summary": entry.summary,
            "evidence": dict(entry.evidence),
        }
        for entry in entries
    ]
    if json_output:
        emit_json(documents)
        return
    if not documents:
        stdout.print("no decision has been recorded yet")
        return
    for document in documents:  # one line each: summaries are long, tables would fold them
        stdout.print(
            f"{document['at'].isoformat(timespec='seconds')}  {document['model'] or '-'}  "
            f"[bold]{document['kind']}[/] ({escape(document['actor'])}): "
            f"{escape(document['summary'])}",
            soft_wrap=True,
        )


__all__ = ["history"]
