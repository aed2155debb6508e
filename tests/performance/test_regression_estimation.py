"""Direct loss estimation: a simulation with known truth, serialisation, bad input."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from watchkeeper.performance import (
    LossEstimator,
    MetricInputError,
    estimate_regression,
    realized_regression,
)


def noise_scale(x1: np.ndarray) -> np.ndarray:
    """The noise grows with ``x1``: the region a shift moves toward is the noisy one."""
    scale: np.ndarray = 0.3 + 1.2 / (1 + np.exp(-2 * x1))
    return scale


def draw(
    generator: np.random.Generator, rows: int, shift: float
) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    """Features, the model's prediction (the true mean) and the actual values."""
    x1 = generator.normal(shift, 1, rows)
    x2 = generator.uniform(0, 1, rows)
    mean = 3 * x1 + 2 * x2
    actual = mean + generator.normal(0, 1, rows) * noise_scale(x1)
    return pl.DataFrame({"x1": x1, "x2": x2}), mean, actual


@pytest.fixture(scope="module")
def small_estimator() -> LossEstimator:
    features, predicted, actual = draw(np.random.default_rng(3), 600, 0.0)
    return LossEstimator.fit(features, predicted, actual, parameters={"n_estimators": 10})


@pytest.mark.slow
def test_estimated_loss_tracks_realized_and_follows_a_shift_to_the_noisy_region() -> None:
    generator = np.random.default_rng(0)
    estimator = LossEstimator.fit(*draw(generator, 20_000, 0.0))
    results = {}
    for shift in (0.0, 1.0):
        estimated, realized, estimated_rmse, realized_rmse, covered = [], [], [], [], 0
        for _ in range(25):
            features, predicted, actual = draw(generator, 2_000, shift)
            estimate = estimate_regression(features, predicted, estimator)
            truth = realized_regression(actual, predicted)
            assert estimate.mae.value is not None and estimate.mae.interval is not None
            assert truth.mae.value is not None and truth.rmse.value is not None
            assert estimate.rmse.value is not None
            estimated.append(estimate.mae.value)
            realized.append(truth.mae.value)
            estimated_rmse.append(estimate.rmse.value)
            realized_rmse.append(truth.rmse.value)
            covered += estimate.mae.interval.low <= truth.mae.value <= estimate.mae.interval.high
        results[shift] = (np.mean(estimated), np.mean(realized), covered / 25)
        # measured: relative difference of the mean MAE -0.002 (no shift) and -0.001
        # (shift), of the mean RMSE 0.000 and 0.008; 1.1 to 1.5 % error per window
        assert np.mean(estimated) == pytest.approx(np.mean(realized), rel=0.02)
        assert np.mean(estimated_rmse) == pytest.approx(np.mean(realized_rmse), rel=0.03)
    # the true MAE rises from 0.718 to 0.982 under the shift; the estimate follows
    realized_rise = results[1.0][1] - results[0.0][1]
    estimated_rise = results[1.0][0] - results[0.0][0]
    assert realized_rise > 0.2
    assert estimated_rise == pytest.approx(realized_rise, rel=0.1)
    # the interval uses the reference's residual spread: sound without shift, too narrow
    # toward the noisy region (measured 1.0 and 0.88 of windows covered)
    assert results[0.0][2] >= 0.85
    assert results[1.0][2] >= 0.75


def test_estimate_round_trips_through_json(small_estimator: LossEstimator) -> None:
    features, predicted, _ = draw(np.random.default_rng(4), 50, 0.5)
    again = LossEstimator.from_dict(json.loads(json.dumps(small_estimator.to_dict())))
    assert again == small_estimator
    first = estimate_regression(features, predicted, small_estimator)
    assert estimate_regression(features, predicted, again) == first
    assert first.mae_standard_error == pytest.approx(
        small_estimator.absolute_residual_deviation / np.sqrt(50)
    )
    assert first.rmse.value is not None and first.rmse_standard_error is not None
    assert first.rmse_standard_error == pytest.approx(
        small_estimator.squared_residual_deviation / np.sqrt(50) / (2 * first.rmse.value)
    )
    assert "covariate shift" in first.assumption


def test_another_format_is_refused(small_estimator: LossEstimator) -> None:
    data = {**small_estimator.to_dict(), "format": 99}
    with pytest.raises(MetricInputError, match="format 99"):
        LossEstimator.from_dict(data)


def test_an_empty_window_has_no_estimate(small_estimator: LossEstimator) -> None:
    empty = pl.DataFrame({"x1": [], "x2": []}, schema={"x1": pl.Float64, "x2": pl.Float64})
    estimate = estimate_regression(empty, np.array([]), small_estimator)
    assert estimate.events == 0 and estimate.mae.value is None and estimate.rmse.value is None


def test_extra_columns_are_ignored_and_missing_ones_named(small_estimator: LossEstimator) -> None:
    features, predicted, _ = draw(np.random.default_rng(5), 20, 0.0)
    with_extra = features.with_columns(other=pl.lit("text"))
    assert estimate_regression(with_extra, predicted, small_estimator) == estimate_regression(
        features, predicted, small_estimator
    )
    with pytest.raises(MetricInputError, match="column 'x2' is missing"):
        estimate_regression(features.drop("x2"), predicted, small_estimator)


def test_bad_reference_is_named() -> None:
    features, predicted, actual = draw(np.random.default_rng(6), 60, 0.0)
    with pytest.raises(MetricInputError, match="column 'segment' is String, not numeric"):
        LossEstimator.fit(features.with_columns(segment=pl.lit("a")), predicted, actual)
    actual[3] = np.nan
    with pytest.raises(MetricInputError, match="actual: row 3 is nan"):
        LossEstimator.fit(features, predicted, actual)
    with pytest.raises(MetricInputError, match="features and predicted: lengths differ"):
        LossEstimator.fit(features.head(10), predicted, predicted)
    with pytest.raises(MetricInputError, match="cannot be split into 3 folds"):
        LossEstimator.fit(features.head(4), predicted[:4], predicted[:4])
