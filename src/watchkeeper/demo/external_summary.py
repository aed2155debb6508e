"""The external replay's summary: what watchkeeper saw and asked, what the team did, the money.

Read back from what the system recorded — the alerts its monitoring fired, the retraining
requests in the audit log (kind ``retrain_request``, with their deliveries), the external
versions it numbered — beside the team's own record of the versions it put live, and both
runs judged against the simulation's truth.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from html import escape
from typing import Any

from watchkeeper.demo.external_judge import RunJudgement
from watchkeeper.demo.external_team import TeamVersion
from watchkeeper.demo.runs import FiredAlert
from watchkeeper.demo.summary import DriftDetection
from watchkeeper.report.figures import plural
from watchkeeper.storage.metadata.decision_kinds import RETRAIN_REQUEST
from watchkeeper.storage.metadata.store import MetadataStore


@dataclass(frozen=True)
class ExternalDemoSummary(DriftDetection):
    """What the external replay prints and writes to ``summary.json`` (:meth:`to_dict`)."""

    seed: int
    per_day: int
    launch_date: date
    shift_date: date
    end_date: date
    currency: str
    alerts: tuple[FiredAlert, ...]
    requests: tuple[dict[str, Any], ...]
    versions: tuple[dict[str, Any], ...]
    comparisons: tuple[str, ...]
    without: RunJudgement
    with_watchkeeper: RunJudgement
    logged: dict[str, dict[str, Any]]
    """What the team's logging calls reported, per table (rows, logged, repeated, refused)."""
    ticks: int
    tick_days: int
    runtime_s: float
    notes: tuple[str, ...] = field(default=())

    @property
    def alerts_before_shift(self) -> int:
        """Alerts of any rule fired before the shift."""
        return sum(1 for alert in self.alerts if alert.day < self.shift_date)

    @property
    def saving(self) -> float:
        """What the watched run saved against the frozen one (cost without minus with)."""
        return self.without.cost - self.with_watchkeeper.cost

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: dates as ISO text, money to cents."""
        return {
            "example": "external",
            "seed": self.seed,
            "per_day": self.per_day,
            "launch_date": self.launch_date.isoformat(),
            "shift_date": self.shift_date.isoformat(),
            "end_date": self.end_date.isoformat(),
            "currency": self.currency,
            **self.detection_dict(),
            "alerts_before_shift": self.alerts_before_shift,
            "retrain_requests": list(self.requests),
            "versions": list(self.versions),
            "comparisons": list(self.comparisons),
            "without": self.without.to_dict(),
            "with": self.with_watchkeeper.to_dict(),
            "saving": round(self.saving, 2),
            "logged": self.logged,
            "ticks": self.ticks,
            "tick_days": self.tick_days,
            "runtime_s": round(self.runtime_s, 1),
            "notes": list(self.notes),
        }


def recorded_requests(metadata: MetadataStore, model: str) -> tuple[dict[str, Any], ...]:
    """Every retraining request the audit log holds, oldest first: date, trigger, reason,
    training window and whether it reached anyone (with each delivery)."""
    entries = sorted(
        metadata.decisions(model, kind=RETRAIN_REQUEST, limit=10_000), key=lambda entry: entry.at
    )
    requests = []
    for entry in entries:
        evidence = entry.evidence
        decision = evidence.get("decision") or {}
        window = evidence.get("training_window") or {}
        requests.append(
            {
                "date": entry.at.date().isoformat(),
                "trigger": decision.get("trigger"),
                "reason": decision.get("reason"),
                "window": {"start": window.get("start"), "end": window.get("end")},
                "delivered": bool(evidence.get("accepted")),
                "deliveries": list(evidence.get("deliveries") or []),
            }
        )
    return tuple(requests)


def seen_versions(
    metadata: MetadataStore, model: str, team: Sequence[TeamVersion]
) -> tuple[dict[str, Any], ...]:
    """The external versions watchkeeper numbered (label, number, first logged, reference
    window), each with the team's record of it (training window, live from, request)."""
    by_label = {version.label: version for version in team}
    versions = []
    for entry in metadata.external_versions.entries(model):
        record: dict[str, Any] = {
            "label": entry.label,
            "version": entry.version,
            "first_seen": entry.first_seen_at.isoformat(),
            "reference": None
            if entry.reference_start is None or entry.reference_end is None
            else {
                "start": entry.reference_start.isoformat(),
                "end": entry.reference_end.isoformat(),
            },
        }
        ours = by_label.get(entry.label)
        if ours is not None:
            record["team"] = ours.to_dict()
        versions.append(record)
    return tuple(versions)


def summary_lines(summary: ExternalDemoSummary) -> list[str]:
    """The printed summary, one line each (plain text).

    >>> from watchkeeper.demo.external_judge import RunJudgement
    >>> run = RunJudgement("f1", 10, 120.0, 0.5, ())
    >>> summary = ExternalDemoSummary(1, 100, date(2025, 5, 11), date(2025, 7, 20),
    ...     date(2025, 12, 27), "USD", (), (), (), (), run, run, {}, 3, 2, 1.0)
    >>> summary_lines(summary)[1]
    '  no drift alert after the shift; drift alerts before the shift: 0 (alerts of any rule: 0)'
    """
    document = summary.to_dict()
    first = document["first_drift_alert"]
    detected = (
        f"first drift alert {first} ({plural(document['detection_delay_days'], 'day')} after "
        "the shift)"
        if first
        else "no drift alert after the shift"
    )
    lines = [
        f"external example (a team's own churn model), seed {summary.seed}: "
        f"{summary.per_day:,} account snapshots a day; team-v1 live {summary.launch_date}, "
        f"shift {summary.shift_date}, end {summary.end_date}",
        f"  {detected}; drift alerts before the shift: {summary.false_alerts_before_shift} "
        f"(alerts of any rule: {summary.alerts_before_shift})",
    ]
    predictions, outcomes = summary.logged.get("predictions"), summary.logged.get("outcomes")
    if predictions and outcomes:
        lines.append(
            f"  logged by the team: {predictions['logged']:,} predictions "
            f"({predictions['refused']:,} refused), {outcomes['logged']:,} outcomes "
            f"({outcomes['refused']:,} refused)"
        )
    for request in summary.requests:
        window = request["window"]
        reached = "sent" if request["delivered"] else "NOT delivered"
        lines.append(
            f"  retrain request {request['date']} ({reached}): train on "
            f"{str(window['start'])[:10]} to {str(window['end'])[:10]} — {request['reason']}"
        )
    for version in summary.versions:
        live = version.get("team", {}).get("live_from")
        lines.append(
            f"  version {version['label']} (#{version['version']}) first logged "
            f"{version['first_seen'][:10]}" + (f", live from {live[:10]}" if live else "")
        )
    lines += [f"  compared: {comparison}" for comparison in summary.comparisons]
    lines += [
        run_line("without", summary.without, summary.currency),
        run_line("with", summary.with_watchkeeper, summary.currency),
    ]
    return lines


def run_line(label: str, run: RunJudgement, currency: str) -> str:
    """One run's money and metric on one line.

    >>> run_line("with", RunJudgement("f1", 1000, -1234.5, 0.41234, ()), "USD")
    'with     cost -1,234 USD (negative: a gain) | f1 0.4123 | 1,000 events'
    """
    metric = "n/a" if run.metric is None else f"{run.metric:.4f}"
    return (
        f"{label:<8} cost {run.cost:,.0f} {currency} (negative: a gain) | {run.metric_name} "
        f"{metric} | {run.events:,} events"
    )


def external_comparison_html(summary: ExternalDemoSummary) -> str:
    """The with / without comparison, the requests and versions as a report section."""
    a, b = summary.without, summary.with_watchkeeper
    lines = summary_lines(summary)[1:-2]
    weeks = {week.week: [week, None] for week in a.weekly}
    for week in b.weekly:
        weeks.setdefault(week.week, [None, None])[1] = week
    rows = "".join(
        f"<tr><th>{escape(name)}</th>{_week_cells(pair[0])}{_week_cells(pair[1])}</tr>"
        for name, pair in sorted(weeks.items())
    )
    return (
        "<section><h2>The external example, replayed: without and with watchkeeper</h2>"
        + "".join(f"<p>{escape(line.strip())}</p>" for line in lines)
        + "<table><tr><th></th><th>without</th><th>with</th></tr>"
        f"<tr><th>cost ({escape(summary.currency)}, negative: a gain)</th>"
        f"<td>{a.cost:,.0f}</td><td>{b.cost:,.0f}</td></tr>"
        f"<tr><th>{escape(a.metric_name)}</th><td>{_metric(a.metric)}</td>"
        f"<td>{_metric(b.metric)}</td></tr></table>"
        "<h3>Week by week</h3><table><tr><th>week</th><th>cost without</th>"
        f"<th>{escape(a.metric_name)} without</th><th>cost with</th>"
        f"<th>{escape(b.metric_name)} with</th></tr>{rows}</table></section>"
    )


def _week_cells(week: Any) -> str:
    if week is None:
        return "<td></td><td></td>"
    return f"<td>{week.cost:,.0f}</td><td>{_metric(week.metric)}</td>"


def _metric(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


__all__ = [
    "ExternalDemoSummary",
    "external_comparison_html",
    "recorded_requests",
    "run_line",
    "seen_versions",
    "summary_lines",
]
