"""``watchkeeper run`` (the agent's loop) and ``watchkeeper ingest`` (its first step alone).

``run`` ticks every ``--interval`` until stopped (Ctrl-C or SIGTERM end it after the running
tick): ingest the spooled events, monitor the new windows and evaluate the alert rules, ask
the retrain policy (train, validate, start a canary), advance the running canary. Each step
is also a command of its own — ``ingest``, ``monitor``, ``retrain``, ``rollout evaluate`` —
for cron or an orchestrator.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from watchkeeper.cli.app import JsonOption, WorkspaceOption, app
from watchkeeper.cli.output import emit_json, stdout
from watchkeeper.errors import ConfigError

if TYPE_CHECKING:
    from watchkeeper.agent.tick import TickReport


@app.command("run")
def run_agent(
    interval: Annotated[str, typer.Option(help="Time between ticks (e.g. 15m, 1h, 1d).")] = "1h",
    once: Annotated[bool, typer.Option("--once", help="Run one tick and stop.")] = False,
    ticks: Annotated[int | None, typer.Option(min=1, help="Stop after this many ticks.")] = None,
    workspace: WorkspaceOption = Path(),
    json_output: Annotated[
        bool, typer.Option("--json", help="Print one JSON document per tick (JSON lines).")
    ] = False,
) -> None:
    """Run the loop: ingest, monitor, alert, retrain when due, advance the canary; repeat."""
    from watchkeeper.agent.loop import AgentLoop
    from watchkeeper.durations import parse_duration
    from watchkeeper.workspace import Workspace

    try:
        pause = parse_duration(interval)
    except ValueError as error:
        raise ConfigError(f"--interval: {error}") from None
    with Workspace.open(workspace) as opened:
        loop = AgentLoop(opened, interval=pause)
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signal_number, lambda *_: loop.stop())

        def show(report: TickReport) -> None:
            if json_output:
                emit_json(report.to_dict(), line=True)
            else:
                render_tick(report)

        loop.run(ticks=1 if once else ticks, on_tick=show)


@app.command()
def ingest(workspace: WorkspaceOption = Path(), json_output: JsonOption = False) -> None:
    """Commit the spooled events (predictions, transactions, outcomes) to the event store.

    The count includes what opening the store committed (rows another process left in the
    spool); rows that cannot be written are set aside as dead letters and counted apart.
    """
    from watchkeeper.agent.tick import ingest as ingest_events
    from watchkeeper.workspace import Workspace

    with Workspace.open(workspace) as opened:
        result = ingest_events(opened)
    if json_output:
        emit_json({"rows": result.rows, "dead_letter_rows": result.dead_letter_rows})
        return
    stdout.print(f"ingested {result.rows:,} rows")
    if result.dead_letter_rows:
        stdout.print(
            f"[yellow]warning[/]: {result.dead_letter_rows:,} row(s) could not be written and "
            "were set aside as dead letters (watchkeeper dead-letters lists them)"
        )


def render_tick(report: TickReport) -> None:
    """One tick for people: a line per step."""
    stdout.print(f"[bold]tick {report.at.isoformat()}[/]")
    stdout.print(f"  ingest: {report.ingested_rows:,} rows committed")
    result = report.monitor
    if result is not None:
        stdout.print(
            f"  monitor: {len(result.windows)} new windows, {len(result.relabelled)} relabelled, "
            f"{result.rows_written} rows written"
        )
        for alert in result.alerts:
            where = f" on {alert.feature}" if alert.feature else ""
            stdout.print(f"    alert {alert.action}: {escape(alert.rule)}{escape(where)}")
    step = report.retrain.to_dict()
    attempt = step["attempt"]
    if attempt is not None:
        verdict = "accepted" if attempt["accepted"] else "not accepted"
        stdout.print(
            f"  retrain: {verdict}, version {attempt['version']}: {escape(attempt['reason'])}"
        )
    elif step["reason"]:
        stdout.print(f"  retrain: no ({escape(step['reason'])})")
    if step["canary_version"] is not None:
        stdout.print(f"  rollout: canary of version {step['canary_version']} started")
    if report.rollout is not None and report.rollout.action != "idle":
        stdout.print(f"  rollout: {report.rollout.action}")
    for note in report.notes:
        stdout.print(f"  note: {escape(note)}")


__all__ = ["ingest", "render_tick", "run_agent"]
