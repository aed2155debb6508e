"""The training window: the most recent stretch of labelled events, and its three slices.

As of a moment ``as_of`` a label is final only for events at or before the *maturity
cut-off*, ``as_of - maturity_horizon`` (:func:`watchkeeper.monitoring.outcomes.labels.maturity_cutoff`):
those are positive if their chargeback was received by ``as_of``, negative otherwise.

A binary window also takes younger events with **provisional labels**
(``label.provisional``, :mod:`watchkeeper.training.label_delay`): from the positives of the
events matured in the ``window`` before the cut-off it learns ``F(a)``, the share of
positives received by age ``a`` (of those received within the horizon), and an event of
age ``a`` joins once ``F(a)`` reaches ``min_delay_share`` — a known positive weighing
``1 / F(a)``, an event without one a negative weighing 1. Their ``label_status`` is
``provisional``; every row has a ``weight`` (1.0 for matured rows). With too few matured
positives to learn ``F`` (or provisional labels off), no pending label enters: newer events
are left out entirely, since counting them as negatives would teach the model that recent
fraud is legitimate. The window then ends at the youngest event admitted (the cut-off,
without provisional labels) and spans ``window`` back from there.

For a multiclass or regression model (``task`` with the workspace's ``label`` section), the
label is the class or number of the latest outcome received by ``as_of``
(:func:`~watchkeeper.monitoring.outcomes.task_labels.attach_task_labels`); silence means nothing there,
so a matured event without an outcome is left out (and counted in ``unlabelled``), and no
provisional label is used.

The window is split by event time into three consecutive slices: training rows, then the
``validation`` slice (where the decision threshold is chosen), then the ``holdout`` — the
most recent slice — where champion and challenger are compared. With ``min_positives`` (the
gate's ``retraining.min_positives``) the holdout is sized by its positives: the most recent
stretch holding that many known positives, and at least ``holdout`` long; the validation
slice before it likewise, at least ``validation`` long. Neither grows so far that the
training slice keeps less than half the window (or than ``window - validation - holdout``,
when that is shorter). A provisional positive counts once here, not by its weight: it is one
observed positive, whatever the mass it stands for.

With ``sample`` (``training.sample``: :mod:`watchkeeper.training.window_sample`) the
training slice keeps a deterministic fraction of its entities, each with all its rows; the
slices' bounds are those of the whole window, and the validation slice and holdout stay
whole. :func:`~watchkeeper.training.spark_window.spark_training_window` computes the same
window on Spark.

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
>>> {name: counts["positives"] for name, counts in found.counts().items()}
{'train': 1, 'validation': 0, 'holdout': 1}
>>> found.holdout.height, found.holdout["weight"].sum()  # e95 is too young: left out
(11, 11.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from watchkeeper.clock import as_utc
from watchkeeper.config import LabelConfig, ModelTask, ProvisionalLabelsConfig
from watchkeeper.durations import format_duration
from watchkeeper.errors import TrainingDataError
from watchkeeper.monitoring.outcomes.labels import (
    PENDING,
    PROVISIONAL,
    attach_labels,
    maturity_cutoff,
)
from watchkeeper.monitoring.outcomes.task_labels import attach_task_labels
from watchkeeper.training.label_delay import ProvisionalLabels, learn_provisional_labels
from watchkeeper.training.window_sample import EntitySample

WEIGHT = "weight"
"""The column of a binary window's sample weights (1.0 for a matured label)."""


@dataclass(frozen=True)
class TrainingWindow:
    """The labelled slices of one training window and the moments that bound them.

    Each frame holds the events' columns plus ``label_status`` and ``label``: 0 or 1
    (binary), a class name (multiclass) or a number (regression); a binary frame also has
    ``weight``. ``unlabelled`` counts the matured events of a multiclass or regression window
    left out for want of an outcome. ``end`` is the youngest event time admitted (None: the
    cut-off), ``provisional`` what was decided about provisional labels (binary) and
    ``sample`` how the training slice was sampled (None: whole).
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
    end: datetime | None = None
    provisional: ProvisionalLabels | None = None
    sample: dict[str, Any] | None = None

    @property
    def window_end(self) -> datetime:
        """The latest event time the window may hold."""
        return self.cutoff if self.end is None else self.end

    def counts(self) -> dict[str, dict[str, Any]]:
        """Rows of each slice, and its positives (binary: with its provisional rows and
        positives, and the positives' weight) or rows per class (multiclass)."""
        slices = (("train", self.train), ("validation", self.validation), ("holdout", self.holdout))
        if self.task == "binary":
            return {name: _binary_counts(frame) for name, frame in slices}
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
        found: dict[str, Any] = {
            "as_of": self.as_of.isoformat(),
            "maturity_cutoff": self.cutoff.isoformat(),
            "start": self.start.isoformat(),
            "end": self.window_end.isoformat(),
            "validation_start": self.validation_start.isoformat(),
            "holdout_start": self.holdout_start.isoformat(),
            "slices": self.counts(),
        }
        if self.provisional is not None:
            found["provisional_labels"] = self.provisional.describe()
        if self.sample is not None:
            found["sample"] = self.sample
        if self.task != "binary":
            found |= {"task": self.task, "unlabelled": self.unlabelled}
        return found


def _binary_counts(frame: pl.DataFrame) -> dict[str, Any]:
    provisional = pl.col("label_status") == PROVISIONAL
    weight = pl.col(WEIGHT) if WEIGHT in frame.columns else pl.lit(1.0)
    row = frame.select(
        positives=pl.col("label").sum(),
        provisional_rows=provisional.sum(),
        provisional_positives=(provisional & (pl.col("label") == 1)).sum(),
        weighted_positives=(weight * pl.col("label")).sum(),
    ).row(0, named=True)
    return {
        "rows": frame.height,
        "positives": int(row["positives"] or 0),
        "provisional_rows": int(row["provisional_rows"] or 0),
        "provisional_positives": int(row["provisional_positives"] or 0),
        "weighted_positives": round(float(row["weighted_positives"] or 0.0), 4),
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
    task: ModelTask = "binary",
    label: LabelConfig | None = None,
    provisional: ProvisionalLabelsConfig | None = None,
    min_positives: int = 0,
    sample: EntitySample | None = None,
) -> TrainingWindow:
    """Select, label and slice the events of the window (see the module's notes).

    ``outcomes`` needs ``event_id``, ``outcome`` and ``received_at``. Raises
    :class:`TrainingDataError` when no outcome at all was received by ``as_of`` (missing
    outcome data: silence would read as "no fraud") or when the window holds no event.

    ``label`` (the workspace's ``label`` section) labels by ``task`` through
    :func:`~watchkeeper.monitoring.outcomes.task_labels.attach_task_labels` (binary: with its
    ``explicit_negatives``); without it, a binary window is labelled by ``positive_outcome``.
    A multiclass or regression model needs ``label``. ``provisional`` (binary) lets younger
    events join with weighted labels; None keeps matured labels only. ``min_positives`` sizes
    the holdout and the validation slice by their known positives (0: by days only).
    ``sample`` samples the training slice by entity (None: all its rows).
    """
    check_slices(window, validation, holdout)
    moment = as_utc(as_of)
    cutoff = maturity_cutoff(moment, maturity_horizon)
    received = outcomes.filter(pl.col("received_at") <= pl.lit(moment)).height
    if received == 0:
        raise no_outcome_error(moment)
    plan = None
    if task == "binary":
        plan = learn_provisional_labels(
            events,
            outcomes,
            as_of=moment,
            maturity_horizon=maturity_horizon,
            since=cutoff - window,
            settings=provisional,
            explicit_negatives=label is not None and label.explicit_negatives,
            positive_outcome=label.positive_outcome if label is not None else positive_outcome,
            event_id=event_id,
            event_time=event_time,
        )
    end = cutoff
    if plan is not None and plan.youngest_age is not None:
        end = max(cutoff, moment - plan.youngest_age)
    start = end - window
    in_window = events.filter(pl.col(event_time).is_between(start, end, closed="both"))
    if in_window.height == 0:
        raise empty_window_error(start, end, moment, cutoff)
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
    if plan is not None and plan.active:
        labelled = with_provisional_weights(
            _provisional(labelled, cutoff, event_time), plan, moment, cutoff, event_time
        )
    pending = labelled.filter(pl.col("label_status") == PENDING).height
    unlabelled = 0
    if task != "binary":
        # no outcome, no label: silence says nothing about a class or a number
        unlabelled, labelled = pending, labelled.filter(pl.col("label_status") != PENDING)
        check_labelled(labelled.height, pending, start, cutoff, moment)
    else:
        check_labelled(labelled.height, pending, start, cutoff, moment, binary=True)
        if WEIGHT not in labelled.columns:
            labelled = labelled.with_columns(pl.lit(1.0, dtype=pl.Float64).alias(WEIGHT))
    bounds = WindowBounds(moment, cutoff, start, end, window, validation, holdout)
    positives = _positive_times(labelled, event_time) if task == "binary" else []
    return sliced_window(
        labelled,
        bounds,
        bounds.slice_starts(positives, min_positives),
        event_time=event_time,
        task=task,
        unlabelled=unlabelled,
        plan=plan,
        sample=sample,
    )


@dataclass(frozen=True)
class WindowBounds:
    """The moments and spans a window is cut by: as-of, maturity cut-off, the window's first
    and last admitted event times, and the three spans of the training configuration."""

    as_of: datetime
    cutoff: datetime
    start: datetime
    end: datetime
    window: timedelta
    validation: timedelta
    holdout: timedelta

    def slice_starts(
        self, positive_times: list[datetime], min_positives: int
    ) -> tuple[datetime, datetime]:
        """Where the validation slice and the holdout begin (:func:`slice_starts`)."""
        return slice_starts(
            positive_times,
            start=self.start,
            end=self.end,
            window=self.window,
            validation=self.validation,
            holdout=self.holdout,
            min_positives=min_positives,
        )


def sliced_window(
    labelled: pl.DataFrame,
    bounds: WindowBounds,
    starts: tuple[datetime, datetime],
    *,
    event_time: str,
    task: ModelTask,
    unlabelled: int,
    plan: ProvisionalLabels | None,
    sample: EntitySample | None,
    training_rows: int | None = None,
) -> TrainingWindow:
    """The window of ``labelled`` rows (sorted by event time), cut at ``starts`` (validation,
    holdout). With ``sample``, the training slice is sampled here, or, given
    ``training_rows`` (its rows before sampling), was sampled already."""
    validation_start, holdout_start = starts
    time = pl.col(event_time)
    train = labelled.filter(time < validation_start)
    sampled: dict[str, Any] | None = None
    if sample is not None:
        whole = train.height if training_rows is None else training_rows
        train = sample.apply(train) if training_rows is None else train
        sampled = sample.describe(whole, train.height)
    return TrainingWindow(
        as_of=bounds.as_of,
        cutoff=bounds.cutoff,
        start=bounds.start,
        validation_start=validation_start,
        holdout_start=holdout_start,
        train=train,
        validation=labelled.filter((time >= validation_start) & (time < holdout_start)),
        holdout=labelled.filter(time >= holdout_start),
        task=task,
        unlabelled=unlabelled,
        end=bounds.end,
        provisional=plan,
        sample=sampled,
    )


def check_slices(window: timedelta, validation: timedelta, holdout: timedelta) -> None:
    """Refuse a validation slice and holdout that leave nothing of the window to train on."""
    if validation + holdout >= window:
        raise TrainingDataError(
            f"validation ({format_duration(validation)}) plus holdout "
            f"({format_duration(holdout)}) leave nothing of the window "
            f"({format_duration(window)}) to train on"
        )


def no_outcome_error(moment: datetime) -> TrainingDataError:
    """No outcome received at all: silence would read as "no fraud"."""
    return TrainingDataError(
        f"missing outcome data: no outcome was received by {moment.isoformat()}, so "
        "fraud cannot be told from silence; load the outcomes table first"
    )


def empty_window_error(
    start: datetime, end: datetime, moment: datetime, cutoff: datetime
) -> TrainingDataError:
    """No event at all between the window's bounds."""
    return TrainingDataError(
        f"no event between {start.isoformat()} and {end.isoformat()} "
        f"(as of {moment.isoformat()}, maturity cut-off {cutoff.isoformat()})"
    )


def check_labelled(
    labelled: int,
    pending: int,
    start: datetime,
    cutoff: datetime,
    moment: datetime,
    *,
    binary: bool = False,
) -> None:
    """Refuse a window without a labelled row (multiclass, regression) or, binary, with a
    pending label (impossible by construction: refused rather than trained on guesses)."""
    if binary and pending:
        raise TrainingDataError(f"{pending} pending label(s) inside the matured window")
    if not binary and labelled == 0:
        raise TrainingDataError(
            f"none of the {pending} matured event(s) between {start.isoformat()} and "
            f"{cutoff.isoformat()} has an outcome received by {moment.isoformat()}"
        )


def _positive_times(labelled: pl.DataFrame, event_time: str) -> list[datetime]:
    """The event times of the known positives (binary)."""
    found = labelled.filter(pl.col("label") == 1)[event_time].to_list()
    return [as_utc(value) for value in found]


def _provisional(labelled: pl.DataFrame, cutoff: datetime, event_time: str) -> pl.DataFrame:
    """Events after the cut-off become ``provisional``: 1 with a positive received, else 0."""
    young = pl.col(event_time) > pl.lit(cutoff)
    return labelled.with_columns(
        label_status=pl.when(young).then(pl.lit(PROVISIONAL)).otherwise(pl.col("label_status")),
        label=pl.when(young).then(pl.col("label").fill_null(0)).otherwise(pl.col("label")),
    )


def with_provisional_weights(
    labelled: pl.DataFrame,
    plan: ProvisionalLabels,
    moment: datetime,
    cutoff: datetime,
    event_time: str,
) -> pl.DataFrame:
    """The ``weight`` column added: 1 for a matured row, ``plan.weights`` for a younger one
    (its label already provisional: 1 or 0): every row's weight (``1 / F(age)`` for a
    young positive)."""
    young = pl.col(event_time) > pl.lit(cutoff)
    ages = labelled.select(
        (pl.lit(moment) - pl.col(event_time)).dt.total_microseconds() / 1e6
    ).to_series()
    is_young = labelled.select(young).to_series().to_numpy()
    labels = labelled["label"].to_numpy()
    weights = np.where(is_young, plan.weights(ages.to_numpy(), labels), 1.0)
    return labelled.with_columns(pl.Series(WEIGHT, weights, dtype=pl.Float64))


def slice_starts(
    positive_times: list[datetime],
    *,
    start: datetime,
    end: datetime,
    window: timedelta,
    validation: timedelta,
    holdout: timedelta,
    min_positives: int,
) -> tuple[datetime, datetime]:
    """Where the validation slice and the holdout begin (see the module's notes): by days,
    or further back until each holds ``min_positives`` of the known positives at
    ``positive_times`` (binary; ignored with ``min_positives`` 0)."""
    shortest_training = min(window / 2, window - validation - holdout)
    positives: list[datetime] = []
    if min_positives > 0:
        positives = sorted((as_utc(value) for value in positive_times), reverse=True)
    holdout_start = _stretch_start(
        [time for time in positives if time <= end],
        end - holdout,
        earliest=start + shortest_training + validation,
        min_positives=min_positives,
    )
    validation_start = _stretch_start(
        [time for time in positives if time < holdout_start],
        holdout_start - validation,
        earliest=start + shortest_training,
        min_positives=min_positives,
    )
    return validation_start, holdout_start


def _stretch_start(
    positives: list[datetime], by_days: datetime, *, earliest: datetime, min_positives: int
) -> datetime:
    """The start of a slice: ``by_days``, or earlier, at the ``min_positives``-th most
    recent of ``positives`` (newest first), but never before ``earliest``."""
    if min_positives <= 0:
        return by_days
    if len(positives) < min_positives:
        return earliest
    return max(earliest, min(by_days, positives[min_positives - 1]))


__all__ = [
    "WEIGHT",
    "TrainingWindow",
    "WindowBounds",
    "check_labelled",
    "check_slices",
    "empty_window_error",
    "no_outcome_error",
    "slice_starts",
    "sliced_window",
    "training_window",
    "with_provisional_weights",
]
