"""Late labels used as they arrive: the label-delay distribution and provisional weights.

A binary positive (a chargeback) arrives weeks after its event; a negative is certain only
once the maturity horizon ``H`` has passed without one. Waiting for every label to mature
means training on the world as it was ``H`` ago. Instead, an event younger than ``H`` can
train now, if what is still missing is corrected for:

- **The delay distribution.** ``F(a)`` is the share of an event's eventual positives — those
  received within ``H`` — that are received within age ``a``. It is learnt from the matured
  events (at least ``H`` old), for which every positive received within ``H`` is in: their
  delays (received minus event time) give the empirical distribution function directly, with
  no censoring to correct (:func:`estimate_label_delay`).
- **Weights.** As of ``as_of`` an event of age ``a`` has its positive known with probability
  ``F(a)`` when it is a positive. So a known positive counts ``1 / F(a)`` times: for any
  features ``x``, the expected weighted positive mass is ``p(x) F(a) / F(a) = p(x)``, the
  mass it will have once matured — unbiased. An event without a positive yet counts as a
  negative with weight 1 (:meth:`ProvisionalLabels.weights`).
- **The floor.** Only events with ``F(a) >= min_delay_share`` join (so weights are at most
  ``1 / min_delay_share``: the floor bounds the variance the weights add). Younger ones, whose
  labels say almost nothing yet, wait.

The residual bias. An event counted as a negative is a hidden positive with probability
``p(x)(1 - F(a))``, so the negative mass at ``x`` is ``1 - p(x) F(a)`` instead of
``1 - p(x)``: the weighted odds are ``p / (1 - p F)`` instead of ``p / (1 - p)``, and the
probability a model learns is low by a relative ``p(x) (1 - F(a))`` at most — under
``p(x) (1 - min_delay_share)``. For fraud, a rare positive (0.3 % of card traffic; 3.5 %
relative bias even in a segment at 5 % fraud with the 0.3 floor), that is far below the
noise of the estimate. Removing it needs either negative weights (a known positive entered
also as a negative of weight ``1 - 1/F``, which trainers refuse) or ``p(x)`` itself (a model
in the loop), so it is left in training, and stated. Measuring a model has no such limit:
the holdout's metrics, the threshold and the validation gate count a known positive of
weight ``w`` also as ``1 - w`` of a negative (:mod:`watchkeeper.modeling.label_mass`), which
removes the bias there, most of all on the high scores where decisions are made.

The assumptions, stated too: the delay does not depend on the features, and it is the same
for the young events as for the matured ones it was learnt from. With fewer than
``min_matured_positives`` matured positives, ``F`` is not trusted (at 100 positives the
Dvoretzky-Kiefer-Wolfowitz bound puts the whole curve within 0.14 of the truth with 95 %
confidence) and the window falls back to matured labels only, saying so.

>>> from datetime import UTC, datetime
>>> day = datetime(2026, 1, 1, tzinfo=UTC)
>>> delay = LabelDelay(timedelta(days=60), [timedelta(days=d) for d in (5, 10, 20, 40)])
>>> delay.share_received([timedelta(days=4), timedelta(days=10), timedelta(days=70)]).tolist()
[0.0, 0.5, 1.0]
>>> delay.youngest_age(0.3)  # the second delay: F reaches 0.5 >= 0.3 there
datetime.timedelta(days=10)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from watchkeeper.clock import as_utc
from watchkeeper.config import ProvisionalLabelsConfig, WorkspaceConfig
from watchkeeper.durations import format_duration

FloatArray = npt.NDArray[np.float64]
SECOND = timedelta(seconds=1)


def _seconds(values: Sequence[timedelta] | npt.ArrayLike) -> FloatArray:
    """Durations as seconds (float64): timedeltas, or numbers already in seconds."""
    items = list(values) if isinstance(values, Sequence) else values
    if isinstance(items, list) and items and isinstance(items[0], timedelta):
        return np.array([item / SECOND for item in items], dtype=np.float64)
    return np.asarray(items, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class LabelDelay:
    """The empirical distribution of the delays of positives received within ``horizon``.

    ``delays`` (timedeltas or seconds) are kept sorted, in seconds.

    >>> LabelDelay(timedelta(days=60), []).share_received([timedelta(days=1)]).tolist()
    [nan]
    """

    horizon: timedelta
    delays: FloatArray

    def __init__(self, horizon: timedelta, delays: Sequence[timedelta] | npt.ArrayLike) -> None:
        values = np.sort(_seconds(delays))
        if values.size and (values[0] < 0 or values[-1] > horizon / SECOND):
            raise ValueError("label delays must lie between zero and the maturity horizon")
        object.__setattr__(self, "horizon", horizon)
        object.__setattr__(self, "delays", values)

    @property
    def positives(self) -> int:
        """How many matured positives the distribution was learnt from."""
        return int(self.delays.size)

    def share_received(self, ages: Sequence[timedelta] | npt.ArrayLike) -> FloatArray:
        """``F(age)``: the share of positives received within each age (1 from the horizon
        on; NaN with no delay to learn from). Ages are timedeltas or seconds."""
        age_seconds = _seconds(ages)
        if self.delays.size == 0:
            return np.full(age_seconds.shape, np.nan)
        received = np.searchsorted(self.delays, age_seconds, side="right") / self.delays.size
        shares: FloatArray = np.where(age_seconds >= self.horizon / SECOND, 1.0, received)
        return shares

    def youngest_age(self, min_share: float) -> timedelta:
        """The least age at which ``F`` reaches ``min_share``: the ``ceil(min_share * n)``-th
        shortest delay (an event this old or older has ``F(age) >= min_share``).

        >>> LabelDelay(timedelta(days=60), [timedelta(days=d) for d in (1, 2, 3)]).youngest_age(1.0)
        datetime.timedelta(days=3)
        """
        if self.delays.size == 0:
            raise ValueError("no delay to learn from")
        rank = max(1, math.ceil(min_share * self.delays.size - 1e-9))
        return timedelta(seconds=float(self.delays[rank - 1]))

    def describe(self) -> dict[str, Any]:
        """The estimate in a few figures, JSON-ready, for lineage.

        >>> LabelDelay(timedelta(days=60), [timedelta(days=d) for d in (10, 20, 30, 40)]
        ...            ).describe()["share_received_by"]
        {'7d': 0.0, '14d': 0.25, '30d': 0.75, '45d': 1.0}
        """
        checkpoints = [days for days in (7, 14, 30, 45) if timedelta(days=days) < self.horizon]
        shares = self.share_received([timedelta(days=days) for days in checkpoints])
        median = float(np.median(self.delays)) if self.delays.size else None
        return {
            "matured_positives": self.positives,
            "median_delay": None if median is None else format_duration(median * SECOND),
            "share_received_by": {
                f"{days}d": None if math.isnan(share) else round(float(share), 4)
                for days, share in zip(checkpoints, shares, strict=True)
            },
        }


def positive_receipts(
    events: pl.DataFrame,
    outcomes: pl.DataFrame,
    *,
    as_of: datetime,
    positive_outcome: str = "chargeback",
    event_id: str = "event_id",
    event_time: str = "ts",
) -> pl.DataFrame:
    """Each event of ``events`` with a positive outcome received by ``as_of``: its event
    time (``event_time``) and when its first positive was received (``received_at``).

    >>> from datetime import UTC
    >>> day = datetime(2026, 1, 1, tzinfo=UTC)
    >>> events = pl.DataFrame({"event_id": ["a", "b"], "ts": [day, day]})
    >>> outcomes = pl.DataFrame({"event_id": ["a", "a", "b"], "outcome": ["chargeback"] * 3,
    ...     "received_at": [day + timedelta(days=d) for d in (9, 3, 50)]})
    >>> receipts = positive_receipts(events, outcomes, as_of=day + timedelta(days=10))
    >>> [(row["event_id"], (row["received_at"] - day).days) for row in receipts.iter_rows(named=True)]
    [('a', 3)]
    """
    first = (
        outcomes.lazy()
        .filter(
            (pl.col("outcome") == positive_outcome)
            & (pl.col("received_at") <= pl.lit(as_utc(as_of)))
        )
        .group_by(pl.col("event_id").alias(event_id))
        .agg(pl.col("received_at").min())
    )
    return (
        events.lazy()
        .select(event_id, event_time)
        .join(first, on=event_id, how="inner", maintain_order="left")
        .collect()
    )


def estimate_label_delay(
    events: pl.DataFrame,
    outcomes: pl.DataFrame,
    *,
    as_of: datetime,
    maturity_horizon: timedelta,
    since: datetime | None = None,
    positive_outcome: str = "chargeback",
    event_id: str = "event_id",
    event_time: str = "ts",
) -> LabelDelay:
    """``F`` learnt from the positives of the events matured by ``as_of`` (event time at or
    before ``as_of - maturity_horizon``, and at or after ``since`` when given): the delays of
    those whose first positive was received within the horizon.

    >>> from datetime import UTC
    >>> day = datetime(2026, 1, 1, tzinfo=UTC)
    >>> events = pl.DataFrame({"event_id": ["a", "b", "c", "d"],
    ...                        "ts": [day, day, day, day + timedelta(days=50)]})
    >>> outcomes = pl.DataFrame({"event_id": ["a", "b", "c", "d"], "outcome": ["chargeback"] * 4,
    ...     "received_at": [day + timedelta(days=d) for d in (12, 40, 75, 55)]})
    >>> found = estimate_label_delay(events, outcomes, as_of=day + timedelta(days=80),
    ...                              maturity_horizon=timedelta(days=60))
    >>> found.positives, [round(value / 86400) for value in found.delays]  # c: after 60 days
    (2, [12, 40])
    """
    moment = as_utc(as_of)
    time = pl.col(event_time)
    matured = events.filter(
        (time <= pl.lit(moment - maturity_horizon))
        & (pl.lit(True) if since is None else time >= pl.lit(as_utc(since)))
    )
    receipts = positive_receipts(
        matured,
        outcomes,
        as_of=moment,
        positive_outcome=positive_outcome,
        event_id=event_id,
        event_time=event_time,
    )
    delays = (
        receipts.select(delay=(pl.col("received_at") - time).dt.total_microseconds() / 1e6)
        .filter((pl.col("delay") >= 0) & (pl.col("delay") <= maturity_horizon / SECOND))
        .get_column("delay")
        .to_numpy()
    )
    return LabelDelay(maturity_horizon, delays)


@dataclass(frozen=True)
class ProvisionalLabels:
    """Whether events younger than the horizon join a training window, and their weights.

    ``youngest_age`` is the least age that joins (None: matured labels only, for the
    ``reason`` given); ``delay`` the estimate it rests on, when one was made.
    """

    min_delay_share: float
    youngest_age: timedelta | None
    reason: str
    delay: LabelDelay | None = None

    @property
    def active(self) -> bool:
        """Whether any event younger than the horizon may join."""
        return self.youngest_age is not None

    def weights(
        self, ages: Sequence[timedelta] | npt.ArrayLike, labels: npt.ArrayLike
    ) -> FloatArray:
        """Each provisional row's weight: ``1 / F(age)`` for a known positive, 1 otherwise.

        >>> delay = LabelDelay(timedelta(days=60), [timedelta(days=d) for d in (5, 10, 20, 40)])
        >>> plan = ProvisionalLabels(0.25, timedelta(days=5), "", delay)
        >>> plan.weights([timedelta(days=12), timedelta(days=12)], [1, 0]).tolist()
        [2.0, 1.0]
        """
        if self.delay is None or not self.active:
            raise ValueError("no provisional labels: matured labels only")
        positive = np.asarray(labels) == 1
        shares = self.delay.share_received(ages)
        with np.errstate(divide="ignore"):
            weights: FloatArray = np.where(positive, 1.0 / shares, 1.0)
        return weights

    def describe(self) -> dict[str, Any]:
        """What was decided and on what, JSON-ready, for lineage."""
        youngest, weight = None, None
        if self.youngest_age is not None and self.delay is not None:
            youngest = format_duration(self.youngest_age)
            weight = round(1.0 / float(self.delay.share_received([self.youngest_age])[0]), 4)
        found: dict[str, Any] = {
            "used": self.active,
            "min_delay_share": self.min_delay_share,
            "youngest_age": youngest,
            "max_weight": weight,
            "reason": self.reason,
        }
        if self.delay is not None:
            found["label_delay"] = self.delay.describe()
        return found


def plan_provisional_labels(
    delay: LabelDelay | None,
    settings: ProvisionalLabelsConfig | None,
    *,
    explicit_negatives: bool = False,
) -> ProvisionalLabels:
    """Decide from the estimate ``delay`` whether young events join, and from what age.

    ``settings`` None (or disabled), an ``explicit_negatives`` feed, or too few matured
    positives give matured labels only, with the reason.

    >>> few = LabelDelay(timedelta(days=60), [timedelta(days=30)] * 20)
    >>> plan_provisional_labels(few, ProvisionalLabelsConfig()).reason
    'matured labels only: 20 matured positive(s) to learn the label delay from, fewer than label.provisional.min_matured_positives (100)'
    """
    share = settings.min_delay_share if settings is not None else 1.0
    if settings is None or not settings.enabled:
        return ProvisionalLabels(share, None, "matured labels only: provisional labels are off")
    if explicit_negatives:
        return ProvisionalLabels(
            share,
            None,
            "matured labels only: with label.explicit_negatives a negative arrives as an "
            "outcome, so silence is not weighted by the positives' delay",
        )
    if delay is None or delay.positives < settings.min_matured_positives:
        count = 0 if delay is None else delay.positives
        return ProvisionalLabels(
            share,
            None,
            f"matured labels only: {count} matured positive(s) to learn the label delay from, "
            f"fewer than label.provisional.min_matured_positives "
            f"({settings.min_matured_positives})",
            delay,
        )
    youngest = delay.youngest_age(share)
    return ProvisionalLabels(
        share,
        youngest,
        f"events from {format_duration(youngest)} old join with provisional labels: by then "
        f"{float(delay.share_received([youngest])[0]):.0%} of positives are received "
        f"(label.provisional.min_delay_share {share:g})",
        delay,
    )


def learn_provisional_labels(
    events: pl.DataFrame,
    outcomes: pl.DataFrame,
    *,
    as_of: datetime,
    maturity_horizon: timedelta,
    since: datetime,
    settings: ProvisionalLabelsConfig | None,
    explicit_negatives: bool = False,
    positive_outcome: str = "chargeback",
    event_id: str = "event_id",
    event_time: str = "ts",
) -> ProvisionalLabels:
    """Learn the label delay from the events matured by ``as_of`` since ``since`` (when
    provisional labels are wanted at all) and decide from what age young events join."""
    delay = None
    if settings is not None and settings.enabled and not explicit_negatives:
        delay = estimate_label_delay(
            events,
            outcomes,
            as_of=as_of,
            maturity_horizon=maturity_horizon,
            since=since,
            positive_outcome=positive_outcome,
            event_id=event_id,
            event_time=event_time,
        )
    return plan_provisional_labels(delay, settings, explicit_negatives=explicit_negatives)


def labels_ready_at(
    events: pl.DataFrame,
    outcomes: pl.DataFrame,
    *,
    since: datetime,
    as_of: datetime,
    youngest_age: timedelta,
    min_positives: int,
    positive_outcome: str = "chargeback",
    event_id: str = "event_id",
    event_time: str = "ts",
    before_holdout: timedelta | None = None,
    sized_slices: int = 1,
) -> datetime | None:
    """When the traffic from ``since`` first held ``min_positives`` positives a training
    window could use (None if it does not yet, as of ``as_of``).

    A positive of an event at ``t`` is usable from ``max(received, t + youngest_age)``: once
    received, and once its event is old enough to join (``youngest_age`` from
    :attr:`ProvisionalLabels.youngest_age`, or the maturity horizon for matured labels
    only). After a drift begins at ``since``, this says when a holdout of post-drift
    positives exists.

    With ``before_holdout`` (the least spans of the slices after the training slice: the
    holdout's and the validation slice's) the traffic must also give the *training* slice
    ``min_positives`` of them: ``(sized_slices + 1) * min_positives`` usable in all
    (``sized_slices``: the slices grown back until they hold ``min_positives``), and
    ``min_positives`` of events at least ``youngest_age + before_holdout`` old (usable from
    ``max(received, t + youngest_age + before_holdout)``). A slice sized by its positives
    takes ``min_positives`` at most beyond its span, so the training slice keeps the rest: a
    model that has seen the new traffic, judged on new traffic it has not seen.

    >>> from datetime import UTC
    >>> day = datetime(2026, 1, 1, tzinfo=UTC)
    >>> events = pl.DataFrame({"event_id": ["a", "b", "c"],
    ...                        "ts": [day, day + timedelta(days=1), day + timedelta(days=2)]})
    >>> outcomes = pl.DataFrame({"event_id": ["a", "b", "c"], "outcome": ["chargeback"] * 3,
    ...     "received_at": [day + timedelta(days=d) for d in (40, 10, 15)]})
    >>> ready = labels_ready_at(events, outcomes, since=day, as_of=day + timedelta(days=90),
    ...     youngest_age=timedelta(days=20), min_positives=2)
    >>> ready.date().isoformat()  # b usable on day 21, c on day 22
    '2026-01-23'
    """
    moment = as_utc(as_of)
    recent = events.filter(pl.col(event_time) >= pl.lit(as_utc(since)))
    receipts = positive_receipts(
        recent,
        outcomes,
        as_of=moment,
        positive_outcome=positive_outcome,
        event_id=event_id,
        event_time=event_time,
    )

    def nth_usable(age: timedelta, nth: int) -> datetime | None:
        return _nth_usable(receipts, event_time, age, moment, nth)

    return ready_moment(nth_usable, youngest_age, min_positives, before_holdout, sized_slices)


def readiness_rule(config: WorkspaceConfig, plan: ProvisionalLabels) -> dict[str, Any]:
    """The arguments of :func:`labels_ready_at` a workspace's training window sets: the
    youngest age it admits (``plan``'s, else the maturity horizon), its
    ``retraining.min_positives``, positive outcome and keys, and the least spans of the
    holdout and the validation slice (the two slices sized by positives)."""
    horizon = config.label.maturity_horizon
    return {
        "youngest_age": plan.youngest_age if plan.youngest_age is not None else horizon,
        "min_positives": config.retraining.min_positives,
        "positive_outcome": config.label.positive_outcome,
        "event_id": config.keys.event_id,
        "event_time": config.keys.event_time,
        "before_holdout": config.training.holdout + config.training.validation,
        "sized_slices": 2,  # the holdout and the validation slice
    }


def ready_moment(
    nth_usable: Callable[[timedelta, int], datetime | None],
    youngest_age: timedelta,
    min_positives: int,
    before_holdout: timedelta | None,
    sized_slices: int,
) -> datetime | None:
    """:func:`labels_ready_at`'s rule over ``nth_usable(age, n)``: when the ``n``-th positive
    of events at least ``age`` old became usable (None: not yet), however it is computed.

    >>> day = datetime(2026, 1, 1)
    >>> ready_moment(lambda age, n: day + timedelta(days=n), timedelta(0), 2, timedelta(1), 2)
    datetime.datetime(2026, 1, 7, 0, 0)
    """
    ready = nth_usable(youngest_age, min_positives)
    if ready is None or before_holdout is None:
        return ready
    total = nth_usable(youngest_age, (sized_slices + 1) * min_positives)
    trained = nth_usable(youngest_age + before_holdout, min_positives)
    return None if total is None or trained is None else max(total, trained)


def _nth_usable(
    receipts: pl.DataFrame, event_time: str, age: timedelta, moment: datetime, nth: int
) -> datetime | None:
    """When the ``nth`` positive of ``receipts`` became usable — received, and its event at
    least ``age`` old — by ``moment`` (None: fewer by then)."""
    usable = (
        receipts.select(
            usable=pl.max_horizontal(pl.col("received_at"), pl.col(event_time) + pl.lit(age))
        )
        .filter(pl.col("usable") <= pl.lit(moment))
        .get_column("usable")
        .sort()
    )
    if nth < 1 or usable.len() < nth:
        return None
    found = usable[nth - 1]
    return as_utc(found) if isinstance(found, datetime) else None


__all__ = [
    "LabelDelay",
    "ProvisionalLabels",
    "estimate_label_delay",
    "labels_ready_at",
    "learn_provisional_labels",
    "plan_provisional_labels",
    "positive_receipts",
    "readiness_rule",
    "ready_moment",
]
