"""The in-process state store: a dict of live state objects (the default, and the fastest).

States are not copied: ``get_many`` hands out the stored objects themselves, which the engine
changes only after scoring and then puts back. :meth:`MemoryStateStore.size_of` measures what
the state would take serialised, the figure comparable with the other stores.

>>> from watchkeeper.features.entity_state import EntityState
>>> store = MemoryStateStore()
>>> store.put_many({"k": EntityState(last_timestamp=1)})
>>> store.get_many(["k", "other"])[0].last_timestamp, len(store)
(1, 1)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from watchkeeper.features.entity_state import EntityState
from watchkeeper.features.state.codec import encode_state


class MemoryStateStore:
    """Entity states in a dict, in this process."""

    def __init__(self) -> None:
        self._states: dict[str, EntityState] = {}

    def get_many(self, keys: Sequence[str]) -> list[EntityState | None]:
        """The stored states (the objects themselves)."""
        states = self._states
        return [states.get(key) for key in keys]

    def put_many(self, states: Mapping[str, EntityState]) -> None:
        """Store the states."""
        self._states.update(states)

    def delete_many(self, keys: Sequence[str]) -> None:
        """Forget the states of ``keys``."""
        for key in keys:
            self._states.pop(key, None)

    def size_of(self, key: str) -> int:
        """Serialised size of the state of ``key``."""
        state = self._states.get(key)
        return 0 if state is None else len(encode_state(state))

    def close(self) -> None:
        """Nothing to release."""

    def __len__(self) -> int:
        return len(self._states)


__all__ = ["MemoryStateStore"]
