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
from dataclasses import dataclass
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


@dataclass(frozen=True)
class StateBackend:
    """What the rest of the system needs to know of an online-state backend.

    ``default_file``: where its file lives in the workspace when no ``url`` is given (None:
    it needs a URL; a memory state's file is its snapshot, read at start); ``shared``: whether several processes see one state
    (the service's workers need that).

    >>> state_backend("lmdb").shared, state_backend("memory").shared
    (True, False)
    >>> state_backend("rocksdb")
    Traceback (most recent call last):
    ...
    watchkeeper.errors.ConfigError: unknown online state type 'rocksdb': choose memory, sqlite, lmdb or redis
    """

    name: str
    default_file: str | None
    shared: bool


STATE_BACKENDS: Mapping[str, StateBackend] = {
    backend.name: backend
    for backend in (
        StateBackend("memory", ".watchkeeper/online_state.snapshot", shared=False),
        StateBackend("sqlite", ".watchkeeper/online_state.db", shared=True),
        StateBackend("lmdb", ".watchkeeper/online_state.lmdb", shared=True),
        StateBackend("redis", None, shared=True),
    )
}
"""Every online-state backend by its ``storage.online_state.type``."""


def state_backend(kind: str) -> StateBackend:
    """The backend named ``kind``; an unknown name is a ConfigError listing the known ones."""
    found = STATE_BACKENDS.get(kind)
    if found is None:
        raise ConfigError(
            f"unknown online state type {kind!r}: choose {', '.join(list(STATE_BACKENDS)[:-1])} "
            f"or {list(STATE_BACKENDS)[-1]}"
        )
    return found


def open_state_store(
    kind: str, url: str | None = None, namespace: str = "watchkeeper"
) -> EntityStateStore:
    """Open a store by kind: ``memory`` (``url``: its snapshot file, if any), ``sqlite`` or
    ``lmdb`` (``url`` a file path), or ``redis`` (a URL)."""
    state_backend(kind)  # an unknown kind is refused here, naming the known ones
    if kind == "memory":
        from watchkeeper.features.state.memory import MemoryStateStore

        return MemoryStateStore(Path(url) if url else None)
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
    raise AssertionError(f"online state backend {kind!r} has no opener")


__all__ = [
    "STATE_BACKENDS",
    "EntityStateStore",
    "StateBackend",
    "open_state_store",
    "state_backend",
    "state_key",
]
