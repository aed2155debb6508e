"""Safe model formats: LightGBM text, skops with trusted types, pickle only when trusted."""

from __future__ import annotations

import pickle

import numpy as np
import polars as pl
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from watchkeeper.errors import UnsafeModelError
from watchkeeper.modeling.model import FeatureInput, FloatArray, LightGBMModel, SklearnModel
from watchkeeper.registry.model_codec import (
    LIGHTGBM_TEXT,
    PICKLE,
    SKOPS,
    decode_model,
    encode_model,
)
from watchkeeper.registry.registry import ModelRegistry

NAMES = ("amount", "night")


class ConstantModel:
    """A custom model with no safe format: it can only be pickled."""

    def predict_scores(self, features: FeatureInput) -> FloatArray:
        return np.full(len(features), 0.25)


def double(values: np.ndarray) -> np.ndarray:
    """A function skops does not know, so it must not rebuild it unasked."""
    return values * 2


def test_lightgbm_round_trip_gives_identical_scores(
    lightgbm_model: LightGBMModel, frame_and_labels: tuple[pl.DataFrame, np.ndarray]
) -> None:
    frame, _ = frame_and_labels
    encoded = encode_model(lightgbm_model)
    assert encoded.format == LIGHTGBM_TEXT
    assert encoded.data.startswith(b"tree\n")  # plain model text: nothing to execute
    loaded = decode_model(encoded.format, encoded.data, NAMES)
    assert np.array_equal(loaded.predict_scores(frame), lightgbm_model.predict_scores(frame))
    assert np.array_equal(
        loaded.predict_scores(frame.to_numpy()[:1]), lightgbm_model.predict_scores(frame[:1])
    )


def test_sklearn_round_trip_through_skops(
    frame_and_labels: tuple[pl.DataFrame, np.ndarray],
) -> None:
    frame, labels = frame_and_labels
    estimator = make_pipeline(StandardScaler(), LogisticRegression()).fit(frame.to_numpy(), labels)
    model = SklearnModel(estimator, NAMES)
    encoded = encode_model(model)
    assert encoded.format == SKOPS
    loaded = decode_model(SKOPS, encoded.data, NAMES)
    assert np.array_equal(loaded.predict_scores(frame), model.predict_scores(frame))


def test_skops_refuses_untrusted_types_naming_them(
    frame_and_labels: tuple[pl.DataFrame, np.ndarray],
) -> None:
    frame, labels = frame_and_labels
    estimator = make_pipeline(FunctionTransformer(double), LogisticRegression())
    model = SklearnModel(estimator.fit(frame.to_numpy(), labels), NAMES)
    with pytest.raises(UnsafeModelError, match=r"refusing to save .*\.double; list them under"):
        encode_model(model)
    import skops.io

    data = skops.io.dumps(estimator)  # as if written by someone else
    with pytest.raises(UnsafeModelError, match=r"refusing to load .*\.double"):
        decode_model(SKOPS, data, NAMES)
    trusted = skops.io.get_untrusted_types(data=data)
    assert encode_model(model, trusted_types=trusted).format == SKOPS
    loaded = decode_model(SKOPS, data, NAMES, trusted_types=trusted)
    assert np.array_equal(loaded.predict_scores(frame), model.predict_scores(frame))


def test_sklearn_types_outside_the_skops_safe_list_need_the_workspace_to_trust_them(
    frame_and_labels: tuple[pl.DataFrame, np.ndarray],
) -> None:
    frame, labels = frame_and_labels
    estimator = HistGradientBoostingClassifier(max_iter=5).fit(frame.to_numpy(), labels)
    model = SklearnModel(estimator, NAMES)
    with pytest.raises(UnsafeModelError, match="TreePredictor"):
        encode_model(model)
    predictor = "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"
    encoded = encode_model(model, trusted_types=[predictor])
    loaded = decode_model(SKOPS, encoded.data, NAMES, trusted_types=[predictor])
    assert np.array_equal(loaded.predict_scores(frame), model.predict_scores(frame))


def test_pickle_is_refused_unless_the_workspace_trusts_it() -> None:
    model = ConstantModel()
    with pytest.raises(UnsafeModelError, match="can only be saved as a pickle"):
        encode_model(model)
    data = pickle.dumps(model)
    with pytest.raises(UnsafeModelError, match="trust_pickle: true"):
        decode_model(PICKLE, data, NAMES)
    encoded = encode_model(model, trust_pickle=True)
    assert encoded.format == PICKLE
    loaded = decode_model(PICKLE, encoded.data, NAMES, trust_pickle=True)
    assert loaded.predict_scores(np.zeros((3, 2))).tolist() == [0.25] * 3


def test_a_registry_that_does_not_trust_pickle_refuses_to_load_one(
    registry: ModelRegistry,
) -> None:
    trusting = ModelRegistry(registry.metadata, registry.artifacts, "fraud", trust_pickle=True)
    version = trusting.register(ConstantModel(), feature_schema={"x": "Float64"}, threshold=0.5)
    assert trusting.load(version.version).model.predict_scores(np.zeros((1, 1))).tolist() == [0.25]
    with pytest.raises(UnsafeModelError, match="refusing to load a pickled model"):
        registry.load(version.version)
    with pytest.raises(UnsafeModelError, match="can only be saved as a pickle"):
        registry.register(ConstantModel(), feature_schema={"x": "Float64"}, threshold=0.5)
