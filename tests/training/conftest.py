"""Training fixtures: a registry over SQLite and PostgreSQL metadata and an artifact folder."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from watchkeeper.clock import EventTimeClock
from watchkeeper.registry.registry import ModelRegistry
from watchkeeper.storage.artifacts import open_artifact_store
from watchkeeper.storage.metadata import MetadataStore, open_metadata_store


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'metadata.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def metadata(database_url: str) -> Iterator[MetadataStore]:
    clock = EventTimeClock(datetime(2026, 8, 1, tzinfo=UTC))
    with open_metadata_store(database_url, clock) as store:
        yield store


@pytest.fixture
def registry(metadata: MetadataStore, tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(metadata, open_artifact_store(tmp_path / "artifacts"), "fraud")
