"""Trainers: from a numeric feature frame and labels to a fitted :class:`Model`.

``training.trainer`` in ``watchkeeper.yaml`` names one of three kinds:

- ``lightgbm`` (the default): a LightGBM binary classifier, deterministic for a given seed
  and thread count (``deterministic`` and ``force_row_wise`` are set). ``training.parameters``
  go to LightGBM; ``n_estimators`` (or ``num_boost_round``) is the number of trees (default
  200) and ``num_threads`` the threads (default 0: LightGBM's choice, all cores).
- ``sklearn:package.module.Class``: any scikit-learn classifier with ``predict_proba``,
  built as ``Class(**parameters)``; ``random_state`` is set to the seed when the class has
  one and the parameters do not. It is saved with skops.
- ``module:function``: a custom trainer, called as
  ``function(features, labels, *, sample_weight, parameters, seed)`` with ``features`` a
  Polars frame of numeric columns, ``labels`` a NumPy int8 array of 0/1, ``sample_weight`` a
  float64 array or None, ``parameters`` the ``training.parameters`` mapping and ``seed`` an
  int. It returns a LightGBM ``Booster`` or ``LGBMClassifier``, a scikit-learn classifier, or
  any object with ``predict_scores(features) -> np.ndarray`` (saved as a pickle, which needs
  ``training.trust_pickle: true``).

Whatever a trainer raises becomes a :class:`~watchkeeper.errors.TrainingError` naming it, so
a failed fit is a recorded, failed attempt rather than a crash.

>>> import numpy as np
>>> from watchkeeper.config import TrainingConfig
>>> rng = np.random.default_rng(0)
>>> frame = pl.DataFrame({"amount": rng.normal(size=400), "hour": rng.normal(size=400)})
>>> labels = (frame["amount"].to_numpy() + rng.normal(size=400) > 1).astype(np.int8)
>>> config = TrainingConfig(parameters={"n_estimators": 20, "num_threads": 1})
>>> model = train_model(config, frame, labels)
>>> scores = model.predict_scores(frame)
>>> scores.shape, bool(((scores >= 0) & (scores <= 1)).all())
((400,), True)
"""

from __future__ import annotations

import importlib
import inspect
import os
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from watchkeeper.config import TrainingConfig
from watchkeeper.errors import SchemaError, TrainingDataError, TrainingError
from watchkeeper.modeling.model import (
    LightGBMModel,
    Model,
    as_model,
    check_feature_columns,
    feature_matrix,
)

LIGHTGBM = "lightgbm"
SKLEARN_PREFIX = "sklearn:"
DEFAULT_ROUNDS = 200
ROUND_ALIASES = ("n_estimators", "num_boost_round", "num_iterations", "num_trees", "num_rounds")

LIGHTGBM_DEFAULTS: Mapping[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 20,
    "verbose": -1,
    "deterministic": True,
    "force_row_wise": True,
}
"""Parameters the built-in LightGBM trainer starts from; ``training.parameters`` override them."""

Trainer = Callable[..., object]
"""``trainer(features, labels, *, sample_weight, parameters, seed)`` -> a fitted model."""


def train_model(
    config: TrainingConfig,
    features: pl.DataFrame,
    labels: npt.ArrayLike,
    sample_weight: npt.ArrayLike | None = None,
) -> Model:
    """Fit the trainer ``config.trainer`` names on ``features`` and ``labels``.

    Checks the input first (numeric columns, 0/1 labels of the same length, both classes
    present) and raises :class:`TrainingDataError` naming the problem.
    """
    label_values, weights = _checked_input(features, labels, sample_weight)
    fitted = call_trainer(config, resolve_trainer(config.trainer), features, label_values, weights)
    return as_model(fitted, features.columns)


def call_trainer(
    config: TrainingConfig,
    trainer: Trainer,
    features: pl.DataFrame,
    labels: npt.NDArray[Any],
    sample_weight: npt.NDArray[np.float64] | None,
    **extra: Any,
) -> object:
    """Call ``trainer`` with ``training.parameters`` and the seed (and ``extra`` keywords).

    Whatever it raises becomes a :class:`TrainingError` naming ``config.trainer``.

    >>> def broken(features, labels, **given):
    ...     raise ValueError("no luck")
    >>> call_trainer(TrainingConfig(trainer="team.fit:train"), broken, pl.DataFrame(), [], None)
    Traceback (most recent call last):
    ...
    watchkeeper.errors.TrainingError: trainer 'team.fit:train' failed: ValueError: no luck
    """
    try:
        return trainer(
            features,
            labels,
            sample_weight=sample_weight,
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


def resolve_trainer(
    spec: str,
    *,
    lightgbm: Trainer | None = None,
    sklearn: Callable[..., object] | None = None,
) -> Trainer:
    """The trainer function ``spec`` names; raise :class:`TrainingError` if there is none.

    ``lightgbm`` and ``sklearn`` (called with the estimator class first) replace the binary
    built-ins :func:`train_lightgbm` and :func:`train_sklearn`, for another task's models.

    >>> resolve_trainer("lightgbm").__name__
    'train_lightgbm'
    >>> resolve_trainer("no_such_module_here:train")
    Traceback (most recent call last):
    ...
    watchkeeper.errors.TrainingError: training.trainer 'no_such_module_here:train': cannot import module 'no_such_module_here' (No module named 'no_such_module_here')
    """
    if spec == LIGHTGBM:
        return lightgbm or train_lightgbm
    if spec.startswith(SKLEARN_PREFIX):
        return partial(sklearn or train_sklearn, resolve_estimator_class(spec))
    if ":" in spec:
        module_name, _, function_name = spec.partition(":")
        function = _import_attribute(spec, module_name, function_name)
        if not callable(function):
            raise TrainingError(f"training.trainer {spec!r}: {function_name} is not callable")
        return function  # type: ignore[no-any-return]
    raise TrainingError(
        f"training.trainer {spec!r} is not 'lightgbm', 'sklearn:package.module.Class' or "
        "'module:function'"
    )


def resolve_estimator_class(spec: str) -> type[Any]:
    """The class a ``sklearn:package.module.Class`` trainer names.

    >>> resolve_estimator_class("sklearn:sklearn.linear_model.LogisticRegression").__name__
    'LogisticRegression'
    """
    module_path, _, class_name = spec.removeprefix(SKLEARN_PREFIX).rpartition(".")
    estimator_class = _import_attribute(spec, module_path, class_name)
    if not inspect.isclass(estimator_class):
        raise TrainingError(f"training.trainer {spec!r}: {estimator_class!r} is not a class")
    return estimator_class


def train_lightgbm(
    features: pl.DataFrame,
    labels: npt.NDArray[np.int8],
    *,
    sample_weight: npt.NDArray[np.float64] | None,
    parameters: Mapping[str, Any],
    seed: int,
) -> LightGBMModel:
    """The built-in trainer: a LightGBM binary booster (see the module's notes on parameters)."""
    settings = {**LIGHTGBM_DEFAULTS, "seed": seed, **parameters}
    rounds = boosting_rounds(settings)
    if settings.get("objective") != "binary":
        raise TrainingError(
            f"the lightgbm trainer fits binary classifiers; objective {settings['objective']!r} "
            "is not supported"
        )
    booster = fit_booster(features, labels, sample_weight, settings, rounds)
    return LightGBMModel(booster, features.columns)


def boosting_rounds(settings: dict[str, Any]) -> int:
    """Take the number of trees out of LightGBM ``settings`` (the last alias given wins).

    >>> settings = {"n_estimators": 30, "learning_rate": 0.1}
    >>> boosting_rounds(settings), settings
    (30, {'learning_rate': 0.1})
    >>> boosting_rounds({})
    200
    """
    rounds = DEFAULT_ROUNDS
    for alias in ROUND_ALIASES:
        if alias in settings:
            rounds = int(settings.pop(alias))
    return rounds


THREAD_ALIASES = ("num_threads", "num_thread", "nthread", "nthreads", "n_jobs")
"""LightGBM's names for its thread count."""

ROWS_PER_THREAD = 500_000
"""Training rows that keep one more LightGBM thread busy enough to pay for its waits."""


def fit_threads(settings: Mapping[str, Any], rows: int) -> dict[str, Any]:
    """``settings`` with a thread count for a fit on ``rows`` rows, unless they name one: one
    thread per :data:`ROWS_PER_THREAD` rows, at least one, at most the machine's cores.

    OpenMP's threads wait passively here (``OMP_WAIT_POLICY``, set on import: spinning
    threads took a busy machine's cores from the working ones). Each tree wakes them several
    times, and a wake-up costs more than the work it brings on a small window: 33,000 rows
    and 200 trees took 1.5 s on two passive threads and 0.4 s on one; the two threads catch up
    near 500,000 rows and win beyond (6.9 s against 10.1 s at 1.5 million), measured on an
    idle 2-core machine.

    >>> fit_threads({"learning_rate": 0.1}, 40_000)
    {'learning_rate': 0.1, 'num_threads': 1}
    >>> fit_threads({"n_jobs": 4}, 40_000)
    {'n_jobs': 4}
    """
    found = dict(settings)
    if any(alias in found for alias in THREAD_ALIASES):
        return found
    cores = os.cpu_count() or 1
    found["num_threads"] = max(1, min(cores, rows // ROWS_PER_THREAD))
    return found


def fit_booster(
    features: pl.DataFrame,
    labels: npt.NDArray[Any],
    sample_weight: npt.NDArray[np.float64] | None,
    settings: Mapping[str, Any],
    rounds: int,
) -> Any:
    """Train a LightGBM booster of ``rounds`` trees with ``settings`` on the feature frame
    (on :func:`fit_threads` threads unless ``settings`` name a count).

    >>> frame = pl.DataFrame({"x": np.random.default_rng(0).normal(size=200)})
    >>> settings = {**LIGHTGBM_DEFAULTS, "objective": "regression", "num_threads": 1}
    >>> fit_booster(frame, 2 * frame["x"].to_numpy(), None, settings, 5).num_trees()
    5
    """
    import lightgbm as lgb

    dataset = lgb.Dataset(
        feature_matrix(features, features.columns),
        label=labels,
        weight=sample_weight,
        feature_name=list(features.columns),
        free_raw_data=True,
    )
    return lgb.train(fit_threads(settings, features.height), dataset, num_boost_round=rounds)


def train_sklearn(
    estimator_class: type[Any],
    features: pl.DataFrame,
    labels: npt.NDArray[np.int8],
    *,
    sample_weight: npt.NDArray[np.float64] | None,
    parameters: Mapping[str, Any],
    seed: int,
) -> object:
    """Build ``estimator_class(**parameters)``, seeded if it takes ``random_state``; fit it."""
    return fit_estimator(
        estimator_class,
        features,
        labels,
        sample_weight=sample_weight,
        parameters=parameters,
        seed=seed,
        method="predict_proba",
        purpose="watchkeeper needs a classifier that gives probabilities",
    )


def fit_estimator(
    estimator_class: type[Any],
    features: pl.DataFrame,
    labels: npt.NDArray[Any],
    *,
    sample_weight: npt.NDArray[np.float64] | None,
    parameters: Mapping[str, Any],
    seed: int,
    method: str,
    purpose: str,
) -> object:
    """Build ``estimator_class(**parameters)`` (seeded when it takes ``random_state`` and the
    parameters do not set it), refuse it without ``method`` (saying ``purpose``), fit it.

    >>> from sklearn.linear_model import LinearRegression
    >>> frame = pl.DataFrame({"x": [0.0, 1.0, 2.0]})
    >>> fit_estimator(LinearRegression, frame, np.array([0, 1, 0]), sample_weight=None,
    ...               parameters={}, seed=0, method="predict_proba", purpose="give probabilities")
    Traceback (most recent call last):
    ...
    watchkeeper.errors.TrainingError: sklearn.linear_model._base.LinearRegression has no predict_proba: give probabilities
    """
    settings = dict(parameters)
    if "random_state" in inspect.signature(estimator_class).parameters:
        settings.setdefault("random_state", seed)
    estimator = estimator_class(**settings)
    if not hasattr(estimator, method):
        raise TrainingError(
            f"{estimator_class.__module__}.{estimator_class.__name__} has no {method}: {purpose}"
        )
    matrix = feature_matrix(features, features.columns)
    if sample_weight is None:
        estimator.fit(matrix, labels)
    else:
        estimator.fit(matrix, labels, sample_weight=sample_weight)
    return estimator


def _import_attribute(spec: str, module_path: str, attribute: str) -> Any:
    if not module_path or not attribute:
        raise TrainingError(f"training.trainer {spec!r}: expected a module and a name in it")
    try:
        module = importlib.import_module(module_path)
    except ImportError as error:
        raise TrainingError(
            f"training.trainer {spec!r}: cannot import module {module_path!r} ({error})"
        ) from None
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise TrainingError(
            f"training.trainer {spec!r}: module {module_path!r} has no {attribute!r}"
        ) from None


def _checked_input(
    features: pl.DataFrame, labels: npt.ArrayLike, sample_weight: npt.ArrayLike | None
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float64] | None]:
    check_training_features(features)
    label_values = np.asarray(labels)
    if label_values.shape != (features.height,):
        raise TrainingDataError(
            f"got {label_values.size} labels for {features.height} feature rows"
        )
    if not np.isin(label_values, (0, 1)).all():
        raise TrainingDataError(
            "labels must be 0 or 1 (matured labels only: a pending label has no place here)"
        )
    positives = int(label_values.sum())
    if positives in (0, label_values.size):
        raise TrainingDataError(
            f"the training rows hold {positives} positive(s) of {label_values.size}: "
            "a classifier needs both classes"
        )
    weights = checked_sample_weight(sample_weight, features.height)
    return label_values.astype(np.int8), weights


def check_training_features(features: pl.DataFrame) -> None:
    """Raise :class:`TrainingDataError` unless ``features`` has rows and numeric columns only.

    >>> check_training_features(pl.DataFrame({"amount": []}))
    Traceback (most recent call last):
    ...
    watchkeeper.errors.TrainingDataError: cannot train on a feature frame of 0 rows and 1 columns
    """
    if features.width == 0 or features.height == 0:
        raise TrainingDataError(
            f"cannot train on a feature frame of {features.height} rows and {features.width} "
            "columns"
        )
    try:
        check_feature_columns(features.schema, features.columns)
    except SchemaError as error:
        raise TrainingDataError(str(error)) from None


def checked_sample_weight(
    sample_weight: npt.ArrayLike | None, rows: int
) -> npt.NDArray[np.float64] | None:
    """The sample weights as float64, one per row, finite and non-negative (or None).

    >>> checked_sample_weight([1.0, -2.0], 2)
    Traceback (most recent call last):
    ...
    watchkeeper.errors.TrainingDataError: sample weights must be finite, non-negative and one per feature row
    """
    if sample_weight is None:
        return None
    weights = np.asarray(sample_weight, dtype=np.float64)
    if weights.shape != (rows,) or not np.isfinite(weights).all() or (weights < 0).any():
        raise TrainingDataError(
            "sample weights must be finite, non-negative and one per feature row"
        )
    return weights


__all__ = [
    "DEFAULT_ROUNDS",
    "LIGHTGBM",
    "LIGHTGBM_DEFAULTS",
    "ROUND_ALIASES",
    "ROWS_PER_THREAD",
    "SKLEARN_PREFIX",
    "THREAD_ALIASES",
    "Trainer",
    "boosting_rounds",
    "call_trainer",
    "check_training_features",
    "checked_sample_weight",
    "fit_booster",
    "fit_estimator",
    "fit_threads",
    "resolve_estimator_class",
    "resolve_trainer",
    "train_lightgbm",
    "train_model",
    "train_sklearn",
]
