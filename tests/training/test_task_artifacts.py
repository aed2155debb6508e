"""A multiclass or regression version round-trips through the codec and the registry."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from watchkeeper.config import TrainingConfig
from watchkeeper.errors import UnsafeModelError
from watchkeeper.modeling.class_decision import ClassDecision
from watchkeeper.modeling.model import FloatArray
from watchkeeper.modeling.task_models import ClassProbabilityModel, ValueModel
from watchkeeper.registry.model_codec import decode_model, encode_model, task_record
from watchkeeper.registry.registry import ModelRegistry
from watchkeeper.training.task_trainers import train_task_model
from watchkeeper.training.trainers import train_model

CLASSES = ("low", "mid", "high")
TRAINERS = {
    "lightgbm": {"n_estimators": 20, "num_threads": 1},
    "sklearn:sklearn.linear_model.LogisticRegression": {},
}


def frame_and_codes() -> tuple[pl.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    frame = pl.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
    codes = np.digitize(frame["a"].to_numpy() + 0.3 * frame["b"].to_numpy(), [-0.5, 0.5])
    return frame, codes


@pytest.mark.parametrize("trainer", sorted(TRAINERS))
def test_multiclass_version_round_trip(registry: ModelRegistry, trainer: str) -> None:
    frame, codes = frame_and_codes()
    config = TrainingConfig(trainer=trainer, parameters=TRAINERS[trainer])
    model = train_task_model(
        config, frame, np.asarray(CLASSES)[codes], task="multiclass", classes=CLASSES
    )
    decision = ClassDecision("argmax", CLASSES)
    registered = registry.register(
        model, feature_schema=frame.schema, threshold=0.0, decision=decision
    )
    loaded = registry.load(registered.version)
    assert loaded.task == "multiclass"
    assert loaded.manifest.extra["classes"] == list(CLASSES)
    assert ClassDecision.from_dict(loaded.manifest.extra["decision"]) == decision
    reloaded = loaded.task_model
    assert isinstance(reloaded, ClassProbabilityModel)
    assert isinstance(model, ClassProbabilityModel)
    assert reloaded.classes == CLASSES
    np.testing.assert_allclose(
        reloaded.predict_probabilities(frame), model.predict_probabilities(frame), rtol=1e-12
    )


@pytest.mark.parametrize("trainer", ["lightgbm", "sklearn:sklearn.linear_model.Ridge"])
def test_regression_version_round_trip(registry: ModelRegistry, trainer: str) -> None:
    frame, _ = frame_and_codes()
    values = 2 * frame["a"].to_numpy() - frame["b"].to_numpy()
    parameters = TRAINERS.get(trainer, {})
    model = train_task_model(
        TrainingConfig(trainer=trainer, parameters=parameters), frame, values, task="regression"
    )
    loaded = registry.load(
        registry.register(model, feature_schema=frame.schema, threshold=0.0).version
    )
    assert loaded.task == "regression"
    assert loaded.manifest.extra == {"task": "regression"}
    assert isinstance(loaded.task_model, ValueModel)
    assert isinstance(model, ValueModel)
    np.testing.assert_allclose(
        loaded.task_model.predict_values(frame), model.predict_values(frame), rtol=1e-12
    )


def test_a_binary_manifest_is_unchanged(registry: ModelRegistry) -> None:
    frame, codes = frame_and_codes()
    model = train_model(TrainingConfig(parameters=TRAINERS["lightgbm"]), frame, codes == 2)
    loaded = registry.load(
        registry.register(model, feature_schema=frame.schema, threshold=0.5).version
    )
    assert loaded.task == "binary"
    assert loaded.manifest.extra == {}
    assert task_record(model) == {}
    np.testing.assert_allclose(loaded.model.predict_scores(frame), model.predict_scores(frame))


def test_a_model_read_as_another_task_is_refused() -> None:
    frame, codes = frame_and_codes()
    model = train_task_model(
        TrainingConfig(parameters=TRAINERS["lightgbm"]),
        frame,
        np.asarray(CLASSES)[codes],
        task="multiclass",
        classes=CLASSES,
    )
    encoded = encode_model(model)
    with pytest.raises(Exception, match="predicts 3 class"):
        decode_model(
            encoded.format, encoded.data, ["a", "b"], task="multiclass", classes=("x", "y")
        )
    with pytest.raises(Exception, match="one number"):
        decode_model(encoded.format, encoded.data, ["a", "b"], task="regression")


def test_a_pickled_custom_model_keeps_its_task() -> None:
    import pickle

    from watchkeeper.modeling.task_models import as_task_model

    class Uniform:
        classes = CLASSES

        def predict_probabilities(self, features: object) -> FloatArray:
            return np.full((2, 3), 1 / 3)

    model = as_task_model(Uniform(), ["a"], "multiclass", CLASSES)
    with pytest.raises(UnsafeModelError, match="can only be saved as a pickle"):
        encode_model(model)
    data = pickle.dumps(_Constant())
    loaded = decode_model("pickle", data, ["a"], task="regression", trust_pickle=True)
    assert isinstance(loaded, ValueModel)
    with pytest.raises(UnsafeModelError, match="not a multiclass model"):
        decode_model("pickle", data, ["a"], task="multiclass", classes=CLASSES, trust_pickle=True)


class _Constant:
    """A picklable custom regression model."""

    def predict_values(self, features: object) -> FloatArray:
        return np.zeros(2)
