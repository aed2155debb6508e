"""Rejected events per monitoring window: the ``rejections`` table counted by reason.

The service and the prediction logger append one row to the event store's ``rejections``
table for every event they refuse (see :mod:`watchkeeper.storage.events.tables`). Those events
never reach a profile, so the monitor job counts them here, per window and reason, and data
quality reports them next to the accepted rows (``rejected_events``, ``rejected_share``).

>>> from datetime import UTC, datetime, timedelta
>>> from watchkeeper.monitoring.job.windows import Window
>>> day = Window(datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 2, tzinfo=UTC))
>>> rows = pl.DataFrame({
...     "ts": [day.start + timedelta(hours=hour) for hour in (1, 2, 3, 30)],
...     "reason": ["missing_field", "not_finite", "missing_field", "too_large"],
... })
>>> rejections_by_window(rows, [day])
{Window(start=datetime.datetime(2026, 6, 1, 0, 0, tzinfo=datetime.timezone.utc), end=datetime.datetime(2026, 6, 2, 0, 0, tzinfo=datetime.timezone.utc)): {'missing_field': 2, 'not_finite': 1}}
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from watchkeeper.monitoring.job.windows import Window
from watchkeeper.storage.events.store import EventStore

REJECTIONS_TABLE = "rejections"
REJECTION_COLUMNS = ("ts", "reason")


def read_rejections(events: EventStore, windows: Sequence[Window]) -> pl.DataFrame:
    """The ``ts`` and ``reason`` of every rejection in the span of ``windows``, in one read.

    An event store that has never received a rejection gives an empty frame.
    """
    if not windows:
        return pl.DataFrame(schema={"ts": pl.Datetime("us", "UTC"), "reason": pl.String})
    start = min(window.start for window in windows)
    end = max(window.end for window in windows)
    return events.read(REJECTIONS_TABLE, start=start, end=end, columns=list(REJECTION_COLUMNS))


def rejections_by_window(
    rejections: pl.DataFrame, windows: Sequence[Window]
) -> dict[Window, dict[str, int]]:
    """Count ``rejections`` (``ts``, ``reason``) per window and reason.

    Windows without a rejection are left out; reasons are sorted within a window.
    """
    counts: dict[Window, dict[str, int]] = {}
    if rejections.height == 0:
        return counts
    for window in windows:
        inside = rejections.filter((pl.col("ts") >= window.start) & (pl.col("ts") < window.end))
        if inside.height == 0:
            continue
        grouped = inside.group_by("reason").len().sort("reason")
        counts[window] = {
            str(reason): int(count)
            for reason, count in zip(grouped["reason"], grouped["len"], strict=True)
        }
    return counts


def attributed_version(served: dict[int, int], champion: int | None) -> int | None:
    """The version whose rows carry a window's rejections (a refused event has no version).

    The champion when it served in the window, else the version that served the most events.

    >>> attributed_version({1: 10, 2: 500}, champion=1), attributed_version({2: 5, 3: 9}, 1)
    (1, 3)
    """
    if champion is not None and champion in served:
        return champion
    if not served:
        return champion
    return max(sorted(served), key=lambda version: served[version])


__all__ = [
    "REJECTIONS_TABLE",
    "REJECTION_COLUMNS",
    "attributed_version",
    "read_rejections",
    "rejections_by_window",
]
