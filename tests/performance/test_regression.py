"""Realized regression performance against scikit-learn, by hand, and interval coverage."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.metrics import (
    mean_absolute_error,
    mean_absolute_percentage_error,
    r2_score,
    root_mean_squared_error,
)

from watchkeeper.performance import MetricInputError, realized_regression


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_realized_regression_matches_sklearn(seed: int) -> None:
    generator = np.random.default_rng(seed)
    size = 2_000
    actual = np.round(generator.gamma(2.0, 5.0, size), 0)  # rounded: some zeros
    predicted = actual * generator.normal(1.05, 0.2, size) + generator.normal(0, 1, size)
    pending = generator.random(size) < 0.1
    logged = np.where(pending, np.nan, actual)
    result = realized_regression(logged, predicted)
    y, p = actual[~pending], predicted[~pending]
    nonzero = y != 0
    assert result.labelled == int((~pending).sum())
    assert result.coverage == pytest.approx((~pending).mean())
    assert result.mae.value == pytest.approx(mean_absolute_error(y, p), rel=1e-12)
    assert result.rmse.value == pytest.approx(root_mean_squared_error(y, p), rel=1e-12)
    assert result.mape.value == pytest.approx(
        mean_absolute_percentage_error(y[nonzero], p[nonzero]), rel=1e-12
    )
    assert result.mape_excluded == int((~nonzero).sum()) > 0
    assert result.bias.value == pytest.approx(float(np.mean(p - y)), rel=1e-12)
    assert result.r2.value == pytest.approx(r2_score(y, p), rel=1e-12)
    for metric in (result.mae, result.rmse, result.mape, result.bias, result.r2):
        assert metric.interval is not None and metric.value is not None
        assert metric.interval.low < metric.value < metric.interval.high


def test_hand_computed_window() -> None:
    # errors (predicted - actual) 2, 1, -1, -2 on actual 10, 0, 5, 5; one pending row
    result = realized_regression([10.0, 0.0, 5.0, 5.0, None], [12.0, 1.0, 4.0, 3.0, 9.0])
    assert (result.events, result.labelled, result.coverage) == (5, 4, 0.8)
    assert result.mae.value == pytest.approx(1.5)
    assert result.rmse.value == pytest.approx(np.sqrt(10 / 4))
    assert result.bias.value == pytest.approx(0.0)
    # MAPE over 10, 5, 5 only: (0.2 + 0.2 + 0.4) / 3
    assert result.mape.value == pytest.approx(0.8 / 3)
    assert result.mape_excluded == 1
    # mean 5, squares of deviations 25 + 25 + 0 + 0 = 50; squared errors 10
    assert result.r2.value == pytest.approx(1 - 10 / 50)
    # t interval of the bias: sd of (2, 1, -1, -2) is sqrt(10/3), t(3) = 3.182446
    half = 3.182446 * np.sqrt(10 / 3) / 2
    assert result.bias.interval is not None
    assert result.bias.interval.high == pytest.approx(half, rel=1e-6)


def test_all_zero_actuals_leave_no_mape_and_constant_actuals_no_r2() -> None:
    result = realized_regression([0.0, 0.0, 0.0], [1.0, -1.0, 0.5])
    assert result.mape.value is None and result.mape_excluded == 3
    assert result.r2.value is None
    assert result.mae.value == pytest.approx(2.5 / 3)


def test_single_row_has_values_but_no_intervals() -> None:
    result = realized_regression([2.0], [3.0])
    assert result.mae.value == 1.0 and result.mae.interval is None
    assert result.r2.value is None


def test_no_known_values_gives_no_metrics() -> None:
    result = realized_regression([None, float("nan")], [1.0, 2.0])
    assert result.labelled == 0 and result.coverage == 0.0
    assert result.mae.value is None and result.rmse.value is None and result.bias.value is None


def test_intervals_cover_the_population_values() -> None:
    # y = 2x + e, predicted 2x + 0.3: error 0.3 - e with e ~ N(0, 1), var(y) = 5
    generator = np.random.default_rng(8)
    truth = {
        "mae": 2 * norm.pdf(0.3) + 0.3 * (2 * norm.cdf(0.3) - 1),
        "rmse": np.sqrt(1.09),
        "bias": 0.3,
        "r2": 1 - 1.09 / 5,
    }
    covered = dict.fromkeys(truth, 0)
    repetitions = 1_500
    for _ in range(repetitions):
        x = generator.normal(0, 1, 200)
        actual = 2 * x + generator.normal(0, 1, 200)
        result = realized_regression(actual, 2 * x + 0.3)
        for name, value in truth.items():
            interval = getattr(result, name).interval
            covered[name] += interval.low <= value <= interval.high
    for name, count in covered.items():
        assert 0.925 <= count / repetitions <= 0.975, name


@pytest.mark.parametrize(
    ("actual", "predicted", "message"),
    [
        ([1.0, 2.0], [1.0, float("nan")], "predicted: row 1 is nan, not a finite number"),
        ([1.0, float("inf")], [1.0, 2.0], "actual: row 1 is inf, not a finite number"),
        ([1.0], [1.0, 2.0], r"actual and predicted: lengths differ \(1 and 2\)"),
        (["x", 1.0], [1.0, 2.0], "actual: not numeric"),
    ],
)
def test_bad_input_is_named(actual: list[object], predicted: list[float], message: str) -> None:
    with pytest.raises(MetricInputError, match=message):
        realized_regression(actual, predicted)  # type: ignore[arg-type]
