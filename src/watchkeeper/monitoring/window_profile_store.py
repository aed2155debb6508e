"""Stored window profiles: each daily profile once, a week as a merge of seven of them.

A window's profile (the served features plus the score, on the reference's plan) goes to the
artifact store as ``DatasetProfile.to_bytes()``, content-addressed and verified on read. An
index maps (model, version, window start) to its sha256: one small text file per window under
the workspace's ``monitoring/window_profiles`` folder, replaced atomically, so two monitor runs
writing the same window leave one valid entry. Report windows are never rescanned:
:meth:`WindowProfileStore.merged` reads the stored daily profiles and merges them.

>>> import tempfile, numpy as np
>>> from datetime import UTC, datetime, timedelta
>>> from pathlib import Path
>>> from watchkeeper.monitoring.numeric_profile import NumericProfile
>>> from watchkeeper.monitoring.windows import Window
>>> from watchkeeper.storage.artifact_folder import FolderArtifactStore
>>> folder = Path(tempfile.mkdtemp())
>>> store = WindowProfileStore(FolderArtifactStore(folder / "artifacts"), folder / "index", "fraud")
>>> day = Window(datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 2, tzinfo=UTC))
>>> next_day = Window(day.end, day.end + timedelta(days=1))
>>> for window, values in ((day, [1.0, 2.0]), (next_day, [3.0])):
...     profile = NumericProfile.from_values(np.array(values), edges=(2.5,))
...     _ = store.put(1, window, DatasetProfile({"x": profile}, rows=len(values)))
>>> store.merged(1, [day, next_day]).features["x"].counts
(2, 1)
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from watchkeeper.errors import StorageError
from watchkeeper.monitoring.dataset_profile import DatasetProfile
from watchkeeper.monitoring.windows import Window
from watchkeeper.storage.artifacts import ArtifactStore

PROFILE_MEDIA_TYPE = "application/vnd.watchkeeper.window-profile+json"


class WindowProfileStore:
    """Window profiles of one model's versions, in the artifact store, indexed by window."""

    def __init__(self, artifacts: ArtifactStore, index_root: Path, model: str) -> None:
        self.artifacts = artifacts
        self.index_root = index_root
        self.model = model

    def _index_path(self, version: int, window: Window) -> Path:
        stamp = window.start.strftime("%Y%m%dT%H%M%SZ")
        return self.index_root / self.model / f"v{version}" / f"{stamp}.sha256"

    def put(self, version: int, window: Window, profile: DatasetProfile) -> str:
        """Store the profile of ``version`` over ``window``; return its sha256."""
        reference = self.artifacts.put_bytes(profile.to_bytes(), PROFILE_MEDIA_TYPE)
        path = self._index_path(version, window)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="ascii") as file:
            file.write(reference.sha256)
        Path(temporary).replace(path)
        return reference.sha256

    def get(self, version: int, window: Window) -> DatasetProfile | None:
        """The stored profile of ``version`` over ``window``, or None if it was never stored."""
        path = self._index_path(version, window)
        if not path.exists():
            return None
        return DatasetProfile.from_bytes(self.artifacts.get_bytes(path.read_text().strip()))

    def merged(self, version: int, windows: Sequence[Window]) -> DatasetProfile:
        """The merge of the stored profiles of ``windows`` (a week: seven days), no rescan.

        Windows without a stored profile (no traffic of that version) are skipped.
        """
        found = [profile for window in windows if (profile := self.get(version, window))]
        if not found:
            raise StorageError(
                f"no stored window profile of {self.model!r} version {version} between "
                f"{windows[0].start.isoformat() if windows else '-'} and "
                f"{windows[-1].end.isoformat() if windows else '-'}"
            )
        return DatasetProfile.merge_all(found)


__all__ = ["PROFILE_MEDIA_TYPE", "WindowProfileStore"]
