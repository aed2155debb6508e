"""Training fixtures: a registry over SQLite and PostgreSQL metadata and an artifact folder."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from watchkeeper.clock import EventTimeClock
from watchkeeper.registry.registry import ModelRegistry
from watchkeeper.storage.artifacts.store import open_artifact_store
from watchkeeper.storage.metadata.store import MetadataStore, open_metadata_store


@pytest.fixture
def metadata(database_url: str) -> Iterator[MetadataStore]:
    clock = EventTimeClock(datetime(2026, 8, 1, tzinfo=UTC))
    with open_metadata_store(database_url, clock) as store:
        yield store


@pytest.fixture
def registry(metadata: MetadataStore, tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(metadata, open_artifact_store(tmp_path / "artifacts"), "fraud")
