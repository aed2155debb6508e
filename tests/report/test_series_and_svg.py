"""The report's building blocks: grouping windows into points, and the SVG charts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from watchkeeper.report.series import DAILY_LIMIT, Grouping, points
from watchkeeper.report.svg import (
    ALERT_COLOUR,
    Band,
    Level,
    Line,
    Mark,
    heatmap,
    line_chart,
    timeline,
)
from watchkeeper.storage.metadata.records import MetricRow

MONDAY = datetime(2026, 6, 1, tzinfo=UTC)


def rows(values: list[float | None], status: str = "ok") -> list[MetricRow]:
    return [
        MetricRow(
            "m",
            "x",
            MONDAY + timedelta(days=index),
            MONDAY + timedelta(days=index + 1),
            value=value,
            status=status if value is not None else "no_data",
        )
        for index, value in enumerate(values)
    ]


def test_weeks_combine_days_by_mean_sum_or_max_and_keep_the_worst_status() -> None:
    days = rows([1.0, 2.0, 3.0, None, 6.0, 0.0, 2.0, 10.0])  # a week and one more day
    days[2] = MetricRow("m", "x", days[2].window_start, days[2].window_end, 3.0, "immature")
    weekly = Grouping(weekly=True)
    assert [(point.start, point.value) for point in points(days, weekly, "sum")] == [
        (MONDAY, 14.0),
        (MONDAY + timedelta(days=7), 10.0),
    ]
    assert [point.value for point in points(days, weekly, "mean")] == [14.0 / 6, 10.0]
    assert [point.value for point in points(days, weekly, "max")] == [6.0, 10.0]
    assert [point.immature for point in points(days, weekly, "max")] == [True, False]
    daily = points(days, Grouping(weekly=False), "mean")
    assert len(daily) == 8 and daily[3].value is None and daily[3].status == "no_data"


def test_grouping_turns_weekly_past_the_daily_limit() -> None:
    assert not Grouping.for_rows(rows([1.0] * DAILY_LIMIT)).weekly
    assert Grouping.for_rows(rows([1.0] * (DAILY_LIMIT + 1))).weekly


def test_line_chart_draws_gaps_levels_bands_and_alert_points() -> None:
    points_ = [
        (MONDAY + timedelta(days=index), value) for index, value in enumerate([0.1, None, 0.3, 0.4])
    ]
    chart = line_chart(
        [Line("psi", points_, "#123456", alerts=frozenset({MONDAY + timedelta(days=3)}))],
        levels=[Level(0.25, "alert", "#c92a2a")],
        bands=[Band(MONDAY + timedelta(days=2), MONDAY + timedelta(days=3), "immature")],
        value_format="{:.2f}",
    )
    assert chart.count("<polyline") == 1  # the gap splits the line; a lone point has no segment
    assert chart.count("<circle") == 3
    assert f'fill="{ALERT_COLOUR}"' in chart and "psi 4 Jun 26: 0.40 (alert)" in chart
    assert "alert 0.25" in chart and ">immature</text>" in chart
    ticks = [
        float(text) for text in re.findall(r'text-anchor="end" fill="#6c757d">([0-9.]+)<', chart)
    ]
    assert ticks[0] == 0.0 and ticks[-1] >= 0.4 and len(ticks) >= 3


def test_heatmap_colours_by_level() -> None:
    columns = [MONDAY, MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)]
    cells = {("a", columns[0]): 0.01, ("a", columns[1]): 0.15, ("a", columns[2]): 0.9}
    chart = heatmap(["a"], columns, cells, warn=lambda _: 0.1, alert=lambda _: 0.25)
    fills = re.findall(
        r'<rect x="[0-9.]+" y="4.0" width="[0-9.]+" height="22.0" fill="(#[0-9a-f]{6})"', chart
    )
    assert len(fills) == 3
    green, amber, red = (tuple(int(fill[i : i + 2], 16) for i in (1, 3, 5)) for fill in fills)
    assert green[1] > green[0] and green[1] > green[2]  # green dominates
    assert amber[0] > amber[2] and amber[1] > amber[2]  # red + green: amber
    assert red[0] > red[1] and red[0] > red[2]


def test_timeline_places_dots_and_spans_on_their_lanes() -> None:
    marks = [
        Mark(MONDAY, "alerts", "#c00", "psi fired"),
        Mark(
            MONDAY + timedelta(days=2), "rollouts", "#00c", "canary", end=MONDAY + timedelta(days=4)
        ),
        Mark(MONDAY, "nowhere", "#000", "not drawn"),
    ]
    chart = timeline(marks, ["alerts", "rollouts"], start=MONDAY, end=MONDAY + timedelta(days=4))
    assert "<title>psi fired</title></circle>" in chart
    assert "<title>canary</title></rect>" in chart and "not drawn" not in chart
