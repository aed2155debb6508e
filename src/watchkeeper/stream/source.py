"""What the consumer needs of a stream backend: a small protocol, so Kafka or NATS can follow.

A backend reads *partitions*: numbered, ordered logs of events (a Redis stream per partition,
a Kafka topic's partitions, a JetStream subject per partition). The consumer reads a batch of
entries from the partitions it owns, scores them, publishes their decisions and dead letters,
and only then acknowledges them; an entry never acknowledged is delivered again, after a
restart or to the next owner of its partition (:meth:`StreamSource.claim_stale`).

To add a backend, implement :class:`StreamSource` (and, when the backend has no group
rebalancing of its own, take partitions with :class:`~watchkeeper.stream.lease.PartitionLeases`
as Redis does): Kafka maps ``read_batch`` to ``poll``, ``ack`` to committing the offset after
the batch's last entry, and ``claim_stale`` to resuming from the committed offset once the
group hands it the partition; NATS JetStream maps them to a pull consumer's ``fetch``,
``ack`` and the redelivery of messages whose ``ack_wait`` expired.

>>> entry = Entry(partition=3, entry_id="1700000000000-0", payload=b'{"event_id": "e1"}')
>>> entry.source, entry.produced_ms
('3/1700000000000-0', 1700000000000)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Entry:
    """One entry read from a partition: its backend id and the event as produced (JSON)."""

    partition: int
    entry_id: str
    payload: bytes | None
    """The event's JSON; None when the entry carries no event (a malformed entry)."""

    @property
    def source(self) -> str:
        """Where the entry came from, ``PARTITION/ID``: logged with its decision."""
        return f"{self.partition}/{self.entry_id}"

    @property
    def produced_ms(self) -> int | None:
        """When the entry was appended, in epoch milliseconds, if its id tells it."""
        head = self.entry_id.split("-", 1)[0]
        return int(head) if head.isdigit() else None


@dataclass(frozen=True)
class PartitionLag:
    """How far a partition's group is behind: entries delivered and not acknowledged,
    entries not delivered yet, and the age of the oldest of either (None: none)."""

    partition: int
    pending: int
    undelivered: int
    oldest_age_seconds: float | None


class StreamSource(Protocol):
    """A partitioned stream read by a consumer group, with acknowledgements.

    Delivery is at least once: an entry read and not acknowledged comes back through
    :meth:`claim_stale`. The consumer makes the *effect* exactly once (scoring is idempotent
    by event id), so a backend needs no transactions.
    """

    def read_batch(self, partitions: Sequence[int], count: int, block_ms: int) -> list[Entry]:
        """Up to ``count`` new entries of ``partitions``, each partition's in order; waits up
        to ``block_ms`` for the first one."""
        ...

    def ack(self, entries: Sequence[Entry]) -> None:
        """Acknowledge ``entries``: they are never delivered again."""
        ...

    def claim_stale(self, partition: int, min_idle_ms: int) -> list[Entry]:
        """The entries of ``partition`` delivered to any consumer, idle ``min_idle_ms`` or
        more and never acknowledged, now delivered to this one, in order."""
        ...


class DecisionSink(Protocol):
    """Where the consumer publishes decisions and the entries it could not score."""

    def publish_decisions(self, decisions: Sequence[Mapping[str, str]]) -> None:
        """Append one record per decision to the output stream, in order."""
        ...

    def dead_letter(self, entry: Entry, reason: str) -> None:
        """Append ``entry`` with why it was refused to the dead-letter stream."""
        ...


__all__ = ["DecisionSink", "Entry", "PartitionLag", "StreamSource"]
