"""``watchkeeper monitor``: one incremental pass of the monitor job, then the alert rules.

The computation lives in :mod:`watchkeeper.monitoring.job.monitor_job`; this module parses the
options and renders the result (Rich, or one JSON document with ``--json``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from watchkeeper.cli.app import JsonOption, WorkspaceOption, app
from watchkeeper.cli.engine_option import EngineOption, compute_config
from watchkeeper.cli.output import emit_json, stdout
from watchkeeper.clock import parse_instant

if TYPE_CHECKING:
    from watchkeeper.monitoring.job.monitor_job import MonitorResult


@app.command()
def monitor(
    until: Annotated[
        str | None,
        typer.Option(help="Process windows complete by this event time (ISO 8601; default now)."),
    ] = None,
    workspace: WorkspaceOption = Path(),
    json_output: JsonOption = False,
    engine: EngineOption = None,
) -> None:
    """Monitor the served model: drift, quality, performance and money per window, then alerts."""
    from watchkeeper.monitoring.job.monitor_job import run_monitor
    from watchkeeper.workspace import Workspace

    moment = parse_until(until)
    compute = compute_config(workspace, engine)
    with Workspace.open(workspace) as opened:
        result = run_monitor(opened, moment, compute.spark if compute.engine == "spark" else None)
    if json_output:
        emit_json(result.to_dict())
        return
    render(result)


def parse_until(text: str | None) -> datetime | None:
    """The ``--until`` time (see :func:`~watchkeeper.clock.parse_instant`), or None for now.

    >>> parse_until("2026-06-01").isoformat()
    '2026-06-01T00:00:00+00:00'
    """
    return None if text is None else parse_instant("--until", text)


SHOWN_WINDOWS = 6
"""How many new windows the summary names before it counts the rest."""


def window_list(windows: Sequence[str]) -> str:
    """The new windows, named when few, counted with the first and last when many.

    >>> window_list(["a", "b"]), window_list([])
    ('a, b', 'none')
    >>> window_list([f"w{day}" for day in range(240)])
    '240 windows: w0, w1, w2 ... w237, w238, w239'
    """
    if not windows:
        return "none"
    if len(windows) <= SHOWN_WINDOWS:
        return ", ".join(windows)
    half = SHOWN_WINDOWS // 2
    return f"{len(windows)} windows: {', '.join(windows[:half])} ... {', '.join(windows[-half:])}"


def render(result: MonitorResult) -> None:
    """Print a run's summary for people."""
    windows = window_list(result.windows)
    served = f"champion v{result.champion}"
    if result.metrics:  # a model served elsewhere: no champion, its versions as logged
        newest = f"newest version v{result.champion}" if result.champion else "no version yet"
        served = f"served elsewhere, {result.task}, {newest}"
    stdout.print(
        f"monitored [bold]{escape(result.model)}[/] ({served}) until {result.until.isoformat()}"
    )
    if result.metrics:
        stdout.print(f"{result.task} metrics: {', '.join(result.metrics)}")
    stdout.print(f"new windows: {windows}")
    stdout.print(f"windows open for labels: {len(result.relabelled)}")
    stdout.print(f"metric rows written: {result.rows_written}")
    if result.concurrent:
        stdout.print("[yellow]another monitor run moved the watermark first[/]")
    for alert in result.alerts:
        where = f" on {alert.feature}" if alert.feature else ""
        stdout.print(
            f"[bold red]{alert.action}[/] {escape(alert.rule)} ({alert.severity}): "
            f"{alert.metric}{escape(where)} = {alert.value} vs {alert.threshold}"
        )
    for note in result.notes:
        stdout.print(f"note: {escape(note)}")


__all__ = ["monitor", "parse_until", "render"]
