"""Stored window profiles: each daily profile once, a week as a merge of seven of them.

A window's profile (the served features plus the score, on the reference's plan) goes to the
artifact store as ``DatasetProfile.to_bytes()``, content-addressed and verified on read. The
index mapping (model, version, window) to its sha256 is the metadata database's
``window_profiles`` table (:class:`~watchkeeper.storage.metadata.window_profile_index.WindowProfileIndex`),
so every host monitoring the model sees the same profiles, and two monitor runs writing the
same window leave one entry. Report windows are never rescanned:
:meth:`WindowProfileStore.merged` reads the stored daily profiles and merges them.

>>> import tempfile, numpy as np
>>> from datetime import UTC, datetime, timedelta
>>> from pathlib import Path
>>> from watchkeeper.clock import EventTimeClock
>>> from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile
>>> from watchkeeper.monitoring.job.windows import Window
>>> from watchkeeper.storage.artifacts.folder import FolderArtifactStore
>>> from watchkeeper.storage.metadata.store import open_metadata_store
>>> folder = Path(tempfile.mkdtemp())
>>> metadata = open_metadata_store("sqlite://", EventTimeClock(datetime(2026, 6, 9, tzinfo=UTC)))
>>> store = WindowProfileStore(
...     FolderArtifactStore(folder / "artifacts"), metadata.window_profiles, "fraud")
>>> day = Window(datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 2, tzinfo=UTC))
>>> next_day = Window(day.end, day.end + timedelta(days=1))
>>> for window, values in ((day, [1.0, 2.0]), (next_day, [3.0])):
...     profile = NumericProfile.from_values(np.array(values), edges=(2.5,))
...     _ = store.put(1, window, DatasetProfile({"x": profile}, rows=len(values)))
>>> store.merged(1, [day, next_day]).features["x"].counts
(2, 1)
>>> [str(window) for window in store.windows(1)]
['2026-06-01/2026-06-02', '2026-06-02/2026-06-03']
>>> store.served(day.start, next_day.end)[day.start]
{1}
>>> metadata.close()
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from watchkeeper.errors import StorageError
from watchkeeper.monitoring.job.windows import Window
from watchkeeper.monitoring.profiles.dataset_profile import DatasetProfile
from watchkeeper.storage.artifacts.store import ArtifactStore
from watchkeeper.storage.metadata.window_profile_index import WindowProfileIndex

if TYPE_CHECKING:
    from watchkeeper.workspace import Workspace

PROFILE_MEDIA_TYPE = "application/vnd.watchkeeper.window-profile+json"
LEGACY_INDEX_FOLDER = Path("monitoring") / "window_profiles"
"""Where earlier releases kept the index as files, relative to the workspace."""


class WindowProfileStore:
    """Window profiles of one model's versions, in the artifact store, indexed in SQL."""

    def __init__(self, artifacts: ArtifactStore, index: WindowProfileIndex, model: str) -> None:
        self.artifacts = artifacts
        self.index = index
        self.model = model

    @classmethod
    def for_workspace(cls, workspace: Workspace) -> WindowProfileStore:
        """The store of the workspace's model: its artifact store and metadata database.

        An index left as files by an earlier release (``monitoring/window_profiles`` in the
        workspace) is moved into the database once, and its folder renamed ``.imported``.
        """
        store = cls(
            workspace.artifacts, workspace.metadata.window_profiles, workspace.config.model.name
        )
        legacy = workspace.root / LEGACY_INDEX_FOLDER
        if legacy.is_dir():
            store.import_legacy_index(legacy, workspace.config.monitoring.window)
            with contextlib.suppress(OSError):  # another process imported it at the same time
                legacy.rename(legacy.with_name(legacy.name + ".imported"))
        return store

    def import_legacy_index(self, folder: Path, length: timedelta) -> int:
        """Record the entries of a file index (``MODEL/vN/START.sha256`` under ``folder``)
        missing from the database; windows are ``length`` long. Returns how many."""
        imported = 0
        for path in sorted((folder / self.model).glob("v*/*.sha256")):
            version = int(path.parent.name[1:])
            start = datetime.strptime(path.stem, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            if self.index.get(self.model, version, start, start + length) is None:
                sha256 = path.read_text(encoding="ascii").strip()
                self.index.put(self.model, version, start, start + length, sha256=sha256)
                imported += 1
        return imported

    def put(self, version: int, window: Window, profile: DatasetProfile) -> str:
        """Store the profile of ``version`` over ``window``; return its sha256."""
        reference = self.artifacts.put_bytes(profile.to_bytes(), PROFILE_MEDIA_TYPE)
        self.index.put(self.model, version, window.start, window.end, sha256=reference.sha256)
        return reference.sha256

    def get(self, version: int, window: Window) -> DatasetProfile | None:
        """The stored profile of ``version`` over ``window``, or None if it was never stored."""
        entry = self.index.get(self.model, version, window.start, window.end)
        if entry is None:
            return None
        return DatasetProfile.from_bytes(self.artifacts.get_bytes(entry.sha256))

    def windows(
        self, version: int, start: datetime | None = None, end: datetime | None = None
    ) -> list[Window]:
        """The windows of ``version`` with a stored profile (within [start, end) if given)."""
        return [
            Window(entry.window_start, entry.window_end)
            for entry in self.index.entries(self.model, version, start, end)
        ]

    def versions(self, start: datetime | None = None, end: datetime | None = None) -> list[int]:
        """The versions with at least one stored profile (within [start, end)), ascending."""
        entries = self.index.entries(self.model, start=start, end=end)
        return sorted({entry.model_version for entry in entries})

    def served(self, start: datetime, end: datetime) -> dict[datetime, set[int]]:
        """Which versions have a stored profile of each window within [start, end), by the
        window's start (windows no version served are absent)."""
        found: dict[datetime, set[int]] = {}
        for entry in self.index.entries(self.model, start=start, end=end):
            found.setdefault(entry.window_start, set()).add(entry.model_version)
        return found

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


__all__ = ["LEGACY_INDEX_FOLDER", "PROFILE_MEDIA_TYPE", "WindowProfileStore"]
