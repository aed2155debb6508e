"""The canary's statistics, computed from the logged predictions of its period.

Rows routed ``champion`` and scored by the rollout's champion version count for the champion;
rows routed ``canary`` or ``shadow`` and scored by the challenger count for the challenger.
Model failures are not in the prediction log: every worker appends them to the ``rejections``
table (:mod:`watchkeeper.rollout.model_errors`), and they are counted from there per version.
Labels, where known, come from the ``outcomes`` table joined by event id (a shadow row's id
carries the ``:shadow`` suffix, dropped for the join), with the maturity rule of
:func:`watchkeeper.monitoring.outcomes.labels.attach_labels`: positive once a positive outcome was
received, negative only after the horizon, pending otherwise.

A multiclass or regression period (``task``) counts what its guards read instead of flags
and score bins: the decided classes, or the predicted values on bins cut at the champion's
deciles of the period (both routes on the same bins); with labels (the outcome received, by
:func:`~watchkeeper.monitoring.outcomes.task_labels.attach_task_labels`), the correct decisions or the
absolute errors.

>>> from datetime import UTC, datetime
>>> import polars as pl
>>> frame = pl.DataFrame({"route": ["champion", "canary", "canary"], "model_version": [1, 2, 2],
...                       "score": [0.1, 0.95, 0.2], "decision": [False, True, False],
...                       "latency_ms": [1.0, 2.0, 2.0]})
>>> statistics = statistics_from_predictions(frame, champion_version=1, challenger_version=2)
>>> statistics.challenger.events, statistics.challenger.flags, statistics.champion.events
(2, 1, 1)
>>> list(statistics.challenger.score_counts)
[0, 0, 1, 0, 0, 0, 0, 0, 0, 1]
>>> labelled = frame.with_columns(label_status=pl.Series(["pending", "positive", "positive"]),
...                               label_matured=pl.lit(False))
>>> route_statistics(labelled.filter(pl.col("route") == "canary")).caught
1
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import polars as pl

from watchkeeper import metric_names as names
from watchkeeper.clock import as_utc
from watchkeeper.config import ModelTask
from watchkeeper.config.workspace_file import LabelConfig
from watchkeeper.monitoring.outcomes.labels import POSITIVE, attach_labels
from watchkeeper.monitoring.outcomes.task_labels import LABELLED, attach_task_labels
from watchkeeper.rollout.guards import SCORE_BINS, CanaryStatistics, RouteStatistics
from watchkeeper.rollout.model_errors import model_errors_by_version
from watchkeeper.storage.events.prediction_routes import SHADOW_SUFFIX
from watchkeeper.storage.events.store import EventStore
from watchkeeper.storage.metadata.rollout_store import RolloutRecord

LABEL_STATUS = "label_status"
LABEL_MATURED = "label_matured"
_LABEL_KEY = "_label_event_id"

PREDICTION_BINS = 10
"""Regression: the predicted values are counted on the champion's deciles of the period."""

HOLDOUT_FLAG_RATE_METRICS = ("holdout_flag_rate", names.FLAG_RATE)
"""The registry metrics read, in this order, as the flag rate a version's holdout predicted."""


def route_statistics(frame: pl.DataFrame, errors: int = 0) -> RouteStatistics:
    """Counts, flags, total latency and the score histogram of some prediction rows.

    With ``label_status`` (positive / negative / pending) and ``label_matured`` columns, also
    the known positives, the flagged ones, and the flagged events past the horizon.
    """
    if frame.is_empty():
        return RouteStatistics(errors=errors)
    bins = (frame["score"] * SCORE_BINS).floor().clip(0, SCORE_BINS - 1).cast(pl.Int64)
    counts = [0] * SCORE_BINS
    for value, count in bins.value_counts().iter_rows():
        counts[int(value)] = int(count)
    latency = frame["latency_ms"].fill_null(0.0).sum()
    positives = caught = matured_flags = matured_true_flags = 0
    if LABEL_STATUS in frame.columns:
        flagged = frame["decision"].fill_null(False)
        positive = frame[LABEL_STATUS] == POSITIVE
        matured_flagged = flagged & frame[LABEL_MATURED].fill_null(False)
        positives = int(positive.sum())
        caught = int((positive & flagged).sum())
        matured_flags = int(matured_flagged.sum())
        matured_true_flags = int((matured_flagged & positive).sum())
    return RouteStatistics(
        events=frame.height,
        errors=errors,
        latency_ms_total=float(latency),
        flags=int(frame["decision"].sum()),
        score_counts=tuple(counts),
        positives=positives,
        caught=caught,
        matured_flags=matured_flags,
        matured_true_flags=matured_true_flags,
    )


def task_route_statistics(
    frame: pl.DataFrame,
    task: ModelTask,
    errors: int = 0,
    edges: Sequence[float] = (),
) -> RouteStatistics:
    """:func:`route_statistics` of a multiclass or regression route: counts, latency, the
    decided classes (multiclass) or the predictions per bin of ``edges`` (regression); with
    ``label_status`` and ``label`` columns, the labelled events and the correct decisions or
    the total absolute error.

    >>> rows = pl.DataFrame({"prediction": [1.0, 4.0, 9.0], "latency_ms": [1.0, 1.0, 2.0],
    ...                      "label_status": ["labelled", "pending", "labelled"],
    ...                      "label": [2.0, None, 7.0]})
    >>> statistics = task_route_statistics(rows, "regression", edges=[3.0, 5.0])
    >>> list(statistics.prediction_counts), statistics.labelled, statistics.realized_mae
    ([1, 1, 1], 2, 1.5)
    """
    if frame.is_empty():
        return RouteStatistics(errors=errors)
    latency = float(frame["latency_ms"].fill_null(0.0).sum())
    labelled = frame.filter(pl.col(LABEL_STATUS) == LABELLED) if LABEL_STATUS in frame else None
    known = 0 if labelled is None else labelled.height
    if task == "multiclass":
        counts = {
            str(name): int(count) for name, count in frame["decision"].value_counts().iter_rows()
        }
        correct = 0
        if labelled is not None:
            correct = int((labelled["decision"] == labelled["label"]).sum())
        return RouteStatistics(
            events=frame.height,
            errors=errors,
            latency_ms_total=latency,
            decision_counts=counts,
            labelled=known,
            correct=correct,
        )
    predictions = frame["prediction"].to_numpy()
    positions = np.searchsorted(np.asarray(edges, dtype=np.float64), predictions, side="right")
    bins = np.bincount(positions, minlength=len(edges) + 1)
    error = 0.0
    if labelled is not None and known:
        error = float((labelled["prediction"] - labelled["label"]).abs().sum())
    return RouteStatistics(
        events=frame.height,
        errors=errors,
        latency_ms_total=latency,
        prediction_counts=tuple(int(count) for count in bins),
        labelled=known,
        absolute_error_total=error,
    )


def prediction_edges(predictions: pl.Series, bins: int = PREDICTION_BINS) -> list[float]:
    """The inner edges of ``bins`` quantile bins of ``predictions`` (repeated edges merged).

    >>> prediction_edges(pl.Series([float(value) for value in range(100)]), 4)
    [24.75, 49.5, 74.25]
    """
    values = predictions.drop_nulls().to_numpy()
    if values.size == 0:
        return []
    quantiles = np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1])
    return sorted({float(value) for value in quantiles})


def statistics_from_predictions(
    frame: pl.DataFrame,
    *,
    champion_version: int,
    challenger_version: int,
    holdout_flag_rate: float | None = None,
    challenger_errors: int = 0,
    champion_errors: int = 0,
    task: ModelTask = "binary",
) -> CanaryStatistics:
    """Champion and challenger statistics from the prediction rows of the canary period."""
    champion = frame.filter(
        (pl.col("route") == "champion") & (pl.col("model_version") == champion_version)
    )
    challenger = frame.filter(
        pl.col("route").is_in(["canary", "shadow"])
        & (pl.col("model_version") == challenger_version)
    )
    if task != "binary":
        edges = prediction_edges(champion["prediction"]) if task == "regression" else []
        return CanaryStatistics(
            champion=task_route_statistics(champion, task, champion_errors, edges),
            challenger=task_route_statistics(challenger, task, challenger_errors, edges),
            task=task,
        )
    return CanaryStatistics(
        champion=route_statistics(champion, champion_errors),
        challenger=route_statistics(challenger, challenger_errors),
        holdout_flag_rate=holdout_flag_rate,
    )


def labelled_predictions(
    predictions: pl.DataFrame,
    outcomes: pl.DataFrame,
    *,
    as_of: datetime,
    label: LabelConfig,
    task: ModelTask = "binary",
) -> pl.DataFrame:
    """``predictions`` with ``label_status`` from ``outcomes`` received by ``as_of``, and
    ``label_matured`` (the maturity horizon has passed: the label is final either way).
    A multiclass or regression ``task`` keeps the ``label`` too (the class, the number).

    >>> from datetime import UTC, timedelta
    >>> day = datetime(2026, 6, 1, tzinfo=UTC)
    >>> rows = pl.DataFrame({"event_id": ["a", "a:shadow", "b"], "ts": [day] * 3})
    >>> outcomes = pl.DataFrame({"event_id": ["a"], "outcome": ["chargeback"],
    ...                          "received_at": [day + timedelta(days=3)]})
    >>> labelled_predictions(rows, outcomes, as_of=day + timedelta(days=4),
    ...                      label=LabelConfig())["label_status"].to_list()
    ['positive', 'positive', 'pending']
    """
    keyed = predictions.with_columns(
        pl.col("event_id").str.strip_suffix(SHADOW_SUFFIX).alias(_LABEL_KEY)
    )
    matured = pl.col("ts") + pl.lit(label.maturity_horizon) <= pl.lit(as_utc(as_of))
    if task != "binary":
        known = attach_task_labels(
            keyed,
            outcomes.select("event_id", "outcome", "received_at"),
            as_of,
            label,
            task,
            event_id=_LABEL_KEY,
        )
        return known.drop(_LABEL_KEY).with_columns(matured.alias(LABEL_MATURED))
    labelled = attach_labels(
        keyed,
        outcomes.select("event_id", "outcome", "received_at"),
        as_of=as_of,
        maturity_horizon=label.maturity_horizon,
        positive_outcome=label.positive_outcome,
        event_id=_LABEL_KEY,
    )
    return labelled.drop(_LABEL_KEY, "label").with_columns(matured.alias(LABEL_MATURED))


def holdout_flag_rate(metrics: Mapping[str, Any]) -> float | None:
    """The holdout flag rate recorded with a version, if any.

    >>> holdout_flag_rate({"flag_rate": 0.01}), holdout_flag_rate({})
    (0.01, None)
    """
    for name in HOLDOUT_FLAG_RATE_METRICS:
        value = metrics.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def canary_statistics(
    events: EventStore,
    rollout: RolloutRecord,
    *,
    until: datetime | None = None,
    holdout: float | None = None,
    challenger_errors: int | None = None,
    label: LabelConfig | None = None,
    as_of: datetime | None = None,
    task: ModelTask = "binary",
) -> CanaryStatistics:
    """The canary's statistics from what was logged since it started (flushed first).

    ``until`` bounds the event time (None: everything logged so far). Model errors are
    counted from the ``rejections`` table unless ``challenger_errors`` is given. With
    ``label`` and ``as_of``, the outcomes received by ``as_of`` label the period's events.
    """
    events.flush()
    frame = events.read("predictions", rollout.started_at, until)
    errors = model_errors_by_version(
        events.read("rejections", rollout.started_at, until, columns=["reason", "detail"])
    )
    if label is not None and as_of is not None and not frame.is_empty():
        outcomes = events.read("outcomes", rollout.started_at, None)
        frame = labelled_predictions(frame, outcomes, as_of=as_of, label=label, task=task)
    return statistics_from_predictions(
        frame,
        champion_version=rollout.champion_version,
        challenger_version=rollout.challenger_version,
        holdout_flag_rate=holdout,
        challenger_errors=(
            errors.get(rollout.challenger_version, 0)
            if challenger_errors is None
            else challenger_errors
        ),
        champion_errors=errors.get(rollout.champion_version, 0),
        task=task,
    )


__all__ = [
    "canary_statistics",
    "holdout_flag_rate",
    "labelled_predictions",
    "prediction_edges",
    "route_statistics",
    "statistics_from_predictions",
    "task_route_statistics",
]
