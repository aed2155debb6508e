"""The stream consumer: read a batch, score it as the service does, log, publish, acknowledge.

One loop, one batch in flight (at most ``batch_size`` entries: the bound on memory and on
what a crash sends back), each step:

1. renew the partition leases (:class:`~watchkeeper.stream.lease.PartitionLeases`); a
   partition newly taken first has the entries its previous owner left pending claimed
   (``claim_stale``) and handled, before anything new, so each entity's events stay in order;
2. read up to ``batch_size`` new entries of the owned partitions;
3. score them (:class:`~watchkeeper.stream.batch_scoring.BatchScoring`): features from the
   online state, the router's champion/canary/shadow split, the model; the predictions are
   durable in the event store's spool before the folded states are stored;
4. log each refused entry to ``rejections`` (source ``stream``) and to the dead-letter stream;
5. publish one decision per scored entry to the output stream;
6. acknowledge the whole batch.

Delivery: at least once in, an exactly-once *effect*. A crash anywhere before 6 sends the
batch again; scoring is idempotent by event id (the ledger the HTTP path uses, kept in the
online state), so a redelivered event is neither folded nor logged again and its decision is
published again with the same values. A bad entry is acknowledged like any other: it never
comes back, and never holds its partition. ``SIGTERM`` (:meth:`StreamConsumer.stop`) ends the
loop after the batch in hand; the leases are released and the log flushed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from watchkeeper.clock import Clock
from watchkeeper.serving.admin_token import AdminToken
from watchkeeper.serving.scorer import ScoreResult
from watchkeeper.serving.service import ScoringService
from watchkeeper.stream.batch_scoring import SOURCE, BatchScoring, Refused
from watchkeeper.stream.lease import DEFAULT_TTL_MS, PartitionLeases
from watchkeeper.stream.metrics import StreamMetrics
from watchkeeper.stream.partitions import StreamNames
from watchkeeper.stream.redis_streams import RedisStreams
from watchkeeper.stream.source import DecisionSink, Entry, PartitionLag, StreamSource
from watchkeeper.workspace import Workspace

if TYPE_CHECKING:
    import redis

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 500
BLOCK_MS = 100
"""How long a read waits for entries: also how soon a stop is noticed when idle."""


@dataclass
class ConsumeCounts:
    """What a consumer did since it started."""

    batches: int = 0
    scored: int = 0
    rejected: int = 0


def decision_record(entry: Entry, result: ScoreResult) -> dict[str, str]:
    """The output stream's record of ``result``: the event id, where it was read, the
    decision's JSON (the ``/v1/score`` answer without its latency, so a redelivered event's
    record is equal) and the scoring latency.

    >>> from watchkeeper.serving.scorer import ScoreResult
    >>> record = decision_record(Entry(0, "5-0", b"{}"), ScoreResult("e1", 0.9, True, 3, "champion", 1.25))
    >>> record["decision"], record["latency_ms"]
    ('{"event_id":"e1","score":0.9,"decision":true,"model_version":3,"route":"champion"}', '1.250')
    """
    body = result.to_dict()
    latency = body.pop("latency_ms")
    return {
        "event_id": result.event_id,
        "source": entry.source,
        "decision": orjson.dumps(body).decode(),
        "latency_ms": f"{latency:.3f}",
    }


class StreamConsumer:
    """Consumes the partitions it holds the leases of, scoring with ``service``."""

    def __init__(
        self,
        service: ScoringService,
        source: StreamSource,
        sink: DecisionSink,
        leases: PartitionLeases,
        *,
        metrics: StreamMetrics | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        block_ms: int = BLOCK_MS,
        claim_idle_ms: int = 0,
    ) -> None:
        """``claim_idle_ms``: how long an entry must have been pending before a new owner of
        its partition claims it (0: at once; the lease already says the owner is gone)."""
        self.service = service
        self.source = source
        self.sink = sink
        self.leases = leases
        self.metrics = metrics
        self.batch_size = batch_size
        self.block_ms = block_ms
        self.claim_idle_ms = claim_idle_ms
        self.scoring = BatchScoring(service)
        self.counts = ConsumeCounts()
        self._stopping = threading.Event()

    @classmethod
    def over_redis(
        cls,
        workspace: Workspace,
        client: redis.Redis,
        *,
        names: StreamNames,
        partitions: int,
        group: str,
        consumer: str,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_owned: int | None = None,
        lease_ttl_ms: int = DEFAULT_TTL_MS,
        clock: Clock | None = None,
    ) -> StreamConsumer:
        """A consumer of ``workspace`` reading Redis Streams as ``consumer`` of ``group``,
        with its metrics in the scoring service's Prometheus registry.

        >>> import redis, tempfile  # doctest: +SKIP
        >>> from watchkeeper.workspace import Workspace  # doctest: +SKIP
        >>> workspace = Workspace.open(".")  # doctest: +SKIP
        >>> consumer = StreamConsumer.over_redis(workspace, redis.Redis(), names=StreamNames("wk"),
        ...     partitions=8, group="watchkeeper", consumer="c1")  # doctest: +SKIP
        >>> consumer.run()  # doctest: +SKIP
        """
        service = ScoringService(workspace, clock or workspace.clock, AdminToken(None))
        streams = RedisStreams(client, names, group, consumer)
        leases = PartitionLeases(
            client, names, consumer, partitions, max_owned=max_owned, ttl_ms=lease_ttl_ms
        )

        def lag() -> list[PartitionLag]:
            return [streams.lag(partition) for partition in list(leases.owned)]

        metrics = StreamMetrics(service.metrics.registry, lag)
        return cls(service, streams, streams, leases, metrics=metrics, batch_size=batch_size)

    def stop(self) -> None:
        """End :meth:`run` after the batch in hand (a signal handler may call it)."""
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        """Whether :meth:`stop` was called."""
        return self._stopping.is_set()

    def run(self, *, idle_seconds: float | None = None) -> ConsumeCounts:
        """Consume until :meth:`stop` (or, with ``idle_seconds``, until nothing came for that
        long); the leases are released at the end, whatever ended it."""
        idle_since = time.monotonic()
        try:
            while not self._stopping.is_set():
                if self.step():
                    idle_since = time.monotonic()
                elif idle_seconds is not None and time.monotonic() - idle_since >= idle_seconds:
                    break
        finally:
            self.leases.release()
        return self.counts

    def step(self) -> int:
        """One turn of the loop: leases, stale entries of new partitions, one batch read and
        handled. Returns the number of entries handled."""
        handled = 0
        for partition in self.leases.refresh():
            stale = self.source.claim_stale(partition, self.claim_idle_ms)
            if stale:
                logger.info("partition %d: %d pending entries claimed", partition, len(stale))
            for start in range(0, len(stale), self.batch_size):
                handled += self.handle(stale[start : start + self.batch_size])
        if self.metrics is not None:
            self.metrics.owned.set(len(self.leases.owned))
        if self._stopping.is_set():
            return handled
        entries = self.source.read_batch(self.leases.owned, self.batch_size, self.block_ms)
        return handled + self.handle(entries)

    def handle(self, entries: Sequence[Entry]) -> int:
        """Score, log refusals, publish decisions, acknowledge: one batch."""
        if not entries:
            return 0
        started = time.perf_counter()
        batch = self.scoring.score([entry.payload for entry in entries])
        for refused in batch.refused:
            self._refuse(entries[refused.position], refused)
        self.sink.publish_decisions(
            [decision_record(entries[position], result) for position, result in batch.results]
        )
        self.source.ack(entries)
        self.counts.batches += 1
        self.counts.scored += len(batch.results)
        self.counts.rejected += len(batch.refused)
        if self.metrics is not None:
            self.metrics.batch_done(
                scored=len(batch.results),
                rejected=len(batch.refused),
                seconds=time.perf_counter() - started,
            )
        return len(entries)

    def _refuse(self, entry: Entry, refused: Refused) -> None:
        detail = f"{refused.field}: {refused.message}"
        if not refused.logged:
            self.service.rejections.record(
                source=SOURCE,
                reason=refused.code,
                field=refused.field,
                detail=f"{entry.source} {detail}",
                event=_loose(entry.payload),
            )
        self.sink.dead_letter(entry, f"{refused.code}: {detail}")


def _loose(payload: bytes | None) -> Mapping[str, Any] | None:
    """The entry's event if it is a JSON object, to name its id and time in ``rejections``."""
    try:
        event = orjson.loads(payload) if payload is not None else None
    except orjson.JSONDecodeError:
        return None
    return event if isinstance(event, dict) else None


__all__ = ["DEFAULT_BATCH_SIZE", "ConsumeCounts", "StreamConsumer", "decision_record"]
