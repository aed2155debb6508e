"""Label maturity: turning late, one-sided outcomes into labels, honestly.

A fraud label arrives only for fraud (a chargeback), weeks after the transaction. So, as of a
moment ``as_of``, an event is

- ``positive`` once a positive outcome for it has been *received* by ``as_of``;
- ``negative`` once the maturity horizon has passed since the event without one;
- ``pending`` otherwise: unknown, and never to be counted as a negative — that would make
  recent windows look better than they are and teach a retrained model that recent fraud
  is legitimate.

A feed of explicit 0/1 labels (``explicit_negatives``) also says "negative" out loud: then the
latest outcome received by ``as_of`` decides at once, so a negative one received after a
positive clears it, and silence still waits for the horizon.

>>> from datetime import UTC, datetime, timedelta
>>> events = pl.DataFrame({"event_id": ["a", "b", "c"], "ts": [
...     datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC),
...     datetime(2026, 3, 2, tzinfo=UTC)]})
>>> outcomes = pl.DataFrame({"event_id": ["c"], "outcome": ["chargeback"],
...     "received_at": [datetime(2026, 3, 20, tzinfo=UTC)]})
>>> labelled = attach_labels(events, outcomes, as_of=datetime(2026, 3, 25, tzinfo=UTC),
...                          maturity_horizon=timedelta(days=60))
>>> labelled.select("event_id", "label_status", "label").rows()
[('a', 'negative', 0), ('b', 'pending', None), ('c', 'positive', 1)]
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import polars as pl

from watchkeeper.clock import as_utc

POSITIVE = "positive"
NEGATIVE = "negative"
PENDING = "pending"
PROVISIONAL = "provisional"
"""A binary training row younger than the horizon, labelled by what was received so far and
weighted for the positives still to come (:mod:`watchkeeper.training.label_delay`)."""


def attach_labels(
    events: pl.DataFrame,
    outcomes: pl.DataFrame,
    as_of: datetime,
    maturity_horizon: timedelta,
    positive_outcome: str = "chargeback",
    event_id: str = "event_id",
    event_time: str = "ts",
    *,
    explicit_negatives: bool = False,
    negative_outcomes: Sequence[str] = (),
) -> pl.DataFrame:
    """Add ``label_status`` (positive / negative / pending) and ``label`` (1, 0 or null).

    Only outcomes received at or before ``as_of`` count, so the same call replayed at an
    earlier moment sees exactly what was known then. ``outcomes`` needs ``event_id``,
    ``outcome`` and ``received_at``; it may hold one row per event or many.

    With ``explicit_negatives``, the latest outcome received by ``as_of`` among
    ``positive_outcome`` and ``negative_outcomes`` decides (ties on ``received_at``: the
    later row): one of ``negative_outcomes`` labels the event negative before the horizon.

    >>> from datetime import UTC
    >>> day = datetime(2026, 3, 1, tzinfo=UTC)
    >>> feed = pl.DataFrame({"event_id": ["a", "a"], "outcome": ["1", "0"],
    ...                      "received_at": [day, day + timedelta(days=2)]})
    >>> events = pl.DataFrame({"event_id": ["a"], "ts": [day]})
    >>> [attach_labels(events, feed, day + timedelta(days=d), timedelta(days=60), "1",
    ...                explicit_negatives=True, negative_outcomes=["0"])["label"][0]
    ...  for d in (1, 3)]
    [1, 0]
    """
    if maturity_horizon <= timedelta(0):
        raise ValueError(f"maturity_horizon {maturity_horizon} must be positive")
    moment = as_utc(as_of)
    received = outcomes.lazy().filter(pl.col("received_at") <= pl.lit(moment))
    if explicit_negatives:
        known = latest_outcomes(
            received.filter(pl.col("outcome").is_in([positive_outcome, *negative_outcomes]))
        ).select(
            pl.col("event_id").alias(event_id),
            _known_positive=pl.col("outcome") == positive_outcome,
            _known_negative=pl.col("outcome") != positive_outcome,
        )
    else:
        known = (
            received.filter(pl.col("outcome") == positive_outcome)
            .select(pl.col("event_id").alias(event_id))
            .unique()
            .with_columns(_known_positive=pl.lit(True), _known_negative=pl.lit(False))
        )
    matured = pl.col(event_time) + pl.lit(maturity_horizon) <= pl.lit(moment)
    return (
        events.lazy()
        .join(known, on=event_id, how="left", maintain_order="left")
        .with_columns(
            label_status=pl.when(pl.col("_known_positive").fill_null(False))
            .then(pl.lit(POSITIVE))
            .when(matured | pl.col("_known_negative").fill_null(False))
            .then(pl.lit(NEGATIVE))
            .otherwise(pl.lit(PENDING))
        )
        .with_columns(
            label=pl.when(pl.col("label_status") == POSITIVE)
            .then(pl.lit(1, dtype=pl.Int8))
            .when(pl.col("label_status") == NEGATIVE)
            .then(pl.lit(0, dtype=pl.Int8))
            .otherwise(pl.lit(None, dtype=pl.Int8))
        )
        .drop("_known_positive", "_known_negative")
        .collect()
    )


def latest_outcomes(received: pl.LazyFrame) -> pl.LazyFrame:
    """One row per ``event_id``: its latest outcome by ``received_at`` (ties: the later row).

    >>> from datetime import UTC
    >>> day = datetime(2026, 3, 1, tzinfo=UTC)
    >>> rows = pl.DataFrame({"event_id": ["a", "a", "b"], "outcome": ["x", "y", "z"],
    ...                      "received_at": [day, day, day - timedelta(days=1)]})
    >>> latest_outcomes(rows.lazy()).collect().sort("event_id")["outcome"].to_list()
    ['y', 'z']
    """
    return received.sort("received_at", maintain_order=True).unique(
        subset=["event_id"], keep="last", maintain_order=True
    )


def maturity_cutoff(as_of: datetime, maturity_horizon: timedelta) -> datetime:
    """The latest event time whose label is final as of ``as_of``: ``as_of - horizon``.

    Training sets and mature windows take only events at or before it.

    >>> from datetime import UTC
    >>> maturity_cutoff(datetime(2026, 6, 1, tzinfo=UTC), timedelta(days=60)).date()
    datetime.date(2026, 4, 2)
    """
    return as_utc(as_of) - maturity_horizon


def is_window_mature(window_end: datetime, as_of: datetime, maturity_horizon: timedelta) -> bool:
    """True when every event of a window ending at ``window_end`` has a final label.

    >>> from datetime import UTC
    >>> is_window_mature(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 30, tzinfo=UTC),
    ...                  timedelta(days=60))
    True
    """
    return as_utc(window_end) <= maturity_cutoff(as_of, maturity_horizon)


__all__ = [
    "NEGATIVE",
    "PENDING",
    "POSITIVE",
    "PROVISIONAL",
    "attach_labels",
    "is_window_mature",
    "latest_outcomes",
    "maturity_cutoff",
]
