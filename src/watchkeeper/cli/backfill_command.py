"""``watchkeeper features backfill-state``: fill the online state from the event store.

Fills the state ``storage.online_state`` names with what the online engine would hold after
every raw event up to ``--until`` (default: the newest), computed for the champion's fitted
spec (:mod:`watchkeeper.application.online_state`), and records the watermark ``/readyz`` and
``watchkeeper serve`` look for. A memory state is written to its snapshot file
(``.watchkeeper/online_state.snapshot``), which a service reads when it starts: fill it while
the service is stopped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from watchkeeper.cli.app import JsonOption, WorkspaceOption
from watchkeeper.cli.features_command import features_app, progress_bar
from watchkeeper.cli.output import emit_json, stdout
from watchkeeper.clock import parse_instant


@features_app.command("backfill-state")
def backfill_state_command(
    until: Annotated[
        str | None,
        typer.Option(
            "--until",
            help="Last event time folded in (ISO-8601, inclusive); default: the newest event.",
        ),
    ] = None,
    workspace: WorkspaceOption = Path(),
    json_output: JsonOption = False,
) -> None:
    """Fill the online state from the event store's history, for the champion's features.

    The first event served afterwards gets exactly the features the batch engine computes
    for it. Running it again rewrites the same state.
    """
    from watchkeeper.application.online_state import fill_workspace_state
    from watchkeeper.workspace import Workspace

    moment = None if until is None else parse_instant("--until", until)
    with (
        Workspace.open(workspace) as opened,
        progress_bar() as progress,
    ):
        task = progress.add_task("reading events, computing states", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, description="writing states", completed=done, total=total)

        backend = opened.config.storage.online_state.type
        report = fill_workspace_state(opened, moment, progress=advance)
    if json_output:
        emit_json({"backend": backend, **report.to_dict()})
        return
    speed = report.events / report.seconds if report.seconds > 0 else 0.0
    stdout.print(
        f"online state ({backend}) filled up to {report.until.isoformat()}: "
        f"{report.events:,} events, {report.keys:,} keys in {report.seconds:.1f} s "
        f"({speed:,.0f} events/s)"
    )
    if report.rejected:
        stdout.print(f"  {report.rejected:,} rows broke the schema and were left out")
    stdout.print(f"  fitted spec {escape(report.spec_hash)}")


__all__ = ["backfill_state_command"]
