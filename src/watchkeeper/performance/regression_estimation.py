"""Estimated regression performance before the actual values arrive: direct loss estimation.

Two LightGBM regressors, fitted on the reference (where the actual values are known), learn
the expected absolute error and the expected squared error of an event from its features
and the model's prediction (the method NannyML calls DLE). On a window without actual
values, the expected MAE is the mean of the predicted absolute errors, and the expected RMSE
the square root of the mean of the predicted squared errors.

Uncertainty: a window's realized MAE differs from its expected value by the mean, over its
``n`` events, of each event's loss minus its expected loss. The spread of that difference
per event is measured on the reference, out of fold (each fold's loss model never saw it):
the standard deviation of the loss model's residual. The standard error of the estimated
MAE is that deviation divided by ``sqrt(n)``; the same for the mean squared error, carried
to the RMSE by the delta method (divided by ``2 RMSE``). It does not include the error of
the loss model itself on data unlike the reference.

Its assumption: the relation between inputs, prediction and error is the one seen on the
reference. It holds under covariate shift within the reference's range and is blind to
concept drift.

>>> import polars as pl
>>> rng = np.random.default_rng(0)
>>> features = pl.DataFrame({"x": rng.uniform(0, 1, 2_000)})
>>> actual = features["x"].to_numpy() + rng.normal(0, 0.1 + features["x"].to_numpy(), 2_000)
>>> predicted = features["x"].to_numpy()
>>> estimator = LossEstimator.fit(features, predicted, actual, parameters={"n_estimators": 20})
>>> calm, noisy = features.filter(pl.col("x") < 0.2), features.filter(pl.col("x") > 0.8)
>>> low = estimate_regression(calm, calm["x"].to_numpy(), estimator)
>>> high = estimate_regression(noisy, noisy["x"].to_numpy(), estimator)
>>> low.mae.value < 0.3 < high.mae.value
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import polars as pl

from watchkeeper.performance.binary import MetricValue
from watchkeeper.performance.inputs import (
    FloatArray,
    MetricInputError,
    check_same_length,
    finite_values,
)
from watchkeeper.performance.intervals import Interval

if TYPE_CHECKING:
    import lightgbm as lgb

ASSUMPTION = (
    "estimated by a model of the loss fitted on the reference: valid under covariate shift "
    "within the reference's range, blind to concept drift (a changed relation between inputs "
    "and outcome)"
)
FORMAT = 1

LOSS_MODEL_DEFAULTS: Mapping[str, Any] = {
    "objective": "regression",
    "learning_rate": 0.05,
    "n_estimators": 100,
    "num_leaves": 15,
    "min_data_in_leaf": 50,
    "num_threads": 1,
    "verbose": -1,
    "deterministic": True,
    "force_row_wise": True,
}
"""LightGBM parameters of the loss models; ``parameters`` given to :meth:`LossEstimator.fit`
override them."""


def loss_inputs(
    features: pl.DataFrame, predicted: FloatArray, names: tuple[str, ...]
) -> FloatArray:
    """The loss models' input matrix: the named feature columns (numeric or boolean; null
    is missing) and the prediction, last.

    >>> loss_inputs(pl.DataFrame({"x": [1, None]}), np.array([0.5, 0.7]), ("x",)).tolist()
    [[1.0, 0.5], [nan, 0.7]]
    """
    missing = [name for name in names if name not in features.columns]
    if missing:
        raise MetricInputError(
            f"features: column {missing[0]!r} is missing (the loss models use it)"
        )
    columns = []
    for name in names:
        column = features[name]
        if not (column.dtype.is_numeric() or column.dtype == pl.Boolean):
            raise MetricInputError(
                f"features: column {name!r} is {column.dtype}, not numeric; pass the model's "
                "numeric features"
            )
        columns.append(column.cast(pl.Float64).fill_null(float("nan")).to_numpy())
    columns.append(predicted)
    matrix: FloatArray = np.column_stack(columns)
    return matrix


def _train(
    inputs: FloatArray, target: FloatArray, parameters: Mapping[str, Any], seed: int
) -> lgb.Booster:
    import lightgbm as lgb

    settings = {**LOSS_MODEL_DEFAULTS, **parameters, "seed": seed}
    rounds = int(settings.pop("n_estimators"))
    return lgb.train(settings, lgb.Dataset(inputs, target), num_boost_round=rounds)


def _predict_loss(booster: lgb.Booster, inputs: FloatArray) -> FloatArray:
    # a loss is never negative, whatever the regressor extrapolates
    predictions: FloatArray = np.clip(
        np.asarray(booster.predict(inputs), dtype=np.float64), 0.0, None
    )
    return predictions


@dataclass(frozen=True)
class LossEstimator:
    """Models of the expected absolute and squared error, as LightGBM model text, with the
    out-of-fold spread of their residuals on the reference."""

    feature_names: tuple[str, ...]
    absolute_error_model: str
    squared_error_model: str
    absolute_residual_deviation: float
    squared_residual_deviation: float
    reference_rows: int

    @classmethod
    def fit(
        cls,
        reference_features: pl.DataFrame,
        predicted: npt.ArrayLike,
        actual: npt.ArrayLike,
        *,
        parameters: Mapping[str, Any] | None = None,
        folds: int = 3,
        seed: int = 0,
    ) -> LossEstimator:
        """Fit both loss models on the reference's features, predictions and actual values.

        The residual deviations come from ``folds``-fold cross-fitting; the stored models
        are then fitted on every reference row.
        """
        predicted_values = finite_values(predicted, "predicted")
        actual_values = finite_values(actual, "actual")
        check_same_length(predicted_values.size, actual_values.size, ("predicted", "actual"))
        check_same_length(
            reference_features.height, predicted_values.size, ("features", "predicted")
        )
        if predicted_values.size < 2 * folds or folds < 2:
            raise MetricInputError(
                f"reference: {predicted_values.size} rows cannot be split into {folds} folds "
                "(need folds >= 2 and at least two rows per fold)"
            )
        from sklearn.model_selection import KFold

        names = tuple(reference_features.columns)
        inputs = loss_inputs(reference_features, predicted_values, names)
        errors = predicted_values - actual_values
        targets = (np.abs(errors), errors**2)
        settings = dict(parameters or {})
        residuals = (np.empty_like(errors), np.empty_like(errors))
        for train, held_out in KFold(folds, shuffle=True, random_state=seed).split(inputs):
            for target, residual in zip(targets, residuals, strict=True):
                booster = _train(inputs[train], target[train], settings, seed)
                residual[held_out] = target[held_out] - _predict_loss(booster, inputs[held_out])
        absolute, squared = (_train(inputs, target, settings, seed) for target in targets)
        return cls(
            feature_names=names,
            absolute_error_model=absolute.model_to_string(),
            squared_error_model=squared.model_to_string(),
            absolute_residual_deviation=float(residuals[0].std(ddof=1)),
            squared_residual_deviation=float(residuals[1].std(ddof=1)),
            reference_rows=int(predicted_values.size),
        )

    @cached_property
    def _boosters(self) -> tuple[lgb.Booster, lgb.Booster]:
        import lightgbm as lgb

        return (
            lgb.Booster(model_str=self.absolute_error_model),
            lgb.Booster(model_str=self.squared_error_model),
        )

    def expected_losses(
        self, features: pl.DataFrame, predicted: npt.ArrayLike
    ) -> tuple[FloatArray, FloatArray]:
        """Each event's expected absolute error and expected squared error."""
        predicted_values = finite_values(predicted, "predicted")
        check_same_length(features.height, predicted_values.size, ("features", "predicted"))
        inputs = loss_inputs(features, predicted_values, self.feature_names)
        absolute, squared = self._boosters
        return _predict_loss(absolute, inputs), _predict_loss(squared, inputs)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (the models as LightGBM text), stored with the model version."""
        return {
            "format": FORMAT,
            "method": "direct_loss_estimation",
            "feature_names": list(self.feature_names),
            "absolute_error_model": self.absolute_error_model,
            "squared_error_model": self.squared_error_model,
            "absolute_residual_deviation": self.absolute_residual_deviation,
            "squared_residual_deviation": self.squared_residual_deviation,
            "reference_rows": self.reference_rows,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LossEstimator:
        """Rebuild an estimator from :meth:`to_dict`'s output; another format is refused."""
        if data.get("format") != FORMAT or data.get("method") != "direct_loss_estimation":
            raise MetricInputError(
                f"loss estimator: format {data.get('format')!r} / method {data.get('method')!r} "
                f"is not {FORMAT} / 'direct_loss_estimation'"
            )
        return cls(
            feature_names=tuple(str(name) for name in data["feature_names"]),
            absolute_error_model=str(data["absolute_error_model"]),
            squared_error_model=str(data["squared_error_model"]),
            absolute_residual_deviation=float(data["absolute_residual_deviation"]),
            squared_residual_deviation=float(data["squared_residual_deviation"]),
            reference_rows=int(data["reference_rows"]),
        )


@dataclass(frozen=True)
class RegressionEstimate:
    """Expected MAE and RMSE of a window, with standard errors and normal intervals."""

    events: int
    mae: MetricValue
    mae_standard_error: float | None
    rmse: MetricValue
    rmse_standard_error: float | None
    assumption: str = ASSUMPTION


def estimate_regression(
    features: pl.DataFrame,
    predicted: npt.ArrayLike,
    estimator: LossEstimator,
    confidence: float = 0.95,
) -> RegressionEstimate:
    """The expected MAE and RMSE of a window from its features and predictions alone."""
    from scipy.stats import norm

    if not 0 < confidence < 1:
        raise MetricInputError(f"confidence {confidence} must lie strictly between 0 and 1")
    absolute, squared = estimator.expected_losses(features, predicted)
    events = int(absolute.size)
    if events == 0:
        return RegressionEstimate(0, MetricValue.missing(), None, MetricValue.missing(), None)
    z = float(norm.ppf(0.5 + confidence / 2))
    mae = float(absolute.mean())
    mae_error = estimator.absolute_residual_deviation / math.sqrt(events)
    mse = float(squared.mean())
    mse_error = estimator.squared_residual_deviation / math.sqrt(events)
    rmse = math.sqrt(mse)
    return RegressionEstimate(
        events=events,
        mae=MetricValue(
            mae, Interval(max(mae - z * mae_error, 0.0), mae + z * mae_error, confidence)
        ),
        mae_standard_error=mae_error,
        rmse=MetricValue(
            rmse,
            Interval(
                math.sqrt(max(mse - z * mse_error, 0.0)), math.sqrt(mse + z * mse_error), confidence
            ),
        ),
        rmse_standard_error=mse_error / (2 * rmse) if rmse > 0 else None,
    )


__all__ = [
    "ASSUMPTION",
    "LOSS_MODEL_DEFAULTS",
    "LossEstimator",
    "RegressionEstimate",
    "estimate_regression",
    "loss_inputs",
]
