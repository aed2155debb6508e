"""Realized performance of a regression model on the values known so far.

MAE, RMSE, MAPE, bias (mean of predicted minus actual: positive means over-prediction) and
R², each with a confidence interval:

- MAE, bias and MAPE: Student t intervals of the mean of the per-row error;
- RMSE: a t interval of the mean squared error on the log scale (squared errors are
  skewed; the log keeps the interval positive and covers better), square-rooted;
- R² = 1 - mean(e²) / mean((y - ȳ)²): a delta-method interval of that ratio of means.

MAPE is guarded at zero: rows whose actual value is within ``zero_tolerance`` of 0 are left
out of it and counted in ``mape_excluded``; with none left it is missing. Rows whose actual
value is not known yet (None or NaN) are left out of everything; ``coverage`` says how many.

>>> result = realized_regression([10.0, 0.0, 5.0, None], [12.0, 1.0, 4.0, 7.0])
>>> result.labelled, result.coverage, result.mae.value, result.bias.value
(3, 0.75, 1.333..., 0.666...)
>>> result.mape.value, result.mape_excluded
(0.2, 1)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from watchkeeper.performance.binary import MetricValue
from watchkeeper.performance.inputs import (
    FloatArray,
    MetricInputError,
    check_same_length,
    finite_values,
)
from watchkeeper.performance.intervals import Interval

ActualValues = npt.ArrayLike | Sequence[float | None]
"""Actual values, None (or NaN) where not known yet."""


@dataclass(frozen=True)
class RegressionPerformance:
    """Performance of one window of a regression model on its known values."""

    events: int
    labelled: int
    coverage: float
    mae: MetricValue
    rmse: MetricValue
    mape: MetricValue
    mape_excluded: int
    bias: MetricValue
    r2: MetricValue


def known_actual(actual: ActualValues) -> FloatArray:
    """Actual values as float64 with NaN for the unknown ones (None or NaN); infinities and
    non-numbers are refused.

    >>> known_actual([1, None, 2.5]).tolist()
    [1.0, nan, 2.5]
    """
    try:
        values = np.asarray(actual, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise MetricInputError(f"actual: not numeric ({error})") from None
    infinite = np.isinf(values)
    if np.any(infinite):
        row = int(np.argmax(infinite))
        raise MetricInputError(f"actual: row {row} is {values[row]}, not a finite number")
    return values


def _t_quantile(confidence: float, rows: int) -> float:
    from scipy.stats import t

    if not 0 < confidence < 1:
        raise MetricInputError(f"confidence {confidence} must lie strictly between 0 and 1")
    return float(t.ppf(0.5 + confidence / 2, rows - 1))


def mean_with_interval(values: FloatArray, confidence: float) -> MetricValue:
    """The mean of ``values`` with its Student t interval (none with fewer than two rows).

    >>> value = mean_with_interval(np.array([1.0, 2.0, 3.0]), 0.95)
    >>> value.value, round(value.interval.low, 3), round(value.interval.high, 3)
    (2.0, -0.484, 4.484)
    """
    if values.size == 0:
        return MetricValue.missing()
    mean = float(values.mean())
    if values.size < 2:
        return MetricValue(mean, None)
    spread = (
        _t_quantile(confidence, values.size) * float(values.std(ddof=1)) / math.sqrt(values.size)
    )
    return MetricValue(mean, Interval(mean - spread, mean + spread, confidence))


def rmse_with_interval(errors: FloatArray, confidence: float) -> MetricValue:
    """RMSE with the interval ``sqrt(MSE exp(±t se / MSE))``, ``se`` the standard error of
    the mean squared error (a delta-method interval of ``log MSE``).

    >>> value = rmse_with_interval(np.array([1.0, -1.0, 2.0, -2.0]), 0.95)
    >>> round(value.value, 4), round(value.interval.low, 3), round(value.interval.high, 3)
    (1.5811, 0.911, 2.744)
    """
    if errors.size == 0:
        return MetricValue.missing()
    squared = errors**2
    mean = float(squared.mean())
    if errors.size < 2:
        return MetricValue(math.sqrt(mean), None)
    if mean == 0:
        return MetricValue(0.0, Interval(0.0, 0.0, confidence))
    relative = float(squared.std(ddof=1)) / math.sqrt(errors.size) / mean
    spread = _t_quantile(confidence, errors.size) * relative
    return MetricValue(
        math.sqrt(mean),
        Interval(
            math.sqrt(mean * math.exp(-spread)), math.sqrt(mean * math.exp(spread)), confidence
        ),
    )


def r2_with_interval(actual: FloatArray, errors: FloatArray, confidence: float) -> MetricValue:
    """R² with a delta-method interval of ``mean(u) / mean(v)``, ``u = e²``,
    ``v = (y - ȳ)²``; missing when the actual values do not vary.

    >>> value = r2_with_interval(np.array([1.0, 2.0, 3.0]), np.array([0.0, 0.0, 0.0]), 0.95)
    >>> value.value
    1.0
    """
    if actual.size == 0:
        return MetricValue.missing()
    squared = errors**2
    spread_rows = (actual - actual.mean()) ** 2
    total = float(spread_rows.mean())
    if total <= 0:
        return MetricValue.missing()
    ratio = float(squared.mean()) / total
    r2 = 1.0 - ratio
    if actual.size < 2:
        return MetricValue(r2, None)
    covariance = np.cov(squared, spread_rows, ddof=1)
    variance = (
        covariance[0, 0] - 2 * ratio * covariance[0, 1] + ratio * ratio * covariance[1, 1]
    ) / (total * total * actual.size)
    half = _t_quantile(confidence, actual.size) * math.sqrt(max(float(variance), 0.0))
    return MetricValue(r2, Interval(r2 - half, r2 + half, confidence))


def realized_regression(
    actual: ActualValues,
    predicted: npt.ArrayLike,
    confidence: float = 0.95,
    zero_tolerance: float = 1e-9,
) -> RegressionPerformance:
    """MAE, RMSE, MAPE (a share: 0.1 is 10 %), bias and R² with their intervals.

    ``actual`` may hold None or NaN for values not known yet; ``predicted`` must be finite
    everywhere (a bad row raises :class:`MetricInputError` naming it).
    """
    actual_values = known_actual(actual)
    predicted_values = finite_values(predicted, "predicted")
    check_same_length(actual_values.size, predicted_values.size, ("actual", "predicted"))
    known = ~np.isnan(actual_values)
    truth = actual_values[known]
    errors = predicted_values[known] - truth
    absolute = np.abs(errors)
    rmse = rmse_with_interval(errors, confidence)
    nonzero = np.abs(truth) > zero_tolerance
    events = int(actual_values.size)
    return RegressionPerformance(
        events=events,
        labelled=int(truth.size),
        coverage=truth.size / events if events else 0.0,
        mae=mean_with_interval(absolute, confidence),
        rmse=rmse,
        mape=mean_with_interval(absolute[nonzero] / np.abs(truth[nonzero]), confidence),
        mape_excluded=int((~nonzero).sum()),
        bias=mean_with_interval(errors, confidence),
        r2=r2_with_interval(truth, errors, confidence),
    )


__all__ = [
    "ActualValues",
    "RegressionPerformance",
    "known_actual",
    "mean_with_interval",
    "r2_with_interval",
    "realized_regression",
    "rmse_with_interval",
]
