"""``watchkeeper drill``: a fire drill for the monitoring setup.

The computation lives in :mod:`watchkeeper.drill.run`; this module parses the options, shows
progress on stderr and renders the report (Rich tables, or one JSON document with ``--json``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from watchkeeper.cli.app import JsonOption, WorkspaceOption, app
from watchkeeper.cli.output import emit_json, format_number, stderr, stdout

if TYPE_CHECKING:
    from watchkeeper.drill.findings import MonitorFinding
    from watchkeeper.drill.run import DrillReport

STATE_STYLES = {
    "fired": "bold red",
    "warned": "yellow",
    "moved": "yellow",
    "silent": "dim",
    "no_data": "dim",
}


@app.command()
def drill(
    scenario: Annotated[
        str,
        typer.Option(
            help=(
                "The drift to inject: amount-inflation, new-segment, missing-values, "
                "category-flood, score-shift or schema-break."
            ),
        ),
    ],
    workspace: WorkspaceOption = Path(),
    days: Annotated[int, typer.Option(help="Drill the last N days of traffic.")] = 14,
    severity: Annotated[
        float | None,
        typer.Option(
            help="A factor (amount-inflation) or a share of events (the others); "
            "default: the scenario's own."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the events a share scenario picks.")] = 0,
    field: Annotated[
        str | None,
        typer.Option(help="The raw input field of missing-values or schema-break."),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Inject a named drift into a copy of recent traffic and show which monitors and alert
    rules would fire, next to the same traffic without injection. Writes nothing."""
    from watchkeeper.drill.run import run_drill
    from watchkeeper.drill.scenarios import get_scenario
    from watchkeeper.workspace import Workspace

    get_scenario(scenario)  # an unknown name fails before any store is opened
    with (
        Workspace.open(workspace) as opened,
        stderr.status("starting the drill") as status,
    ):

        def progress(step: str) -> None:
            status.update(f"{step}...")

        report = run_drill(
            opened, scenario, days=days, severity=severity, seed=seed, field=field,
            progress=progress,
        )  # fmt: skip
    if json_output:
        emit_json(report.to_dict())
        return
    render(report)


def _state(state: str) -> str:
    return f"[{STATE_STYLES.get(state, '')}]{state}[/]"


def _first_day(window: str | None) -> str:
    """The start of a ``start/end`` window text (the table's column stays narrow)."""
    return "-" if window is None else window.split("/", 1)[0]


def _monitor_table(monitors: list[MonitorFinding], control: dict[str, str]) -> Table:
    table = Table(title="monitors that fired or moved", title_justify="left")
    table.add_column("monitor", overflow="fold")
    for column in ("drill", "alerts", "first alert", "mean", "control mean", "control"):
        table.add_column(column, no_wrap=True)
    for finding in monitors:
        table.add_row(
            escape(finding.name),
            _state(finding.state),
            str(finding.alert_windows),
            _first_day(finding.first_alert_window),
            format_number(finding.mean_value, missing="-"),
            format_number(finding.control_mean_value, missing="-"),
            _state(control.get(finding.name, "silent")),
        )
    return table


def silent_summary(monitors: Sequence[MonitorFinding]) -> str:
    """The silent monitors grouped by metric (``all`` when every feature of it stayed silent).

    >>> from watchkeeper.drill.findings import MonitorFinding
    >>> def make(metric, feature, state):
    ...     return MonitorFinding(metric, feature, state, 0, 0, None, None, None)
    >>> silent_summary([make("psi", "hour", "silent"), make("psi", "mcc", "fired"),
    ...     make("missing_rate_change", "hour", "silent"), make("missing_rate_change", "mcc", "silent"),
    ...     make("rejected_events", None, "silent")])
    'missing_rate_change: all; psi: hour; rejected_events'
    """
    groups: dict[str, list[MonitorFinding]] = {}
    for finding in monitors:
        groups.setdefault(finding.metric, []).append(finding)
    parts = []
    for metric, members in sorted(groups.items()):
        quiet = [item for item in members if item.state == "silent"]
        if not quiet:
            continue
        if len(quiet) == 1 and quiet[0].feature is None:
            parts.append(metric)
        elif len(quiet) == len(members) and len(members) > 1:
            parts.append(f"{metric}: all")
        else:
            parts.append(f"{metric}: " + ", ".join(str(item.feature) for item in quiet))
    return "; ".join(parts) or "none"


def render(report: DrillReport) -> None:
    """Print a drill's findings for people: what was injected, the monitors and the rules."""
    document = report.to_dict()
    events = document["events"]
    field = f" on {report.field}" if report.field else ""
    stdout.print(
        f"drill [bold]{escape(report.scenario.name)}[/]{escape(field)} (severity "
        f"{report.severity:g}: {escape(report.scenario.severity_meaning)}) on "
        f"[bold]{escape(report.model)}[/] champion v{report.champion}, "
        f"{len(report.windows)} windows from {report.source}"
    )
    stdout.print(escape(report.scenario.description))
    stdout.print(
        f"events: {events['drilled']} drilled, {events['injected']} injected, "
        f"{events['rejected']} rejected (control {events['control_rejected']}), "
        f"{events['flagged']} flagged (control {events['control_flagged']})"
    )
    control_states = {item.name: item.state for item in report.control_monitors}
    noisy = [item for item in report.monitors if item.state != "silent"]
    if noisy:
        stdout.print(_monitor_table(noisy, control_states))
    else:
        stdout.print("no monitor fired or moved")
    rules = Table(title="alert rules", title_justify="left")
    for column in ("rule", "severity", "drill", "breached windows", "first firing", "control"):
        rules.add_column(column)
    control_rules = {item.rule: item for item in report.control_rules}
    for finding in report.rules:
        control = control_rules[finding.rule]
        rules.add_row(
            escape(finding.rule),
            finding.severity,
            _state(finding.state),
            f"{finding.breached_windows} of {len(report.windows)}",
            _first_day(finding.first_firing_window),
            f"{_state(control.state)} ({control.breached_windows})",
        )
    stdout.print(rules)
    silent = report.silent_monitors
    stdout.print(f"stayed silent ({len(silent)}): {escape(silent_summary(report.monitors))}")
    fired = report.control_fired
    if fired:
        stdout.print(
            f"[yellow]the control (no injection) fires too: {escape(', '.join(fired))}; "
            "these fire on this traffic without any drift[/]"
        )
    else:
        stdout.print("control (no injection): nothing fired")
    for note in report.notes:
        stdout.print(f"note: {escape(note)}")


__all__ = ["drill", "render", "silent_summary"]
