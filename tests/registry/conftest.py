"""Registry fixtures: a metadata store on SQLite and PostgreSQL, an artifact folder, models."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from watchkeeper.clock import EventTimeClock
from watchkeeper.modeling.model import LightGBMModel
from watchkeeper.registry.registry import ModelRegistry
from watchkeeper.storage.artifacts.store import ArtifactStore, open_artifact_store
from watchkeeper.storage.metadata.store import MetadataStore, open_metadata_store

START = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture
def clock() -> EventTimeClock:
    return EventTimeClock(START)


@pytest.fixture
def metadata(database_url: str, clock: EventTimeClock) -> Iterator[MetadataStore]:
    with open_metadata_store(database_url, clock) as store:
        yield store


@pytest.fixture
def artifact_folder(tmp_path: Path) -> Path:
    return tmp_path / "artifacts"


@pytest.fixture
def artifacts(artifact_folder: Path) -> ArtifactStore:
    return open_artifact_store(artifact_folder)


@pytest.fixture
def registry(metadata: MetadataStore, artifacts: ArtifactStore) -> ModelRegistry:
    return ModelRegistry(metadata, artifacts, "fraud")


@pytest.fixture(scope="session")
def frame_and_labels() -> tuple[pl.DataFrame, np.ndarray]:
    rng = np.random.default_rng(3)
    frame = pl.DataFrame(
        {"amount": rng.lognormal(3, 1, 1500), "night": rng.integers(0, 2, 1500).astype(float)}
    )
    logit = 0.8 * np.log(frame["amount"].to_numpy()) + frame["night"].to_numpy() - 5
    labels = (rng.random(1500) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    return frame, labels


@pytest.fixture(scope="session")
def lightgbm_model(frame_and_labels: tuple[pl.DataFrame, np.ndarray]) -> LightGBMModel:
    from watchkeeper.training.trainers import train_lightgbm

    frame, labels = frame_and_labels
    return train_lightgbm(
        frame,
        labels,
        sample_weight=None,
        parameters={"n_estimators": 30, "num_threads": 1},
        seed=0,
    )
