"""An analysis result as one self-contained HTML page: a chart per metric over the chunks.

Each judged metric (drift: every feature's PSI; performance: every metric) gets a line over
the chunks (chunk numbers, or chunk start times for chunks by period) drawn by the report's
SVG code (:func:`~watchkeeper.report.svg.line_chart`): its thresholds as dashed levels, its
confidence bounds as dashed lines, its alerts as red points. Inline CSS and SVG, no script,
no link: the page opens offline.

>>> from watchkeeper.analysis.results import AnalysisResult, ResultRow
>>> rows = tuple(ResultRow(i, i * 100, i * 100 + 100, 100, None, "f1", 0.8 - 0.2 * i,
...                        lower_threshold=0.7, threshold=0.9, verdict="alert" if i else "ok")
...              for i in range(2))
>>> page = render_result(AnalysisResult("performance", "binary", rows, {}), "F1 <check>")
>>> page.startswith("<!DOCTYPE html>"), "F1 &lt;check&gt;" in page, page.count("<svg"), "<script" in page
(True, True, 1, False)
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from watchkeeper.analysis.results import AnalysisResult, ResultRow
from watchkeeper.monitoring.comparison.html import PAGE_STYLE, badge, html_table, number_cell
from watchkeeper.report.svg import (
    ALERT_COLOUR,
    AXIS_TEXT,
    PALETTE,
    WARN_COLOUR,
    Level,
    Line,
    Position,
    line_chart,
)

_BOUND_COLOUR = "#adb5bd"


def render_result(result: AnalysisResult, title: str) -> str:
    """The whole page: a summary, the alerts, then one chart per judged metric."""
    groups: dict[tuple[str | None, str], list[ResultRow]] = {}
    for row in result.rows:
        groups.setdefault((row.feature, row.method), []).append(row)
    judged = {key: rows for key, rows in groups.items() if any(row.verdict for row in rows)}
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{PAGE_STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        _summary(result, len(judged)),
        _alerts(result),
    ]
    for (feature, method), rows in judged.items():
        name = method if feature is None else f"{feature}: {method}"
        parts.append(f"<h2>{escape(name)}</h2>{_chart(name, rows, result.kind == 'drift')}")
    parts.append("</body></html>")
    return "\n".join(parts)


def _summary(result: AnalysisResult, charts: int) -> str:
    context = result.context
    task = f", task {escape(str(result.task))}" if result.task else ""
    rows = [
        f"reference {context['reference_rows']:,} rows" if "reference_rows" in context else "",
        f"current {context['current_rows']:,} rows" if "current_rows" in context else "",
    ]
    counted = "; ".join(part for part in rows if part)
    text = (
        f"<p>Overall: {badge(result.verdict)} &nbsp; {escape(result.kind)}{task}: "
        f"{result.chunks} chunks, {charts} metrics judged{'; ' + counted if counted else ''}.</p>"
    )
    for key in ("band", "assumption", "levels"):
        if key in context:
            text += f'<p class="muted">{escape(str(context[key]))}</p>'
    return text


def _alerts(result: AnalysisResult) -> str:
    alerts = [row for row in result.rows if row.verdict == "alert"]
    if not alerts:
        return ""
    headers = ("chunk", "start", "feature", "method", "value", "lower", "upper", "verdict")
    cells = (
        (
            str(row.chunk), escape(str(row.start)), escape(row.feature or "-"),
            escape(row.method), number_cell(row.value), number_cell(row.lower_threshold),
            number_cell(row.threshold), badge(str(row.verdict)),
        )
        for row in alerts
    )  # fmt: skip
    return "<h2>Alerts</h2>" + html_table(headers, cells)


def _chart(name: str, rows: Sequence[ResultRow], drift: bool) -> str:
    def at(row: ResultRow) -> Position:
        return row.start if not isinstance(row.start, int) else row.chunk

    lines = [
        Line(
            name,
            [(at(row), row.value) for row in rows],
            PALETTE[0],
            alerts=frozenset(at(row) for row in rows if row.verdict == "alert"),
        )
    ]
    if any(row.confidence_low is not None for row in rows):
        lines.append(
            Line(
                "confidence low",
                [(at(row), row.confidence_low) for row in rows],
                _BOUND_COLOUR,
                dashed=True,
            )
        )
        lines.append(
            Line("confidence high", [(at(row), row.confidence_high) for row in rows], _BOUND_COLOUR, dashed=True)
        )  # fmt: skip
    first = rows[0]
    levels = [
        Level(value, label, colour)
        for value, label, colour in (
            (first.threshold, "alert" if drift else "upper threshold", ALERT_COLOUR),
            (first.warn_threshold, "warn", WARN_COLOUR),
            (first.lower_threshold, "lower threshold", ALERT_COLOUR),
        )
        if value is not None
    ]
    chart = line_chart(
        lines, levels=levels, floor_zero=drift, value_format="{:.3g}", height=240, label=name
    )
    axis = "chunk start" if not isinstance(first.start, int) else "chunk"
    return f'{chart}<div class="muted" style="color:{AXIS_TEXT}">x: {axis}</div>'


__all__ = ["render_result"]
