"""The pools a version's drift is judged on: its consecutive windows ending with the new one.

:mod:`~watchkeeper.monitoring.judgement` says when a window's PSI means something; this module
finds, from the daily profiles the monitor job stored, what each feature of a new window is
judged on (:meth:`JudgementPools.judgement`):

1. **warm-up** — the version's events in its windows before this one, counted from the
   latest back until ``monitoring.warm_up_rows`` are reached (then never counted again);
   short of them, every drift row is ``warming_up``;
2. **the pool** — per feature, the shortest span ``[end - k * window, end)`` with ``k`` at
   least the windows of the feature's cycle and at least
   :func:`~watchkeeper.monitoring.judgement.rows_needed` events; a daily feature with enough
   events is judged on its own window, a weekday on the last seven, a canary's 150 events a
   day on the last four. A span longer than one window counts only when the version served
   all of it: it had served a window before the span began, and it served every window of
   the span, but for windows nobody served that nobody served a report window earlier
   either (the traffic's own rhythm, a closed Sunday; a day of outage breaks the span, since
   a week without its Monday is lopsided). Spans reach back at most the longer of the report window and
   the longest cycle: a feature that cannot be judged within them is ``few_rows`` (too few
   events) or ``short_window`` (its cycle not covered: the version's first week);
3. a pool sums the binned counts of the stored profiles (never a rescan), read once and kept
   for the next windows (:func:`~watchkeeper.monitoring.judgement.pooled_profile`).

A report window's rows (:meth:`JudgementPools.week_judgement`) are judged on the week itself:
warm-up as above, and cyclic features only when the version served the whole week (the week
of a launch or a promotion holds some weekdays only).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from watchkeeper.config import MonitoringConfig, TransformConfig
from watchkeeper.monitoring.dataset_profile import DatasetProfile, FeatureProfile
from watchkeeper.monitoring.judgement import (
    FEW_ROWS,
    SHORT_WINDOW,
    WARMING_UP,
    Judgement,
    feature_cycles,
    occupied_cells,
    pooled_profile,
    rows_needed,
    window_judgement,
)
from watchkeeper.monitoring.window_profile_store import WindowProfileStore
from watchkeeper.monitoring.windows import Window, shifted, windows_within


class JudgementPools:
    """Judgements of one model's new windows, from its stored window profiles.

    The cycles come from the workspace's ``transforms`` and ``config.per_feature``; each of
    ``predictions`` (the prediction columns) takes the longest cycle of the features in the
    version's reference (:func:`~watchkeeper.monitoring.judgement.feature_cycles`). The monitor
    job calls :meth:`remember` with each profile it stores, oldest window first.
    """

    def __init__(
        self,
        profiles: WindowProfileStore,
        config: MonitoringConfig,
        transforms: Sequence[TransformConfig] = (),
        predictions: Sequence[str] = (),
    ) -> None:
        self.profiles = profiles
        self.config = config
        self.transforms = tuple(transforms)
        self.predictions = tuple(predictions)
        self.cycles = feature_cycles(
            self.transforms, config.per_feature, self.predictions, None, config.report_window
        )
        """The cycles of every feature (and of the prediction columns of a model reading all)."""
        self._versions: dict[int, tuple[dict[str, timedelta], dict[str, int]]] = {}
        self._kept: dict[tuple[int, datetime], DatasetProfile | None] = {}
        self._warm: dict[int, datetime] = {}
        """Per version, a window start from which it is known to be warmed up."""
        self._first: dict[int, datetime | None] = {}

    @property
    def reach(self) -> int:
        """How many windows a pool may span: the longer of the report window and the
        longest cycle."""
        longest = max((self.config.report_window, *self.cycles.values()))
        return max(1, math.ceil(longest / self.config.window))

    def remember(self, version: int, window: Window, profile: DatasetProfile) -> None:
        """Keep the profile the job just stored, and forget those no pool reaches any more."""
        self._kept[(version, window.start)] = profile
        oldest = shifted(window.start, -(self.reach + 1) * self.config.window)
        for key in [key for key in self._kept if key[1] < oldest]:
            del self._kept[key]

    def judgement(
        self, version: int, reference: DatasetProfile, window: Window, profile: DatasetProfile
    ) -> Judgement:
        """How the drift of ``version`` over ``window`` (its ``profile``) is judged."""
        if not self._warmed_up(version, window.start):
            return Judgement(WARMING_UP)
        cycles, needed = self.version_needs(version, reference)
        span = _Span(self, version, window, profile)
        unjudged: dict[str, str] = {}
        pooled: dict[str, FeatureProfile] = {}
        for name in reference.features:
            cycle = cycles.get(name)
            first = max(1, math.ceil(cycle / self.config.window)) if cycle is not None else 1
            found = span.shortest(first, needed[name])
            if isinstance(found, str):
                unjudged[name] = found
            elif found > 1:
                pooled[name] = span.pooled(found, name)
        return Judgement(unjudged=unjudged, pooled=pooled)

    def week_judgement(
        self, version: int, reference: DatasetProfile, week: Window, merged: DatasetProfile
    ) -> Judgement:
        """How a report window's rows (``merged``: its daily profiles) are judged."""
        if not self._warmed_up(version, week.start):
            return Judgement(WARMING_UP)
        whole = self._served_whole(version, week)
        cycles, needed = self.version_needs(version, reference)
        span = week.end - week.start if whole else self.config.window
        return window_judgement(merged.rows, span, cycles, self.config.min_rows, needed)

    def version_needs(
        self, version: int, reference: DatasetProfile
    ) -> tuple[dict[str, timedelta], dict[str, int]]:
        """The cycle of each feature of ``version`` that has one, and the events each needs
        to be judged (its reference's cells and warn level:
        :func:`~watchkeeper.monitoring.judgement.rows_needed`)."""
        if version not in self._versions:
            config = self.config
            read = [name for name in reference.features if name not in self.predictions]
            cycles = feature_cycles(
                self.transforms, config.per_feature, self.predictions, read, config.report_window
            )
            needed = {
                name: rows_needed(
                    occupied_cells(profile),
                    reference.rows,
                    config.per_feature.get(name, config.psi).warn,
                    config.min_rows,
                )
                for name, profile in reference.features.items()
            }
            self._versions[version] = (cycles, needed)
        return self._versions[version]

    # -- reading -----------------------------------------------------------------------------

    def profile(self, version: int, window: Window) -> DatasetProfile | None:
        """The stored profile of ``version`` over ``window`` (read once, then kept)."""
        key = (version, window.start)
        if key not in self._kept:
            self._kept[key] = self.profiles.get(version, window)
        return self._kept[key]

    def first_window(self, version: int) -> datetime | None:
        """The start of the first window ``version`` served."""
        if self._first.get(version) is None:
            windows = self.profiles.windows(version)
            self._first[version] = windows[0].start if windows else None
        return self._first[version]

    def _warmed_up(self, version: int, start: datetime) -> bool:
        """Whether ``version`` served ``warm_up_rows`` events in its windows before ``start``."""
        wanted = self.config.warm_up_rows
        since = self._warm.get(version)
        if wanted == 0 or (since is not None and start >= since):
            return True
        served = 0
        for window in reversed(self.profiles.windows(version, end=start)):
            found = self.profile(version, window)
            served += found.rows if found is not None else 0
            if served >= wanted:
                self._warm[version] = min(start, since) if since is not None else start
                return True
        return False

    def _served_whole(self, version: int, span: Window) -> bool:
        """Whether ``version`` served all of ``span``: it served a window before the span,
        and every window of the span that any version served."""
        first = self.first_window(version)
        if first is None or first >= span.start:
            return False
        rhythm = self.config.report_window
        served = self.profiles.served(shifted(span.start, -rhythm), span.end)
        windows = windows_within(span, self.config.window)
        return all(self.covers(version, window.start, served) for window in windows)

    def covers(self, version: int, start: datetime, served: Mapping[datetime, set[int]]) -> bool:
        """Whether the window at ``start`` belongs to ``version``'s service: it served it, or
        nobody did, nor a report window earlier (the traffic's rhythm, not an outage)."""
        if version in served.get(start, ()):
            return True
        earlier = shifted(start, -self.config.report_window)
        return start not in served and earlier not in served


class _Span:
    """The windows of one version ending with a new one, walked back as a pool grows."""

    def __init__(
        self, pools: JudgementPools, version: int, window: Window, profile: DatasetProfile
    ) -> None:
        self.pools = pools
        self.version = version
        self.length = pools.config.window
        self.window = window
        self.reach = pools.reach
        self._profiles: list[DatasetProfile | None] = [profile]
        self._rows = [profile.rows]
        self._valid = [True]
        self._served: dict[datetime, set[int]] | None = None
        self._first = pools.first_window(version)

    def shortest(self, first: int, needed: int) -> int | str:
        """The fewest windows, at least ``first``, holding ``needed`` events; or the status
        saying why there are none (``short_window``: the cycle is not covered)."""
        if first > self.reach or not self._extend(first):
            return SHORT_WINDOW
        windows = first
        while self._rows[windows - 1] < needed:
            windows += 1
            if windows > self.reach or not self._extend(windows):
                return FEW_ROWS
        return windows

    def pooled(self, windows: int, name: str) -> FeatureProfile:
        """``name``'s profile pooled over the last ``windows`` windows (:func:`pooled_profile`)."""
        own, *earlier = self._profiles[:windows]
        assert own is not None
        return pooled_profile(
            own.features[name],
            [profile.features[name] for profile in earlier if profile is not None],
        )

    def _extend(self, windows: int) -> bool:
        """Walk back to ``windows`` windows; whether the version served them all."""
        while len(self._valid) < windows:
            back = len(self._valid)
            earlier = Window(
                shifted(self.window.start, -back * self.length),
                shifted(self.window.end, -back * self.length),
            )
            profile = self.pools.profile(self.version, earlier)
            valid = (
                self._valid[-1]
                and self._first is not None
                and self._first < earlier.start
                and self.pools.covers(self.version, earlier.start, self._served_by_any())
            )
            self._profiles.append(profile)
            self._rows.append(self._rows[-1] + (profile.rows if profile is not None else 0))
            self._valid.append(valid)
        return self._valid[windows - 1]

    def _served_by_any(self) -> dict[datetime, set[int]]:
        if self._served is None:
            back = (self.reach - 1) * self.length + self.pools.config.report_window
            start = shifted(self.window.start, -back)
            self._served = self.pools.profiles.served(start, self.window.start)
        return self._served


__all__ = ["JudgementPools"]
