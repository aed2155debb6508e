"""Training fixtures: a registry over SQLite and PostgreSQL metadata and an artifact folder."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from watchkeeper.clock import EventTimeClock
from watchkeeper.registry.registry import ModelRegistry
from watchkeeper.storage.artifacts.store import open_artifact_store
from watchkeeper.storage.metadata.store import MetadataStore, open_metadata_store
from watchkeeper.training.pipeline import FeaturedWindow


@pytest.fixture
def metadata(database_url: str) -> Iterator[MetadataStore]:
    clock = EventTimeClock(datetime(2026, 8, 1, tzinfo=UTC))
    with open_metadata_store(database_url, clock) as store:
        yield store


@pytest.fixture
def registry(metadata: MetadataStore, tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(metadata, open_artifact_store(tmp_path / "artifacts"), "fraud")


def assert_same_featured(actual: FeaturedWindow, expected: FeaturedWindow) -> None:
    """Two featured windows are the same: slices, counts and the champion's holdout features
    (floats within 1e-9 relative); every slice holds rows."""
    assert actual.champion_holdout is not None and expected.champion_holdout is not None
    assert_frame_equal(
        actual.champion_holdout, expected.champion_holdout, check_exact=False, rel_tol=1e-9
    )
    assert actual.feature_names == expected.feature_names
    assert actual.rejected_rows == expected.rejected_rows
    assert actual.window.describe() == expected.window.describe()
    for name in ("train", "validation", "holdout"):
        mine: pl.DataFrame = getattr(actual.window, name)
        theirs: pl.DataFrame = getattr(expected.window, name)
        assert theirs.height > 0, name
        assert_frame_equal(mine, theirs, check_exact=False, rel_tol=1e-9, abs_tol=1e-12)
