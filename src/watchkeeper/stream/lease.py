"""One consumer owns a partition at a time: a Redis key per partition with a time to live.

A consumer takes a free partition with ``SET PREFIX:lease:N NAME NX PX TTL`` and renews its
leases before every batch (a compare-and-expire script: only the owner renews). A consumer
that dies stops renewing: its partitions are free once their TTL runs out, and their next
owner claims the entries it left pending. A consumer restarted under the same name finds its
own leases and takes them back at once. On a graceful stop the leases are deleted, so the
others take the partitions over within their next look for free ones.

``max_owned`` spreads the partitions: with 8 partitions and ``--max-owned 4`` two consumers
take four each. There is no forced hand-off: a consumer keeps what it owns until it stops or
loses a lease (a batch longer than the TTL), so start consumers with a ``max_owned`` of about
``partitions / consumers``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from watchkeeper.stream.partitions import StreamNames

if TYPE_CHECKING:
    import redis

RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""
DEFAULT_TTL_MS = 10_000
LOOK_EVERY_SECONDS = 1.0
"""How often a consumer with room for more partitions looks for free ones."""


class PartitionLeases:
    """The leases ``consumer`` holds on ``partitions`` partitions, at most ``max_owned``."""

    def __init__(
        self,
        client: redis.Redis,
        names: StreamNames,
        consumer: str,
        partitions: int,
        *,
        max_owned: int | None = None,
        ttl_ms: int = DEFAULT_TTL_MS,
    ) -> None:
        self.client = client
        self.names = names
        self.consumer = consumer
        self.partitions = partitions
        self.max_owned = max_owned if max_owned is not None else partitions
        self.ttl_ms = ttl_ms
        self.owned: list[int] = []
        self._looked = -float("inf")
        self._renew = client.register_script(RENEW)
        self._release = client.register_script(RELEASE)

    def refresh(self) -> list[int]:
        """Renew the leases held (dropping lost ones) and take free partitions while there is
        room; the partitions newly taken are returned (their stale entries are to be claimed)."""
        if self.owned:
            pipe = self.client.pipeline(transaction=False)
            for partition in self.owned:
                self._renew(
                    keys=[self.names.lease(partition)],
                    args=[self.consumer, self.ttl_ms],
                    client=pipe,
                )
            kept = pipe.execute()
            self.owned = [partition for partition, ok in zip(self.owned, kept, strict=True) if ok]
        if len(self.owned) >= self.max_owned:
            return []
        now = time.monotonic()
        if now - self._looked < LOOK_EVERY_SECONDS:
            return []
        self._looked = now
        return self._take_free()

    def _take_free(self) -> list[int]:
        free = [partition for partition in range(self.partitions) if partition not in self.owned]
        pipe = self.client.pipeline(transaction=False)
        for partition in free:
            pipe.set(self.names.lease(partition), self.consumer, nx=True, px=self.ttl_ms)
            pipe.get(self.names.lease(partition))
        answers = pipe.execute()
        taken: list[int] = []
        for position, partition in enumerate(free):
            if len(self.owned) + len(taken) >= self.max_owned:
                break
            holder = answers[2 * position + 1]
            if holder is not None and holder.decode() == self.consumer:
                taken.append(partition)  # set now, or still ours from before a restart
        surplus = [
            partition
            for position, partition in enumerate(free)
            if partition not in taken and answers[2 * position]
        ]
        self.release(surplus)  # taken by the SET but beyond max_owned
        self.owned = sorted([*self.owned, *taken])
        return taken

    def release(self, partitions: Sequence[int] | None = None) -> None:
        """Give up ``partitions`` (default: all held), so others take them at once."""
        chosen = list(self.owned if partitions is None else partitions)
        if not chosen:
            return
        pipe = self.client.pipeline(transaction=False)
        for partition in chosen:
            self._release(keys=[self.names.lease(partition)], args=[self.consumer], client=pipe)
        pipe.execute()
        self.owned = [partition for partition in self.owned if partition not in chosen]
        self._looked = -float("inf")  # free to take them again at once


__all__ = ["DEFAULT_TTL_MS", "PartitionLeases"]
