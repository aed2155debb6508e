"""The names of the metric series, defined once.

Every row of ``metric_series`` is named here: the monitor jobs write these names, and alert
rules, ``watchkeeper history``, the report, the gauges, the retrain policy and the canary
guards read them. They are the names the example workspaces' rules use (``f1``, ``accuracy``,
``mae``...). An estimate before labels is the realized name with :data:`ESTIMATED_PREFIX`; a
realized rate's interval is the name with ``_low`` and ``_high`` (:func:`interval_bounds`).
The module imports nothing of watchkeeper and defines the task type, :data:`ModelTask` (the
configuration's ``model.task``, re-exported by :mod:`watchkeeper.config`), so every layer from
the configuration up may use it.

>>> realized_metrics("multiclass")
('accuracy', 'macro_f1', 'weighted_f1', 'roc_auc')
>>> PRIMARY_METRIC["regression"], estimated("mae"), interval_bounds(RECALL)
('mae', 'estimated_mae', ('recall_low', 'recall_high'))
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

ModelTask = Literal["binary", "multiclass", "regression"]
"""What the model predicts: a yes/no outcome, one of several classes, or a number."""

PSI = "psi"
"""Per input: its population stability index against the reference (``feature`` = input)."""
JS_DISTANCE = "js_distance"
KS_STATISTIC = "ks_statistic"
KS_PVALUE = "ks_pvalue"
WASSERSTEIN = "wasserstein"
CHI2_PVALUE = "chi2_pvalue"
DRIFT_STATISTICS = (PSI, JS_DISTANCE, KS_STATISTIC, KS_PVALUE, WASSERSTEIN, CHI2_PVALUE)
"""The statistics of one input's drift, one row each (``feature`` = the input)."""
DOMAIN_AUC = "domain_auc"
"""Weekly multivariate drift: the domain classifier's cross-validated AUC."""

MISSING_RATE_CHANGE = "missing_rate_change"
OUT_OF_SCHEMA_RANGE = "out_of_schema_range"
OUT_OF_REFERENCE_RANGE = "out_of_reference_range"
UNSEEN_CATEGORY_SHARE = "unseen_category_share"
REJECTED_EVENTS = "rejected_events"
"""Events refused at intake in a window (``feature`` = the reason code, or none: all)."""
REJECTED_SHARE = "rejected_share"

SCORE_PSI = "score_psi"
"""PSI of the score (binary: P(positive); multiclass: the probability of the decided class)."""
SCORE_JS_DISTANCE = "score_js_distance"
SCORE_KS_STATISTIC = "score_ks_statistic"
FLAG_RATE = "flag_rate"
"""Binary: the share of a window's events decided positive (flagged)."""
FLAG_RATE_PVALUE = "flag_rate_pvalue"
BASELINE_FLAG_RATE = "baseline_flag_rate"
DECISION_PSI = "decision_psi"
"""Multiclass: PSI of the decided classes' distribution against the reference's."""
DECISION_CHI2_PVALUE = "decision_chi2_pvalue"
PREDICTION_PSI = "prediction_psi"
"""Regression: PSI of the predicted values."""

WEEKLY_PSI = "weekly_psi"
WEEKLY_SCORE_PSI = "weekly_score_psi"
WEEKLY_FLAG_RATE = "weekly_flag_rate"
WEEKLY: Mapping[str, str] = {
    PSI: WEEKLY_PSI,
    SCORE_PSI: WEEKLY_SCORE_PSI,
    FLAG_RATE: WEEKLY_FLAG_RATE,
}
"""A daily metric and its report window's (a week's) series from merged daily profiles."""

SKEW_MISMATCH_RATE = "skew_mismatch_rate"
"""``watchkeeper skew-check``: the share of events whose online and batch features differ."""
RETRAIN_BUDGET_SPENT = "retrain_budget_spent"
"""1 while the retrain policy's budget of refused attempts is spent (the owner's notice)."""

PRECISION = "precision"
RECALL = "recall"
F1 = "f1"
FALSE_POSITIVE_RATE = "false_positive_rate"
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

RECALL_AT_CHAMPION_FLAG_RATE = "recall_at_champion_flag_rate"
"""The gate's binary statistic: the challenger's recall when it flags as many events as the
champion (a holdout metric, no series)."""
PERFORMANCE_METRICS = (PRECISION, RECALL, F1, FALSE_POSITIVE_RATE, ROC_AUC, PR_AUC)
"""A binary model's performance: realized on the labels (with intervals) and estimated (CBPE)."""

LABEL_COVERAGE = "label_coverage"
SCORED_EVENTS = "scored_events"
LABELLED_EVENTS = "labelled_events"
POSITIVE_LABELS = "positive_labels"
LABEL_COUNT_METRICS = (SCORED_EVENTS, LABELLED_EVENTS, POSITIVE_LABELS)
"""The counts behind a window's realized rows: its events, those with a label, the positives.
The monitor job compares them with the stored ones to see whether a window's labels changed."""

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
FRAUD_LOSS_APPROVED = "fraud_loss_approved"
FRAUD_PREVENTED = "fraud_prevented"
REVIEW_COST = "review_cost"
FALSE_DECLINE_COST = "false_decline_cost"
BUSINESS_METRICS = (
    FRAUD_LOSS_APPROVED,
    FRAUD_PREVENTED,
    REVIEW_COST,
    FALSE_DECLINE_COST,
    BUSINESS_VALUE,
    VALUE_AGAINST_BASELINE,
)
"""The money of a binary model's decisions priced by amounts (the fraud example's
``monitoring.business``), realized and estimated."""

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

HOLDOUT_HEADLINE: Mapping[ModelTask, tuple[str, ...]] = {
    "binary": (BUSINESS_VALUE, PR_AUC, RECALL, PRECISION, FLAG_RATE),
    "multiclass": (BUSINESS_VALUE, MACRO_F1, ACCURACY, WEIGHTED_F1),
    "regression": (BUSINESS_VALUE, MAE, RMSE, R2, BIAS),
}
"""The holdout metrics an attempt states for a model of each task, in order (``train``,
``retrain``, the demo's summary)."""

PRIMARY_METRIC: Mapping[ModelTask, str] = {"binary": F1, "multiclass": ACCURACY, "regression": MAE}
"""The realized metric that compares two versions of a model of each task."""
LOWER_IS_BETTER = frozenset({MAE, RMSE, MAPE, COST, COST_PER_EVENT})
BINARY_MONEY_METRICS = (COST, COST_PER_EVENT, BUSINESS_VALUE, VALUE_AGAINST_BASELINE)
"""The money of a binary model with a cost matrix, realized and estimated
(:class:`~watchkeeper.performance.costs.BinaryMoney`)."""


def estimated(metric: str) -> str:
    """The name of the estimate of ``metric`` before labels."""
    return f"{ESTIMATED_PREFIX}{metric}"


def interval_bounds(metric: str) -> tuple[str, str]:
    """The names of the lower and upper bound of a realized ``metric``'s interval."""
    return f"{metric}_low", f"{metric}_high"


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
    "BUSINESS_METRICS",
    "BUSINESS_VALUE",
    "CHI2_PVALUE",
    "COST",
    "COST_PER_EVENT",
    "DECISION_CHI2_PVALUE",
    "DECISION_PSI",
    "DOMAIN_AUC",
    "DRIFT_STATISTICS",
    "ESTIMATED_PREFIX",
    "F1",
    "FALSE_DECLINE_COST",
    "FALSE_POSITIVE_RATE",
    "FLAG_RATE",
    "FLAG_RATE_PVALUE",
    "FRAUD_LOSS_APPROVED",
    "FRAUD_PREVENTED",
    "HOLDOUT_HEADLINE",
    "JS_DISTANCE",
    "KS_PVALUE",
    "KS_STATISTIC",
    "LABELLED_EVENTS",
    "LABEL_COUNT_METRICS",
    "LABEL_COVERAGE",
    "LOWER_IS_BETTER",
    "MACRO_F1",
    "MAE",
    "MAPE",
    "MISSING_RATE_CHANGE",
    "OUT_OF_REFERENCE_RANGE",
    "OUT_OF_SCHEMA_RANGE",
    "OVER_PREDICTION_COST",
    "PERFORMANCE_METRICS",
    "POSITIVE_LABELS",
    "PRECISION",
    "PREDICTION_PSI",
    "PRIMARY_METRIC",
    "PR_AUC",
    "PSI",
    "R2",
    "RECALL",
    "RECALL_AT_CHAMPION_FLAG_RATE",
    "REJECTED_EVENTS",
    "REJECTED_SHARE",
    "RETRAIN_BUDGET_SPENT",
    "REVIEW_COST",
    "RMSE",
    "ROC_AUC",
    "SCORED_EVENTS",
    "SCORE_JS_DISTANCE",
    "SCORE_KS_STATISTIC",
    "SCORE_PSI",
    "SKEW_MISMATCH_RATE",
    "UNDER_PREDICTION_COST",
    "UNSEEN_CATEGORY_SHARE",
    "VALUE_AGAINST_BASELINE",
    "WASSERSTEIN",
    "WEEKLY",
    "WEEKLY_FLAG_RATE",
    "WEEKLY_PSI",
    "WEEKLY_SCORE_PSI",
    "WEIGHTED_F1",
    "ModelTask",
    "estimated",
    "estimated_metrics",
    "interval_bounds",
    "money_metrics",
    "prediction_drift_metrics",
    "realized_metrics",
]
