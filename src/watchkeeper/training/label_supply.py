"""How many labels the retraining loop can use, and when it will have enough.

Two questions about labels still to come:

- an attempt whose holdout cannot decide (too few positives, or too little power) says until
  when: "not enough matured positives until DATE" (:class:`LabelShortage`);
- after a refused or undecided attempt, the retrain policy waits for *new evidence*: labels
  of events newer than that attempt's holdout (:mod:`~watchkeeper.training.attempt_budget`).

Both go through :class:`LabelSupply`, so a better estimate plugs in — one that counts
provisional, delay-weighted labels, say, or reads the event store for when the post-drift
traffic holds enough positives. The one here is simple and says so:
:class:`SeriesLabelSupply` counts the positives (``positive_labels``; ``labelled_events``
for a multiclass or regression model) that monitoring wrote for *matured* windows, and
estimates a date from their recent rate: events of the last :data:`RATE_SPAN` of matured
windows produced ``r`` positives a day, so ``k`` more mature in ``k / r`` days (the maturity
cut-off moves one day a day). At attempt time, :func:`rate_ready_at` does the same from the
holdout's own positives and length.

>>> from datetime import UTC
>>> day = datetime(2026, 6, 1, tzinfo=UTC)
>>> rate_ready_at(have=20, needed=50, count=20, span=timedelta(days=10), as_of=day).date()
datetime.date(2026, 6, 16)
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from watchkeeper import metric_names as names
from watchkeeper.clock import as_utc
from watchkeeper.storage.metadata.records import MetricRow

RATE_SPAN = timedelta(days=28)
"""How far back from the latest matured window the rate of new labels is measured."""

MATURED = "ok"
"""The status of a realized row once its window is a maturity horizon old."""


class LabelSupply(Protocol):
    """Labels a holdout could use: counted since a moment, and forecast."""

    @property
    def unit(self) -> str:
        """What is counted: ``positives``, or ``labelled rows``."""

    def since(self, start: datetime) -> float | None:
        """Usable labels of events from ``start`` known now; None when they cannot be
        counted (no series to count on)."""

    def ready_at(self, start: datetime, needed: float) -> datetime | None:
        """When events from ``start`` will hold ``needed`` usable labels (now, if they do);
        None without an estimate."""


@dataclass(frozen=True)
class SeriesLabelSupply:
    """:class:`LabelSupply` from the metric series: the per-window counts of ``metric`` of
    matured windows (status ``ok``), summed over the versions that served each window.

    >>> from datetime import UTC
    >>> day = datetime(2026, 6, 1, tzinfo=UTC)
    >>> rows = [MetricRow("fraud", "positive_labels", day + timedelta(days=i),
    ...                   day + timedelta(days=i + 1), 2.0, "ok", model_version=1)
    ...         for i in range(10)]
    >>> supply = SeriesLabelSupply(rows, as_of=day + timedelta(days=70))
    >>> supply.since(day + timedelta(days=6)), supply.rate_per_day()
    (8.0, 2.0)
    >>> supply.ready_at(day + timedelta(days=6), 12).date()
    datetime.date(2026, 8, 12)
    """

    rows: Sequence[MetricRow]
    as_of: datetime
    metric: str = names.POSITIVE_LABELS
    unit: str = "positives"

    def _matured(self) -> dict[tuple[datetime, datetime], float]:
        counts: dict[tuple[datetime, datetime], float] = defaultdict(float)
        for row in self.rows:
            if (
                row.metric == self.metric
                and row.feature is None
                and row.status == MATURED
                and row.value is not None
                and row.window_end <= as_utc(self.as_of)
            ):
                counts[(as_utc(row.window_start), as_utc(row.window_end))] += float(row.value)
        return counts

    def since(self, start: datetime) -> float | None:
        """Matured labels of the windows starting at or after ``start``; None without any
        row of the series at all."""
        if not any(row.metric == self.metric for row in self.rows):
            return None
        moment = as_utc(start)
        return sum(count for (begin, _), count in self._matured().items() if begin >= moment)

    def rate_per_day(self) -> float:
        """Labels a day over the last :data:`RATE_SPAN` of matured windows (0 without any)."""
        windows = self._matured()
        if not windows:
            return 0.0
        latest = max(end for _, end in windows)
        recent = {key: count for key, count in windows.items() if key[1] > latest - RATE_SPAN}
        days = (latest - min(begin for begin, _ in recent)) / timedelta(days=1)
        return sum(recent.values()) / days if days > 0 else 0.0

    def ready_at(self, start: datetime, needed: float) -> datetime | None:
        """From the matured labels since ``start`` and the recent rate (None: no rate)."""
        have = self.since(start)
        if have is None:
            return None
        rate = self.rate_per_day()
        return ready_by_rate(needed - have, rate, as_utc(self.as_of))


def ready_by_rate(missing: float, rate_per_day: float, as_of: datetime) -> datetime | None:
    """``as_of`` plus the whole days ``missing`` labels take at ``rate_per_day`` (``as_of``
    when none is missing, None when nothing arrives).

    >>> from datetime import UTC
    >>> ready_by_rate(5, 2.0, datetime(2026, 6, 1, tzinfo=UTC)).date()
    datetime.date(2026, 6, 4)
    >>> ready_by_rate(5, 0.0, datetime(2026, 6, 1, tzinfo=UTC)) is None
    True
    """
    if missing <= 0:
        return as_of
    if rate_per_day <= 0:
        return None
    return as_of + timedelta(days=math.ceil(missing / rate_per_day - 1e-9))


def rate_ready_at(
    *, have: float, needed: float, count: float, span: timedelta, as_of: datetime
) -> datetime | None:
    """When ``needed`` labels exist, ``have`` being there now, at the rate of ``count``
    labels per ``span`` (a holdout's positives over its length)."""
    days = span / timedelta(days=1)
    rate = count / days if days > 0 else 0.0
    return ready_by_rate(needed - have, rate, as_utc(as_of))


def retry_moment(
    ready_at: datetime | None, *, as_of: datetime, earliest: timedelta, latest: timedelta
) -> datetime:
    """When the attempt after an undecided one at ``as_of`` may start whatever the labels
    counted by then: when the labels it lacked are expected (``ready_at``), not before
    ``earliest`` (the cooldown) and at the latest one ``latest`` (the maturity horizon) after
    it — by then every label of its holdout's events is final, so waiting longer on the
    count of matured labels would block the loop, not inform it.

    >>> from datetime import UTC
    >>> day = datetime(2026, 6, 1, tzinfo=UTC)
    >>> week, horizon = timedelta(days=7), timedelta(days=60)
    >>> retry_moment(None, as_of=day, earliest=week, latest=horizon).date()
    datetime.date(2026, 7, 31)
    >>> retry_moment(day + timedelta(days=20), as_of=day, earliest=week, latest=horizon).date()
    datetime.date(2026, 6, 21)
    >>> retry_moment(day, as_of=day, earliest=week, latest=horizon).date()
    datetime.date(2026, 6, 8)
    """
    moment = as_utc(as_of)
    latest_moment = moment + latest
    if ready_at is None:
        return latest_moment
    return min(max(as_utc(ready_at), moment + earliest), latest_moment)


@dataclass(frozen=True)
class LabelShortage:
    """Why an attempt could not decide: ``have`` of the ``needed`` labels (``unit``), and
    when there will be enough (None: no estimate), with the gate's or the check's words;
    ``retry_at``: when the next attempt may start at the latest (:func:`retry_moment`).

    ``window_holds``: the labels of the whole training window; a need beyond them is out of
    any holdout's reach at the window's length (for the gate: the two models score too alike
    to be told apart), and the reason says so.

    >>> from datetime import UTC
    >>> LabelShortage(20, 50, "positives", datetime(2026, 7, 3, tzinfo=UTC), "too few").reason
    'not enough matured positives until 2026-07-03 (the holdout holds 20, needs 50): too few'
    >>> LabelShortage(25, 9392, "positives", datetime(2038, 1, 28, tzinfo=UTC), "too close",
    ...               window_holds=310).reason  # doctest: +NORMALIZE_WHITESPACE
    'not enough matured positives until 2038-01-28 (the holdout holds 25, needs 9392, more
    than the whole training window holds: 310): too close'
    """

    have: float
    needed: float | None
    unit: str
    ready_at: datetime | None
    why: str
    retry_at: datetime | None = None
    window_holds: float | None = None

    @property
    def reason(self) -> str:
        """The attempt's reason: ``not enough matured <unit> until <date>``, and why."""
        until = (
            self.ready_at.date().isoformat()
            if self.ready_at is not None
            else "an unknown date (no rate to estimate from)"
        )
        needs = "more" if self.needed is None else f"{self.needed:g}"
        if self.out_of_reach:
            needs += f", more than the whole training window holds: {self.window_holds:g}"
        return (
            f"not enough matured {self.unit} until {until} (the holdout holds "
            f"{self.have:g}, needs {needs}): {self.why}"
        )

    @property
    def out_of_reach(self) -> bool:
        """Whether the need exceeds the labels of the whole training window."""
        return (
            self.needed is not None
            and self.window_holds is not None
            and self.needed > self.window_holds
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, for the attempt's evidence."""
        return {
            "have": self.have,
            "needed": self.needed,
            "unit": self.unit,
            "ready_at": None if self.ready_at is None else self.ready_at.isoformat(),
            "retry_at": None if self.retry_at is None else self.retry_at.isoformat(),
            "window_holds": self.window_holds,
            "out_of_reach": self.out_of_reach,
        }


__all__ = [
    "MATURED",
    "RATE_SPAN",
    "LabelShortage",
    "LabelSupply",
    "SeriesLabelSupply",
    "rate_ready_at",
    "ready_by_rate",
    "retry_moment",
]
