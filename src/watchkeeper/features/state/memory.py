"""The in-process state store: a dict of states, each kept encoded (the default).

States are kept as the bytes of :mod:`~watchkeeper.features.state.codec`, as the other stores
keep them, not as live objects: ``get_many`` decodes a fresh copy, ``put_many`` encodes. A
serving process holds thousands of keys' states, each a handful of lists as long as its
window; as objects, they were tens of thousands of containers that every full garbage
collection scanned (14 ms at the median, for 5,000 cards), pausing every request in flight.
Bytes are not scanned, and decoding a state costs microseconds.

Bound to a snapshot file (:mod:`~watchkeeper.features.state.snapshot`), the store loads it
when opened, writes it with :meth:`MemoryStateStore.save`, and on :meth:`~MemoryStateStore.close`
writes back what changed since, unless the file changed meanwhile (another process filled
it: the newer file wins). A process that dies loses what it changed since the last save.

>>> from watchkeeper.features.entity_state import EntityState
>>> store = MemoryStateStore()
>>> store.put_many({"k": EntityState(last_timestamp=1)})
>>> store.get_many(["k", "other"])[0].last_timestamp, len(store)
(1, 1)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from watchkeeper.features.entity_state import EntityState
from watchkeeper.features.state.codec import decode_state, encode_state
from watchkeeper.features.state.snapshot import read_snapshot, write_snapshot

logger = logging.getLogger(__name__)


class MemoryStateStore:
    """Entity states in a dict, in this process (loaded from ``snapshot`` when it exists)."""

    def __init__(self, snapshot: Path | None = None) -> None:
        self.snapshot = snapshot
        self._states: dict[str, bytes] = {}
        self._changed = False
        self._seen: tuple[int, int, int] | None = None
        if snapshot is not None and snapshot.exists():
            self._states = read_snapshot(snapshot)
            self._seen = _signature(snapshot)

    def get_many(self, keys: Sequence[str]) -> list[EntityState | None]:
        """The stored states, decoded afresh."""
        states = self._states
        return [None if (data := states.get(key)) is None else decode_state(data) for key in keys]

    def put_many(self, states: Mapping[str, EntityState]) -> None:
        """Store the states."""
        self._states.update({key: encode_state(state) for key, state in states.items()})
        self._changed = True

    def delete_many(self, keys: Sequence[str]) -> None:
        """Forget the states of ``keys``."""
        for key in keys:
            self._states.pop(key, None)
        self._changed = True

    def delete_range(self, low: str, high: str) -> None:
        """Forget the keys in ``[low, high)`` (a pass over every key)."""
        for key in [key for key in self._states if low <= key < high]:
            del self._states[key]
        self._changed = True

    def size_of(self, key: str) -> int:
        """Serialised size of the state of ``key``."""
        return len(self._states.get(key, b""))

    def save(self) -> None:
        """Write every state to the snapshot file (nothing without one)."""
        if self.snapshot is not None:
            write_snapshot(self.snapshot, self._states)
            self._seen = _signature(self.snapshot)
            self._changed = False

    def close(self) -> None:
        """Write back the changes to the snapshot file this store was loaded from or saved
        to, unless another process replaced that file meanwhile."""
        if self.snapshot is None or self._seen is None or not self._changed:
            return
        if _signature(self.snapshot) != self._seen:
            logger.warning(
                "%s was replaced while this process held the online state: kept the new file",
                self.snapshot,
            )
            return
        self.save()

    def __len__(self) -> int:
        return len(self._states)


def _signature(path: Path) -> tuple[int, int, int] | None:
    """What tells a file's versions apart: its inode (each save renames a new file over it),
    modification time and size."""
    try:
        found = path.stat()
    except OSError:
        return None
    return (found.st_ino, found.st_mtime_ns, found.st_size)


__all__ = ["MemoryStateStore"]
