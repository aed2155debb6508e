"""``watchkeeper demo``: the case study replayed twice, without watchkeeper and with it.

1. Simulate the ``case-study`` preset (18 months of stable card traffic, then a new merchant
   segment and adapted fraud) at ``scale`` x 1,500 transactions a day.
2. Create a workspace from the embedded fraud example, load the history before launch and
   train the first model on it: the champion of both runs.
3. *Without*: the frozen first model decides every event to the end; nothing watches.
4. *With*: each day is scored, logged and ticked by the agent (see :mod:`.runs`).
5. Judge both runs' decisions against the hidden truth, read what the watched run recorded,
   write ``report.html`` and ``summary.json`` into the output folder.

Every number in the summary comes from the system running on the stream.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from watchkeeper.clock import EventTimeClock
from watchkeeper.demo.comparison import comparison_html
from watchkeeper.demo.money import RunMoney, run_money
from watchkeeper.demo.outputs import write_outputs as write_files
from watchkeeper.demo.runs import Progress, replay_runs
from watchkeeper.demo.stream import DemoStream
from watchkeeper.demo.summary import DemoSummary, ReplayDescription, watched_summary
from watchkeeper.errors import ConfigError
from watchkeeper.workspace import Workspace

if TYPE_CHECKING:
    from watchkeeper.demo.stream_scoring import StreamVia

BASE_PER_DAY = 1_500
"""Transactions a day at scale 1."""

SCENARIO = "case-study"


@dataclass(frozen=True)
class DemoSettings:
    """What to replay: seed, scale, and how much history comes before launch.

    >>> DemoSettings(scale=0.5).per_day
    750
    >>> DemoSettings(scale=0)
    Traceback (most recent call last):
    ...
    watchkeeper.errors.ConfigError: --scale must be above 0 (got 0)
    """

    seed: int = 1
    scale: float = 1.0
    history_days: int = 455
    """Days of traffic before the first model goes live (launch: 2026-04-01 by default)."""
    days: int | None = 810
    """Length of the stream: the case study's 18 months, then nine after the shift (a
    retrained model needs months of matured labels: the benefit shows in the months after);
    None takes the preset's 720 days."""
    shift_day: int | None = None
    """Day of the shift (None: the preset's day 540, 2026-06-25)."""
    tick_days: int = 3
    """Days of event time between the agent's ticks (monitoring windows stay daily)."""
    via: StreamVia | None = None
    """Score the watched run through the stream (``--via stream``); None: in micro-batches."""

    def __post_init__(self) -> None:
        if not self.scale > 0:
            raise ConfigError(f"--scale must be above 0 (got {self.scale:g})")
        if self.tick_days < 1:
            raise ConfigError(f"--tick-days must be at least 1 (got {self.tick_days})")
        if self.per_day < 100:
            raise ConfigError(
                f"--scale {self.scale:g} gives {self.per_day} transactions a day; at least 100 "
                f"are needed (scale {100 / BASE_PER_DAY:g} or more)"
            )

    @property
    def per_day(self) -> int:
        """Transactions a day."""
        return round(BASE_PER_DAY * self.scale)


def run_demo(settings: DemoSettings, out: Path, progress: Progress | None = None) -> DemoSummary:
    """Run both replays, write ``report.html`` and ``summary.json`` into ``out``."""
    say = progress or (lambda step, done: None)
    began = time.perf_counter()
    say("simulating the case study", 0.0)
    stream = DemoStream.simulate(
        seed=settings.seed,
        per_day=settings.per_day,
        days=settings.days,
        shift_day=settings.shift_day,
    )
    launch = stream.start + timedelta(days=settings.history_days)
    if not stream.start < launch < datetime.combine(stream.shift_date, launch.timetz()):
        raise ConfigError("the launch must fall between the start of the stream and the shift")
    root = fresh_workspace(out, "fraud")
    clock = EventTimeClock(launch)
    with Workspace.open(root, clock=clock) as workspace:
        without, watched = replay_runs(
            workspace,
            clock,
            stream,
            stream.transactions.drop("is_fraud"),
            launch,
            say,
            tick=timedelta(days=settings.tick_days),
            via=settings.via,
        )
        say("judging both runs against the truth", 0.95)
        truth = stream.truth_between(launch, stream.end)
        business = workspace.config.monitoring.business
        described = ReplayDescription(SCENARIO, settings.seed, settings.per_day, settings.tick_days)
        summary = watched_summary(
            workspace,
            described,
            stream,
            launch,
            watched,
            (run_money(without.decisions, truth, business),
             run_money(watched.decisions, truth, business)),
            began=began,
        )  # fmt: skip
        write_outputs(
            workspace,
            out,
            summary,
            "watchkeeper demo: the case study, watched",
            comparison_html(summary),
            say,
        )
    return summary


def fresh_workspace(out: Path, example: str) -> Path:
    """A new workspace of ``example`` in ``out/workspace`` (a previous one is replaced)."""
    out.mkdir(parents=True, exist_ok=True)
    root = out / "workspace"
    if root.exists():
        shutil.rmtree(root)
    return Workspace.create(root, example=example)


def write_outputs(
    workspace: Workspace,
    out: Path,
    summary: DemoSummary,
    title: str,
    extra_html: str,
    say: Progress,
) -> None:
    """``report.html`` (the workspace's report with ``extra_html``) and ``summary.json``."""
    say("writing the report", 0.98)
    write_files(workspace, out, title=title, extra_html=extra_html, summary=summary.to_dict())
    say("done", 1.0)


def money_line(label: str, money: RunMoney) -> str:
    """One line of the printed side-by-side summary.

    >>> from watchkeeper.demo.money import RunMoney
    >>> print(money_line("without", RunMoney(1234.5, 99.0, 3, -10.0, (), 100.0, 9.0)))
    without  fraud loss 1,234 | net value -10 = prevented 99 - reviews 100 - false declines 9 | false positives 3
    """
    return (
        f"{label:<8} fraud loss {money.fraud_loss:,.0f} | net value {money.business_value:,.0f}"
        f" = prevented {money.fraud_prevented:,.0f} - reviews {money.review_cost:,.0f}"
        f" - false declines {money.false_decline_cost:,.0f} | false positives "
        f"{money.false_positives:,}"
    )


__all__ = [
    "BASE_PER_DAY",
    "DemoSettings",
    "Progress",
    "comparison_html",
    "fresh_workspace",
    "money_line",
    "run_demo",
    "write_outputs",
]
