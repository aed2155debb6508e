"""The report's monitoring sections: weekly score distributions, PSI heatmap, flag rate,
realized against estimated performance, and money. Each returns one ``<section>`` of HTML.

A section without data says what is missing and how to get it, rather than drawing nothing.

>>> from datetime import UTC, datetime, timedelta
>>> from watchkeeper.report.data import ReportData, Thresholds
>>> empty = ReportData("fraud", "Dana", datetime(2026, 6, 1, tzinfo=UTC), (), (), (), (), None,
...                    {}, Thresholds(0.1, 0.25, {}), timedelta(days=60))
>>> "No PSI rows" in psi_section(empty, Grouping(weekly=False))
True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape

from watchkeeper import metric_names as names
from watchkeeper.monitoring.job.judgement import FEW_ROWS, SHORT_WINDOW, WARMING_UP
from watchkeeper.monitoring.job.score_histograms import WeeklyScoreHistogram
from watchkeeper.monitoring.job.served_predictions import SCORE_COLUMN
from watchkeeper.monitoring.statistics.drift_statistics import population_stability_index
from watchkeeper.report.data import ReportData
from watchkeeper.report.figures import plural, span_text
from watchkeeper.report.series import Grouping, Point, points
from watchkeeper.report.svg import (
    ALERT_COLOUR,
    PALETTE,
    UNJUDGED_COLOUR,
    WARN_COLOUR,
    Band,
    Line,
    heatmap,
    histogram,
    line_chart,
)
from watchkeeper.report.task_sections import (
    FRAUD_MONEY_METRICS,
    NO_VALUE,
    latest_values_table,
    money_metrics,
    performance_format,
    performance_lines,
)
from watchkeeper.storage.metadata.decision_kinds import (
    ALERT,
    ROLLOUT_PROMOTE,
    ROLLOUT_ROLLBACK,
)
from watchkeeper.storage.metadata.records import MetricRow

MAX_SCORE_WEEKS = 20
"""The score-distribution section shows at most this many weeks (see :func:`shown_weeks`)."""
SCORE_DRIFT_METRIC = names.SCORE_PSI
"""The metric of score-drift alerts (daily, or ``weekly_score_psi``)."""
INPUT_DRIFT_METRIC = names.PSI
"""The metric of a feature's drift alerts (daily, or ``weekly_psi``)."""


def section(anchor: str, title: str, caption: str, body: str) -> str:
    """One numbered report section with its heading and a one-line explanation.

    >>> section("a", "Flag rate", "why", "<p>x</p>").startswith('<section id="a">')
    True
    """
    return (
        f'<section id="{anchor}"><h2>{escape(title)}</h2>'
        f'<p class="caption">{escape(caption)}</p>{body}</section>'
    )


def empty(message: str) -> str:
    """The plain sentence a section shows when it has nothing to draw.

    >>> empty("No rows <yet>.")
    '<p class="empty">No rows &lt;yet&gt;.</p>'
    """
    return f'<p class="empty">{escape(message)}</p>'


NO_MONITOR_RUN = "Run 'watchkeeper monitor' once predictions are logged to fill this section."


def score_section(data: ReportData) -> str:
    """Section 1: each week's score histogram over the training baseline's, small multiples.

    With more weeks than :data:`MAX_SCORE_WEEKS`, it shows the weeks around the first one
    whose score PSI reached the warn level (when the shift began), around each alert and
    rollout, and the latest ones (:func:`shown_weeks`).
    """
    title = "1 · Weekly score distribution against the training baseline"
    caption = (
        "Bars: the share of the week's scores in each bin of the reference (training holdout) "
        "score quantiles; dark line: the reference's share. A flat line and bars that follow it "
        "mean the model sees the world it was trained on; bars piling up at one end mean it "
        "does not."
    )
    every = list(data.weekly_scores)
    if not every:
        return section(
            "scores", title, caption, empty("No weekly score histograms yet. " + NO_MONITOR_RUN)
        )
    levels = data.thresholds
    warn, alert = levels.warn_of(SCORE_COLUMN), levels.alert_of(SCORE_COLUMN)
    rows = data.rows(names.WEEKLY_SCORE_PSI)
    unjudged = {
        (row.model_version, row.window_start): UNJUDGED_REASONS[row.status]
        for row in rows
        if row.status in UNJUDGED_REASONS
    }
    judged_psi = {
        (row.model_version, row.window_start): row.value for row in rows if row.value is not None
    }

    def week_psi(week: WeeklyScoreHistogram) -> float:
        """The monitor's weekly score PSI (its days balanced), else the histogram's."""
        return judged_psi.get((week.version, week.week_start), _week_psi(week))

    def moved(week: WeeklyScoreHistogram) -> bool:
        judged = (week.version, week.week_start) not in unjudged
        return judged and week_psi(week) >= warn

    shown = shown_weeks([moved(week) for week in every], MAX_SCORE_WEEKS, _key_weeks(data, every))
    weeks = [every[index] for index in shown]
    top = max(max((*week.shares, *week.reference_shares)) for week in weeks)
    cards = []
    for position, index in enumerate(shown):
        if position and index != shown[position - 1] + 1:
            skipped = index - shown[position - 1] - 1
            cards.append(f'<div class="gap">{plural(skipped, "week")} not shown</div>')
        week = every[index]
        psi = week_psi(week)
        reason = unjudged.get((week.version, week.week_start))
        verdict = "unjudged" if reason is not None else _level(psi, warn, alert)
        colour = {
            "ok": PALETTE[0], "warn": WARN_COLOUR, "alert": ALERT_COLOUR,
            "unjudged": UNJUDGED_COLOUR,
        }[verdict]  # fmt: skip
        why = "" if reason is None else f" (not judged: {reason})"
        flag = NO_VALUE if week.flag_rate is None else f"{week.flag_rate:.2%}"
        chart = histogram(
            week.shares,
            week.reference_shares,
            colour=colour,
            top_share=top,
            label=f"scores, week of {week.week_start:%Y-%m-%d}",
        )
        cards.append(
            f'<figure class="card {verdict}"><figcaption><b>week of '
            f"{week.week_start:%d %b %Y}</b> · v{week.version}<br>"
            f'score PSI <span class="pill {verdict}">{psi:.3f}</span>{escape(why)} · '
            f"flagged {flag} · {sum(week.counts):,} scores</figcaption>{chart}</figure>"
        )
    monitored = span_text(
        min(week.week_start for week in every), max(week.week_end for week in every)
    )
    note = (
        f"PSI levels for the score: warn {warn:g}, alert {alert:g}. Showing {len(weeks)} of the "
        f"{plural(len(every), 'week')} from {monitored}: the weeks around the first move, "
        "around each alert and rollout, and the latest."
    )
    first = next((week for week in every if moved(week)), None)
    alerts = _score_alerts(data)
    fired = (
        f" {plural(len(alerts), 'score-drift alert')} fired, the first on {alerts[0]:%d %b %Y}."
        if alerts
        else " No score-drift alert fired."
    )
    callout = (
        f'<p class="callout">The score distribution first moved beyond the warn level in the '
        f"week of {first.week_start:%d %b %Y} (version {first.version}, score PSI "
        f"{week_psi(first):.3f}).{escape(fired)}</p>"
        if first is not None
        else f'<p class="callout{"" if alerts else " ok"}">No week\'s score PSI reached the warn '
        f"level ({warn:g}) in the {plural(len(every), 'week')} monitored.{escape(fired)}</p>"
    )
    return section(
        "scores",
        title,
        caption,
        f'{callout}<div class="cards">{"".join(cards)}</div><p class="note">{escape(note)}</p>',
    )


def _level(value: float, warn: float, alert: float) -> str:
    return "alert" if value >= alert else "warn" if value >= warn else "ok"


def shown_weeks(shifted: Sequence[bool], limit: int, key_weeks: Iterable[int] = ()) -> list[int]:
    """Which weeks to draw: all when they fit; else the weeks around the first shifted one
    (two before it, two from it), around each of ``key_weeks`` (the week before, the week,
    the week after: alerts, promotions, rollbacks, earliest first while three quarters of
    ``limit`` remain) and the latest ones to fill ``limit``.

    >>> shown_weeks([False] * 3, 16)
    [0, 1, 2]
    >>> shown_weeks([False] * 10 + [True] * 10, 8)
    [8, 9, 10, 11, 16, 17, 18, 19]
    >>> shown_weeks([False] * 20, 4)
    [16, 17, 18, 19]
    >>> shown_weeks([False] * 30, 8, key_weeks=[5, 12])
    [4, 5, 6, 11, 12, 13, 28, 29]
    """
    count = len(shifted)
    if count <= limit:
        return list(range(count))
    chosen: set[int] = set()
    if True in shifted:
        first = max(0, shifted.index(True) - 2)
        chosen.update(range(first, min(count, first + 4)))
    for key in sorted(set(key_weeks)):
        around = {week for week in (key - 1, key, key + 1) if 0 <= week < count}
        if len(chosen | around) > limit * 3 // 4:
            break
        chosen |= around
    latest = count - 1
    while len(chosen) < limit:
        chosen.add(latest)
        latest -= 1
    return sorted(chosen)


def _key_weeks(data: ReportData, weeks: Sequence[WeeklyScoreHistogram]) -> list[int]:
    """The positions of the weeks in which an alert fired or a rollout ended."""
    moments = [record.first_fired_at for record in data.alerts] + [
        entry.at
        for entry in data.decisions
        if entry.kind in (ROLLOUT_PROMOTE, ROLLOUT_ROLLBACK)
        or (entry.kind == ALERT and entry.summary.startswith("fired:"))
    ]
    return [
        index
        for index, week in enumerate(weeks)
        if any(week.week_start <= moment < week.week_end for moment in moments)
    ]


def _score_alerts(data: ReportData) -> list[datetime]:
    """When score-drift alerts fired (the audit log's, else the alerts' state)."""
    return _drift_alerts(data, None)


def _drift_alerts(data: ReportData, feature: str | None) -> list[datetime]:
    """When drift alerts on ``feature`` (None: the model's score) fired, earliest first: the
    audit log's, else the alerts' current state."""
    ending = INPUT_DRIFT_METRIC if feature else SCORE_DRIFT_METRIC

    def matches(metric: object, on: object) -> bool:
        return str(metric).endswith(ending) and (on or None) == feature

    fired = [
        entry.at
        for entry in data.decisions
        if entry.kind == ALERT
        and entry.summary.startswith("fired:")
        and matches(entry.evidence.get("metric"), entry.evidence.get("feature"))
    ]
    return sorted(fired) or sorted(
        record.first_fired_at for record in data.alerts if matches(record.metric, record.feature)
    )


def _week_psi(week: WeeklyScoreHistogram) -> float:
    if not sum(week.counts) or not sum(week.reference_counts):
        return 0.0
    return float(population_stability_index(list(week.reference_counts), list(week.counts)))


def psi_section(data: ReportData, grouping: Grouping) -> str:
    """Section 2: PSI per feature over time, a heatmap against the warn and alert levels."""
    title = "2 · Feature drift (PSI) over time"
    caption = (
        f"One row per feature, one column per {grouping.unit}"
        + (" (the week's merged profile; the worst day where none)" if grouping.weekly else "")
        + ". Colour: green below the warn level, amber up to the alert level, red beyond."
    )
    features = sorted(
        {row.feature for row in data.metrics if row.metric == names.PSI and row.feature}
    )
    if not features:
        return section("psi", title, caption, empty("No PSI rows yet. " + NO_MONITOR_RUN))
    cells: dict[tuple[str, datetime], float] = {}
    unjudged: dict[tuple[str, datetime], str] = {}
    score_label = "model score"
    for label, metric, feature in [
        *((feature, names.PSI, feature) for feature in features),
        (score_label, names.SCORE_PSI, None),
    ]:
        _drift_cells(label, _psi_rows(data, grouping, metric, feature), grouping, cells, unjudged)
    columns = {start for _, start in cells}
    rows = features + ([score_label] if any(key[0] == score_label for key in cells) else [])
    levels = data.thresholds

    def warn(row: str) -> float:
        return levels.warn_of(SCORE_COLUMN if row == score_label else row)

    def alert(row: str) -> float:
        return levels.alert_of(SCORE_COLUMN if row == score_label else row)

    chart = heatmap(
        rows,
        sorted(columns),
        cells,
        warn=warn,
        alert=alert,
        unjudged=unjudged,
        label="PSI heatmap",
    )
    beyond: dict[str, list[tuple[datetime, float]]] = {}
    for (row, start), value in sorted(cells.items(), key=lambda item: item[0][1]):
        if value >= alert(row) and (row, start) not in unjudged:
            beyond.setdefault(row, []).append((start, value))
    items = []
    for row, found in sorted(beyond.items(), key=lambda item: item[1][0][0]):
        peak_start, peak = max(found, key=lambda item: item[1])
        fired = _drift_alerts(data, None if row == score_label else row)
        said = (
            f"{plural(len(fired), 'drift alert')} fired, the first on {fired[0]:%d %b %Y}"
            if fired
            else "no drift alert fired on it"
        )
        items.append(
            f"<li><b>{escape(row)}</b>: beyond the alert level ({alert(row):g}) from "
            f"{found[0][0]:%d %b %Y}, in {plural(len(found), grouping.unit)}; largest PSI "
            f"{peak:.3f} ({peak_start:%d %b %Y}); {escape(said)}</li>"
        )
    listing = (
        '<p class="note">Where the inputs shifted, earliest first. A red cell is the '
        "statistic beyond its level; an alert fires when its rule holds (persistence over "
        "recent windows, pooled small windows), as the timeline lists:</p>"
        f'<ul class="compact">{"".join(items)}</ul>'
        if items
        else '<p class="note">No feature went beyond its alert level.</p>'
    )
    limits = f"Default levels: warn {levels.warn:g}, alert {levels.alert:g}."
    return section(
        "psi",
        title,
        caption,
        f'<div class="scroll">{chart}</div>{listing}<p class="note">{escape(limits)}</p>',
    )


UNJUDGED_REASONS = {
    SHORT_WINDOW: "short of the feature's cycle",
    FEW_ROWS: "too few rows",
    WARMING_UP: "the version was warming up",
}
"""Why a drift row has no verdict, in a heatmap cell's tooltip."""


def _drift_cells(
    label: str,
    rows: Sequence[MetricRow],
    grouping: Grouping,
    cells: dict[tuple[str, datetime], float],
    unjudged: dict[tuple[str, datetime], str],
) -> None:
    """A heatmap row's cells: per point the worst judged value; a point where no row was
    judged (every version warming up, say) shows its largest value in grey, with why."""
    judged = [row for row in rows if row.status not in UNJUDGED_REASONS]
    for point in points(judged, grouping, "max"):
        if point.value is not None:
            cells[(label, point.start)] = point.value
    for point in points([row for row in rows if row.status in UNJUDGED_REASONS], grouping, "max"):
        if point.value is not None and (label, point.start) not in cells:
            cells[(label, point.start)] = point.value
            unjudged[(label, point.start)] = UNJUDGED_REASONS[point.status]


def _psi_rows(
    data: ReportData, grouping: Grouping, metric: str, feature: str | None
) -> list[MetricRow]:
    """A feature's PSI rows: on weekly points the monitor's weekly rows (``weekly_psi``, from
    the week's merged profile) when it wrote them, else the daily rows."""
    weekly = data.rows(f"weekly_{metric}", feature) if grouping.weekly else []
    return weekly or data.rows(metric, feature)


def _versions(data: ReportData, metric: str) -> list[int]:
    return sorted({row.model_version for row in data.rows(metric) if row.model_version is not None})


def _series(
    data: ReportData, metric: str, grouping: Grouping, version: int | None, combine: str = "mean"
) -> list[Point]:
    rows = [row for row in data.rows(metric) if version is None or row.model_version == version]
    return points(rows, grouping, combine)  # type: ignore[arg-type]


def flag_rate_section(data: ReportData, grouping: Grouping) -> str:
    """Section 3: the share of events flagged, per version, against its holdout baseline.

    >>> from datetime import UTC, datetime, timedelta
    >>> from watchkeeper.report.data import Thresholds
    >>> from watchkeeper.storage.metadata.records import MetricRow
    >>> day = datetime(2026, 6, 1, tzinfo=UTC)
    >>> rows = (MetricRow("fraud", "flag_rate", day, day + timedelta(days=1), value=0.3,
    ...                   status="alert", model_version=2),)
    >>> data = ReportData("fraud", "Dana", day, rows, (), (), (), None, {},
    ...                   Thresholds(0.1, 0.25, {}), timedelta(days=60))
    >>> html = flag_rate_section(data, Grouping(weekly=False))
    >>> "v2 flag rate" in html, "30.0% (alert)" in html
    (True, True)
    """
    title = "3 · Flag rate against the baseline"
    caption = (
        "The share of events the model flagged, per version, with the share it flagged on its "
        "training holdout (dashed). Red points: the flag-rate test said alert."
    )
    versions = _versions(data, names.FLAG_RATE)
    if not versions:
        return section(
            "flag-rate", title, caption, empty("No flag-rate rows yet. " + NO_MONITOR_RUN)
        )
    lines = []
    for index, version in enumerate(versions):
        colour = PALETTE[index % len(PALETTE)]
        series = _series(data, names.FLAG_RATE, grouping, version)
        baseline = _series(data, names.BASELINE_FLAG_RATE, grouping, version)
        lines.append(
            Line(
                f"v{version} flag rate",
                [(point.start, point.value) for point in series],
                colour,
                alerts=frozenset(point.start for point in series if point.status == "alert"),
            )
        )
        if baseline:
            lines.append(
                Line(
                    f"v{version} baseline",
                    [(point.start, point.value) for point in baseline],
                    colour,
                    dashed=True,
                )
            )
    chart = line_chart(lines, value_format="{:.1%}", label="flag rate")
    return section("flag-rate", title, caption, chart)


def _immature_band(series: Sequence[Point], grouping: Grouping) -> list[Band]:
    immature = [point.start for point in series if point.immature]
    if not immature:
        return []
    end = max(point.start for point in series)
    return [Band(min(immature), end, "labels not yet mature", "#fff3bf")]


def performance_section(data: ReportData, grouping: Grouping) -> str:
    """Section 4: the task's realized performance (known labels) against its estimates
    (binary recall, precision, F1; multiclass accuracy, macro F1; regression MAE, RMSE)."""
    title = "4 · Realized against estimated performance"
    horizon = data.maturity_horizon.days
    method = (
        "direct loss estimation from the inputs and the prediction"
        if data.task == "regression"
        else "the calibrated scores (CBPE)"
    )
    caption = (
        f"Solid: realized on the labels received so far; dashed: estimated from {method}, "
        f"available at once. A window's labels mature {horizon} days after it; "
        "until then its realized values are provisional (open points, shaded). A window served "
        "by two versions (a canary) shows their mean."
    )
    lines: list[Line] = []
    all_points: list[Point] = []
    metrics = performance_lines(data.task)
    for (metric, label), colour in zip(metrics, PALETTE, strict=False):
        realized = _series(data, metric, grouping, None)
        estimated = _series(data, f"estimated_{metric}", grouping, None)
        all_points += realized
        if realized:
            lines.append(
                Line(
                    f"realized {label}",
                    [(point.start, point.value) for point in realized],
                    colour,
                    hollow=frozenset(point.start for point in realized if point.immature),
                )
            )
        if estimated:
            lines.append(
                Line(
                    f"estimated {label}",
                    [(point.start, point.value) for point in estimated],
                    colour,
                    dashed=True,
                )
            )
    if not lines:
        return section(
            "performance", title, caption, empty("No performance rows yet. " + NO_MONITOR_RUN)
        )
    shown = performance_format(data.task)
    chart = line_chart(
        lines,
        value_format=shown if data.task == "regression" else "{:.0%}",
        bands=_immature_band(all_points, grouping),
        label="performance",
    )
    table = latest_values_table(data, metrics, "{:,.2f}" if data.task == "regression" else "{:.1%}")
    note = "" if table else "No window is mature yet: every realized value is provisional."
    body = chart + table + (f'<p class="note">{escape(note)}</p>' if note else "")
    return section("performance", title, caption, body)


MONEY_METRICS = FRAUD_MONEY_METRICS
"""The fraud example's money series (see :mod:`~watchkeeper.report.task_sections`)."""
_TABLE_LABELS = {
    names.REVIEW_COST: "\u2212 review cost",
    names.FALSE_DECLINE_COST: "\u2212 false-decline cost",
    names.BUSINESS_VALUE: "= net value",
}


def money_basis(data: ReportData, metrics: Sequence[str] = (names.BUSINESS_VALUE,)) -> str | None:
    """What the report's money counts: the windows it covers and the labels it knows (the
    header's net value and section 5 say it the same way); None without money rows.

    >>> from datetime import UTC, datetime, timedelta
    >>> from watchkeeper.report.data import Thresholds
    >>> from watchkeeper.storage.metadata.records import MetricRow
    >>> day = datetime(2026, 6, 1, tzinfo=UTC)
    >>> rows = (MetricRow("fraud", "business_value", day, day + timedelta(days=2), value=1.0,
    ...                   status="ok"),)
    >>> data = ReportData("fraud", "Dana", day + timedelta(days=9), rows, (), (), (), None, {},
    ...                   Thresholds(0.1, 0.25, {}), timedelta(days=60))
    >>> print(money_basis(data))
    windows 1 Jun 2026 to 2 Jun 2026 (2 days), on the outcomes received by 10 Jun 2026
    """
    rows = [row for metric in metrics for row in data.rows(metric)]
    if not rows:
        return None
    start = min(row.window_start for row in rows)
    end = max(row.window_end for row in rows)
    known = data.generated_at
    return f"windows {span_text(start, end)}, on the outcomes received by {known.day} {known:%b %Y}"


def money_section(data: ReportData, grouping: Grouping) -> str:
    """Section 5: the money of the model's decisions over time, realized from the labels.

    >>> from datetime import UTC, datetime, timedelta
    >>> from watchkeeper.report.data import Thresholds
    >>> from watchkeeper.storage.metadata.records import MetricRow
    >>> day = datetime(2026, 6, 1, tzinfo=UTC)
    >>> rows = tuple(MetricRow("fraud", "business_value", day + timedelta(days=index),
    ...                        day + timedelta(days=index + 1), value=1500.0, status="ok")
    ...              for index in range(2))
    >>> data = ReportData("fraud", "Dana", day, rows, (), (), (), None, {},
    ...                   Thresholds(0.1, 0.25, {}), timedelta(days=60))
    >>> "<td>= net value</td><td>3,000</td>" in money_section(data, Grouping(weekly=False))
    True
    """
    title = "5 · Business outcome in money"
    drawn = money_metrics(data)
    caption = (
        f"Per {grouping.unit}, summed over the versions that served: fraud prevented, the cost "
        "of reviewing flagged events, the cost of declining legitimate ones, the net value "
        "(prevented minus those two costs: what the model is worth against approving "
        "everything) and the fraud approved (lost either way, so not a term of the net value). "
        "Realized from the outcomes received: an event without one counts as legitimate, so "
        "shaded windows, which wait for chargebacks, understate the fraud."
        if drawn == FRAUD_MONEY_METRICS
        else f"Per {grouping.unit}, summed over the versions that served: the cost of the "
        "decisions (monitoring.business: a cost matrix, or the cost of under- and "
        "over-prediction; a gain counts negative) and, for a binary model, the value against "
        "deciding every event negative (no model). Shaded windows count only the labels "
        "received so far."
    )
    lines = []
    totals = []
    all_points: list[Point] = []
    for metric, name, colour in drawn:
        series = _series(data, metric, grouping, None, "sum")
        all_points += series
        if series:
            lines.append(
                Line(
                    name,
                    [(point.start, point.value) for point in series],
                    colour,
                    hollow=frozenset(point.start for point in series if point.immature),
                )
            )
            estimated = _series(data, f"estimated_{metric}", grouping, None, "sum")
            totals.append(
                (
                    _TABLE_LABELS.get(metric, name) if drawn == FRAUD_MONEY_METRICS else name,
                    sum(point.value or 0.0 for point in series),
                    sum(point.value or 0.0 for point in estimated) if estimated else None,
                )
            )
    basis = money_basis(data, [metric for metric, _, _ in drawn])
    if not lines or basis is None:
        return section(
            "money", title, caption, empty("No business-outcome rows yet. " + NO_MONITOR_RUN)
        )
    chart = line_chart(
        lines,
        value_format="{:,.0f}",
        bands=_immature_band(all_points, grouping),
        floor_zero=False,
        label="money",
    )
    body = "".join(
        f"<tr><td>{escape(name)}</td><td>{realized:,.0f}</td><td>"
        f"{NO_VALUE if estimated is None else f'{estimated:,.0f}'}</td></tr>"
        for name, realized, estimated in totals
    )
    table = (
        f'<table class="numbers"><thead><tr><th>total over the {escape(basis)}</th>'
        "<th>realized</th><th>estimated</th></tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )
    return section("money", title, caption, chart + table)


__all__ = [
    "MAX_SCORE_WEEKS",
    "MONEY_METRICS",
    "NO_MONITOR_RUN",
    "empty",
    "flag_rate_section",
    "money_basis",
    "money_section",
    "performance_section",
    "psi_section",
    "score_section",
    "section",
    "shown_weeks",
]
