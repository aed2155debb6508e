"""Trainers: the built-in LightGBM one, any scikit-learn classifier, custom functions."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from watchkeeper.config import TrainingConfig
from watchkeeper.errors import TrainingDataError, TrainingError
from watchkeeper.modeling.model import LightGBMModel, Model, SklearnModel
from watchkeeper.training.trainers import resolve_trainer, train_model

CUSTOM_TRAINERS = """
import numpy as np
from sklearn.linear_model import LogisticRegression

seen = {}

def weighted(features, labels, *, sample_weight, parameters, seed):
    seen["sample_weight"] = sample_weight
    seen["parameters"] = dict(parameters)
    seen["seed"] = seed
    return LogisticRegression(C=parameters.get("C", 1.0)).fit(
        features.to_numpy(), labels, sample_weight=sample_weight)

def broken(features, labels, *, sample_weight, parameters, seed):
    raise MemoryError("out of memory in the custom trainer")

class Scorer:
    def predict_scores(self, features):
        return np.full(len(features), 0.5)

def constant(features, labels, *, sample_weight, parameters, seed):
    return Scorer()
"""


@pytest.fixture
def data() -> tuple[pl.DataFrame, np.ndarray]:
    rng = np.random.default_rng(11)
    frame = pl.DataFrame(
        {
            "amount": rng.lognormal(3, 1, 800),
            "hour": rng.integers(0, 24, 800).astype(np.int32),
            "foreign": rng.random(800) < 0.1,
        }
    )
    logit = np.log(frame["amount"].to_numpy()) - 4 + 2 * frame["foreign"].to_numpy()
    labels = (rng.random(800) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    return frame, labels


@pytest.fixture
def custom_module(tmp_path: Path) -> Iterator[str]:
    (tmp_path / "wk_custom_trainers.py").write_text(CUSTOM_TRAINERS)
    sys.path.insert(0, str(tmp_path))
    try:
        yield "wk_custom_trainers"
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("wk_custom_trainers", None)


def config(trainer: str = "lightgbm", **parameters: object) -> TrainingConfig:
    return TrainingConfig(trainer=trainer, parameters=parameters, seed=3)


def test_lightgbm_is_the_default_and_deterministic(data: tuple[pl.DataFrame, np.ndarray]) -> None:
    frame, labels = data
    first = train_model(config(n_estimators=40, num_threads=1), frame, labels)
    second = train_model(config(n_estimators=40, num_threads=1), frame, labels)
    assert isinstance(first, LightGBMModel)
    assert first.booster.num_trees() == 40
    assert np.array_equal(first.predict_scores(frame), second.predict_scores(frame))
    assert first.booster.model_to_string() == second.booster.model_to_string()


def test_lightgbm_uses_sample_weights(data: tuple[pl.DataFrame, np.ndarray]) -> None:
    frame, labels = data
    weights = np.where(labels == 1, 5.0, 1.0)
    plain = train_model(config(n_estimators=20, num_threads=1), frame, labels)
    weighted = train_model(config(n_estimators=20, num_threads=1), frame, labels, weights)
    assert weighted.predict_scores(frame).mean() > plain.predict_scores(frame).mean()


def test_lightgbm_refuses_another_objective(data: tuple[pl.DataFrame, np.ndarray]) -> None:
    frame, labels = data
    with pytest.raises(TrainingError, match="objective 'regression' is not supported"):
        train_model(config(objective="regression"), frame, labels)


def test_any_sklearn_classifier_with_parameters_and_seed(
    data: tuple[pl.DataFrame, np.ndarray],
) -> None:
    frame, labels = data
    model = train_model(
        config("sklearn:sklearn.ensemble.RandomForestClassifier", n_estimators=10), frame, labels
    )
    assert isinstance(model, SklearnModel)
    assert model.estimator.random_state == 3
    assert model.estimator.n_estimators == 10
    again = train_model(
        config("sklearn:sklearn.ensemble.RandomForestClassifier", n_estimators=10), frame, labels
    )
    assert np.array_equal(model.predict_scores(frame), again.predict_scores(frame))


def test_a_sklearn_estimator_without_probabilities_is_refused(
    data: tuple[pl.DataFrame, np.ndarray],
) -> None:
    frame, labels = data
    with pytest.raises(TrainingError, match="LinearSVC has no predict_proba"):
        train_model(config("sklearn:sklearn.svm.LinearSVC"), frame, labels)


def test_custom_trainer_gets_weights_parameters_and_seed(
    data: tuple[pl.DataFrame, np.ndarray], custom_module: str
) -> None:
    frame, labels = data
    weights = np.ones(frame.height)
    model = train_model(config(f"{custom_module}:weighted", C=0.5), frame, labels, weights)
    assert isinstance(model, SklearnModel)
    seen = sys.modules[custom_module].seen
    assert seen["parameters"] == {"C": 0.5} and seen["seed"] == 3
    assert np.array_equal(seen["sample_weight"], weights)
    constant = train_model(config(f"{custom_module}:constant"), frame, labels)
    assert isinstance(constant, Model)
    assert constant.predict_scores(frame[:2]).tolist() == [0.5, 0.5]


def test_a_trainer_that_raises_becomes_a_training_error(
    data: tuple[pl.DataFrame, np.ndarray], custom_module: str
) -> None:
    frame, labels = data
    with pytest.raises(
        TrainingError, match=r"trainer 'wk_custom_trainers:broken' failed: MemoryError: out of"
    ):
        train_model(config(f"{custom_module}:broken"), frame, labels)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("xgboost", "is not 'lightgbm', 'sklearn:package.module.Class' or 'module:function'"),
        ("sklearn:sklearn.linear_model.NoSuchModel", "has no 'NoSuchModel'"),
        ("sklearn:LogisticRegression", "expected a module and a name"),
        ("json:no_function_here", "module 'json' has no 'no_function_here'"),
        ("json:__doc__", "is not callable"),
    ],
)
def test_unknown_trainers_are_named(spec: str, message: str) -> None:
    with pytest.raises(TrainingError, match=message):
        resolve_trainer(spec)


def test_bad_training_input_is_refused_clearly(data: tuple[pl.DataFrame, np.ndarray]) -> None:
    frame, labels = data
    with pytest.raises(TrainingDataError, match="labels must be 0 or 1"):
        train_model(config(), frame, np.full(frame.height, 2))
    with pytest.raises(TrainingDataError, match="got 3 labels for 800 feature rows"):
        train_model(config(), frame, labels[:3])
    with pytest.raises(TrainingDataError, match="0 positive"):
        train_model(config(), frame, np.zeros(frame.height))
    with pytest.raises(TrainingDataError, match=r"merchant .*not numeric"):
        train_model(config(), frame.with_columns(merchant=pl.lit("m1")), labels)
    with pytest.raises(TrainingDataError, match="sample weights must be"):
        train_model(config(), frame, labels, np.full(frame.height, -1.0))
