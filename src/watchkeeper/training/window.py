"""The training window: the most recent stretch of events whose labels are final.

As of a moment ``as_of`` a label is final only for events at or before the *maturity
cut-off*, ``as_of - maturity_horizon`` (:func:`watchkeeper.monitoring.labels.maturity_cutoff`):
those are positive if their chargeback was received by ``as_of``, negative otherwise. Newer
events are left out entirely — their negatives are still pending, and keeping only their
positives would make the newest days look fraudulent; counting them as negatives would
teach the model that recent fraud is legitimate. So no pending label ever enters training.

The window is ``[cutoff - window, cutoff]``, split by event time into three consecutive
slices: training rows, then the ``validation`` slice (where the decision threshold is
chosen), then the ``holdout`` — the most recent matured slice — where champion and
challenger are compared.

>>> from datetime import UTC, datetime, timedelta
>>> day = datetime(2026, 1, 1, tzinfo=UTC)
>>> events = pl.DataFrame({"event_id": [f"e{i}" for i in range(100)],
...                        "ts": [day + timedelta(days=i) for i in range(100)]})
>>> outcomes = pl.DataFrame({"event_id": ["e20", "e65", "e95"], "outcome": ["chargeback"] * 3,
...                          "received_at": [day + timedelta(days=97)] * 3})
>>> found = training_window(events, outcomes, as_of=day + timedelta(days=99),
...                         maturity_horizon=timedelta(days=30), window=timedelta(days=60),
...                         validation=timedelta(days=10), holdout=timedelta(days=10))
>>> found.cutoff.date(), found.start.date()
(datetime.date(2026, 3, 11), datetime.date(2026, 1, 10))
>>> found.counts()  # e95 is newer than the cut-off: left out, though its chargeback is known
{'train': {'rows': 40, 'positives': 1}, 'validation': {'rows': 10, 'positives': 0}, 'holdout': {'rows': 11, 'positives': 1}}
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from watchkeeper.clock import as_utc
from watchkeeper.durations import format_duration
from watchkeeper.errors import TrainingDataError
from watchkeeper.monitoring.labels import PENDING, attach_labels, maturity_cutoff


@dataclass(frozen=True)
class TrainingWindow:
    """The labelled slices of one training window and the moments that bound them.

    Each frame holds the events' columns plus ``label_status`` and ``label`` (0 or 1).
    """

    as_of: datetime
    cutoff: datetime
    start: datetime
    validation_start: datetime
    holdout_start: datetime
    train: pl.DataFrame
    validation: pl.DataFrame
    holdout: pl.DataFrame

    def counts(self) -> dict[str, dict[str, int]]:
        """Rows and positives of each slice."""
        return {
            name: {"rows": frame.height, "positives": int(frame["label"].sum() or 0)}
            for name, frame in (
                ("train", self.train),
                ("validation", self.validation),
                ("holdout", self.holdout),
            )
        }

    def describe(self) -> dict[str, Any]:
        """The window's bounds and counts, JSON-ready, for lineage."""
        return {
            "as_of": self.as_of.isoformat(),
            "maturity_cutoff": self.cutoff.isoformat(),
            "start": self.start.isoformat(),
            "validation_start": self.validation_start.isoformat(),
            "holdout_start": self.holdout_start.isoformat(),
            "slices": self.counts(),
        }


def training_window(
    events: pl.DataFrame,
    outcomes: pl.DataFrame,
    *,
    as_of: datetime,
    maturity_horizon: timedelta,
    window: timedelta,
    validation: timedelta,
    holdout: timedelta,
    positive_outcome: str = "chargeback",
    event_id: str = "event_id",
    event_time: str = "ts",
) -> TrainingWindow:
    """Select and label the matured events of the window ending at the maturity cut-off.

    ``outcomes`` needs ``event_id``, ``outcome`` and ``received_at``. Raises
    :class:`TrainingDataError` when no outcome at all was received by ``as_of`` (missing
    outcome data: silence would read as "no fraud") or when the window holds no event.
    """
    if validation + holdout >= window:
        raise TrainingDataError(
            f"validation ({format_duration(validation)}) plus holdout "
            f"({format_duration(holdout)}) leave nothing of the window "
            f"({format_duration(window)}) to train on"
        )
    moment = as_utc(as_of)
    cutoff = maturity_cutoff(moment, maturity_horizon)
    start = cutoff - window
    holdout_start = cutoff - holdout
    validation_start = holdout_start - validation
    received = outcomes.filter(pl.col("received_at") <= pl.lit(moment)).height
    if received == 0:
        raise TrainingDataError(
            f"missing outcome data: no outcome was received by {moment.isoformat()}, so "
            "fraud cannot be told from silence; load the outcomes table first"
        )
    in_window = events.filter(pl.col(event_time).is_between(start, cutoff, closed="both"))
    if in_window.height == 0:
        raise TrainingDataError(
            f"no event between {start.isoformat()} and the maturity cut-off "
            f"{cutoff.isoformat()} (as of {moment.isoformat()})"
        )
    labelled = attach_labels(
        in_window,
        outcomes,
        as_of=moment,
        maturity_horizon=maturity_horizon,
        positive_outcome=positive_outcome,
        event_id=event_id,
        event_time=event_time,
    ).sort(event_time, maintain_order=True)
    pending = labelled.filter(pl.col("label_status") == PENDING).height
    if pending:  # impossible by construction; refuse rather than train on guesses
        raise TrainingDataError(f"{pending} pending label(s) inside the matured window")
    time = pl.col(event_time)
    return TrainingWindow(
        as_of=moment,
        cutoff=cutoff,
        start=start,
        validation_start=validation_start,
        holdout_start=holdout_start,
        train=labelled.filter(time < validation_start),
        validation=labelled.filter((time >= validation_start) & (time < holdout_start)),
        holdout=labelled.filter(time >= holdout_start),
    )


__all__ = ["TrainingWindow", "training_window"]
