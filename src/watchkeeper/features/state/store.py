"""Where the online engine keeps per-key state: a small interface and how to open one.

An :class:`EntityStateStore` maps a key (a string naming the group and the key's value) to
an :class:`~watchkeeper.features.entity_state.EntityState`. Four implementations share one
contract test suite: :class:`~watchkeeper.features.state.memory.MemoryStateStore` (the
default, in this process), :class:`~watchkeeper.features.state.sqlite.SqliteStateStore`
(persistent, one node), :class:`~watchkeeper.features.state.lmdb.LmdbStateStore` (the
workers of one machine, through a memory map) and
:class:`~watchkeeper.features.state.redis.RedisStateStore` (several machines). The store is chosen by ``storage.online_state`` in the workspace file, and
the backend module is imported only when chosen.

A store hands out states and takes them back; the engine changes a state only after the
event is scored, and only for events that passed validation, then puts it back.

>>> store = open_state_store("memory")
>>> store.get_many(["card\\x1fc1"])
[None]
>>> store.close()
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from watchkeeper.errors import ConfigError
from watchkeeper.features.entity_state import EntityState


@runtime_checkable
class EntityStateStore(Protocol):
    """Per-key online feature state."""

    def get_many(self, keys: Sequence[str]) -> list[EntityState | None]:
        """The states of ``keys`` (``None`` where a key has none), in order."""
        ...

    def put_many(self, states: Mapping[str, EntityState]) -> None:
        """Store ``states``, all or none."""
        ...

    def delete_many(self, keys: Sequence[str]) -> None:
        """Forget the states of ``keys``."""
        ...

    def delete_range(self, low: str, high: str) -> None:
        """Forget every key from ``low`` (included) to ``high`` (excluded), in code-point
        order: how the service forgets the event ids it no longer needs, a whole time bucket
        at once (:mod:`~watchkeeper.serving.idempotency`)."""
        ...

    def size_of(self, key: str) -> int:
        """Bytes the state of ``key`` takes in the store (0 when absent)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def state_key(group: str, value: Any) -> str:
    """The store key of the state of ``value`` in the group keyed by field ``group``.

    >>> state_key("card_id", "c-1"), state_key("shop", 7)
    ('card_id\\x1fs:c-1', 'shop\\x1fj:7')
    """
    if isinstance(value, str):
        return f"{group}\x1fs:{value}"
    return f"{group}\x1fj:{json.dumps(value)}"


def open_state_store(
    kind: str, url: str | None = None, namespace: str = "watchkeeper"
) -> EntityStateStore:
    """Open a store by kind: ``memory``, ``sqlite`` or ``lmdb`` (``url`` a file path), or
    ``redis`` (a URL)."""
    if kind == "memory":
        from watchkeeper.features.state.memory import MemoryStateStore

        return MemoryStateStore()
    if kind == "sqlite":
        from watchkeeper.features.state.sqlite import SqliteStateStore

        if not url:
            raise ConfigError("online state of type sqlite needs a file path")
        return SqliteStateStore(Path(url.removeprefix("sqlite:///")), namespace)
    if kind == "lmdb":
        from watchkeeper.features.state.lmdb import LmdbStateStore

        if not url:
            raise ConfigError("online state of type lmdb needs a file path")
        return LmdbStateStore(Path(url), namespace)
    if kind == "redis":
        from watchkeeper.features.state.redis import RedisStateStore

        if not url:
            raise ConfigError(
                "online state of type redis needs a URL, e.g. redis://127.0.0.1:6379/0"
            )
        return RedisStateStore(url, namespace)
    raise ConfigError(f"unknown online state type {kind!r}: choose memory, sqlite, lmdb or redis")


__all__ = ["EntityStateStore", "open_state_store", "state_key"]
