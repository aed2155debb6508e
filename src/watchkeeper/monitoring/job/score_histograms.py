"""Weekly score distributions against the training baseline, from the stored daily profiles.

For each report window (``monitoring.report_window``, a week, Monday to Monday) in which a
version served: the counts of its scores on the bins of the version's reference (holdout)
score profile, the reference's own counts on those bins, and the share of the week's events
the model flagged. Nothing is rescanned: a week is the merge of the daily profiles the
monitor job stored (:class:`~watchkeeper.monitoring.job.window_profile_store.WindowProfileStore`),
and the flag rate is the daily ``flag_rate`` rows weighted by each day's events.

Bins: ``edges`` are the reference's score quantile edges, so there are ``len(edges) + 1``
counts, the outer bins open-ended; missing scores are not counted.

>>> from datetime import UTC, datetime
>>> week = WeeklyScoreHistogram(1, datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 8, tzinfo=UTC),
...     edges=[0.5], counts=[3, 1], reference_counts=[5, 5], flag_rate=0.25)
>>> week.shares, week.reference_shares
([0.75, 0.25], [0.5, 0.5])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from typing import TYPE_CHECKING

from watchkeeper import metric_names as names
from watchkeeper.errors import RegistryError
from watchkeeper.monitoring.job.served_predictions import SCORE_COLUMN
from watchkeeper.monitoring.job.window_profile_store import WindowProfileStore
from watchkeeper.monitoring.job.windows import Window, report_window_of
from watchkeeper.monitoring.profiles.dataset_profile import DatasetProfile
from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile

if TYPE_CHECKING:
    from watchkeeper.workspace import Workspace


@dataclass(frozen=True)
class WeeklyScoreHistogram:
    """One report window of one version's scores on its reference's bins.

    ``days`` is the number of daily profiles merged (fewer than seven for a week that is
    not over, or days the version did not serve).
    """

    version: int
    week_start: datetime
    week_end: datetime
    edges: list[float]
    counts: list[int]
    reference_counts: list[int]
    flag_rate: float | None
    days: int = 7

    @property
    def shares(self) -> list[float]:
        """Each bin's share of the week's scores."""
        return _shares(self.counts)

    @property
    def reference_shares(self) -> list[float]:
        """Each bin's share of the reference (training holdout) scores."""
        return _shares(self.reference_counts)


def _shares(counts: Sequence[int]) -> list[float]:
    total = sum(counts)
    return [count / total if total else 0.0 for count in counts]


def weekly_score_histograms(
    workspace: Workspace, model_version: int | None = None
) -> list[WeeklyScoreHistogram]:
    """Every week's score histogram of ``model_version`` (default: every version that served
    and has a reference profile), oldest week first, then by version.

    A version asked for by number that has no reference profile raises
    :class:`~watchkeeper.errors.RegistryError`; when all versions are asked for, such a version
    is left out. A workspace the monitor job never ran on gives an empty list.

    >>> import tempfile
    >>> from pathlib import Path
    >>> from watchkeeper.workspace import Workspace
    >>> with Workspace.open(Workspace.create(Path(tempfile.mkdtemp()) / "ws")) as workspace:
    ...     weekly_score_histograms(workspace)
    []
    """
    from watchkeeper.monitoring.job.version_context import load_version_context
    from watchkeeper.registry.registry import ModelRegistry

    store = WindowProfileStore.for_workspace(workspace)
    versions = [model_version] if model_version is not None else store.versions()
    if not versions:
        return []
    registry = ModelRegistry.for_workspace(workspace)
    flag_rates = _daily_flag_rates(workspace)
    report_window = workspace.config.monitoring.report_window
    found: list[WeeklyScoreHistogram] = []
    for version in versions:
        try:
            baseline = load_version_context(registry, version).reference
        except RegistryError:
            if model_version is not None:
                raise
            continue
        # a regression version's reference has no score (its prediction is not one)
        reference = baseline.features.get(SCORE_COLUMN)
        if not isinstance(reference, NumericProfile):
            continue
        weeks: dict[Window, list[Window]] = {}
        for day in store.windows(version):
            weeks.setdefault(report_window_of(day.start, report_window), []).append(day)
        for week, days in weeks.items():
            profiles = [profile for day in days if (profile := store.get(version, day))]
            histogram = _histogram(version, week, reference, profiles, flag_rates)
            if histogram is not None:
                found.append(histogram)
    return sorted(found, key=lambda item: (item.week_start, item.version))


def _daily_flag_rates(workspace: Workspace) -> dict[tuple[int, datetime], float]:
    rows = workspace.metadata.metrics(workspace.config.model.name, metric=names.FLAG_RATE)
    return {
        (row.model_version, row.window_start): row.value
        for row in rows
        if row.model_version is not None and row.value is not None
    }


def _histogram(
    version: int,
    week: Window,
    reference: NumericProfile,
    days: list[DatasetProfile],
    flag_rates: dict[tuple[int, datetime], float],
) -> WeeklyScoreHistogram | None:
    scores = [day.features.get(SCORE_COLUMN) for day in days]
    numeric = [score for score in scores if isinstance(score, NumericProfile)]
    if not numeric:
        return None
    merged = reduce(NumericProfile.merge, numeric)
    flagged = 0.0
    weighed = 0
    for day in days:
        rate = None if day.window_start is None else flag_rates.get((version, day.window_start))
        if rate is not None and day.rows:
            flagged += rate * day.rows
            weighed += day.rows
    return WeeklyScoreHistogram(
        version=version,
        week_start=week.start,
        week_end=week.end,
        edges=[float(edge) for edge in reference.edges],
        counts=[int(count) for count in merged.counts],
        reference_counts=[int(count) for count in reference.counts],
        flag_rate=flagged / weighed if weighed else None,
        days=len(days),
    )


__all__ = ["WeeklyScoreHistogram", "weekly_score_histograms"]
