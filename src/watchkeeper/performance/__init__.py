"""Performance per task, realized (on known labels) and estimated (before them), and money.

- :mod:`~watchkeeper.performance.multiclass`: accuracy, macro/weighted F1, per-class
  metrics, confusion counts, one-vs-rest ROC AUC;
- :mod:`~watchkeeper.performance.multiclass_estimation`: one-vs-rest CBPE;
- :mod:`~watchkeeper.performance.regression`: MAE, RMSE, MAPE, bias, R² with intervals;
- :mod:`~watchkeeper.performance.regression_estimation`: direct loss estimation;
- :mod:`~watchkeeper.performance.costs`: cost matrices and costs of under/over-prediction.

- :mod:`~watchkeeper.performance.binary`: precision, recall, ROC and PR AUC with intervals;
- :mod:`~watchkeeper.performance.binary_estimation`: CBPE on calibrated scores;
- :mod:`~watchkeeper.performance.intervals`: Wilson intervals for rates, Hanley-McNeil for ROC AUC.
"""

from __future__ import annotations

from watchkeeper.performance.costs import (
    BINARY_CLASSES,
    CostValue,
    RegressionCost,
    cost_matrix_value,
    expected_cost_matrix_value,
    regression_cost,
)
from watchkeeper.performance.inputs import MetricInputError
from watchkeeper.performance.multiclass import (
    ClassMetrics,
    MulticlassPerformance,
    realized_multiclass,
)
from watchkeeper.performance.multiclass_estimation import (
    MulticlassCalibrator,
    MulticlassEstimate,
    estimate_multiclass,
)
from watchkeeper.performance.regression import RegressionPerformance, realized_regression
from watchkeeper.performance.regression_estimation import (
    LossEstimator,
    RegressionEstimate,
    estimate_regression,
)

__all__ = [
    "BINARY_CLASSES",
    "ClassMetrics",
    "CostValue",
    "LossEstimator",
    "MetricInputError",
    "MulticlassCalibrator",
    "MulticlassEstimate",
    "MulticlassPerformance",
    "RegressionCost",
    "RegressionEstimate",
    "RegressionPerformance",
    "cost_matrix_value",
    "estimate_multiclass",
    "estimate_regression",
    "expected_cost_matrix_value",
    "realized_multiclass",
    "realized_regression",
    "regression_cost",
]
