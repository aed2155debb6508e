"""``watchkeeper demo --example churn|demand|triage``: another example, without and with the loop.

The same two runs as the fraud case study (:mod:`watchkeeper.demo.replay`), on the example's
simulated stream (:class:`~watchkeeper.demo.tabular_stream.TabularStream`) and its own
workspace file, unchanged:

1. simulate ``days`` days of ``per_day`` events, the drift episode from ``shift_day`` on;
2. create the example's workspace, load the ``history_days`` before launch and train the
   first model on them: the champion of both runs;
3. *without*: the frozen first model answers every event to the end;
4. *with*: each day is scored and logged in the task's prediction columns, its outcomes
   received, and the agent ticks (monitoring, alerts, retraining, validation, canary);
5. judge both runs on every outcome with the workspace's money settings and the task's
   metrics (:mod:`~watchkeeper.demo.task_money`); write ``report.html`` and ``summary.json``.

The churn workspace asks its owner to approve each promotion (``rollout.require_approval``).
The replay has no person to ask, so the demo approves as the owner on the tick the canary
asks for it — through the same controller call as ``watchkeeper rollout promote``, after the
canary's guards passed for its whole duration — and the summary and the audit log say so.

Each example's defaults (:data:`EXAMPLE_DEFAULTS`) give its labels time to mature after the
shift, a retrained model time to pass its canary, and the months after it time to show the
difference, in a few minutes on a laptop.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from watchkeeper.clock import EventTimeClock
from watchkeeper.demo.replay import fresh_workspace, write_outputs
from watchkeeper.demo.runs import Progress, replay_runs
from watchkeeper.demo.summary import DemoSummary, ReplayDescription, watched_summary
from watchkeeper.demo.tabular_stream import TabularStream
from watchkeeper.demo.task_money import METRICS, TaskFigures, TaskRules, task_figures
from watchkeeper.errors import ConfigError
from watchkeeper.report.figures import plural
from watchkeeper.workspace import Workspace

if TYPE_CHECKING:
    from watchkeeper.demo.stream_scoring import StreamVia


@dataclass(frozen=True)
class ExampleDefaults:
    """An example's replay: its length, volume, launch, shift, and what one event is."""

    days: int
    per_day: int
    history_days: int
    shift_day: int
    events: str
    """What an event is, in the printed lines (``account snapshots``)."""


EXAMPLE_DEFAULTS: dict[str, ExampleDefaults] = {
    # labels mature in 31 days: a drift-triggered attempt waits for a matured post-shift
    # holdout (21 days), then a week of canary; the months after show the difference
    "churn": ExampleDefaults(
        days=360, per_day=100, history_days=160, shift_day=180, events="account snapshots"
    ),
    # units sold are known the next morning; a canary needs 5,000 forecasts on its 10% of
    # traffic: 25 days at 2,000 store-items a day (50 at the simulator's default 1,000)
    "demand": ExampleDefaults(
        days=240, per_day=2_000, history_days=100, shift_day=130, events="store-item forecasts"
    ),
    # tickets close within a week
    "triage": ExampleDefaults(
        days=220, per_day=150, history_days=100, shift_day=120, events="tickets"
    ),
}
"""The default replay of each example served by watchkeeper."""


@dataclass(frozen=True)
class ExampleDemoSettings:
    """What to replay of ``example``; :meth:`of` fills in the example's defaults.

    >>> ExampleDemoSettings.of("triage", scale=2).per_day
    300
    >>> ExampleDemoSettings.of("triage", days=50)
    Traceback (most recent call last):
    ...
    watchkeeper.errors.ConfigError: the shift (day 120) must fall after the launch (day 100) and before the end of the stream (day 50)
    >>> ExampleDemoSettings.of("weather")
    Traceback (most recent call last):
    ...
    watchkeeper.errors.ConfigError: --example weather: choose one of fraud, churn, demand, triage, external
    """

    example: str
    per_day: int
    days: int
    history_days: int
    shift_day: int
    seed: int = 1
    tick_days: int = 3
    via: StreamVia | None = None
    """Score the watched run through the stream (``--via stream``); None: in micro-batches."""

    def __post_init__(self) -> None:
        if self.tick_days < 1:
            raise ConfigError(f"--tick-days must be at least 1 (got {self.tick_days})")
        if self.per_day < 1:
            raise ConfigError(f"{self.example}: at least one event a day is needed")
        if not 0 < self.history_days < self.shift_day < self.days:
            raise ConfigError(
                f"the shift (day {self.shift_day}) must fall after the launch (day "
                f"{self.history_days}) and before the end of the stream (day {self.days})"
            )

    @classmethod
    def of(
        cls,
        example: str,
        *,
        seed: int = 1,
        scale: float = 1.0,
        days: int | None = None,
        history_days: int | None = None,
        shift_day: int | None = None,
        tick_days: int = 3,
        via: StreamVia | None = None,
    ) -> ExampleDemoSettings:
        """The settings of ``example``: None takes its default (:data:`EXAMPLE_DEFAULTS`),
        ``scale`` multiplies its default volume."""
        defaults = EXAMPLE_DEFAULTS.get(example)
        if defaults is None:
            known = ", ".join(("fraud", *EXAMPLE_DEFAULTS, "external"))
            raise ConfigError(f"--example {example}: choose one of {known}")
        if not scale > 0:
            raise ConfigError(f"--scale must be above 0 (got {scale:g})")
        return cls(
            example=example,
            per_day=round(defaults.per_day * scale),
            days=defaults.days if days is None else days,
            history_days=defaults.history_days if history_days is None else history_days,
            shift_day=defaults.shift_day if shift_day is None else shift_day,
            seed=seed,
            tick_days=tick_days,
            via=via,
        )


def run_example_demo(
    settings: ExampleDemoSettings, out: Path, progress: Progress | None = None
) -> DemoSummary:
    """Run both replays of the example, write ``report.html`` and ``summary.json`` into
    ``out``."""
    say = progress or (lambda step, done: None)
    began = time.perf_counter()
    example = settings.example
    say(f"simulating the {example} example", 0.0)
    stream = TabularStream.simulate(
        example,
        seed=settings.seed,
        per_day=settings.per_day,
        days=settings.days,
        shift_day=settings.shift_day,
    )
    launch = stream.start + timedelta(days=settings.history_days)
    root = fresh_workspace(out, example)
    clock = EventTimeClock(launch)
    with Workspace.open(root, clock=clock) as workspace:
        config = workspace.config
        rules = TaskRules.of(config)
        approver = None
        notes: list[str] = []
        if config.rollout.require_approval:
            approver = f"demo, approving as the owner ({config.owner.name})"
        without, watched = replay_runs(
            workspace,
            clock,
            stream,
            stream.events,
            launch,
            say,
            tick=timedelta(days=settings.tick_days),
            approver=approver,
            via=settings.via,
        )
        if approver is not None:
            notes.append(
                "rollout.require_approval is set: the demo approved "
                f"{plural(watched.approvals, 'canary promotion')} as the owner, on the tick each canary asked for it (its "
                "guards passed for its whole duration), through the controller's promote as "
                f"`watchkeeper rollout promote` does; the audit log names '{approver}'"
            )
        say("judging both runs against the truth", 0.95)
        truth = stream.truth_between(launch, stream.end)
        shift = stream.shift_date
        described = ReplayDescription(
            f"{example} example",
            settings.seed,
            settings.per_day,
            settings.tick_days,
            example,
            config.model.task,
        )
        summary = watched_summary(
            workspace,
            described,
            stream,
            launch,
            watched,
            (task_figures(without.decisions, truth, rules, shift=shift),
             task_figures(watched.decisions, truth, rules, shift=shift)),
            began=began,
            notes=tuple(notes),
        )  # fmt: skip
        write_outputs(
            workspace,
            out,
            summary,
            f"watchkeeper demo: the {example} example, watched",
            task_comparison_html(summary),
            say,
        )
    return summary


METRIC_LABELS = {
    "recall": "recall",
    "precision": "precision",
    "f1": "F1",
    "accuracy": "accuracy",
    "macro_f1": "macro F1",
    "mae": "MAE",
}


def figures_line(label: str, figures: TaskFigures) -> str:
    """One line of the printed side-by-side summary of a churn, demand or triage run.

    >>> from watchkeeper.demo.task_money import TaskFigures
    >>> figures_line("with", TaskFigures("multiclass", "USD", 900, 1234.5, 800.0,
    ...                                  {"accuracy": 0.8123, "macro_f1": None}, ()))
    'with     cost 1,234 USD | after the shift 800 USD | accuracy 0.812, macro F1 n/a'
    """
    metrics = ", ".join(
        f"{METRIC_LABELS[name]} {_shown(figures.post_shift_metrics.get(name))}"
        for name in METRICS[figures.task]
    )
    return (
        f"{label:<8} cost {figures.cost:,.0f} {figures.currency} | after the shift "
        f"{figures.post_shift_cost:,.0f} {figures.currency} | {metrics}"
    )


def _shown(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


COST_MEANING = {
    "binary": "the cost matrix of each decision against the actual outcome (a gain counts "
    "negative)",
    "multiclass": "the cost matrix of each decided class against the actual one",
    "regression": "under_cost per unit forecast short plus over_cost per unit over",
}


def task_comparison_html(summary: DemoSummary) -> str:
    """The with / without comparison of a churn, demand or triage replay, for the report."""
    a, b = summary.without, summary.with_watchkeeper
    assert isinstance(a, TaskFigures) and isinstance(b, TaskFigures)

    def row(label: str, without: str, with_: str) -> str:
        return (
            f"<tr><th>{escape(label)}</th><td>{escape(without)}</td><td>{escape(with_)}</td></tr>"
        )

    rows = row("cost", f"{a.cost:,.0f} {a.currency}", f"{b.cost:,.0f} {b.currency}") + row(
        "cost from the shift on",
        f"{a.post_shift_cost:,.0f} {a.currency}",
        f"{b.post_shift_cost:,.0f} {b.currency}",
    )
    for name in METRICS[a.task]:
        rows += row(
            f"{METRIC_LABELS[name]} from the shift on",
            _shown(a.post_shift_metrics.get(name)),
            _shown(b.post_shift_metrics.get(name)),
        )
    weeks = "".join(
        f"<tr><td>{escape(x.week)}</td><td>{x.cost:,.0f}</td><td>{y.cost:,.0f}</td>"
        f"<td>{_shown(x.metric)}</td><td>{_shown(y.metric)}</td></tr>"
        for x, y in zip(a.weekly, b.weekly, strict=False)
    )
    headline = METRIC_LABELS[a.headline_metric]
    notes = "".join(f"<p>{escape(note)}</p>" for note in summary.notes)
    return (
        f"<section><h2>The {escape(summary.example)} example, replayed: without and with "
        "watchkeeper</h2>"
        f"<p>{escape(summary.detection_text())}; {escape(summary.attempt_counts.text())}. Cost: "
        f"{escape(COST_MEANING[a.task])}, judged on every outcome.</p>{notes}"
        "<table><tr><th></th><th>without</th><th>with</th></tr>" + rows + "</table>"
        f"<h3>Week by week</h3><table><tr><th>week</th><th>cost without</th>"
        f"<th>cost with</th><th>{escape(headline)} without</th><th>{escape(headline)} with</th>"
        "</tr>" + weeks + "</table></section>"
    )


__all__ = [
    "EXAMPLE_DEFAULTS",
    "ExampleDefaults",
    "ExampleDemoSettings",
    "figures_line",
    "run_example_demo",
    "task_comparison_html",
]
