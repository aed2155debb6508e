"""Online feature state stores: memory (default), SQLite or LMDB (one node), Redis (several)."""

from __future__ import annotations

from watchkeeper.features.state.store import EntityStateStore, open_state_store, state_key

__all__ = ["EntityStateStore", "open_state_store", "state_key"]
