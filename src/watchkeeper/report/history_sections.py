"""The report's history sections: the retraining and rollout timeline, and the lineage of the
current champion (what ``watchkeeper lineage champion`` prints).

>>> from datetime import UTC, datetime, timedelta
>>> from watchkeeper.report.data import ReportData, Thresholds
>>> empty_data = ReportData("fraud", "Dana", datetime(2026, 6, 1, tzinfo=UTC), (), (), (), (),
...                         None, {}, Thresholds(0.1, 0.25, {}), timedelta(days=60))
>>> "No champion" in lineage_section(empty_data)
True
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from html import escape
from typing import Any

from watchkeeper.report.data import ReportData
from watchkeeper.report.figures import alert_counts, attempt_counts, is_first_model
from watchkeeper.report.monitoring_sections import empty, section
from watchkeeper.report.svg import ALERT_COLOUR, OK_COLOUR, PALETTE, WARN_COLOUR, Mark, timeline
from watchkeeper.storage.metadata.decision_kinds import (
    ALERT,
    ALERT_RESOLVED,
    RETRAIN_ATTEMPT,
    RETRAIN_REQUEST,
    ROLLOUT_PROMOTE,
    ROLLOUT_ROLLBACK,
    ROLLOUT_START,
    SCHEMA_CHANGE,
)

LANES = ("alerts", "retraining", "rollouts")
MAX_LISTED = 60
"""The decisions table lists at most this many, newest first."""

_KIND_LABELS = {
    ALERT: "alert fired",
    ALERT_RESOLVED: "alert resolved",
    RETRAIN_ATTEMPT: "retraining attempt",
    RETRAIN_REQUEST: "retraining requested",
    SCHEMA_CHANGE: "schema changed",
    ROLLOUT_START: "canary started",
    ROLLOUT_PROMOTE: "promoted",
    ROLLOUT_ROLLBACK: "rolled back",
}


def _marks(data: ReportData, end: datetime) -> list[Mark]:
    marks = [
        Mark(
            record.first_fired_at,
            "alerts",
            "#ffa8a8" if record.severity == "critical" else "#ffd8a8",
            f"{record.rule}: {record.metric}"
            + (f" on {record.feature}" if record.feature else "")
            + f" ({record.severity}, {record.state})",
            end=record.resolved_at or end,
        )
        for record in data.alerts
    ]
    started: dict[Any, datetime] = {}
    for entry in data.decisions:
        text = f"{entry.at:%Y-%m-%d %H:%M} {entry.summary}"
        if entry.kind == RETRAIN_ATTEMPT:
            accepted = bool(entry.evidence.get("accepted"))
            marks.append(Mark(entry.at, "retraining", OK_COLOUR if accepted else "#868e96", text))
        elif entry.kind == ROLLOUT_START:
            started[entry.evidence.get("rollout")] = entry.at
            marks.append(Mark(entry.at, "rollouts", PALETTE[0], text))
        elif entry.kind in (ROLLOUT_PROMOTE, ROLLOUT_ROLLBACK):
            colour = OK_COLOUR if entry.kind == ROLLOUT_PROMOTE else WARN_COLOUR
            begun = started.pop(entry.evidence.get("rollout"), None)
            if begun is None and started:
                begun = started.pop(next(iter(started)))
            if begun is not None:
                marks.append(Mark(begun, "rollouts", "#74c0fc", "canary running", end=entry.at))
            marks.append(Mark(entry.at, "rollouts", colour, text))
        elif entry.kind == ALERT:
            marks.append(Mark(entry.at, "alerts", ALERT_COLOUR, text))
    for begun in started.values():
        marks.append(Mark(begun, "rollouts", "#74c0fc", "canary running", end=end))
    return marks


def timeline_section(data: ReportData) -> str:
    """Section 6: alerts, retraining attempts and canary rollouts on one time axis, then the
    decisions of the audit log (newest first).

    >>> from datetime import UTC, datetime, timedelta
    >>> from watchkeeper.report.data import Thresholds
    >>> from watchkeeper.storage.metadata.records import AuditEntry
    >>> day = datetime(2026, 6, 1, tzinfo=UTC)
    >>> attempt = AuditEntry(1, "fraud", "retrain_attempt", day, "watchkeeper",
    ...                      "retraining attempt refused: no gain",
    ...                      {"accepted": False, "champion_version": 1}, day)
    >>> data = ReportData("fraud", "Dana", day, (), (), (), (attempt,), None, {},
    ...                   Thresholds(0.1, 0.25, {}), timedelta(days=60))
    >>> html = timeline_section(data)
    >>> "refused: no gain" in html, "1 retraining attempt (0 accepted, 1 refused)" in html
    (True, True)
    """
    title = "6 · Retraining and rollout timeline"
    caption = (
        "Alerts (dots: each firing; bars: while firing), retraining attempts (green: accepted, grey: refused) and "
        "canary rollouts (blue while running, green: promoted, amber: rolled back). Every "
        "entry is a decision in the audit log ('watchkeeper history')."
    )
    if not data.decisions and not data.alerts:
        return section(
            "timeline",
            title,
            caption,
            empty("No alert, retraining attempt or rollout has been recorded yet."),
        )
    moments = [entry.at for entry in data.decisions] + [
        record.first_fired_at for record in data.alerts
    ]
    start = min([*moments, *([data.first_window] if data.first_window else [])])
    end = max([*moments, *([data.last_window_end] if data.last_window_end else [])])
    if end - start < timedelta(days=1):
        end = start + timedelta(days=1)
    chart = timeline(_marks(data, end), LANES, start=start, end=end, label="decisions timeline")
    listed = list(reversed(data.decisions))[:MAX_LISTED]
    rows = "".join(
        f"<tr><td>{entry.at:%Y-%m-%d %H:%M}</td><td>{escape(_KIND_LABELS.get(entry.kind, entry.kind))}"
        f"</td><td>{escape(entry.actor)}</td><td class='text'>{escape(entry.summary)}</td></tr>"
        for entry in listed
    )
    table = (
        '<table class="log"><thead><tr><th>when</th><th>decision</th><th>by</th>'
        f"<th>summary</th></tr></thead><tbody>{rows}</tbody></table>"
        if rows
        else ""
    )
    counts = _counts(data)
    return section("timeline", title, caption, f'<div class="scroll">{chart}</div>{counts}{table}')


def _counts(data: ReportData) -> str:
    """The alerts fired and the attempts counted as the demo's summary counts them
    (:func:`~watchkeeper.report.figures.attempt_counts`: after the first model)."""
    first = sum(1 for entry in data.decisions if is_first_model(entry))
    items = [alert_counts(data.decisions).text(), attempt_counts(data.decisions).text()]
    if first:
        items.append("the first model's training is not counted among the attempts")
    return '<p class="stats">' + "".join(f"<span>{escape(item)}</span>" for item in items) + "</p>"


def lineage_section(data: ReportData) -> str:
    """Section 7: how the champion was made: data, code, environment, settings and trigger
    (an example is in the module's docstring)."""
    title = "7 · Lineage of the current champion"
    caption = "What 'watchkeeper lineage champion' shows: the data, code, environment, settings, evaluation and trigger behind the model now serving."
    champion = data.champion
    if champion is None:
        return section(
            "lineage",
            title,
            caption,
            empty("No champion is set: train a model and make it champion ('watchkeeper train')."),
        )
    aliases = ", ".join(f"{name} → v{version}" for name, version in sorted(data.aliases.items()))
    head = (
        f'<p class="stats"><span><b>v{champion.version}</b> champion</span>'
        f"<span>registered {champion.created_at:%Y-%m-%d %H:%M}</span>"
        f"<span>aliases: {escape(aliases)}</span></p>"
    )
    if champion.lineage is None:
        return section(
            "lineage", title, caption, head + empty("No lineage was recorded with this version.")
        )
    blocks = []
    for name, value in champion.lineage.items():
        if isinstance(value, dict):
            blocks.append(f"<div class='block'><h3>{escape(name)}</h3>{_table(value)}</div>")
    scalars = {
        name: value for name, value in champion.lineage.items() if not isinstance(value, dict)
    }
    if scalars:
        blocks.insert(0, f"<div class='block'><h3>settings</h3>{_table(scalars)}</div>")
    return section("lineage", title, caption, head + f'<div class="blocks">{"".join(blocks)}</div>')


def _table(values: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><th>{escape(str(key))}</th><td>{_cell(value)}</td></tr>"
        for key, value in values.items()
    )
    return f'<table class="kv"><tbody>{rows}</tbody></table>'


def _cell(value: Any) -> str:
    """A lineage value as HTML: a nested mapping one ``key: value`` line each, the rest text."""
    if isinstance(value, dict) and value:
        return "<br>".join(
            f'<span class="key">{escape(str(key))}:</span> {escape(_text(item))}'
            for key, item in value.items()
        )
    return escape(_text(value))


def _text(value: Any) -> str:
    """A lineage value as short text: ISO times as ``2026-06-01 00:00 UTC``, floats to 4
    significant digits.

    >>> _text("2026-06-01T00:00:00+00:00"), _text(0.123456), _text({"a": 1})
    ('2026-06-01 00:00 UTC', '0.1235', '{"a": 1}')
    """
    if value is None:
        return "\u2013"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)[:400]
    text = str(value)
    if _ISO_TIME.fullmatch(text):
        moment = datetime.fromisoformat(text)
        zone = " UTC" if moment.utcoffset() == timedelta(0) else ""
        return moment.strftime("%Y-%m-%d %H:%M") + zone
    return text


_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?")


__all__ = ["LANES", "MAX_LISTED", "lineage_section", "timeline_section"]
