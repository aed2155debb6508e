"""The pools a version's drift is judged on: its consecutive windows ending with the new one.

:mod:`~watchkeeper.monitoring.job.judgement` says when a window's PSI means something; this module
finds, from the daily profiles the monitor job stored, what each feature of a new window is
judged on (:meth:`JudgementPools.judgement`):

1. **warm-up** — the version's events in its windows before this one, counted from the
   latest back until ``monitoring.warm_up_rows`` are reached (then never counted again);
   short of them, every drift row is ``warming_up``;
2. **the pool** — per feature, the shortest span ``[end - k * window, end)`` with ``k`` at
   least the windows of the feature's cycle and at least
   :func:`~watchkeeper.monitoring.job.judgement.rows_needed` events; a daily feature with enough
   events is judged on its own window, a weekday on the last seven, a canary's 150 events a
   day on the last four. A span longer than one window counts only when the version served
   all of it: it had served a window before the span began, and every window of the span
   but those nobody served that nobody served a report window earlier either (the traffic's
   own rhythm, a closed Sunday; a day of outage breaks the span: a week without its Monday
   is lopsided). Spans reach back at most the longer of the report window and the longest
   cycle: a feature that cannot be judged within them is ``few_rows`` (too few events) or
   ``short_window`` (its cycle not covered: the version's first week);
3. a pool sums the binned counts of the stored profiles (never a rescan), read once and kept
   for the next windows; a cyclic feature's pool weighs each window equally, so that a change
   of the version's share of the traffic (a canary promoted) does not tilt its week
   (:func:`~watchkeeper.monitoring.job.judgement.pooled_profile`).

A report window's rows (:meth:`JudgementPools.week_judgement`) are judged on the week itself:
warm-up as above, and cyclic features on its days balanced, only when the version served the
whole week (the week of a launch or a promotion holds some weekdays only).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from watchkeeper.config import MonitoringConfig, TransformConfig
from watchkeeper.monitoring.job.judgement import (
    WARMING_UP,
    Judgement,
    model_cycles,
    pool_reach,
    pooled_judgement,
    reference_needs,
    window_judgement,
)
from watchkeeper.monitoring.job.window_profile_store import WindowProfileStore
from watchkeeper.monitoring.job.windows import Window, shifted, windows_within
from watchkeeper.monitoring.profiles.dataset_profile import DatasetProfile


class JudgementPools:
    """Judgements of one model's new windows, from its stored window profiles.

    The cycles come from the workspace's ``transforms`` and ``config.per_feature``; each of
    ``predictions`` (the prediction columns) takes the longest cycle of the features in the
    version's reference (:func:`~watchkeeper.monitoring.job.judgement.model_cycles`). The monitor
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
        self.reach = pool_reach(model_cycles(self.transforms, config, self.predictions), config)
        """How many windows a pool may span (the longest cycle of any feature, or a week)."""
        self._versions: dict[int, tuple[dict[str, timedelta], dict[str, int]]] = {}
        self._kept: dict[tuple[int, datetime], DatasetProfile | None] = {}
        self._warm: dict[int, datetime] = {}
        """Per version, a window start from which it is known to be warmed up."""
        self._first: dict[int, datetime | None] = {}

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
        length = self.config.window
        if all(profile.rows >= count for count in needed.values()) and all(
            cycle <= length for cycle in cycles.values()
        ):
            return Judgement()  # the window alone holds enough, and no cycle is longer
        recent, covered = self._recent(version, window, profile)
        return pooled_judgement(recent, covered, cycles, length, needed)

    def week_judgement(
        self, version: int, reference: DatasetProfile, week: Window, merged: DatasetProfile
    ) -> Judgement:
        """How a report window's rows (``merged``: its daily profiles) are judged: on the
        week's events, but its cyclic features on its days balanced, and only when the
        version served the whole week."""
        if not self._warmed_up(version, week.start):
            return Judgement(WARMING_UP)
        cycles, needed = self.version_needs(version, reference)
        length = self.config.window
        cyclic = {
            name: cycle for name, cycle in cycles.items() if cycle > length and name in needed
        }
        plain = {name: count for name, count in needed.items() if name not in cyclic}
        judged = window_judgement(merged.rows, length, {}, self.config.min_rows, plain)
        if judged.everything is not None or not cyclic:
            return judged
        days = [self.profile(version, day) for day in reversed(windows_within(week, length))]
        covered = len(days) if self._served_whole(version, week) else 0
        balanced = pooled_judgement(
            days, covered, cyclic, length, {name: needed[name] for name in cyclic}
        )
        return Judgement(unjudged={**judged.unjudged, **balanced.unjudged}, pooled=balanced.pooled)

    def version_needs(
        self, version: int, reference: DatasetProfile
    ) -> tuple[dict[str, timedelta], dict[str, int]]:
        """The cycle of each feature of ``version`` that has one, and the events each needs
        to be judged (:func:`~watchkeeper.monitoring.job.judgement.reference_needs`)."""
        if version not in self._versions:
            read = [name for name in reference.features if name not in self.predictions]
            cycles = model_cycles(self.transforms, self.config, self.predictions, read)
            self._versions[version] = (cycles, reference_needs(reference, self.config))
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

    def covers(self, version: int, start: datetime, served: Mapping[datetime, set[int]]) -> bool:
        """Whether the window at ``start`` belongs to ``version``'s service: it served it, or
        nobody did, nor a report window earlier (the traffic's rhythm, not an outage)."""
        if version in served.get(start, ()):
            return True
        earlier = shifted(start, -self.config.report_window)
        return start not in served and earlier not in served

    def _recent(
        self, version: int, window: Window, profile: DatasetProfile
    ) -> tuple[list[DatasetProfile | None], int]:
        """``version``'s profiles of its latest windows up to ``window`` (newest first, as
        far as a pool reaches), and how many of them its service covers whole: windows it
        served (or the traffic's rhythm left empty) after a window it served before them."""
        length, first = self.config.window, self.first_window(version)
        back = (self.reach - 1) * length + self.config.report_window
        served = self.profiles.served(shifted(window.start, -back), window.start)
        recent: list[DatasetProfile | None] = [profile]
        covered = 1
        for step in range(1, self.reach):
            start = shifted(window.start, -step * length)
            earlier = Window(start, shifted(start, length))
            recent.append(self.profile(version, earlier))
            whole = first is not None and first < start and self.covers(version, start, served)
            if whole and covered == step:  # the covered windows are the newest, unbroken
                covered += 1
        return recent, covered

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
        and every window of the span (:meth:`covers`)."""
        first = self.first_window(version)
        if first is None or first >= span.start:
            return False
        rhythm = self.config.report_window
        served = self.profiles.served(shifted(span.start, -rhythm), span.end)
        windows = windows_within(span, self.config.window)
        return all(self.covers(version, window.start, served) for window in windows)


__all__ = ["JudgementPools"]
