"""Multiclass and regression trainers: LightGBM, scikit-learn and custom, against baselines."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error

from watchkeeper.config import TrainingConfig
from watchkeeper.errors import TrainingDataError, TrainingError
from watchkeeper.modeling.task_models import (
    ClassProbabilityModel,
    LightGBMClassModel,
    LightGBMValueModel,
    SklearnClassModel,
    SklearnValueModel,
    ValueModel,
    as_task_model,
)
from watchkeeper.training.task_trainers import class_codes, train_task_model

CLASSES = ("low", "mid", "high")  # not scikit-learn's sorted order (high, low, mid)
FAST = {"n_estimators": 40, "num_threads": 1}

CUSTOM_TRAINERS = """
import numpy as np
from sklearn.linear_model import LogisticRegression, Ridge

seen = {}

def classes(features, labels, *, sample_weight, parameters, seed, classes):
    seen["classes"] = classes
    seen["labels"] = labels[:3].tolist()
    return LogisticRegression(max_iter=500).fit(features.to_numpy(), labels)

def values(features, labels, *, sample_weight, parameters, seed):
    seen["dtype"] = str(labels.dtype)
    return Ridge().fit(features.to_numpy(), labels)

class Uniform:
    classes = ("low", "mid", "high")
    def predict_probabilities(self, features):
        return np.full((len(features), 3), 1 / 3)

def uniform(features, labels, *, sample_weight, parameters, seed, classes):
    return Uniform()
"""


def class_data(seed: int, rows: int = 900) -> tuple[pl.DataFrame, np.ndarray]:
    """Three classes by the sum of two features, with 10% of labels shuffled."""
    rng = np.random.default_rng(seed)
    frame = pl.DataFrame({"a": rng.normal(size=rows), "b": rng.normal(size=rows)})
    total = frame["a"].to_numpy() + frame["b"].to_numpy()
    codes = np.digitize(total, [-0.6, 0.6])
    noisy = rng.random(rows) < 0.1
    codes[noisy] = rng.integers(0, 3, noisy.sum())
    return frame, np.asarray(CLASSES)[codes]


def value_data(seed: int, rows: int = 900) -> tuple[pl.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = pl.DataFrame({"a": rng.normal(size=rows), "b": rng.uniform(0, 3, rows)})
    values = 3 * frame["a"].to_numpy() + frame["b"].to_numpy() ** 2 + rng.normal(0, 0.5, rows)
    return frame, values


@pytest.fixture
def custom_module(tmp_path: Path) -> Iterator[str]:
    (tmp_path / "wk_task_trainers.py").write_text(CUSTOM_TRAINERS)
    sys.path.insert(0, str(tmp_path))
    yield "wk_task_trainers"
    sys.path.remove(str(tmp_path))
    sys.modules.pop("wk_task_trainers", None)


@pytest.mark.parametrize(
    ("trainer", "parameters", "adapter"),
    [
        ("lightgbm", FAST, LightGBMClassModel),
        ("sklearn:sklearn.linear_model.LogisticRegression", {"max_iter": 500}, SklearnClassModel),
        (
            "sklearn:sklearn.ensemble.RandomForestClassifier",
            {"n_estimators": 30, "max_depth": 5},
            SklearnClassModel,
        ),
    ],
)
def test_multiclass_trainers_beat_the_majority_class(
    trainer: str, parameters: dict[str, object], adapter: type
) -> None:
    features, labels = class_data(1)
    test_features, test_labels = class_data(2)
    config = TrainingConfig(trainer=trainer, parameters=parameters)
    model = train_task_model(config, features, labels, task="multiclass", classes=CLASSES)
    assert isinstance(model, adapter)
    assert isinstance(model, ClassProbabilityModel)
    probabilities = model.predict_probabilities(test_features)
    assert probabilities.shape == (test_features.height, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-9)
    predicted = np.asarray(CLASSES)[probabilities.argmax(axis=1)]
    names, counts = np.unique(labels, return_counts=True)
    majority = np.full(test_labels.size, names[counts.argmax()])
    assert accuracy_score(test_labels, predicted) > accuracy_score(test_labels, majority) + 0.2
    assert f1_score(test_labels, predicted, average="macro") > 0.7
    # columns follow CLASSES: each class's own column is highest, on average, on its own rows
    for column, name in enumerate(CLASSES):
        mine = probabilities[test_labels == name]
        assert mine.mean(axis=0).argmax() == column


@pytest.mark.parametrize(
    ("trainer", "parameters", "adapter"),
    [
        ("lightgbm", FAST, LightGBMValueModel),
        (
            "sklearn:sklearn.ensemble.GradientBoostingRegressor",
            {"n_estimators": 60},
            SklearnValueModel,
        ),
    ],
)
def test_regression_trainers_beat_the_mean(
    trainer: str, parameters: dict[str, object], adapter: type
) -> None:
    features, values = value_data(3)
    test_features, test_values = value_data(4)
    config = TrainingConfig(trainer=trainer, parameters=parameters)
    model = train_task_model(config, features, values, task="regression")
    assert isinstance(model, adapter)
    assert isinstance(model, ValueModel)
    predicted = model.predict_values(test_features)
    baseline = np.full(test_values.size, values.mean())
    assert mean_absolute_error(test_values, predicted) < 0.4 * mean_absolute_error(
        test_values, baseline
    )


def test_lightgbm_multiclass_matches_its_own_booster_classes_order() -> None:
    features, labels = class_data(5)
    config = TrainingConfig(parameters=FAST)
    model = train_task_model(config, features, labels, task="multiclass", classes=CLASSES)
    assert isinstance(model, LightGBMClassModel)
    raw = np.asarray(model.booster.predict(features.to_numpy()))
    np.testing.assert_allclose(model.predict_probabilities(features), raw)
    # class j of the booster is CLASSES[j]: most rows of each class are decided as that class
    decided = raw.argmax(axis=1)
    codes = class_codes(labels, CLASSES)
    assert accuracy_score(codes, decided) > 0.8


def test_sklearn_columns_are_reordered_to_the_classes_order() -> None:
    from sklearn.linear_model import LogisticRegression

    features, labels = class_data(6)
    estimator = LogisticRegression(max_iter=500).fit(features.to_numpy(), labels)
    assert [str(name) for name in estimator.classes_] == ["high", "low", "mid"]
    model = as_task_model(estimator, ["a", "b"], "multiclass", CLASSES)
    assert isinstance(model, ClassProbabilityModel)
    own = estimator.predict_proba(features.to_numpy())
    np.testing.assert_allclose(model.predict_probabilities(features), own[:, [1, 2, 0]])
    # a class the estimator never saw gets probability 0; one outside the classes is refused
    seen_two = LogisticRegression().fit(
        features.to_numpy(), np.where(labels == "high", "mid", labels)
    )
    wider = as_task_model(seen_two, ["a", "b"], "multiclass", CLASSES)
    assert isinstance(wider, ClassProbabilityModel)
    assert (wider.predict_probabilities(features)[:, 2] == 0).all()
    with pytest.raises(TrainingError, match=r"do not all belong to label\.classes"):
        as_task_model(estimator, ["a", "b"], "multiclass", ("low", "mid"))


def test_custom_trainers_per_task(custom_module: str) -> None:
    features, labels = class_data(7)
    config = TrainingConfig(trainer=f"{custom_module}:classes")
    model = train_task_model(config, features, labels, task="multiclass", classes=CLASSES)
    seen = sys.modules[custom_module].seen
    assert seen["classes"] == CLASSES
    assert seen["labels"] == labels[:3].tolist()
    assert isinstance(model, SklearnClassModel)
    predicted = np.asarray(CLASSES)[model.predict_probabilities(features).argmax(axis=1)]
    assert accuracy_score(labels, predicted) > 0.8

    uniform = train_task_model(
        TrainingConfig(trainer=f"{custom_module}:uniform"),
        features,
        labels,
        task="multiclass",
        classes=CLASSES,
    )
    assert isinstance(uniform, ClassProbabilityModel)
    assert uniform.predict_probabilities(features).shape == (features.height, 3)

    value_features, values = value_data(8)
    regression = train_task_model(
        TrainingConfig(trainer=f"{custom_module}:values"), value_features, values, task="regression"
    )
    assert seen["dtype"] == "float64"
    assert isinstance(regression, SklearnValueModel)


def test_bad_training_input_is_refused_by_name() -> None:
    features, labels = class_data(9, rows=60)
    config = TrainingConfig(parameters=FAST)
    wrong = labels.astype(object)
    wrong[5] = "urgent"
    with pytest.raises(TrainingDataError, match=r"label 'urgent' is not in label\.classes"):
        train_task_model(config, features, wrong, task="multiclass", classes=CLASSES)
    with pytest.raises(TrainingDataError, match="single class"):
        train_task_model(config, features, np.full(60, "low"), task="multiclass", classes=CLASSES)
    pending = labels.astype(object)
    pending[0] = None
    with pytest.raises(TrainingDataError, match="pending"):
        train_task_model(config, features, pending, task="multiclass", classes=CLASSES)
    values = np.arange(60, dtype=np.float64)
    values[3] = np.nan
    with pytest.raises(TrainingDataError, match="finite numbers"):
        train_task_model(config, features, values, task="regression")
    with pytest.raises(TrainingDataError, match="must be numbers"):
        train_task_model(config, features, labels, task="regression")
    with pytest.raises(TrainingError, match="objective regression or"):
        train_task_model(
            TrainingConfig(parameters={**FAST, "objective": "binary"}),
            features,
            np.arange(60.0),
            task="regression",
        )
    with pytest.raises(TrainingError, match="has no predict_proba"):
        train_task_model(
            TrainingConfig(trainer="sklearn:sklearn.linear_model.Ridge"),
            features,
            labels,
            task="multiclass",
            classes=CLASSES,
        )


def test_probabilities_that_do_not_sum_to_one_are_refused() -> None:
    class Broken:
        classes = CLASSES

        def predict_proba(self, features: np.ndarray) -> np.ndarray:
            return np.full((len(features), 3), 0.5)

    broken = Broken()
    broken.classes_ = np.array(CLASSES)  # type: ignore[attr-defined]
    model = as_task_model(broken, ["a"], "multiclass", CLASSES)
    assert isinstance(model, ClassProbabilityModel)
    with pytest.raises(TrainingError, match=r"sum to 1\.5, not 1"):
        model.predict_probabilities(np.zeros((2, 1)))
