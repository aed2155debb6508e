"""Redis Streams as the stream backend: consumer groups, ``XREADGROUP``/``XACK``, ``XAUTOCLAIM``.

Each partition is a stream (``PREFIX:events:N``) read by one consumer group; an entry holds
the event's JSON in its ``event`` field (:func:`~watchkeeper.stream.publish.publish` writes
it). A read delivers new entries (``>``) to this consumer and puts them in the group's
pending entries list until ``XACK``; the new owner of a partition takes over the pending
entries of the consumer before it with ``XAUTOCLAIM`` (:meth:`RedisStreams.claim_stale`).
Decisions go to ``PREFIX:decisions``, dead letters to ``PREFIX:dead``, each with ``XADD``
in one pipeline per batch.

>>> decode_entries(2, [(b"1-0", {b"event": b"{}"}), (b"1-1", {b"other": b"x"})])
[Entry(partition=2, entry_id='1-0', payload=b'{}'), Entry(partition=2, entry_id='1-1', payload=None)]
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from watchkeeper.errors import ConfigError, StorageError
from watchkeeper.stream.partitions import StreamNames
from watchkeeper.stream.source import Entry, PartitionLag

if TYPE_CHECKING:
    import redis

EVENT_FIELD = b"event"
APPEND_RECORDS = """
local width = tonumber(ARGV[1])
local fields = {}
for position = 1, width do fields[position] = ARGV[1 + position] end
local record = {}
for first = 2 + width, #ARGV, width do
    for position = 1, width do
        record[2 * position - 1] = fields[position]
        record[2 * position] = ARGV[first + position - 1]
    end
    redis.call('XADD', KEYS[1], '*', unpack(record))
end
return (#ARGV - 1 - width) / width
"""
"""``XADD`` of records of the same fields: ``ARGV`` = width, the field names, then the values
record after record."""
CLAIM_COUNT = 1000


def connect(url: str) -> redis.Redis:
    """A client of the Redis at ``url``, pinged: a :class:`ConfigError` names an unreachable one."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=5)
        client.ping()
    except (redis.RedisError, ValueError) as error:
        raise ConfigError(f"--redis-url: cannot reach Redis at {url} ({error})") from None
    return client


def decode_entries(partition: int, raw: Sequence[Any]) -> list[Entry]:
    """Entries as ``XREADGROUP``/``XAUTOCLAIM`` return them (id, fields; fields None once
    deleted) as :class:`Entry`."""
    entries = []
    for entry_id, fields in raw:
        payload = None if not fields else fields.get(EVENT_FIELD)
        identifier = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
        entries.append(Entry(partition, identifier, payload))
    return entries


class RedisStreams:
    """One consumer of group ``group`` over the partition streams named by ``names``."""

    def __init__(self, client: redis.Redis, names: StreamNames, group: str, consumer: str) -> None:
        self.client = client
        self.names = names
        self.group = group
        self.consumer = consumer
        self._created: set[int] = set()
        self._append = client.register_script(APPEND_RECORDS)

    def ensure_group(self, partition: int) -> None:
        """Create the group on the partition's stream (and the stream) unless it exists."""
        import redis

        if partition in self._created:
            return
        try:
            self.client.xgroup_create(
                self.names.partition(partition), self.group, "0", mkstream=True
            )
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise StorageError(
                    f"cannot create consumer group {self.group!r}: {error}"
                ) from None
        self._created.add(partition)

    def read_batch(self, partitions: Sequence[int], count: int, block_ms: int) -> list[Entry]:
        """Up to ``count`` new entries over ``partitions`` (split evenly between them)."""
        if not partitions:
            time.sleep(block_ms / 1000.0)
            return []
        for partition in partitions:
            self.ensure_group(partition)
        streams: dict[Any, Any] = {self.names.partition(partition): ">" for partition in partitions}
        index = {self.names.partition(partition): partition for partition in partitions}
        per_stream = max(1, math.ceil(count / len(partitions)))
        answer: Any = self.client.xreadgroup(
            self.group, self.consumer, streams, count=per_stream, block=max(block_ms, 1)
        )
        entries: list[Entry] = []
        for name, raw in answer or []:
            key = name.decode() if isinstance(name, bytes) else str(name)
            entries.extend(decode_entries(index[key], raw))
        return entries

    def ack(self, entries: Sequence[Entry]) -> None:
        """``XACK`` every entry, one command per partition, in one round trip."""
        by_partition: dict[int, list[str]] = {}
        for entry in entries:
            by_partition.setdefault(entry.partition, []).append(entry.entry_id)
        if not by_partition:
            return
        pipe = self.client.pipeline(transaction=False)
        for partition, ids in by_partition.items():
            pipe.xack(self.names.partition(partition), self.group, *ids)
        pipe.execute()

    def claim_stale(self, partition: int, min_idle_ms: int) -> list[Entry]:
        """Every pending entry of ``partition`` idle ``min_idle_ms`` or more, now this
        consumer's (``XAUTOCLAIM`` until the cursor wraps); deleted ones are acknowledged."""
        self.ensure_group(partition)
        name = self.names.partition(partition)
        claimed: list[Entry] = []
        cursor: Any = "0-0"
        while True:
            answer = self.client.xautoclaim(
                name, self.group, self.consumer, min_idle_ms, start_id=cursor, count=CLAIM_COUNT
            )
            cursor, raw = answer[0], answer[1]
            gone = [entry_id for entry_id, fields in raw if fields is None]  # Redis 6.2
            claimed.extend(decode_entries(partition, [item for item in raw if item[1] is not None]))
            if gone:
                self.client.xack(name, self.group, *gone)
            if cursor in (b"0-0", "0-0"):
                return claimed

    def publish_decisions(self, decisions: Sequence[Mapping[str, str]]) -> None:
        """``XADD`` each decision to the output stream, in order: one script call (a
        pipeline of one ``XADD`` each cost the client three times as much)."""
        if not decisions:
            return
        names = list(decisions[0])
        values = [decision[name] for decision in decisions for name in names]
        self._append(keys=[self.names.decisions], args=[len(names), *names, *values])

    def dead_letter(self, entry: Entry, reason: str) -> None:
        """``XADD`` the refused entry, its origin and the reason to the dead-letter stream."""
        fields: dict[Any, Any] = {
            "source": entry.source,
            "reason": reason,
            "consumer": self.consumer,
            "event": entry.payload if entry.payload is not None else b"",
        }
        self.client.xadd(self.names.dead_letters, fields)

    def lag(self, partition: int, now_ms: int | None = None) -> PartitionLag:
        """The group's pending and undelivered entries on ``partition`` and the oldest's age
        at ``now_ms`` (default: Redis's ``TIME``, the clock its entry ids are made from)."""
        name = self.names.partition(partition)
        if now_ms is None:  # the clock of the entry ids
            seconds, micros = self.client.time()
            now_ms = int(seconds) * 1000 + int(micros) // 1000
        groups = (
            {_text(group["name"]): group for group in self.client.xinfo_groups(name)}
            if self.client.exists(name)
            else {}
        )
        group = groups.get(self.group)
        if group is None:
            return PartitionLag(partition, 0, int(self.client.xlen(name) or 0), None)
        pending = int(group.get("pending") or 0)
        undelivered = int(group.get("lag") or 0)
        oldest: list[int] = []
        if pending:
            summary = self.client.xpending(name, self.group)
            if summary.get("min"):
                oldest.append(_millis(summary["min"]))
        if undelivered:
            after = _text(group["last-delivered-id"])
            following = self.client.xrange(name, min=f"({after}", count=1)
            if following:
                oldest.append(_millis(following[0][0]))
        age = (now_ms - min(oldest)) / 1000.0 if oldest else None
        return PartitionLag(partition, pending, undelivered, age)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _millis(entry_id: Any) -> int:
    return int(_text(entry_id).split("-", 1)[0])


__all__ = ["EVENT_FIELD", "RedisStreams", "connect", "decode_entries"]
