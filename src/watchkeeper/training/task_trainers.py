"""Trainers per task: :func:`train_task_model` fits a binary, multiclass or regression model.

Binary goes to :func:`~watchkeeper.training.trainers.train_model`, unchanged. For the other
tasks ``training.trainer`` names the same three kinds:

- ``lightgbm``: a LightGBM booster with objective ``multiclass`` (``num_class`` from
  ``label.classes``) or ``regression`` (or another
  regression objective: ``regression_l1``, ``huber``, ``fair``, ``poisson``, ``quantile``,
  ``mape``, ``gamma``, ``tweedie``), with the same defaults and parameters as the binary one;
- ``sklearn:package.module.Class``: a classifier with ``predict_proba`` (fitted on the class
  names, so its ``classes_`` are names) or a regressor with ``predict``;
- ``module:function``: called as ``function(features, labels, *, sample_weight, parameters,
  seed)`` with ``labels`` a NumPy array of class names (multiclass; ``classes=`` the
  ``label.classes`` tuple is passed too) or of float64 values (regression). It returns a
  LightGBM booster (class ``j`` being ``classes[j]``), a scikit-learn estimator, or an object
  with ``predict_probabilities`` and ``classes`` / ``predict_values``.

>>> import numpy as np
>>> from watchkeeper.config import TrainingConfig
>>> rng = np.random.default_rng(0)
>>> frame = pl.DataFrame({"x": rng.normal(size=300)})
>>> values = 2 * frame["x"].to_numpy() + rng.normal(0, 0.1, 300)
>>> config = TrainingConfig(parameters={"n_estimators": 30, "num_threads": 1})
>>> model = train_task_model(config, frame, values, task="regression")
>>> model.predict_values(frame).shape
(300,)
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from watchkeeper.config import ModelTask, TrainingConfig
from watchkeeper.errors import SchemaError, TrainingDataError, TrainingError
from watchkeeper.training.model import check_feature_columns
from watchkeeper.training.task_models import (
    LightGBMClassModel,
    LightGBMValueModel,
    TaskModel,
    as_task_model,
)
from watchkeeper.training.trainers import (
    DEFAULT_ROUNDS,
    LIGHTGBM,
    LIGHTGBM_DEFAULTS,
    ROUND_ALIASES,
    SKLEARN_PREFIX,
    Trainer,
    resolve_estimator_class,
    resolve_trainer,
    train_model,
)

MULTICLASS_OBJECTIVES = ("multiclass",)
"""``multiclassova`` is left out: its one-vs-rest probabilities do not sum to 1."""
REGRESSION_OBJECTIVES = (
    "regression",
    "regression_l1",
    "huber",
    "fair",
    "poisson",
    "quantile",
    "mape",
    "gamma",
    "tweedie",
)


def train_task_model(
    config: TrainingConfig,
    features: pl.DataFrame,
    labels: npt.ArrayLike,
    *,
    task: ModelTask,
    classes: Sequence[str] | None = None,
    sample_weight: npt.ArrayLike | None = None,
) -> TaskModel:
    """Fit ``config.trainer`` for ``task`` on ``features`` and matured ``labels``.

    ``labels``: 0/1 (binary), class names from ``classes`` (multiclass), numbers
    (regression). The input is checked first and a problem raises
    :class:`TrainingDataError` naming it.
    """
    if task == "binary":
        return train_model(config, features, labels, sample_weight)
    _check_features(features)
    weights = _checked_weights(sample_weight, features.height)
    extra: dict[str, Any] = {}
    if task == "multiclass":
        if classes is None:
            raise TrainingDataError("a multiclass model needs label.classes")
        label_values: npt.NDArray[Any] = class_labels(labels, classes, features.height)
        extra["classes"] = tuple(classes)
    else:
        label_values = value_labels(labels, features.height)
    trainer = _task_trainer(config.trainer, task)
    try:
        fitted = trainer(
            features,
            label_values,
            sample_weight=weights,
            parameters=dict(config.parameters),
            seed=config.seed,
            **extra,
        )
    except TrainingError:
        raise
    except Exception as error:
        raise TrainingError(
            f"trainer {config.trainer!r} failed: {type(error).__name__}: {error}"
        ) from error
    return as_task_model(fitted, features.columns, task, classes)


def class_labels(labels: npt.ArrayLike, classes: Sequence[str], rows: int) -> npt.NDArray[np.str_]:
    """Labels as a NumPy array of class names, all in ``classes``, at least two present.

    >>> class_labels(["a", "c"], ["a", "b"], 2)
    Traceback (most recent call last):
    ...
    watchkeeper.errors.TrainingDataError: label 'c' is not in label.classes (a, b)
    """
    values = np.asarray(labels, dtype=object)
    if values.shape != (rows,):
        raise TrainingDataError(f"got {values.size} labels for {rows} feature rows")
    if any(value is None for value in values):
        raise TrainingDataError(
            "labels hold nulls (pending): only labelled events belong in training"
        )
    names = values.astype(str)
    unknown = sorted({str(name) for name in names} - set(classes))
    if unknown:
        raise TrainingDataError(
            f"label {unknown[0]!r} is not in label.classes ({', '.join(classes)})"
        )
    if np.unique(names).size < 2:
        raise TrainingDataError("the training rows hold a single class: a classifier needs two")
    return names


def class_codes(names: npt.ArrayLike, classes: Sequence[str]) -> npt.NDArray[np.int64]:
    """Each name's position in ``classes`` (every name must be one of them).

    >>> class_codes(["c", "a", "c"], ("c", "b", "a")).tolist()
    [0, 2, 0]
    """
    known = np.asarray(classes, dtype=str)
    values = np.asarray(names, dtype=str)
    order = np.argsort(known)
    found = np.minimum(np.searchsorted(known, values, sorter=order), known.size - 1)
    codes: npt.NDArray[np.int64] = order[found].astype(np.int64)
    wrong = np.flatnonzero(known[codes] != values)
    if wrong.size:
        raise TrainingDataError(
            f"label {str(values[wrong[0]])!r} is not in label.classes ({', '.join(classes)})"
        )
    return codes


def value_labels(labels: npt.ArrayLike, rows: int) -> npt.NDArray[np.float64]:
    """Labels as finite float64 numbers, one per row.

    >>> value_labels([1.0, float("nan")], 2)
    Traceback (most recent call last):
    ...
    watchkeeper.errors.TrainingDataError: regression labels must be finite numbers (1 are not: pending or missing values have no place here)
    """
    try:
        values = np.asarray(labels, dtype=np.float64)
    except (TypeError, ValueError):
        raise TrainingDataError("regression labels must be numbers") from None
    if values.shape != (rows,):
        raise TrainingDataError(f"got {values.size} labels for {rows} feature rows")
    bad = int((~np.isfinite(values)).sum())
    if bad:
        raise TrainingDataError(
            f"regression labels must be finite numbers ({bad} are not: pending or missing "
            "values have no place here)"
        )
    return values


def train_lightgbm_classes(
    features: pl.DataFrame,
    labels: npt.NDArray[np.str_],
    *,
    sample_weight: npt.NDArray[np.float64] | None,
    parameters: Mapping[str, Any],
    seed: int,
    classes: Sequence[str],
) -> LightGBMClassModel:
    """A LightGBM ``multiclass`` booster whose class ``j`` is ``classes[j]``."""
    codes = class_codes(labels, classes)
    settings = _settings(parameters, seed, "multiclass", MULTICLASS_OBJECTIVES)
    settings["num_class"] = len(classes)
    booster = _fit_booster(features, codes, sample_weight, settings)
    return LightGBMClassModel(booster, features.columns, classes)


def train_lightgbm_values(
    features: pl.DataFrame,
    labels: npt.NDArray[np.float64],
    *,
    sample_weight: npt.NDArray[np.float64] | None,
    parameters: Mapping[str, Any],
    seed: int,
) -> LightGBMValueModel:
    """A LightGBM regression booster (objective ``regression`` unless another is asked for)."""
    settings = _settings(parameters, seed, "regression", REGRESSION_OBJECTIVES)
    booster = _fit_booster(features, labels, sample_weight, settings)
    return LightGBMValueModel(booster, features.columns)


def train_sklearn_estimator(
    estimator_class: type[Any],
    features: pl.DataFrame,
    labels: npt.NDArray[Any],
    *,
    sample_weight: npt.NDArray[np.float64] | None,
    parameters: Mapping[str, Any],
    seed: int,
    classes: Sequence[str] | None = None,
) -> object:
    """Build ``estimator_class(**parameters)`` (seeded when it takes ``random_state``); fit it.

    ``classes`` given: a classifier, fitted on the class names.
    """
    settings = dict(parameters)
    if "random_state" in inspect.signature(estimator_class).parameters:
        settings.setdefault("random_state", seed)
    estimator = estimator_class(**settings)
    needed, purpose = (
        ("predict_proba", "a multiclass model must give class probabilities")
        if classes is not None
        else ("predict", "a regression model must predict numbers")
    )
    if not hasattr(estimator, needed):
        raise TrainingError(
            f"{estimator_class.__module__}.{estimator_class.__name__} has no {needed}: {purpose}"
        )
    matrix = features.to_numpy(order="c").astype(np.float64, copy=False)
    if sample_weight is None:
        estimator.fit(matrix, labels)
    else:
        estimator.fit(matrix, labels, sample_weight=sample_weight)
    return estimator


def _task_trainer(spec: str, task: ModelTask) -> Trainer:
    if spec == LIGHTGBM:
        return train_lightgbm_classes if task == "multiclass" else train_lightgbm_values
    if spec.startswith(SKLEARN_PREFIX):
        estimator_class = resolve_estimator_class(spec)

        def train_estimator(
            features: pl.DataFrame, labels: npt.NDArray[Any], **given: Any
        ) -> object:
            return train_sklearn_estimator(estimator_class, features, labels, **given)

        return train_estimator
    return resolve_trainer(spec)


def _settings(
    parameters: Mapping[str, Any], seed: int, objective: str, allowed: Sequence[str]
) -> dict[str, Any]:
    settings = {**LIGHTGBM_DEFAULTS, "objective": objective, "seed": seed, **parameters}
    if settings["objective"] not in allowed:
        raise TrainingError(
            f"the lightgbm trainer of a {objective} model takes objective "
            f"{' or '.join(allowed)}, not {settings['objective']!r}"
        )
    return settings


def _fit_booster(
    features: pl.DataFrame,
    labels: npt.NDArray[Any],
    sample_weight: npt.NDArray[np.float64] | None,
    settings: dict[str, Any],
) -> Any:
    import lightgbm as lgb

    rounds = DEFAULT_ROUNDS
    for alias in ROUND_ALIASES:
        if alias in settings:
            rounds = int(settings.pop(alias))
    dataset = lgb.Dataset(
        features.to_numpy(order="c").astype(np.float64, copy=False),
        label=labels,
        weight=sample_weight,
        feature_name=list(features.columns),
        free_raw_data=True,
    )
    return lgb.train(settings, dataset, num_boost_round=rounds)


def _check_features(features: pl.DataFrame) -> None:
    if features.width == 0 or features.height == 0:
        raise TrainingDataError(
            f"cannot train on a feature frame of {features.height} rows and {features.width} "
            "columns"
        )
    try:
        check_feature_columns(features.schema, features.columns)
    except SchemaError as error:
        raise TrainingDataError(str(error)) from None


def _checked_weights(
    sample_weight: npt.ArrayLike | None, rows: int
) -> npt.NDArray[np.float64] | None:
    if sample_weight is None:
        return None
    weights = np.asarray(sample_weight, dtype=np.float64)
    if weights.shape != (rows,) or not np.isfinite(weights).all() or (weights < 0).any():
        raise TrainingDataError(
            "sample weights must be finite, non-negative and one per feature row"
        )
    return weights


__all__ = [
    "MULTICLASS_OBJECTIVES",
    "REGRESSION_OBJECTIVES",
    "class_codes",
    "class_labels",
    "train_lightgbm_classes",
    "train_lightgbm_values",
    "train_sklearn_estimator",
    "train_task_model",
    "value_labels",
]
