"""The window-profile store: profiles in the artifact store, the index in the metadata
database (SQLite and PostgreSQL), shared by every store opened on that database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from watchkeeper.clock import EventTimeClock
from watchkeeper.errors import StorageError
from watchkeeper.monitoring.job.window_profile_store import LEGACY_INDEX_FOLDER, WindowProfileStore
from watchkeeper.monitoring.job.windows import Window
from watchkeeper.monitoring.profiles.dataset_profile import DatasetProfile
from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile
from watchkeeper.storage.artifacts.folder import FolderArtifactStore
from watchkeeper.storage.metadata.store import open_metadata_store
from watchkeeper.workspace import Workspace

DAY = datetime(2026, 6, 1, tzinfo=UTC)


def window(index: int) -> Window:
    return Window(DAY + timedelta(days=index), DAY + timedelta(days=index + 1))


def profile(values: list[float]) -> DatasetProfile:
    numbers = NumericProfile.from_values(np.array(values), edges=(2.5,))
    return DatasetProfile({"x": numbers}, rows=len(values))


def test_two_hosts_share_the_index_and_a_rewrite_keeps_one_entry(
    database_url: str, tmp_path: Path
) -> None:
    clock = EventTimeClock(DAY + timedelta(days=9))
    artifacts = FolderArtifactStore(tmp_path / "artifacts")  # a shared bucket
    with (
        open_metadata_store(database_url, clock) as first_host,
        open_metadata_store(database_url, clock) as second_host,
    ):
        writer = WindowProfileStore(artifacts, first_host.window_profiles, "fraud")
        reader = WindowProfileStore(artifacts, second_host.window_profiles, "fraud")
        writer.put(1, window(0), profile([1.0, 2.0]))
        writer.put(1, window(1), profile([3.0]))
        writer.put(2, window(1), profile([9.0]))
        rewritten = writer.put(1, window(1), profile([3.0, 4.0]))  # a re-run of the window

        assert reader.windows(1) == [window(0), window(1)]
        assert reader.versions() == [1, 2]
        entry = reader.index.get("fraud", 1, window(1).start, window(1).end)
        assert entry is not None and entry.sha256 == rewritten
        merged = reader.merged(1, [window(0), window(1), window(2)])
        assert merged.rows == 4
        numbers = merged.features["x"]
        assert isinstance(numbers, NumericProfile) and numbers.counts == (2, 2)
        assert reader.get(1, window(2)) is None
        assert WindowProfileStore(artifacts, second_host.window_profiles, "other").versions() == []
        with pytest.raises(StorageError, match="no stored window profile of 'fraud' version 3"):
            reader.merged(3, [window(0)])


def test_a_file_index_of_an_earlier_release_is_moved_into_the_database(
    monitored_traffic: Any,
) -> None:
    with Workspace.open(monitored_traffic.root) as opened:
        sha256 = opened.artifacts.put_bytes(profile([1.0, 5.0]).to_bytes()).sha256
    legacy = monitored_traffic.root / LEGACY_INDEX_FOLDER / "card-fraud" / "v1"
    legacy.mkdir(parents=True)
    (legacy / "20260601T000000Z.sha256").write_text(sha256, encoding="ascii")
    with Workspace.open(monitored_traffic.root) as opened:
        store = WindowProfileStore.for_workspace(opened)
        assert store.windows(1) == [window(0)]
        stored = store.get(1, window(0))
        assert stored is not None and stored.rows == 2
        assert WindowProfileStore.for_workspace(opened).windows(1) == [window(0)]
    assert not (monitored_traffic.root / LEGACY_INDEX_FOLDER).exists()
    assert (monitored_traffic.root / "monitoring" / "window_profiles.imported").is_dir()
