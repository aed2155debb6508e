"""One window's prediction drift, estimated and realized performance and money, per task.

Pure functions over a window's profile and rows, returning metric rows named by
:mod:`~watchkeeper.metric_names` (input drift and data quality come from
:func:`~watchkeeper.monitoring.job.window_metrics.input_rows`):

- :func:`prediction_drift_rows` — binary ``score_psi`` and ``flag_rate`` against the reference's
  share of positive decisions; multiclass ``decision_psi`` (and its chi-square p-value) on the
  decided classes and ``score_psi`` on the decided class's probability; regression
  ``prediction_psi``;
- :func:`estimated_task_rows` — performance before labels (``estimated_f1``,
  ``estimated_accuracy``, ``estimated_mae``...) and, with a cost matrix, ``estimated_cost``
  (binary: the four money rows of :func:`~watchkeeper.performance.costs.expected_binary_money`);
- :func:`realized_task_rows` — performance on the labels known so far and the money
  (``cost``; binary also ``business_value`` and ``value_against_baseline``
  (:func:`~watchkeeper.performance.costs.binary_money`); regression also
  ``under_prediction_cost`` and ``over_prediction_cost``), status ``immature`` until the
  window is mature.

>>> from datetime import UTC, datetime
>>> from watchkeeper.config import LabelConfig
>>> key = WindowKey("demand", 1, datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 2, tzinfo=UTC))
>>> frame = pl.DataFrame({"prediction": [3.0, 5.0], "label": [4.0, None]})
>>> rows = realized_task_rows("regression", key, frame, mature=False, label=LabelConfig(),
...                           business=BusinessValueConfig())
>>> {row.metric: row.value for row in rows}["mae"], rows[0].status
(1.0, 'immature')
"""

from __future__ import annotations

import polars as pl

from watchkeeper import metric_names as names
from watchkeeper.config import BusinessValueConfig, LabelConfig, ModelTask, MonitoringConfig
from watchkeeper.monitoring.job.external_reference import (
    DECISION,
    PREDICTION,
    PROBABILITIES,
    SCORE,
    ExternalEstimator,
    class_probabilities,
)
from watchkeeper.monitoring.job.judgement import Judgement
from watchkeeper.monitoring.job.window_metrics import (
    WindowKey,
    binary_money_rows,
    estimated_binary_money_rows,
    own_judgement,
)
from watchkeeper.monitoring.outcomes.task_performance import (
    estimated_task_metrics,
    metric_value,
    realized_task_metrics,
)
from watchkeeper.monitoring.profiles.categorical_profile import CategoricalProfile
from watchkeeper.monitoring.profiles.dataset_profile import DatasetProfile
from watchkeeper.monitoring.statistics.drift import feature_drift
from watchkeeper.monitoring.statistics.prediction_drift import flag_rate_drift
from watchkeeper.performance.binary import MetricValue
from watchkeeper.performance.binary_estimation import ScoreCalibrator
from watchkeeper.performance.costs import (
    CostValue,
    cost_matrix_value,
    expected_cost_matrix_value,
    regression_cost,
)
from watchkeeper.performance.multiclass_estimation import MulticlassCalibrator
from watchkeeper.storage.metadata.records import MetricRow

_TRUE = "true"


def prediction_drift_rows(
    task: ModelTask,
    key: WindowKey,
    reference: DatasetProfile,
    current: DatasetProfile,
    config: MonitoringConfig,
    judgement: Judgement | None = None,
) -> list[MetricRow]:
    """Drift of the task's prediction columns in one window against the reference
    (``judgement`` as in :func:`~watchkeeper.monitoring.job.window_metrics.profile_rows`)."""
    judged = judgement or own_judgement(key, current, config)
    rows: list[MetricRow] = []

    def drift(column: str, metric: str, extra: str | None = None) -> None:
        levels = config.per_feature.get(column, config.psi)
        compared = judged.profile(column, current.features[column])
        result = feature_drift(column, reference.features[column], compared, levels)
        verdict = judged.status(column, result.verdict)
        rows.append(key.row(metric, result.psi, verdict, threshold=result.threshold))
        if extra is not None:
            rows.append(key.row(extra, result.chi2_pvalue, verdict))

    if task == "regression":
        drift(PREDICTION, names.PREDICTION_PSI)
        return rows
    if task == "multiclass":
        drift(DECISION, names.DECISION_PSI, names.DECISION_CHI2_PVALUE)
    drift(SCORE, names.SCORE_PSI)
    if task == "binary":
        rows += _flag_rate_rows(key, reference, current)
    return rows


def _flag_rate_rows(
    key: WindowKey, reference: DatasetProfile, current: DatasetProfile
) -> list[MetricRow]:
    flags = [_true_count(profile.features[DECISION]) for profile in (reference, current)]
    if current.rows == 0 or reference.rows == 0:
        return []
    flag = flag_rate_drift(flags[0], reference.rows, flags[1], current.rows)
    return [
        key.row(names.FLAG_RATE, flag.rate, flag.verdict, threshold=flag.threshold),
        key.row(names.FLAG_RATE_PVALUE, flag.pvalue, flag.verdict),
        key.row(names.BASELINE_FLAG_RATE, flag.baseline_rate),
    ]


def _true_count(profile: object) -> int:
    """How many ``"true"`` decisions a categorical profile counted."""
    assert isinstance(profile, CategoricalProfile)
    counts = dict(zip(profile.cell_labels, profile.cells, strict=True))
    return int(counts.get(_TRUE, 0))


def estimated_task_rows(
    task: ModelTask,
    key: WindowKey,
    frame: pl.DataFrame,
    estimator: ExternalEstimator,
    label: LabelConfig,
    business: BusinessValueConfig,
    numeric_inputs: tuple[str, ...] = (),
) -> list[MetricRow]:
    """Performance (and, with a cost matrix, money) of a window before its labels.

    ``frame`` holds the window's prediction columns (and, for regression, its numeric inputs).
    """
    if frame.height == 0:
        return []
    values = estimated_task_metrics(task, frame, estimator, numeric_inputs)
    rows = [key.row(names.estimated(name), metric_value(value)) for name, value in values.items()]
    matrix = business.cost_matrix
    cost: CostValue | None = None
    if matrix is not None and isinstance(estimator, ScoreCalibrator):
        return rows + estimated_binary_money_rows(key, frame, estimator, matrix)
    if matrix is not None and isinstance(estimator, MulticlassCalibrator):
        probabilities = class_probabilities(frame[PROBABILITIES], estimator.classes)
        cost = expected_cost_matrix_value(
            estimator.probabilities(probabilities),
            frame[DECISION].to_list(),
            matrix,
            estimator.classes,
        )
    if cost is not None:
        rows.append(key.row(names.estimated(names.COST), cost.total))
        rows.append(key.row(names.estimated(names.COST_PER_EVENT), cost.mean))
    return rows


def realized_task_rows(
    task: ModelTask,
    key: WindowKey,
    labelled: pl.DataFrame,
    *,
    mature: bool,
    label: LabelConfig,
    business: BusinessValueConfig,
) -> list[MetricRow]:
    """Performance and money of a window on the labels known so far (``label``: binary 1, 0
    or null; multiclass a class or null; regression a number or null), with the counts
    ``scored_events`` and ``labelled_events`` and ``label_coverage``."""
    status = "ok" if mature else "immature"
    events = labelled.height
    known = int(labelled["label"].is_not_null().sum())
    rows = [
        key.row(names.SCORED_EVENTS, float(events), status),
        key.row(names.LABELLED_EVENTS, float(known), status),
        key.row(names.LABEL_COVERAGE, known / events if events else None, status),
    ]
    classes = tuple(label.classes or ())
    values = realized_task_metrics(task, labelled, classes, mature=mature)
    matrix = business.cost_matrix
    if task == "binary" and matrix is not None:
        rows += binary_money_rows(key, labelled, matrix, status)
    elif task == "multiclass" and matrix is not None:
        realized = cost_matrix_value(
            labelled["label"].to_list(), labelled[DECISION].to_list(), matrix, classes
        )
        rows += _cost_rows(key, realized, status)
    elif task == "regression":
        numbers = labelled["label"].cast(pl.Float64).to_numpy()
        predicted = labelled[PREDICTION].to_numpy()
        money = regression_cost(numbers, predicted, business.under_cost, business.over_cost)
        rows += [
            key.row(names.COST, money.total if money.events else None, status),
            key.row(names.COST_PER_EVENT, money.mean, status),
            key.row(names.UNDER_PREDICTION_COST, money.under_total, status),
            key.row(names.OVER_PREDICTION_COST, money.over_total, status),
        ]
    for name, metric in values.items():
        if isinstance(metric, MetricValue):
            rows.append(key.row(name, metric.value, status))
            if metric.interval is not None:
                low, high = names.interval_bounds(name)
                rows.append(key.row(low, metric.interval.low, status))
                rows.append(key.row(high, metric.interval.high, status))
        else:
            rows.append(key.row(name, metric, status))
    return rows


def _cost_rows(key: WindowKey, value: CostValue, status: str) -> list[MetricRow]:
    return [
        key.row(names.COST, value.total if value.events else None, status),
        key.row(names.COST_PER_EVENT, value.mean, status),
    ]


__all__ = ["estimated_task_rows", "prediction_drift_rows", "realized_task_rows"]
