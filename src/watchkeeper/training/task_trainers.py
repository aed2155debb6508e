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

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from watchkeeper.config import ModelTask, TrainingConfig
from watchkeeper.errors import TrainingDataError, TrainingError
from watchkeeper.modeling.task_models import (
    LightGBMClassModel,
    LightGBMValueModel,
    TaskModel,
    as_task_model,
)
from watchkeeper.training.trainers import (
    LIGHTGBM_DEFAULTS,
    boosting_rounds,
    call_trainer,
    check_training_features,
    checked_sample_weight,
    fit_booster,
    fit_estimator,
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
    check_training_features(features)
    weights = checked_sample_weight(sample_weight, features.height)
    extra: dict[str, Any] = {}
    if task == "multiclass":
        if classes is None:
            raise TrainingDataError("a multiclass model needs label.classes")
        label_values: npt.NDArray[Any] = class_labels(labels, classes, features.height)
        extra["classes"] = tuple(classes)
    else:
        label_values = value_labels(labels, features.height)
    trainer = resolve_trainer(
        config.trainer,
        lightgbm=train_lightgbm_classes if task == "multiclass" else train_lightgbm_values,
        sklearn=train_sklearn_estimator,
    )
    fitted = call_trainer(config, trainer, features, label_values, weights, **extra)
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
    booster = fit_booster(features, codes, sample_weight, settings, boosting_rounds(settings))
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
    booster = fit_booster(features, labels, sample_weight, settings, boosting_rounds(settings))
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
    method, purpose = (
        ("predict_proba", "a multiclass model must give class probabilities")
        if classes is not None
        else ("predict", "a regression model must predict numbers")
    )
    return fit_estimator(
        estimator_class,
        features,
        labels,
        sample_weight=sample_weight,
        parameters=parameters,
        seed=seed,
        method=method,
        purpose=purpose,
    )


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
