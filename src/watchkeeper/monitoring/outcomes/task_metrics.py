"""The names of the metric series a model of each task writes, defined once.

Alert rules, ``watchkeeper history`` and the report read the series by these names, so they
are the names the example workspaces' rules use (``f1``, ``accuracy``, ``mae``...). An
estimate before labels is the realized name with :data:`ESTIMATED_PREFIX`.

>>> realized_metrics("multiclass")
('accuracy', 'macro_f1', 'weighted_f1', 'roc_auc')
>>> PRIMARY_METRIC["regression"], estimated("mae")
('mae', 'estimated_mae')
"""

from __future__ import annotations

from collections.abc import Mapping

from watchkeeper.config import ModelTask

PSI = "psi"
"""Per input: its population stability index against the reference (``feature`` = input)."""
SCORE_PSI = "score_psi"
"""PSI of the score (binary: P(positive); multiclass: the probability of the decided class)."""
FLAG_RATE = "flag_rate"
"""Binary: the share of a window's events decided positive (flagged)."""
BASELINE_FLAG_RATE = "baseline_flag_rate"
DECISION_PSI = "decision_psi"
"""Multiclass: PSI of the decided classes' distribution against the reference's."""
DECISION_CHI2_PVALUE = "decision_chi2_pvalue"
PREDICTION_PSI = "prediction_psi"
"""Regression: PSI of the predicted values."""

PRECISION = "precision"
RECALL = "recall"
F1 = "f1"
ROC_AUC = "roc_auc"
PR_AUC = "pr_auc"
ACCURACY = "accuracy"
MACRO_F1 = "macro_f1"
WEIGHTED_F1 = "weighted_f1"
MAE = "mae"
RMSE = "rmse"
MAPE = "mape"
BIAS = "bias"
R2 = "r2"

LABEL_COVERAGE = "label_coverage"
SCORED_EVENTS = "scored_events"
LABELLED_EVENTS = "labelled_events"

COST = "cost"
"""The money of a window's decisions: the cost matrix (binary, multiclass) or the cost of
under- and over-prediction (regression), summed over the events counted."""
COST_PER_EVENT = "cost_per_event"
BUSINESS_VALUE = "business_value"
"""Binary: the cost of deciding every event negative (no model) minus the window's cost."""
VALUE_AGAINST_BASELINE = "value_against_baseline"
"""Binary: the cost of the baseline's decisions (no model, or a rule) minus the window's."""
UNDER_PREDICTION_COST = "under_prediction_cost"
OVER_PREDICTION_COST = "over_prediction_cost"

ESTIMATED_PREFIX = "estimated_"

_REALIZED: Mapping[ModelTask, tuple[str, ...]] = {
    "binary": (PRECISION, RECALL, F1, ROC_AUC, PR_AUC),
    "multiclass": (ACCURACY, MACRO_F1, WEIGHTED_F1, ROC_AUC),
    "regression": (MAE, RMSE, MAPE, BIAS, R2),
}
_ESTIMATED: Mapping[ModelTask, tuple[str, ...]] = {
    "binary": (PRECISION, RECALL, F1, ROC_AUC, PR_AUC),
    "multiclass": (ACCURACY, MACRO_F1, WEIGHTED_F1),
    "regression": (MAE, RMSE),
}
_PREDICTION_DRIFT: Mapping[ModelTask, tuple[str, ...]] = {
    "binary": (SCORE_PSI, FLAG_RATE),
    "multiclass": (DECISION_PSI, DECISION_CHI2_PVALUE, SCORE_PSI),
    "regression": (PREDICTION_PSI,),
}

PRIMARY_METRIC: Mapping[ModelTask, str] = {"binary": F1, "multiclass": ACCURACY, "regression": MAE}
"""The realized metric that compares two versions of a model of each task."""
LOWER_IS_BETTER = frozenset({MAE, RMSE, MAPE, COST, COST_PER_EVENT})
BINARY_MONEY_METRICS = (COST, COST_PER_EVENT, BUSINESS_VALUE, VALUE_AGAINST_BASELINE)
"""The money of a binary model with a cost matrix, realized and estimated
(:class:`~watchkeeper.performance.costs.BinaryMoney`)."""


def estimated(metric: str) -> str:
    """The name of the estimate of ``metric`` before labels."""
    return f"{ESTIMATED_PREFIX}{metric}"


def realized_metrics(task: ModelTask) -> tuple[str, ...]:
    """The realized performance metrics of ``task``, in display order."""
    return _REALIZED[task]


def estimated_metrics(task: ModelTask) -> tuple[str, ...]:
    """The metrics of ``task`` estimated before labels (realized names)."""
    return _ESTIMATED[task]


def prediction_drift_metrics(task: ModelTask) -> tuple[str, ...]:
    """The prediction drift metrics of ``task``."""
    return _PREDICTION_DRIFT[task]


def money_metrics(task: ModelTask) -> tuple[str, ...]:
    """The money metrics of ``task`` (realized; binary and multiclass also estimated)."""
    if task == "regression":
        return (COST, COST_PER_EVENT, UNDER_PREDICTION_COST, OVER_PREDICTION_COST)
    if task == "binary":
        return BINARY_MONEY_METRICS
    return (COST, COST_PER_EVENT)


__all__ = [
    "ACCURACY",
    "BASELINE_FLAG_RATE",
    "BIAS",
    "BINARY_MONEY_METRICS",
    "BUSINESS_VALUE",
    "COST",
    "COST_PER_EVENT",
    "DECISION_CHI2_PVALUE",
    "DECISION_PSI",
    "ESTIMATED_PREFIX",
    "F1",
    "FLAG_RATE",
    "LABELLED_EVENTS",
    "LABEL_COVERAGE",
    "LOWER_IS_BETTER",
    "MACRO_F1",
    "MAE",
    "MAPE",
    "OVER_PREDICTION_COST",
    "PRECISION",
    "PREDICTION_PSI",
    "PRIMARY_METRIC",
    "PR_AUC",
    "PSI",
    "R2",
    "RECALL",
    "RMSE",
    "ROC_AUC",
    "SCORED_EVENTS",
    "SCORE_PSI",
    "UNDER_PREDICTION_COST",
    "VALUE_AGAINST_BASELINE",
    "WEIGHTED_F1",
    "estimated",
    "estimated_metrics",
    "money_metrics",
    "prediction_drift_metrics",
    "realized_metrics",
]
