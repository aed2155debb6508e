"""What a trained model is to watchkeeper: something that turns feature rows into fraud scores.

:class:`Model` is one method, ``predict_scores``: the probability of the positive class for
each row of a feature matrix (a NumPy array with the columns in training order, or a Polars
frame, whose columns are picked by name). The built-in adapters wrap a LightGBM booster and
a scikit-learn classifier; a custom trainer may return any object with that method.

One-row latency (measured on this project's 2-core machine, 20 features, 200 trees):
LightGBM's ``Booster.predict`` on a float64 NumPy row takes about 17 µs, the scikit-learn
wrapper ``LGBMClassifier.predict_proba`` about 265 µs (input validation and pandas checks
dominate), and converting a one-row Polars frame first adds about 10 µs. So
:class:`LightGBMModel` keeps the booster and calls ``Booster.predict`` on a contiguous
float64 matrix — the fastest correct path; serving should pass NumPy rows.

>>> import numpy as np
>>> class Constant:
...     def predict_scores(self, features: FeatureInput) -> FloatArray:
...         return np.full(len(features), 0.5)
>>> isinstance(Constant(), Model)
True
>>> feature_matrix(pl.DataFrame({"b": [2], "a": [1.0]}), ("a", "b")).tolist()
[[1.0, 2.0]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
import polars as pl

from watchkeeper.errors import SchemaError, TrainingError
from watchkeeper.modeling.single_row_predictor import SingleRowPredictor

if TYPE_CHECKING:
    import lightgbm as lgb

FloatArray = npt.NDArray[np.float64]
FeatureInput = npt.NDArray[Any] | pl.DataFrame
"""A feature matrix: rows by features, as a NumPy array or a Polars frame."""


@runtime_checkable
class Model(Protocol):
    """A fitted binary classifier: scores rows with the probability of the positive class."""

    def predict_scores(self, features: FeatureInput) -> FloatArray:
        """One score in [0, 1] per row of ``features``."""
        ...


def feature_matrix(features: FeatureInput, feature_names: Sequence[str]) -> FloatArray:
    """A C-contiguous float64 matrix with the columns in ``feature_names`` order.

    A frame's columns are picked by name (extra columns are ignored; a missing or
    non-numeric one raises :class:`SchemaError` naming it); null becomes NaN. An array must
    already have the columns in order; a one-dimensional array is one row.

    >>> feature_matrix(np.array([1.0, 2.0]), ("a", "b")).shape
    (1, 2)
    >>> feature_matrix(pl.DataFrame({"a": [1.0]}), ("a", "b"))
    Traceback (most recent call last):
    ...
    watchkeeper.errors.SchemaError: the features lack column(s) b, which the model was trained on
    """
    names = list(feature_names)
    if isinstance(features, pl.DataFrame):
        check_feature_columns(features.schema, names)
        matrix = features.select(names).to_numpy(order="c").astype(np.float64, copy=False)
    else:
        matrix = np.asarray(features, dtype=np.float64)
        if matrix.ndim == 1:
            matrix = matrix.reshape(1, -1)
        if matrix.ndim != 2 or (names and matrix.shape[1] != len(names)):
            raise SchemaError(
                f"a feature array of shape {matrix.shape} does not fit a model of "
                f"{len(names)} features"
            )
    return np.ascontiguousarray(matrix, dtype=np.float64)


def check_feature_columns(schema: pl.Schema | dict[str, pl.DataType], names: Sequence[str]) -> None:
    """Raise :class:`SchemaError` unless every name is a numeric (or boolean) column.

    >>> check_feature_columns(pl.Schema({"a": pl.String}), ["a"])
    Traceback (most recent call last):
    ...
    watchkeeper.errors.SchemaError: feature column(s) a (String) are not numeric; models take numeric features only
    """
    missing = [name for name in names if name not in schema]
    if missing:
        raise SchemaError(
            f"the features lack column(s) {', '.join(missing)}, which the model was trained on"
        )
    wrong = [
        f"{name} ({schema[name]})"
        for name in names
        if not (schema[name].is_numeric() or schema[name] == pl.Boolean)
    ]
    if wrong:
        raise SchemaError(
            f"feature column(s) {', '.join(wrong)} are not numeric; models take numeric "
            "features only"
        )


class LightGBMModel:
    """A LightGBM binary booster; scores with ``Booster.predict`` on float64 rows."""

    def __init__(self, booster: lgb.Booster, feature_names: Sequence[str]) -> None:
        self.booster = booster
        self.feature_names = tuple(feature_names)
        self._single_row: SingleRowPredictor | None = None

    def predict_scores(self, features: FeatureInput) -> FloatArray:
        """The booster's probability of the positive class for each row."""
        matrix = feature_matrix(features, self.feature_names)
        if len(matrix) == 1:
            # one row: LightGBM's single-row fast path, on one thread (about 2 us for the call
            # against 33 us for Booster.predict with num_threads=1, 300 us with OpenMP's pool)
            return np.array([self._single_row_predictor().predict(matrix[0])], dtype=np.float64)
        scores: FloatArray = np.asarray(self.booster.predict(matrix), dtype=np.float64)
        return scores

    def score_row(self, values: list[float]) -> float:
        """The score of one row given as floats in ``feature_names`` order (NaN: missing):
        the serving path, with no matrix to build.

        >>> import lightgbm as lgb
        >>> rows = np.random.default_rng(0).normal(size=(100, 2))
        >>> booster = lgb.train({"objective": "binary", "verbose": -1},
        ...                     lgb.Dataset(rows, label=rows[:, 0] > 0), num_boost_round=3)
        >>> model = LightGBMModel(booster, ("a", "b"))
        >>> model.score_row([0.5, float("nan")]) == float(model.predict_scores(
        ...     np.array([[0.5, np.nan]]))[0])
        True
        """
        return self._single_row_predictor().predict_values(values)

    def _single_row_predictor(self) -> SingleRowPredictor:
        if self._single_row is None:
            self._single_row = SingleRowPredictor(self.booster)
        return self._single_row


class SklearnModel:
    """A scikit-learn classifier; scores with ``predict_proba``'s positive-class column."""

    def __init__(self, estimator: Any, feature_names: Sequence[str]) -> None:
        if not hasattr(estimator, "predict_proba"):
            raise TrainingError(
                f"{type(estimator).__name__} has no predict_proba: watchkeeper needs a "
                "classifier that gives probabilities"
            )
        self.estimator = estimator
        self.feature_names = tuple(feature_names)

    def predict_scores(self, features: FeatureInput) -> FloatArray:
        """The estimator's probability of class 1 for each row."""
        probabilities = np.asarray(
            self.estimator.predict_proba(feature_matrix(features, self.feature_names))
        )
        classes = list(getattr(self.estimator, "classes_", [0, 1]))
        column = classes.index(1) if 1 in classes else probabilities.shape[1] - 1
        scores: FloatArray = probabilities[:, column].astype(np.float64)
        return scores


def as_model(fitted: object, feature_names: Sequence[str]) -> Model:
    """Wrap what a trainer returned as a :class:`Model`.

    A LightGBM ``Booster`` or ``LGBMClassifier`` becomes a :class:`LightGBMModel` (kept as the
    booster, so it saves as LightGBM's model text); another object with ``predict_proba`` a
    :class:`SklearnModel`; an object that already has ``predict_scores`` is used as it is.

    >>> as_model(object(), ["amount"])
    Traceback (most recent call last):
    ...
    watchkeeper.errors.TrainingError: the trainer returned an object of type object, which has neither predict_scores nor predict_proba
    """
    import lightgbm as lgb

    if isinstance(fitted, lgb.Booster):
        return LightGBMModel(fitted, feature_names)
    if isinstance(fitted, lgb.LGBMModel):
        return LightGBMModel(fitted.booster_, feature_names)
    if isinstance(fitted, LightGBMModel | SklearnModel):
        return fitted
    if hasattr(fitted, "predict_proba"):
        return SklearnModel(fitted, feature_names)
    if isinstance(fitted, Model):
        return fitted
    raise TrainingError(
        f"the trainer returned an object of type {type(fitted).__name__}, which has neither "
        "predict_scores nor predict_proba"
    )


__all__ = [
    "FeatureInput",
    "FloatArray",
    "LightGBMModel",
    "Model",
    "SklearnModel",
    "as_model",
    "check_feature_columns",
    "feature_matrix",
]
