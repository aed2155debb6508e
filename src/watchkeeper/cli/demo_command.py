"""``watchkeeper demo``: the case study replayed without and with watchkeeper.

See :mod:`watchkeeper.demo.replay` for what runs. The output folder receives the watched
run's workspace, ``report.html`` and ``summary.json``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from watchkeeper.cli.app import JsonOption, app
from watchkeeper.cli.output import emit_json, stderr, stdout


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Seed of the simulated traffic.")] = 1,
    scale: Annotated[
        float, typer.Option(help="Traffic volume: 1.0 is 1,500 transactions a day.")
    ] = 1.0,
    out: Annotated[
        Path,
        typer.Option(help="Folder for report.html, summary.json and the watched workspace."),
    ] = Path("watchkeeper-demo"),
    days: Annotated[int, typer.Option(help="Length of the stream in days.")] = 810,
    shift_day: Annotated[
        int | None, typer.Option(help="Day of the shift (default: 540, 2026-06-25).")
    ] = None,
    tick_days: Annotated[
        int, typer.Option(help="Days of event time between the agent's ticks.")
    ] = 3,
    history_days: Annotated[
        int, typer.Option(help="Days of history before the first model goes live.")
    ] = 455,
    json_output: JsonOption = False,
) -> None:
    """Replay the case study twice — frozen model vs watched loop — and compare the money."""
    from watchkeeper.demo.replay import DemoSettings, money_line, run_demo

    # the watched run's alerts go to the log channel every day they fire; the summary lists
    # them, so they are not repeated over the progress bar
    logging.getLogger("watchkeeper.alerts").addHandler(logging.NullHandler())
    settings = DemoSettings(
        seed=seed,
        scale=scale,
        history_days=history_days,
        days=days,
        shift_day=shift_day,
        tick_days=tick_days,
    )
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=stderr, transient=True) as bar:
        task = bar.add_task("starting", total=1.0)

        def progress(step: str, done: float) -> None:
            bar.update(task, description=step, completed=done)

        summary = run_demo(settings, out, progress)
    if json_output:
        emit_json(summary.to_dict())
        return
    document = summary.to_dict()
    stdout.print(
        f"[bold]case study, seed {summary.seed}[/]: {summary.per_day:,} transactions a day; "
        f"first model live {summary.launch_date}, shift {summary.shift_date}, end "
        f"{summary.end_date}"
    )
    first = document["first_drift_alert"]
    detected = (
        f"first drift alert {first} ({document['detection_delay_days']} days after the shift)"
        if first
        else "[red]no drift alert after the shift[/]"
    )
    stdout.print(f"  {detected}; drift alerts before the shift: "
                 f"{document['false_alerts_before_shift']}")  # fmt: skip
    for attempt in document["retrain_attempts"]:
        verdict = "[green]accepted[/]" if attempt["accepted"] else attempt["outcome"]
        stdout.print(f"  retrain {attempt['date']}: {verdict} — {escape(str(attempt['reason']))}")
    for promotion in document["promotions"]:
        stdout.print(
            f"  promoted version {promotion['version']} at {promotion['promoted_at'][:10]} "
            f"(canary from {str(promotion['canary_start'])[:10]})"
        )
    for rollback in document["rollbacks"]:
        stdout.print(f"  rolled back version {rollback['version']}: {escape(rollback['reason'])}")
    stdout.print(money_line("without", summary.without))
    stdout.print(money_line("with", summary.with_watchkeeper))
    stdout.print(f"report: {escape(str(out / 'report.html'))}  "
                 f"summary: {escape(str(out / 'summary.json'))}  "
                 f"({document['runtime_s']} s)")  # fmt: skip


__all__ = ["demo"]
