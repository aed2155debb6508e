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
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from watchkeeper.clock import as_utc

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""Where daily windows are aligned: midnight UTC."""

MONDAY_EPOCH = datetime(1970, 1, 5, tzinfo=UTC)
"""Where report windows are aligned: the first Monday after the epoch."""


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


def window_of(moment: datetime, length: timedelta) -> Window:
    """The monitoring window holding ``moment``.

    >>> str(window_of(datetime(2026, 6, 1, 8, tzinfo=UTC), timedelta(days=1)))
    '2026-06-01/2026-06-02'
    """
    start = window_floor(moment, length)
    return Window(start, start + length)


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
    return Window(start, start + length)


def windows_within(report: Window, length: timedelta) -> list[Window]:
    """The monitoring windows that make up a report window.

    >>> len(windows_within(report_window_of(EPOCH, timedelta(days=7)), timedelta(days=1)))
    7
    """
    return complete_windows(report.start, report.end, length)


__all__ = [
    "EPOCH",
    "MONDAY_EPOCH",
    "Window",
    "complete_windows",
    "report_window_of",
    "window_floor",
    "window_of",
    "windows_within",
]
