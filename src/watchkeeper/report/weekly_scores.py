"""The weekly score distributions the report draws, read from the stored daily profiles.

Each week (Monday to Monday) of each version that served: the counts of its scores on the
reference's score bins, the reference's own counts on the same bins, and the share flagged.
This is the chart that shows a shift in the scores within a week or two of it starting.

>>> from datetime import UTC, datetime
>>> week = WeeklyScores(1, datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 8, tzinfo=UTC),
...                     edges=(0.5,), counts=(3, 1), reference_counts=(5, 5), flag_rate=0.25)
>>> week.shares, week.reference_shares
((0.75, 0.25), (0.5, 0.5))
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from watchkeeper.storage.metadata_records import MetricRow

if TYPE_CHECKING:
    from watchkeeper.workspace import Workspace


@dataclass(frozen=True)
class WeeklyScores:
    """One week of one version's scores on the reference's bins (``len(edges) + 1`` counts)."""

    version: int
    week_start: datetime
    week_end: datetime
    edges: tuple[float, ...]
    counts: tuple[int, ...]
    reference_counts: tuple[int, ...]
    flag_rate: float | None

    @property
    def shares(self) -> tuple[float, ...]:
        """Each bin's share of the week's scores."""
        return _shares(self.counts)

    @property
    def reference_shares(self) -> tuple[float, ...]:
        """Each bin's share of the reference (training holdout) scores."""
        return _shares(self.reference_counts)


def _shares(counts: tuple[int, ...]) -> tuple[float, ...]:
    total = sum(counts)
    return tuple(count / total if total else 0.0 for count in counts)


def weekly_scores(workspace: Workspace, rows: Iterable[MetricRow]) -> list[WeeklyScores]:
    """Every week's score histogram of every version that has metric rows, oldest first.

    Uses :func:`watchkeeper.monitoring.score_histograms.weekly_score_histograms` when it is
    available, else merges the daily window profiles the monitor job stored.
    """
    try:
        from watchkeeper.monitoring import (  # type: ignore[attr-defined,unused-ignore]
            score_histograms,
        )
    except ImportError:
        return _from_window_profiles(workspace, rows)
    found = score_histograms.weekly_score_histograms(workspace, model_version=None)
    return sorted(
        (
            WeeklyScores(
                version=int(item.version),
                week_start=item.week_start,
                week_end=item.week_end,
                edges=tuple(float(edge) for edge in item.edges),
                counts=tuple(int(count) for count in item.counts),
                reference_counts=tuple(int(count) for count in item.reference_counts),
                flag_rate=None if item.flag_rate is None else float(item.flag_rate),
            )
            for item in found
        ),
        key=lambda week: (week.week_start, week.version),
    )


def _from_window_profiles(workspace: Workspace, rows: Iterable[MetricRow]) -> list[WeeklyScores]:
    from watchkeeper.errors import WatchkeeperError
    from watchkeeper.monitoring.numeric_profile import NumericProfile
    from watchkeeper.monitoring.served_predictions import SCORE_COLUMN
    from watchkeeper.monitoring.version_context import load_version_context
    from watchkeeper.monitoring.window_profile_store import WindowProfileStore
    from watchkeeper.monitoring.windows import Window, report_window_of
    from watchkeeper.registry.registry import ModelRegistry

    monitoring = workspace.config.monitoring
    days: dict[tuple[int, Window], list[Window]] = {}
    flags: dict[tuple[int, Window], list[float]] = {}
    for row in rows:
        if row.model_version is None or row.metric not in ("flag_rate", "score_psi"):
            continue
        week = report_window_of(row.window_start, monitoring.report_window)
        key = (row.model_version, week)
        window = Window(row.window_start, row.window_end)
        if window not in days.setdefault(key, []):
            days[key].append(window)
        if row.metric == "flag_rate" and row.value is not None:
            flags.setdefault(key, []).append(row.value)
    registry = ModelRegistry.for_workspace(workspace)
    store = WindowProfileStore.for_workspace(workspace)
    references: dict[int, NumericProfile | None] = {}
    found: list[WeeklyScores] = []
    for (version, week), windows in sorted(days.items(), key=lambda item: item[0][1].start):
        if version not in references:
            try:
                score = load_version_context(registry, version).reference.features[SCORE_COLUMN]
                references[version] = score if isinstance(score, NumericProfile) else None
            except WatchkeeperError:
                references[version] = None
        reference = references[version]
        if reference is None:
            continue
        try:
            merged = store.merged(version, sorted(windows)).features.get(SCORE_COLUMN)
        except WatchkeeperError:
            continue
        if not isinstance(merged, NumericProfile):
            continue
        rates = flags.get((version, week), [])
        found.append(
            WeeklyScores(
                version=version,
                week_start=week.start,
                week_end=week.end,
                edges=reference.edges,
                counts=merged.counts,
                reference_counts=reference.counts,
                flag_rate=sum(rates) / len(rates) if rates else None,
            )
        )
    return found


__all__ = ["WeeklyScores", "weekly_scores"]
