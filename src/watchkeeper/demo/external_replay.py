"""The external example replayed: a team's own churn model, without watchkeeper and with it.

watchkeeper never trains nor serves this model (``model.serving: external``): it watches what
the team's service logs and, when its retrain policy says so, asks the team to retrain.

1. Simulate the churn example (:func:`~watchkeeper.simulate.tabular.simulate_churn`): stable
   account traffic, then from ``shift_day`` a new cohort and a competitor's price cut.
2. The team launches ``team-v1`` on ``launch_day``, trained on the ``training.window`` of
   events whose labels had matured by then (the window a request at launch would name).
3. *Without*: ``team-v1`` serves to the end; nobody tells the team anything.
4. *With*: every ``tick_days`` the team's service logs its predictions and the outcomes it
   received through the public path (:meth:`~watchkeeper.workspace.Workspace.log_predictions`
   and ``log_outcomes``: the checks of files and HTTP), and the agent ticks
   (:func:`~watchkeeper.agent.tick.run_tick`). A retraining request goes out through the
   workspace's ``retraining.request.command``, into the team's inbox
   (:mod:`~watchkeeper.demo.external_team`); the team retrains on the window the request
   names and logs under the next label from then on. watchkeeper sees the new label as a new
   external version and compares it with the one before on matured windows.
5. Judge both runs against the simulation's truth with the workspace's money model and the
   task's metric (:mod:`~watchkeeper.demo.external_judge`); write ``report.html`` and
   ``summary.json``.

Every number in the summary comes from the system running on the stream.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from watchkeeper.agent.tick import AgentSession, TickReport, run_tick
from watchkeeper.clock import EventTimeClock
from watchkeeper.demo.external_judge import judge_run
from watchkeeper.demo.external_summary import (
    ExternalDemoSummary,
    external_comparison_html,
    recorded_requests,
    seen_versions,
)
from watchkeeper.demo.external_team import RequestInbox, TeamService
from watchkeeper.demo.outputs import write_outputs
from watchkeeper.demo.runs import FiredAlert, days_between, fired_alerts
from watchkeeper.errors import ConfigError
from watchkeeper.intake.event_log import empty_summary
from watchkeeper.monitoring.job.version_comparison import VersionComparison
from watchkeeper.simulate.tabular import simulate_churn
from watchkeeper.simulate.tabular.common import START
from watchkeeper.workspace import Workspace

EXAMPLE = "external"
MIN_PER_DAY = 50
"""Account snapshots a day needed: the example's ``monitoring.min_rows`` for a daily window."""

Progress = Callable[[str, float], None]
"""Called with a step's description and the share of the whole replay done (0..1)."""


@dataclass(frozen=True)
class ExternalDemoSettings:
    """What to replay: seed, volume, the days of launch and shift, the stream's length.

    Days count from the simulation's first day (2025-01-01).

    >>> ExternalDemoSettings(shift_day=100)
    Traceback (most recent call last):
    ...
    watchkeeper.errors.ConfigError: --shift-day 100 must come after --launch-day 130 and before the end of the stream (day 360)
    """

    seed: int = 1
    per_day: int = 200
    days: int = 360
    launch_day: int = 130
    """The day ``team-v1`` goes live; the days before are the team's history."""
    shift_day: int = 200
    tick_days: int = 2
    """Days of event time between the team's logging calls and the agent's ticks (monitoring
    windows stay daily)."""
    flag_rate: float = 0.1
    """The share of a training window each team version's threshold flags."""

    def __post_init__(self) -> None:
        if self.per_day < MIN_PER_DAY:
            raise ConfigError(
                f"--per-day {self.per_day}: at least {MIN_PER_DAY} account snapshots a day are "
                "needed (the example's monitoring.min_rows for a daily window)"
            )
        if self.tick_days < 1:
            raise ConfigError(f"--tick-days must be at least 1 (got {self.tick_days})")
        if not self.launch_day < self.shift_day < self.days:
            raise ConfigError(
                f"--shift-day {self.shift_day} must come after --launch-day {self.launch_day} "
                f"and before the end of the stream (day {self.days})"
            )

    def day(self, number: int) -> datetime:
        """Midnight UTC of day ``number``."""
        return START + timedelta(days=number)


def run_external_demo(
    settings: ExternalDemoSettings, out: Path, progress: Progress | None = None
) -> ExternalDemoSummary:
    """Run both replays of the external example; write ``report.html`` and ``summary.json``
    (and the watched workspace, the team's inbox) into ``out``."""
    say = progress or (lambda step, done: None)
    began = time.perf_counter()
    say("simulating the churn traffic", 0.0)
    simulation = simulate_churn(
        days=settings.days,
        per_day=settings.per_day,
        seed=settings.seed,
        shift_day=settings.shift_day,
    )
    launch, end = settings.day(settings.launch_day), settings.day(settings.days)
    out.mkdir(parents=True, exist_ok=True)
    root, inbox = out / "workspace", RequestInbox(out / "team")
    for folder in (root, inbox.folder):
        if folder.exists():
            shutil.rmtree(folder)
    Workspace.create(root, example=EXAMPLE)
    command = inbox.install()
    _configure_request_command(root, command)
    clock = EventTimeClock(launch)
    with Workspace.open(root, clock=clock) as workspace:
        config = workspace.config
        if config.retraining.request.command != command:
            raise ConfigError(f"{root}: retraining.request.command did not reach the workspace")
        task = config.model.task
        positive = config.label.positive_outcome
        horizon, window = config.label.maturity_horizon, config.training.window
        first_start = launch - horizon - window
        if first_start < START:
            raise ConfigError(
                f"--launch-day {settings.launch_day}: team-v1 trains on the "
                f"{window.days} days before the labels' {horizon.days}-day maturity, so launch "
                f"on day {(horizon + window).days} or later"
            )
        team = TeamService(
            simulation, task, positive or "", flag_rate=settings.flag_rate, seed=settings.seed
        )
        say("training team-v1 on the history before launch", 0.02)
        team.launch(first_start, launch - horizon, launch)
        say("run 1 of 2: without watchkeeper (team-v1 to the end)", 0.05)
        without = team.predictions(launch, end)
        say("run 2 of 2: with watchkeeper", 0.1)
        watched = _run_with(workspace, clock, team, inbox, launch, end, settings, say)
        say("judging both runs against the truth", 0.95)
        truth = simulation.events.select("event_id", "ts").join(
            simulation.outcomes.select("event_id", "outcome"), on="event_id"
        )
        truth = truth.filter(pl.col("ts") >= launch)
        business = config.monitoring.business
        model = config.model.name
        summary = ExternalDemoSummary(
            seed=settings.seed,
            per_day=settings.per_day,
            launch_date=launch.date(),
            shift_date=settings.day(settings.shift_day).date(),
            end_date=end.date(),
            currency=business.currency,
            alerts=watched.alerts,
            requests=recorded_requests(workspace.metadata, model),
            versions=seen_versions(workspace.metadata, model, team.versions),
            comparisons=_labelled(watched.comparisons, workspace, model),
            without=judge_run(without, truth, task, business, positive_outcome=positive),
            with_watchkeeper=judge_run(
                watched.decisions, truth, task, business, positive_outcome=positive
            ),
            logged=watched.logged,
            ticks=watched.ticks,
            tick_days=settings.tick_days,
            runtime_s=time.perf_counter() - began,
        )
        say("writing the report", 0.98)
        write_outputs(
            workspace,
            out,
            title="watchkeeper demo: a team's own churn model, watched",
            extra_html=external_comparison_html(summary),
            summary=summary.to_dict(),
        )
    say("done", 1.0)
    return summary


@dataclass(frozen=True)
class _Watched:
    decisions: pl.DataFrame
    alerts: tuple[FiredAlert, ...]
    comparisons: tuple[VersionComparison, ...]
    ticks: int
    logged: dict[str, dict[str, Any]]


def _run_with(
    workspace: Workspace,
    clock: EventTimeClock,
    team: TeamService,
    inbox: RequestInbox,
    launch: datetime,
    end: datetime,
    settings: ExternalDemoSettings,
    say: Progress,
) -> _Watched:
    """Log, tick, answer requests, from ``launch`` to ``end``."""
    session = AgentSession(workspace)
    logged = {"predictions": empty_summary("predictions"), "outcomes": empty_summary("outcomes")}
    parts: list[pl.DataFrame] = []
    alerts: list[FiredAlert] = []
    report: TickReport | None = None
    ticks = 0
    total = (end - launch).days
    for start, stop in days_between(launch, end, timedelta(days=settings.tick_days)):
        clock.advance_to(stop)
        served = team.predictions(start, stop)
        logged["predictions"] += workspace.log_predictions(served)
        received = team.outcomes(start, stop)
        if received.height:
            logged["outcomes"] += workspace.log_outcomes(
                received.select("event_id", "outcome", "outcome_ts")
            )
        parts.append(served)
        report = run_tick(workspace, now=stop, session=session)
        ticks += 1
        alerts += fired_alerts(report, stop.date())
        for request in inbox.new_requests():
            team.answer(request, live_from=stop)
        say(f"with: {stop.date().isoformat()}", 0.1 + 0.85 * (stop - launch).days / total)
    comparisons = () if report is None or report.monitor is None else report.monitor.comparisons
    counts = {table: summary.to_dict() for table, summary in logged.items()}
    return _Watched(pl.concat(parts), tuple(alerts), comparisons, ticks, counts)


def _configure_request_command(root: Path, command: list[str]) -> None:
    """Point the workspace's ``retraining.request.command`` at the team's receiver (the
    example ends with its ``retraining`` section)."""
    path = root / "watchkeeper.yaml"
    text = path.read_text("utf-8").rstrip("\n")
    if not text.splitlines()[-1].startswith("  "):
        raise ConfigError(f"{path}: the example no longer ends with its retraining section")
    request = (
        "\n  request:                   # the team's pipeline: its receiver queues the request\n"
        f"    command: {json.dumps(command)}\n"
    )
    path.write_text(text + request, "utf-8")


def _labelled(
    comparisons: tuple[VersionComparison, ...], workspace: Workspace, model: str
) -> tuple[str, ...]:
    labels = {
        entry.version: entry.label for entry in workspace.metadata.external_versions.entries(model)
    }
    return tuple(comparison.describe(labels) for comparison in comparisons)


__all__ = ["ExternalDemoSettings", "run_external_demo"]
