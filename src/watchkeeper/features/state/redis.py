"""The production state store: Redis, shared by every serving node.

States are bytes (:mod:`~watchkeeper.features.state.codec`) under ``NAMESPACE:features:KEY``;
``get_many`` is one ``MGET`` and ``put_many`` one ``MSET`` (atomic), so a micro-batch costs
two round trips. Keep one writer per key (route events by key) — the engine reads, scores
and then writes, without a lock across nodes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from watchkeeper.errors import StoreUnavailableError
from watchkeeper.features.entity_state import EntityState
from watchkeeper.features.state.codec import decode_state, encode_state
from watchkeeper.storage.artifacts.store import masked_location

CONNECT_SECONDS = 5.0
"""How long opening the store waits for Redis to accept the connection."""


class RedisStateStore:
    """Entity states in Redis."""

    def __init__(self, url: str, namespace: str = "watchkeeper") -> None:
        import redis

        self._prefix = f"{namespace}:features:"
        try:
            self._client: Any = redis.Redis.from_url(url, socket_connect_timeout=CONNECT_SECONDS)
            self._client.ping()
        except (redis.RedisError, ValueError) as error:
            raise StoreUnavailableError(
                f"Redis at {masked_location(url)} is not reachable: {error}"
            ) from None

    def get_many(self, keys: Sequence[str]) -> list[EntityState | None]:
        """The stored states, decoded afresh (one MGET)."""
        if not keys:
            return []
        found = self._client.mget([self._prefix + key for key in keys])
        return [None if data is None else decode_state(data) for data in found]

    def put_many(self, states: Mapping[str, EntityState]) -> None:
        """Write the states atomically (one MSET)."""
        if states:
            self._client.mset(
                {self._prefix + key: encode_state(state) for key, state in states.items()}
            )

    def delete_many(self, keys: Sequence[str]) -> None:
        """Forget the states of ``keys``."""
        if keys:
            self._client.delete(*[self._prefix + key for key in keys])

    def delete_range(self, low: str, high: str) -> None:
        """Forget the keys in ``[low, high)``: a ``SCAN`` for their common prefix, then
        ``DEL`` in batches."""
        shared = (index for index, (a, b) in enumerate(zip(low, high, strict=False)) if a != b)
        common = low[: next(shared, min(len(low), len(high)))]
        pattern = self._prefix + "".join(
            f"\\{char}" if char in "*?[]\\" else char for char in common
        )
        first, last = (self._prefix + low).encode(), (self._prefix + high).encode()
        doomed = [
            key
            for key in self._client.scan_iter(match=pattern + "*", count=1000)
            if first <= key < last
        ]
        for offset in range(0, len(doomed), 1000):
            self._client.delete(*doomed[offset : offset + 1000])

    def size_of(self, key: str) -> int:
        """Bytes of the stored state of ``key``."""
        return int(self._client.strlen(self._prefix + key))

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


__all__ = ["RedisStateStore"]
