"""Window arithmetic in event time: monitoring windows and the report windows made of them.

Monitoring windows have a fixed length (``monitoring.window``, a day by default) and are
aligned to midnight UTC of 1970-01-01, so a day always starts at midnight UTC and two runs
always cut the same windows. Report windows (``monitoring.report_window``, a week) are groups
of consecutive monitoring windows aligned to a Monday: their profiles are merges of the stored
daily profiles, never a rescan of the rows.

>>> from datetime import UTC, datetime, timedelta
>>> day = timedelta(days=1)
>>> [str(window) for window in complete_windows(
...     datetime(2026, 6, 1, 5, tzinfo=UTC), datetime(2026, 6, 3, 12, tzinfo=UTC), day)]
['2026-06-01/2026-06-02', '2026-06-02/2026-06-03']
>>> str(report_window_of(datetime(2026, 6, 3, tzinfo=UTC), timedelta(days=7)))
'2026-06-01/2026-06-08'

Jobs enumerate windows from the data present, never by stepping from the earliest event time
to the latest: an event dated year 1 or 9999 (a historical file, a bulk load) must not make a
job walk 700,000 empty days. :func:`window_start_of` finds the windows of a frame's rows in
one vectorised pass, and :func:`run_windows` lists a run's windows from them. Times near the
ends of what ``datetime`` holds are clamped (:func:`shifted`), so a window holding
9999-12-31 ends at :data:`LATEST` and is never complete.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from watchkeeper.clock import as_utc

if TYPE_CHECKING:
    import polars as pl

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""Where daily windows are aligned: midnight UTC."""

MONDAY_EPOCH = datetime(1970, 1, 5, tzinfo=UTC)
"""Where report windows are aligned: the first Monday after the epoch."""

EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)
"""The first and last moments a ``datetime`` holds: where :func:`shifted` stops."""


def shifted(moment: datetime, delta: timedelta) -> datetime:
    """``moment + delta``, clamped to [:data:`EARLIEST`, :data:`LATEST`] instead of
    raising ``OverflowError``.

    >>> shifted(datetime(9999, 12, 31, tzinfo=UTC), timedelta(days=1)) == LATEST
    True
    >>> shifted(datetime(1, 1, 2, tzinfo=UTC), -timedelta(days=60)) == EARLIEST
    True
    """
    try:
        return as_utc(moment) + delta
    except OverflowError:
        return LATEST if delta > timedelta(0) else EARLIEST


@dataclass(frozen=True, order=True)
class Window:
    """A half-open event-time range ``[start, end)``."""

    start: datetime
    end: datetime

    def __str__(self) -> str:
        if self.end - self.start == timedelta(days=1) or _is_midnight(self.start, self.end):
            return f"{self.start.date().isoformat()}/{self.end.date().isoformat()}"
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

    def contains(self, moment: datetime) -> bool:
        """Whether ``moment`` lies in the window.

        >>> Window(EPOCH, EPOCH + timedelta(days=1)).contains(EPOCH + timedelta(days=1))
        False
        """
        return self.start <= as_utc(moment) < self.end


def _is_midnight(*moments: datetime) -> bool:
    return all(moment.time() == datetime.min.time() for moment in moments)


def window_floor(moment: datetime, length: timedelta, anchor: datetime = EPOCH) -> datetime:
    """The start of the window of ``length`` (aligned to ``anchor``) that holds ``moment``.

    >>> window_floor(datetime(2026, 6, 1, 23, 59, tzinfo=UTC), timedelta(days=1)).isoformat()
    '2026-06-01T00:00:00+00:00'
    """
    if length <= timedelta(0):
        raise ValueError(f"a window length must be positive (got {length})")
    steps = (as_utc(moment) - anchor) // length
    return anchor + steps * length


def aligned_span(
    start: datetime | None, end: datetime | None, length: timedelta
) -> tuple[datetime, datetime] | None:
    """``[start, end)`` cut to whole windows of ``length``, or None when it holds none.

    >>> [day.day for day in aligned_span(datetime(2026, 6, 1, 9, tzinfo=UTC),
    ...                                  datetime(2026, 6, 4, 2, tzinfo=UTC), timedelta(days=1))]
    [1, 4]
    >>> aligned_span(None, datetime(2026, 6, 4, tzinfo=UTC), timedelta(days=1)) is None
    True
    """
    if start is None or end is None:
        return None
    first, last = window_floor(start, length), window_floor(end, length)
    return (first, last) if last > first else None


def window_of(moment: datetime, length: timedelta) -> Window:
    """The monitoring window holding ``moment``.

    >>> str(window_of(datetime(2026, 6, 1, 8, tzinfo=UTC), timedelta(days=1)))
    '2026-06-01/2026-06-02'
    """
    start = window_floor(moment, length)
    return Window(start, shifted(start, length))


def complete_windows(start: datetime, until: datetime, length: timedelta) -> list[Window]:
    """The windows from the one holding ``start`` to the last one ending at or before ``until``.

    A window still open at ``until`` is left for a later run.

    >>> complete_windows(EPOCH, EPOCH + timedelta(hours=23), timedelta(days=1))
    []
    """
    first = window_floor(start, length)
    last_end = window_floor(until, length)
    count = max(0, (last_end - first) // length)
    return [Window(first + index * length, first + (index + 1) * length) for index in range(count)]


def report_window_of(moment: datetime, length: timedelta) -> Window:
    """The report window (a week by default, Monday to Monday) holding ``moment``.

    >>> str(report_window_of(datetime(2026, 6, 7, 23, tzinfo=UTC), timedelta(days=7)))
    '2026-06-01/2026-06-08'
    """
    start = window_floor(moment, length, MONDAY_EPOCH)
    return Window(start, shifted(start, length))


def windows_within(report: Window, length: timedelta) -> list[Window]:
    """The monitoring windows that make up a report window.

    >>> len(windows_within(report_window_of(EPOCH, timedelta(days=7)), timedelta(days=1)))
    7
    """
    return complete_windows(report.start, report.end, length)


def window_start_of(ts: pl.Expr, length: timedelta) -> pl.Expr:
    """The start of the monitoring window (aligned to midnight UTC 1970) holding each ``ts``.

    >>> import polars as pl
    >>> frame = pl.DataFrame({"ts": [datetime(2026, 6, 1, 13, tzinfo=UTC)]})
    >>> frame.select(window_start_of(pl.col("ts"), timedelta(days=1)))["ts"][0].isoformat()
    '2026-06-01T00:00:00+00:00'
    """
    import polars as pl

    step = length // timedelta(microseconds=1)
    moment = ts.dt.cast_time_unit("us")
    offset = moment.dt.epoch("us") - int(EPOCH.timestamp()) * 1_000_000
    return moment - pl.duration(microseconds=offset % step)


def window_starts(times: pl.Series, length: timedelta) -> list[datetime]:
    """The distinct starts of the windows holding ``times``, ascending: one pass over the
    rows, whatever span they cover.

    >>> import polars as pl
    >>> times = pl.Series([datetime(1, 1, 1, 5, tzinfo=UTC), datetime(2026, 6, 1, 9, tzinfo=UTC),
    ...                    datetime(2026, 6, 1, 3, tzinfo=UTC)])
    >>> [start.date().isoformat() for start in window_starts(times, timedelta(days=1))]
    ['0001-01-01', '2026-06-01']
    """
    import polars as pl

    if times.len() == 0:
        return []
    starts = pl.select(window_start_of(pl.lit(times), length).unique().sort()).to_series()
    return [as_utc(start) for start in starts.drop_nulls().to_list()]


def run_windows(
    data_starts: Sequence[datetime],
    start: datetime,
    end: datetime,
    length: timedelta,
    recent_from: datetime,
) -> list[Window]:
    """A run's windows in ``[start, end)`` (both aligned): those holding data (their starts
    in ``data_starts``) and, from ``recent_from`` on, every window, empty or not, from the
    first that holds data or begins the range. Their number is bounded by the data's windows
    and ``(end - recent_from) / length``, never by how far back the data reaches.

    >>> day = timedelta(days=1)
    >>> june = datetime(2026, 6, 1, tzinfo=UTC)
    >>> [str(w) for w in run_windows([datetime(1, 1, 1, tzinfo=UTC), june + day], EARLIEST,
    ...                              june + 3 * day, day, june - 30 * day)]
    ['0001-01-01/0001-01-02', '2026-06-02/2026-06-03', '2026-06-03/2026-06-04']
    """
    if end <= start:
        return []
    inside = sorted(moment for moment in data_starts if start <= moment < end)
    old = [moment for moment in inside if moment < recent_from]
    if start >= recent_from:
        contiguous_from = start
    else:
        contiguous_from = next((moment for moment in inside if moment >= recent_from), end)
    return [
        *(Window(moment, shifted(moment, length)) for moment in old),
        *complete_windows(contiguous_from, end, length),
    ]


__all__ = [
    "EARLIEST",
    "EPOCH",
    "LATEST",
    "MONDAY_EPOCH",
    "Window",
    "aligned_span",
    "complete_windows",
    "report_window_of",
    "run_windows",
    "shifted",
    "window_floor",
    "window_of",
    "window_start_of",
    "window_starts",
    "windows_within",
]
