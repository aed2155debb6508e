"""The reference profile of a multiclass or regression version, and its stored estimator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from watchkeeper.config import MonitoringConfig
from watchkeeper.errors import FeatureError, RegistryError
from watchkeeper.modeling.task_estimators import load_estimator, value_estimator
from watchkeeper.monitoring.profiles.categorical_profile import CategoricalProfile
from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile
from watchkeeper.performance.regression_estimation import LossEstimator
from watchkeeper.storage.artifacts.store import open_artifact_store
from watchkeeper.training.reference_profile import (
    prediction_columns_for_profile,
    reference_profile,
    task_reference_profile,
)

FEATURES = pl.DataFrame({"x": np.linspace(0.0, 1.0, 60), "code": [1, 2, 3] * 20})


def test_prediction_columns_per_task() -> None:
    assert [
        prediction_columns_for_profile(task) for task in ("binary", "multiclass", "regression")
    ] == [
        ("score",),
        ("decision", "score"),
        ("prediction",),
    ]


def test_a_multiclass_profile_counts_decisions_and_sketches_scores() -> None:
    predictions = pl.DataFrame(
        {"decision": ["a"] * 45 + ["b"] * 15, "score": np.linspace(0.4, 0.9, 60)}
    )
    profile = task_reference_profile(
        FEATURES, predictions, MonitoringConfig(), categorical=["code"]
    )
    decisions, scores = profile.features["decision"], profile.features["score"]
    assert isinstance(decisions, CategoricalProfile) and isinstance(scores, NumericProfile)
    assert dict(zip(decisions.categories, decisions.counts, strict=True)) == {"a": 45, "b": 15}
    assert scores.count == 60 and isinstance(profile.features["code"], CategoricalProfile)


def test_a_regression_profile_matches_the_binary_one_on_the_same_numbers() -> None:
    values = np.linspace(0.0, 1.0, 60)
    regression = task_reference_profile(
        FEATURES, pl.DataFrame({"prediction": values}), MonitoringConfig()
    )
    binary = reference_profile(FEATURES, values, MonitoringConfig())
    assert regression.features["prediction"] == binary.features["score"]
    assert regression.features["x"] == binary.features["x"]


def test_a_feature_named_like_a_prediction_or_a_row_count_mismatch_is_refused() -> None:
    with pytest.raises(FeatureError, match="'x' has the name of a prediction column"):
        task_reference_profile(FEATURES, pl.DataFrame({"x": [1.0] * 60}), MonitoringConfig())
    with pytest.raises(FeatureError, match="3 predictions for 60 holdout rows"):
        task_reference_profile(
            FEATURES, pl.DataFrame({"prediction": [1.0] * 3}), MonitoringConfig()
        )


def test_a_loss_estimator_is_stored_and_read_back(tmp_path: Path) -> None:
    artifacts = open_artifact_store(str(tmp_path))
    rng = np.random.default_rng(4)
    features = pl.DataFrame({"x": rng.uniform(0, 1, 400)})
    actual = features["x"].to_numpy() + rng.normal(0, 0.1, 400)
    entry = value_estimator(features, features["x"].to_numpy(), actual, artifacts)
    assert entry["method"] == "dle" and artifacts.exists(entry["artifact_sha256"])
    loaded = load_estimator({"estimator": entry}, artifacts)
    assert isinstance(loaded, LossEstimator) and loaded.reference_rows == 400
    assert load_estimator({}, artifacts) is None
    with pytest.raises(RegistryError, match="unknown performance estimator method 'magic'"):
        load_estimator({"estimator": {"method": "magic"}}, artifacts)
