"""A window's (or a chunk's) performance per task, from a frame of the task's columns.

The one code path behind every performance number: the monitor jobs turn these values into
metric rows (:mod:`~watchkeeper.monitoring.job.task_window_rows`), and the analysis API
(:class:`watchkeeper.Reference`) into a table per chunk. The frame holds the task's columns
under their logged names:

- binary: ``score``, ``decision`` (True = flagged), ``label`` (1, 0 or null);
- multiclass: ``decision`` (the decided class), ``probabilities`` (a JSON object or a struct
  of class -> probability), ``label`` (a class or null);
- regression: ``prediction`` and ``label`` (a number or null), and, to estimate, the loss
  models' numeric inputs.

Metrics are named as in :mod:`~watchkeeper.metric_names`; a value is a
:class:`~watchkeeper.performance.binary.MetricValue` where the statistic gives an
interval, else a float (None where the data cannot give it).

>>> frame = pl.DataFrame({"prediction": [3.0, 5.0], "label": [4.0, None]})
>>> realized_task_metrics("regression", frame)["mae"].value
1.0
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from watchkeeper import metric_names as names
from watchkeeper.config import ModelTask
from watchkeeper.monitoring.job.external_reference import (
    DECISION,
    PREDICTION,
    PROBABILITIES,
    SCORE,
    ExternalEstimator,
    class_probabilities,
)
from watchkeeper.performance.binary import MetricValue, realized_performance
from watchkeeper.performance.binary_estimation import ScoreCalibrator, estimate_performance
from watchkeeper.performance.multiclass import realized_multiclass
from watchkeeper.performance.multiclass_estimation import (
    MulticlassCalibrator,
    estimate_multiclass,
)
from watchkeeper.performance.regression import realized_regression
from watchkeeper.performance.regression_estimation import LossEstimator, estimate_regression

LABEL = "label"
"""The column of the known outcome: binary 1/0, a multiclass class, a regression number."""

TaskMetric = MetricValue | float | None
"""One metric's value: with its interval where the statistic gives one."""


def realized_task_metrics(
    task: ModelTask, labelled: pl.DataFrame, classes: Sequence[str] = (), *, mature: bool = True
) -> dict[str, TaskMetric]:
    """The task's realized metrics on the rows whose ``label`` is known (``classes``: the
    multiclass classes; ``mature``: binary, whether every label is final)."""
    if task == "binary":
        binary = realized_performance(labelled, mature=mature)
        return {name: getattr(binary, name) for name in names.realized_metrics(task)}
    if task == "multiclass":
        multiclass = realized_multiclass(
            labelled[LABEL].to_list(),
            labelled[DECISION].to_list(),
            classes,
            class_probabilities(labelled[PROBABILITIES], classes),
        )
        return {name: getattr(multiclass, name) for name in names.realized_metrics(task)}
    regression = realized_regression(
        labelled[LABEL].cast(pl.Float64).to_numpy(), labelled[PREDICTION].to_numpy()
    )
    return {name: getattr(regression, name) for name in names.realized_metrics(task)}


def estimated_task_metrics(
    task: ModelTask,
    frame: pl.DataFrame,
    estimator: ExternalEstimator,
    numeric_inputs: Sequence[str] = (),
) -> dict[str, TaskMetric]:
    """The task's metrics estimated before labels (realized names): binary and multiclass by
    CBPE from calibrated probabilities, regression by direct loss estimation on
    ``numeric_inputs`` and the prediction (with intervals)."""
    if task == "binary":
        assert isinstance(estimator, ScoreCalibrator)
        binary = estimate_performance(
            frame[SCORE].to_numpy(), frame[DECISION].to_numpy(), estimator
        )
        return {name: getattr(binary, name) for name in names.estimated_metrics(task)}
    if task == "multiclass":
        assert isinstance(estimator, MulticlassCalibrator)
        probabilities = class_probabilities(frame[PROBABILITIES], estimator.classes)
        multiclass = estimate_multiclass(probabilities, frame[DECISION].to_list(), estimator)
        return {name: getattr(multiclass, name) for name in names.estimated_metrics(task)}
    assert isinstance(estimator, LossEstimator)
    regression = estimate_regression(
        frame.select(list(numeric_inputs)), frame[PREDICTION].to_numpy(), estimator
    )
    return {name: getattr(regression, name) for name in names.estimated_metrics(task)}


def metric_value(metric: TaskMetric) -> float | None:
    """The number of a metric, with or without its interval.

    >>> metric_value(MetricValue(0.5, None)), metric_value(0.25), metric_value(None)
    (0.5, 0.25, None)
    """
    return metric.value if isinstance(metric, MetricValue) else metric


__all__ = [
    "LABEL",
    "TaskMetric",
    "estimated_task_metrics",
    "metric_value",
    "realized_task_metrics",
]
