"""Label maturity: turning late, one-sided outcomes into labels, honestly.

A fraud label arrives only for fraud (a chargeback), weeks after the transaction. So, as of a
moment ``as_of``, an event is

- ``positive`` once a positive outcome for it has been *received* by ``as_of``;
- ``negative`` once the maturity horizon has passed since the event without one;
- ``pending`` otherwise: unknown, and never to be counted as a negative — that would make
  recent windows look better than they are and teach a retrained model that recent fraud
  is legitimate.

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

from datetime import datetime, timedelta

import polars as pl

from watchkeeper.clock import as_utc

POSITIVE = "positive"
NEGATIVE = "negative"
PENDING = "pending"


def attach_labels(
    events: pl.DataFrame,
    outcomes: pl.DataFrame,
    as_of: datetime,
    maturity_horizon: timedelta,
    positive_outcome: str = "chargeback",
    event_id: str = "event_id",
    event_time: str = "ts",
) -> pl.DataFrame:
    """Add ``label_status`` (positive / negative / pending) and ``label`` (1, 0 or null).

    Only outcomes received at or before ``as_of`` count, so the same call replayed at an
    earlier moment sees exactly what was known then. ``outcomes`` needs ``event_id``,
    ``outcome`` and ``received_at``; it may hold one row per event or many.
    """
    if maturity_horizon <= timedelta(0):
        raise ValueError(f"maturity_horizon {maturity_horizon} must be positive")
    moment = as_utc(as_of)
    known_positive = (
        outcomes.lazy()
        .filter((pl.col("outcome") == positive_outcome) & (pl.col("received_at") <= pl.lit(moment)))
        .select(pl.col("event_id").alias(event_id))
        .unique()
        .with_columns(_known_positive=pl.lit(True))
    )
    matured = pl.col(event_time) + pl.lit(maturity_horizon) <= pl.lit(moment)
    return (
        events.lazy()
        .join(known_positive, on=event_id, how="left", maintain_order="left")
        .with_columns(
            label_status=pl.when(pl.col("_known_positive").fill_null(False))
            .then(pl.lit(POSITIVE))
            .when(matured)
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
        .drop("_known_positive")
        .collect()
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
    "attach_labels",
    "is_window_mature",
    "maturity_cutoff",
]
