"""The training window: the most recent stretch of events whose labels are final.

As of a moment ``as_of`` a label is final only for events at or before the *maturity
cut-off*, ``as_of - maturity_horizon`` (:func:`watchkeeper.monitoring.labels.maturity_cutoff`):
those are positive if their chargeback was received by ``as_of``, negative otherwise. Newer
events are left out entirely — their negatives are still pending, and keeping only their
positives would make the newest days look fraudulent; counting them as negatives would
teach the model that recent fraud is legitimate. So no pending label ever enters training.

For a multiclass or regression model (``task`` with the workspace's ``label`` section), the
label is the class or number of the latest outcome received by ``as_of``
(:func:`~watchkeeper.monitoring.task_labels.attach_task_labels`); silence means nothing there,
so a matured event without an outcome is left out (and counted in ``unlabelled``).

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
from watchkeeper.config import LabelConfig, ModelTask
from watchkeeper.durations import format_duration
from watchkeeper.errors import TrainingDataError
from watchkeeper.monitoring.labels import PENDING, attach_labels, maturity_cutoff
from watchkeeper.monitoring.task_labels import attach_task_labels


@dataclass(frozen=True)
class TrainingWindow:
    """The labelled slices of one training window and the moments that bound them.

    Each frame holds the events' columns plus ``label_status`` and ``label``: 0 or 1
    (binary), a class name (multiclass) or a number (regression). ``unlabelled`` counts the
    matured events of a multiclass or regression window left out for want of an outcome.
    """

    as_of: datetime
    cutoff: datetime
    start: datetime
    validation_start: datetime
    holdout_start: datetime
    train: pl.DataFrame
    validation: pl.DataFrame
    holdout: pl.DataFrame
    task: ModelTask = "binary"
    unlabelled: int = 0

    def counts(self) -> dict[str, dict[str, Any]]:
        """Rows of each slice, and its positives (binary) or rows per class (multiclass)."""
        slices = (("train", self.train), ("validation", self.validation), ("holdout", self.holdout))
        if self.task == "binary":
            return {
                name: {"rows": frame.height, "positives": int(frame["label"].sum() or 0)}
                for name, frame in slices
            }
        if self.task == "multiclass":
            return {
                name: {
                    "rows": frame.height,
                    "classes": dict(frame["label"].value_counts(sort=True).iter_rows()),
                }
                for name, frame in slices
            }
        return {name: {"rows": frame.height} for name, frame in slices}

    def describe(self) -> dict[str, Any]:
        """The window's bounds and counts, JSON-ready, for lineage."""
        return {
            "as_of": self.as_of.isoformat(),
            "maturity_cutoff": self.cutoff.isoformat(),
            "start": self.start.isoformat(),
            "validation_start": self.validation_start.isoformat(),
            "holdout_start": self.holdout_start.isoformat(),
            "slices": self.counts(),
        } | ({} if self.task == "binary" else {"task": self.task, "unlabelled": self.unlabelled})


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
    task: ModelTask = "binary",
    label: LabelConfig | None = None,
) -> TrainingWindow:
    """Select and label the matured events of the window ending at the maturity cut-off.

    ``outcomes`` needs ``event_id``, ``outcome`` and ``received_at``. Raises
    :class:`TrainingDataError` when no outcome at all was received by ``as_of`` (missing
    outcome data: silence would read as "no fraud") or when the window holds no event.

    ``label`` (the workspace's ``label`` section) labels by ``task`` through
    :func:`~watchkeeper.monitoring.task_labels.attach_task_labels` (binary: with its
    ``explicit_negatives``); without it, a binary window is labelled by ``positive_outcome``.
    A multiclass or regression model needs ``label``.
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
    if label is not None:
        labelled = attach_task_labels(
            in_window, outcomes, moment, label, task, event_id, event_time
        )
    elif task == "binary":
        labelled = attach_labels(
            in_window,
            outcomes,
            as_of=moment,
            maturity_horizon=maturity_horizon,
            positive_outcome=positive_outcome,
            event_id=event_id,
            event_time=event_time,
        )
    else:
        raise TrainingDataError(f"a {task} training window needs the workspace's label section")
    labelled = labelled.sort(event_time, maintain_order=True)
    pending = labelled.filter(pl.col("label_status") == PENDING).height
    unlabelled = 0
    if task != "binary":
        # no outcome, no label: silence says nothing about a class or a number
        unlabelled, labelled = pending, labelled.filter(pl.col("label_status") != PENDING)
        if labelled.height == 0:
            raise TrainingDataError(
                f"none of the {pending} matured event(s) between {start.isoformat()} and "
                f"{cutoff.isoformat()} has an outcome received by {moment.isoformat()}"
            )
    elif pending:  # impossible by construction; refuse rather than train on guesses
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
        task=task,
        unlabelled=unlabelled,
    )


__all__ = ["TrainingWindow", "training_window"]
