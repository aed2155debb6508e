"""``watchkeeper demo``: an example replayed without and with watchkeeper.

``--example fraud`` (the default) is the case study (:mod:`watchkeeper.demo.replay`);
``churn``, ``demand`` and ``triage`` replay those examples (:mod:`watchkeeper.demo.
example_replay`). The output folder receives the watched run's workspace, ``report.html``
and ``summary.json``. ``--via stream`` scores the watched run through Redis Streams and a
stream consumer (:mod:`watchkeeper.demo.stream_scoring`) instead of in-process micro-batches.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from watchkeeper.cli.app import JsonOption, app
from watchkeeper.cli.output import emit_json, stderr, stdout

if TYPE_CHECKING:
    from watchkeeper.demo.stream_scoring import StreamVia
    from watchkeeper.demo.summary import DemoSummary


EXTERNAL_EXAMPLE = "external"


@app.command()
def demo(
    example: Annotated[
        str,
        typer.Option(
            help="The example to replay: fraud (the case study), churn, demand, triage, or "
            "external (a team's own churn model, watched only)."
        ),
    ] = "fraud",
    seed: Annotated[int, typer.Option(help="Seed of the simulated traffic.")] = 1,
    scale: Annotated[
        float,
        typer.Option(
            help="Traffic volume: 1.0 is 1,500 transactions a day (fraud), the example's own "
            "volume otherwise."
        ),
    ] = 1.0,
    out: Annotated[
        Path,
        typer.Option(help="Folder for report.html, summary.json and the watched workspace."),
    ] = Path("watchkeeper-demo"),
    days: Annotated[
        int | None, typer.Option(help="Length of the stream in days (fraud: 810).")
    ] = None,
    shift_day: Annotated[
        int | None, typer.Option(help="Day of the shift (fraud: 540, 2026-06-25).")
    ] = None,
    tick_days: Annotated[
        int | None,
        typer.Option(help="Days of event time between the agent's ticks (external: 2, else 3)."),
    ] = None,
    history_days: Annotated[
        int | None,
        typer.Option(help="Days of history before the first model goes live (fraud: 455)."),
    ] = None,
    via: Annotated[
        str,
        typer.Option(
            "--via",
            help="How the watched run scores: replay (in micro-batches, in this process) or "
            "stream (published to Redis Streams and scored by a stream consumer; same results).",
        ),
    ] = "replay",
    redis_url: Annotated[
        str,
        typer.Option(
            "--redis-url",
            envvar="WATCHKEEPER_STREAM_REDIS_URL",
            help="The Redis of --via stream (the run's streams get a prefix of their own).",
        ),
    ] = "redis://127.0.0.1:6379/0",
    json_output: JsonOption = False,
) -> None:
    """Replay an example twice — frozen model vs watched loop — and compare the money."""

    # the watched run's alerts go to the log channel every day they fire; the summary lists
    # them, so they are not repeated over the progress bar
    logging.getLogger("watchkeeper.alerts").addHandler(logging.NullHandler())
    stream_via = _stream_via(via, redis_url, example)
    if example == EXTERNAL_EXAMPLE:
        _external_demo(seed, scale, out, days, shift_day, tick_days, history_days, json_output)
        return
    tick_days = 3 if tick_days is None else tick_days
    run = _demo_run(example, seed, scale, days, shift_day, tick_days, history_days, stream_via)
    with _progress() as progress:
        summary: DemoSummary = run(out, progress)
    if json_output:
        emit_json(summary.to_dict())
        return
    document = summary.to_dict()
    stdout.print(_headline(summary))
    first = document["first_drift_alert"]
    detected = (
        f"first drift alert {first} ({_days(document['detection_delay_days'])} after the shift)"
        if first
        else "[red]no drift alert after the shift[/]"
    )
    stdout.print(f"  {detected}; drift alerts before the shift: "
                 f"{document['false_alerts_before_shift']}")  # fmt: skip
    if summary.example != "fraud":
        stdout.print(f"  {escape(_first_alert(summary))}")
    stdout.print(f"  {escape(summary.attempt_counts.text())}")
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
    for note in summary.notes:
        stdout.print(f"  note: {escape(note)}")
    for line in _money_lines(summary):
        stdout.print(escape(line))
    stdout.print(f"report: {escape(str(out / 'report.html'))}  "
                 f"summary: {escape(str(out / 'summary.json'))}  "
                 f"({document['runtime_s']} s)")  # fmt: skip


def _demo_run(
    example: str,
    seed: int,
    scale: float,
    days: int | None,
    shift_day: int | None,
    tick_days: int,
    history_days: int | None,
    via: StreamVia | None = None,
) -> Callable[[Path, Callable[[str, float], None]], DemoSummary]:
    """The replay ``--example`` names, its settings checked before anything runs."""
    from watchkeeper.demo.example_replay import ExampleDemoSettings, run_example_demo
    from watchkeeper.demo.replay import DemoSettings, run_demo

    if example == "fraud":
        settings = DemoSettings(
            seed=seed,
            scale=scale,
            history_days=455 if history_days is None else history_days,
            days=810 if days is None else days,
            shift_day=shift_day,
            tick_days=tick_days,
            via=via,
        )
        return lambda out, progress: run_demo(settings, out, progress)
    chosen = ExampleDemoSettings.of(
        example,
        seed=seed,
        scale=scale,
        days=days,
        history_days=history_days,
        shift_day=shift_day,
        tick_days=tick_days,
        via=via,
    )
    return lambda out, progress: run_example_demo(chosen, out, progress)


def _stream_via(via: str, redis_url: str, example: str) -> StreamVia | None:
    """``--via``: None for the in-process replay; for ``stream``, the settings, the Redis
    reached now (an unreachable one is named before minutes of simulating and training)."""
    from watchkeeper.errors import ConfigError

    if via == "replay":
        return None
    if via != "stream":
        raise ConfigError(f"--via {via}: choose replay or stream")
    if example == EXTERNAL_EXAMPLE:
        raise ConfigError(
            "--via stream: the external example's model is served by its team, not scored "
            "by watchkeeper; replay it without --via"
        )
    from watchkeeper.demo.stream_scoring import StreamVia

    chosen = StreamVia(redis_url)
    chosen.check()
    return chosen


def _external_demo(
    seed: int,
    scale: float,
    out: Path,
    days: int | None,
    shift_day: int | None,
    tick_days: int | None,
    history_days: int | None,
    json_output: bool,
) -> None:
    """The external example: a team's own churn model, logged to watchkeeper and watched;
    ``--history-days`` is the day its first version goes live."""
    from watchkeeper.demo import ExternalDemoSettings, run_external_demo, summary_lines
    from watchkeeper.errors import ConfigError

    if not scale > 0:
        raise ConfigError(f"--scale must be above 0 (got {scale:g})")
    base = ExternalDemoSettings()
    settings = ExternalDemoSettings(
        seed=seed,
        per_day=round(base.per_day * scale),
        days=base.days if days is None else days,
        launch_day=base.launch_day if history_days is None else history_days,
        shift_day=base.shift_day if shift_day is None else shift_day,
        tick_days=base.tick_days if tick_days is None else tick_days,
    )
    with _progress() as progress:
        summary = run_external_demo(settings, out, progress)
    document = summary.to_dict()
    if json_output:
        emit_json(document)
        return
    for line in summary_lines(summary):
        stdout.print(escape(line))
    stdout.print(f"report: {escape(str(out / 'report.html'))}  "
                 f"summary: {escape(str(out / 'summary.json'))}  "
                 f"({document['runtime_s']} s)")  # fmt: skip


@contextmanager
def _progress() -> Iterator[Callable[[str, float], None]]:
    """A progress bar on a terminal; elsewhere (a log, CI) a line per simulated month."""
    if not stderr.is_terminal:
        from watchkeeper.demo.progress import MonthlyProgress

        yield MonthlyProgress(sys.stderr)
        return
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=stderr, transient=True) as bar:
        task = bar.add_task("starting", total=1.0)

        def progress(step: str, done: float) -> None:
            bar.update(task, description=step, completed=done)

        yield progress


def _days(count: int) -> str:
    from watchkeeper.report.figures import plural

    return plural(count, "day")


def _first_alert(summary: DemoSummary) -> str:
    """The first alert of any kind after the shift: a model whose inputs barely move may be
    caught by its performance rules first."""
    alert = summary.first_alert_after_shift
    if alert is None:
        return "no alert of any kind after the shift"
    delay = (alert.day - summary.shift_date).days
    return f"first alert after the shift: {alert.rule} ({alert.metric}) {alert.day}, {_days(delay)} after"


def _headline(summary: DemoSummary) -> str:
    if summary.example == "fraud":
        return (
            f"[bold]case study, seed {summary.seed}[/]: {summary.per_day:,} transactions a day; "
            f"first model live {summary.launch_date}, shift {summary.shift_date}, end "
            f"{summary.end_date}"
        )
    from watchkeeper.demo.example_replay import EXAMPLE_DEFAULTS

    events = EXAMPLE_DEFAULTS[summary.example].events
    return (
        f"[bold]{summary.example} example ({summary.task}), seed {summary.seed}[/]: "
        f"{summary.per_day:,} {events} a day; first model live {summary.launch_date}, shift "
        f"{summary.shift_date}, end {summary.end_date}"
    )


def _money_lines(summary: DemoSummary) -> list[str]:
    from watchkeeper.demo.example_replay import figures_line
    from watchkeeper.demo.money import RunMoney
    from watchkeeper.demo.replay import money_line

    lines = []
    for label, figures in (("without", summary.without), ("with", summary.with_watchkeeper)):
        if isinstance(figures, RunMoney):
            lines.append(money_line(label, figures))
        else:
            lines.append(figures_line(label, figures))
    return lines


__all__ = ["demo"]
