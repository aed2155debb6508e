"""Metric rows turned into the points a chart draws: one per window, or one per week.

Daily windows stay daily over a short span; past :data:`DAILY_LIMIT` windows they are grouped
into Monday-aligned weeks (rates averaged, money summed, drift taken at its worst), so a year
of history stays readable.

>>> from datetime import UTC, datetime, timedelta
>>> day = datetime(2026, 6, 1, tzinfo=UTC)
>>> rows = [MetricRow("m", "fraud_prevented", day + timedelta(days=index),
...                   day + timedelta(days=index + 1), value=10.0, status="ok")
...         for index in range(7)]
>>> [(point.value, point.immature) for point in points(rows, Grouping(weekly=True), "sum")]
[(70.0, False)]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from watchkeeper.monitoring.job.windows import MONDAY_EPOCH, window_floor
from watchkeeper.storage.metadata.records import MetricRow

DAILY_LIMIT = 120
"""Past this many distinct windows, charts group them by week."""

Combine = Literal["mean", "sum", "max"]


@dataclass(frozen=True)
class Grouping:
    """Whether the report's points are windows or weeks."""

    weekly: bool

    @classmethod
    def for_rows(cls, rows: Iterable[MetricRow]) -> Grouping:
        """Weekly when the rows span more than :data:`DAILY_LIMIT` windows.

        >>> Grouping.for_rows([]).unit
        'window'
        """
        return cls(weekly=len({row.window_start for row in rows}) > DAILY_LIMIT)

    def start_of(self, moment: datetime) -> datetime:
        """The start of the point holding ``moment``."""
        return window_floor(moment, timedelta(days=7), MONDAY_EPOCH) if self.weekly else moment

    @property
    def unit(self) -> str:
        """``week`` or ``window``, for captions."""
        return "week" if self.weekly else "window"


@dataclass(frozen=True)
class Point:
    """One point of a series: its start, value, and the worst status of what went in."""

    start: datetime
    value: float | None
    status: str

    @property
    def immature(self) -> bool:
        """Whether any window in the point still waits for labels."""
        return self.status == "immature"


_RANK = {
    "no_data": 0,
    "short_window": 0,
    "few_rows": 0,
    "warming_up": 0,
    "ok": 1,
    "immature": 2,
    "warn": 3,
    "alert": 4,
}


def points(rows: Iterable[MetricRow], grouping: Grouping, combine: Combine) -> list[Point]:
    """Group ``rows`` (one metric, one feature) into points, oldest first.

    Rows of several versions in one window are summed for money (``sum``: traffic is split
    between them) and otherwise combined the same way as days of one week.
    """
    groups: dict[datetime, list[MetricRow]] = {}
    for row in rows:
        groups.setdefault(grouping.start_of(row.window_start), []).append(row)
    found = []
    for start in sorted(groups):
        members = groups[start]
        values = [row.value for row in members if row.value is not None]
        value: float | None = None
        if values:
            if combine == "sum":
                value = sum(values)
            elif combine == "max":
                value = max(values)
            else:
                value = sum(values) / len(values)
        status = max((row.status for row in members), key=lambda name: _RANK.get(name, 0))
        found.append(Point(start, value, status))
    return found


__all__ = ["DAILY_LIMIT", "Grouping", "Point", "points"]
