"""Report-window rows: drift of a whole week, from its merged daily profiles.

When a report window (``monitoring.report_window``, a week, Monday to Monday) is complete,
the monitor job merges the daily profiles it stored for each version that served in it
(never rescanning the rows) and writes the week's drift: ``weekly_psi`` per feature,
``weekly_score_psi`` and ``weekly_flag_rate`` (with their thresholds and verdicts), with the
week as the window. A week holds seven times the events of a day, so small shifts that are
noise in a day show here. A week is judged as a whole
(:meth:`~watchkeeper.monitoring.job.judgement_pools.JudgementPools.week_judgement`): not while
the version warms up, and its cyclic features only when the version served all of it.

The metric names carry the ``weekly_`` prefix so that the daily series keep one row per
window: an alert rule's "last N windows" or a chart of the daily ``psi`` never mixes in a week.

>>> from datetime import UTC, datetime, timedelta
>>> from watchkeeper.monitoring.job.windows import Window
>>> day = timedelta(days=1)
>>> new = [Window(datetime(2026, 6, 6, tzinfo=UTC) + i * day, datetime(2026, 6, 7, tzinfo=UTC) + i * day)
...        for i in range(3)]
>>> [str(week) for week in completed_report_windows(new, timedelta(days=7))]
['2026-06-01/2026-06-08']
>>> [str(week) for week in report_windows_completed(new[1:], timedelta(days=7),
...                                                 new[0].end, new[-1].end, day)]
['2026-06-01/2026-06-08']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from watchkeeper import metric_names as names
from watchkeeper.config import MonitoringConfig
from watchkeeper.monitoring.job.judgement import Judgement
from watchkeeper.monitoring.job.window_metrics import WindowKey, profile_rows
from watchkeeper.monitoring.job.windows import Window, report_window_of, window_floor
from watchkeeper.monitoring.profiles.dataset_profile import DatasetProfile
from watchkeeper.monitoring.statistics.quality import Range
from watchkeeper.storage.metadata.records import MetricRow


def completed_report_windows(new: Sequence[Window], length: timedelta) -> list[Window]:
    """The report windows whose last monitoring window is among ``new`` (just profiled)."""
    weeks = []
    for window in new:
        week = report_window_of(window.start, length)
        if week.end == window.end:
            weeks.append(week)
    return weeks


def report_windows_completed(
    windows: Sequence[Window],
    length: timedelta,
    start: datetime,
    end: datetime,
    window_length: timedelta,
) -> list[Window]:
    """The report windows a run over ``[start, end)`` completes: those ending within
    ``(start, end]`` (on a monitoring window's end) that hold one of the run's ``windows``
    or began before ``start``; a week that holds neither has no profile to merge.

    The same weeks as :func:`completed_report_windows` over every window of the range, found
    from the windows holding data, so a run over a range reaching back to year 1 looks at
    a handful of weeks, not 100,000.
    """
    candidates = {report_window_of(window.start, length) for window in windows}
    candidates.add(report_window_of(start, length))  # the week running across ``start``
    return sorted(
        week
        for week in candidates
        if start < week.end <= end and window_floor(week.end, window_length) == week.end
    )


def weekly_rows(
    key: WindowKey,
    reference: DatasetProfile,
    week: DatasetProfile,
    config: MonitoringConfig,
    *,
    threshold: float,
    flags: int,
    ranges: dict[str, Range] | None = None,
    judgement: Judgement | None = None,
) -> list[MetricRow]:
    """The report window's rows (``key`` spans the week) from its merged daily profiles.

    ``flags`` is the number of the week's events the model flagged; ``judgement`` as in
    :func:`~watchkeeper.monitoring.job.window_metrics.profile_rows`.
    """
    rows = profile_rows(
        key, reference, week, config, threshold=threshold, flags=flags, ranges=ranges,
        judgement=judgement,
    )  # fmt: skip
    return [
        replace(row, metric=names.WEEKLY[row.metric]) for row in rows if row.metric in names.WEEKLY
    ]


def weekly_flags(daily_rows: Sequence[tuple[int, float | None]]) -> int:
    """The flagged events of a week from its days' (events, flag rate) pairs.

    >>> weekly_flags([(100, 0.05), (200, 0.1), (50, None)])
    25
    """
    return sum(round(events * rate) for events, rate in daily_rows if rate is not None)


__all__ = [
    "completed_report_windows",
    "report_windows_completed",
    "weekly_flags",
    "weekly_rows",
]
