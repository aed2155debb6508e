"""The watched run scored through the stream: ``watchkeeper demo --via stream``.

Each stretch of event time the agent ticks on (:func:`~watchkeeper.demo.runs.run_with`) goes
through Redis Streams as live traffic would:

1. its events are published to the run's partitions by their entity key
   (:func:`watchkeeper.stream.publish`, in event-time order, so each entity's events stay in
   order in its partition);
2. a :class:`~watchkeeper.stream.consumer.StreamConsumer` of the workspace reads them in
   batches, computes the online features (the state was filled from the history before
   launch, as ``watchkeeper features backfill-state`` does), routes them with the service's
   sticky champion/canary split, logs the predictions through the spool and publishes one
   decision per event to ``PREFIX:decisions``;
3. the decisions are read back from that stream: they are the run's decisions.

The batch engine of the default path and the online engine give identical features (the
parity property tests), so the same seed gives the same predictions and the same summary
either way. The consumer's clock is the replay's event time at the end of the stretch (its
events then lie in the past, as a live service sees them); the rows it logs are stamped with
the workspace's clock, as the default path's are. The run's streams live under a prefix of
their own (``watchkeeper-demo-XXXXXXXX``), emptied as each stretch is read and deleted at the
end.

>>> StreamVia("redis://127.0.0.1:6379/0", prefix="wk-demo").prefix
'wk-demo'
>>> StreamVia("redis://127.0.0.1:6379/0", batch_size=0)
Traceback (most recent call last):
...
watchkeeper.errors.ConfigError: --stream-batch-size must be at least 1 (got 0)
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
import polars as pl

from watchkeeper.application.online_state import fill_workspace_state
from watchkeeper.clock import EventTimeClock
from watchkeeper.demo.runs import decision_columns, serving_key
from watchkeeper.errors import ConfigError, SchemaError, StorageError
from watchkeeper.registry.registry import ModelRegistry
from watchkeeper.serving.admin_token import AdminToken
from watchkeeper.serving.service import ScoringService
from watchkeeper.stream.consumer import StreamConsumer
from watchkeeper.stream.lease import PartitionLeases
from watchkeeper.stream.partitions import DEFAULT_PARTITIONS, StreamNames, check_partitions
from watchkeeper.stream.publish import publish
from watchkeeper.stream.redis_streams import RedisStreams, connect
from watchkeeper.workspace import Workspace

if TYPE_CHECKING:
    import redis

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
GROUP = "watchkeeper-demo"
CONSUMER = "demo"
PUBLISH_CHUNK = 1_000
"""Events per publishing round trip."""
STALL_SECONDS = 120.0
"""How long the consumer may go without handling an entry before the replay gives up."""


@dataclass(frozen=True)
class StreamVia:
    """Where the watched run's stream lives: the Redis URL, the run's stream prefix (None: a
    fresh ``watchkeeper-demo-XXXXXXXX``), its partitions and the consumer's batch size."""

    redis_url: str = DEFAULT_REDIS_URL
    prefix: str | None = None
    partitions: int = DEFAULT_PARTITIONS
    batch_size: int = 500

    def __post_init__(self) -> None:
        check_partitions(self.partitions)
        if self.batch_size < 1:
            raise ConfigError(f"--stream-batch-size must be at least 1 (got {self.batch_size})")

    def check(self) -> None:
        """Raise a :class:`ConfigError` naming the URL now if its Redis cannot be reached,
        before a replay spends minutes simulating and training."""
        connect(self.redis_url).close()


@dataclass
class StreamScoring:
    """Scores the watched run's stretches through the stream (see the module)."""

    workspace: Workspace
    events: pl.DataFrame
    client: redis.Redis
    names: StreamNames
    partitions: int
    consumer: StreamConsumer
    clock: EventTimeClock
    published: int = 0
    _key: tuple[int | None, int | None] | None = field(default=None, repr=False)

    @classmethod
    @contextmanager
    def start(
        cls, workspace: Workspace, events: pl.DataFrame, via: StreamVia
    ) -> Iterator[StreamScoring]:
        """Fill the online state from the event store's history, connect, and build the
        consumer; on leaving, close the service and delete the run's streams.

        ``events``: the raw events the run replays (truth removed), sorted by event time.
        """
        client = connect(via.redis_url)
        names = StreamNames(via.prefix or f"watchkeeper-demo-{uuid.uuid4().hex[:8]}")
        try:
            fill_workspace_state(workspace)  # the first event gets the batch engine's features
            clock = EventTimeClock(workspace.clock.now())
            service = ScoringService(
                workspace, clock, AdminToken(None), refresh_seconds=float("inf")
            )
            try:
                streams = RedisStreams(client, names, GROUP, CONSUMER)
                leases = PartitionLeases(client, names, CONSUMER, via.partitions)
                consumer = StreamConsumer(
                    service, streams, streams, leases, batch_size=via.batch_size
                )
                yield cls(workspace, events, client, names, via.partitions, consumer, clock)
            finally:
                service.close()
        finally:
            _drop(client, names.prefix)
            client.close()

    def decide(self, start: datetime, stop: datetime) -> pl.DataFrame:
        """Publish the events of ``[start, stop)``, consume them all, and return their
        decisions as the output stream has them, in the events' order."""
        keys = self.workspace.config.keys
        moment = pl.col(keys.event_time)
        stretch = self.events.filter((moment >= start) & (moment < stop))
        self.clock.advance_to(stop)
        self._reload_if_changed()
        rows = stretch.to_dicts()
        for first in range(0, len(rows), PUBLISH_CHUNK):
            publish(
                self.client,
                rows[first : first + PUBLISH_CHUNK],
                key=keys.entity,
                prefix=self.names.prefix,
                partitions=self.partitions,
            )
        self._consume(len(rows))
        decided = self._read_decisions()
        task = self.workspace.config.model.task
        ordered = stretch.select(pl.col(keys.event_id).cast(pl.String).alias("event_id")).join(
            decided, on="event_id", how="left", maintain_order="left"
        )
        missing = ordered.filter(pl.col("route").is_null()).height
        if missing:
            dead = int(self.client.xlen(self.names.dead_letters) or 0)
            raise SchemaError(
                f"the stream consumer refused {missing} of {stretch.height} events between "
                f"{start.isoformat()} and {stop.isoformat()} ({dead} in {self.names.dead_letters})"
            )
        return ordered.select(decision_columns(task))

    def _reload_if_changed(self) -> None:
        """Load the serving models again when the champion or the running canary changed
        (the agent's tick promotes, starts and ends canaries between stretches)."""
        key = serving_key(ModelRegistry.for_workspace(self.workspace))
        if key != self._key:
            self.consumer.service.reload()
            self._key = key

    def _consume(self, expected: int) -> None:
        handled = 0
        last_progress = time.monotonic()
        try:
            while handled < expected:
                done = self.consumer.step()
                handled += done
                if done:
                    last_progress = time.monotonic()
                elif time.monotonic() - last_progress > STALL_SECONDS:
                    raise StorageError(
                        f"the stream consumer handled {handled} of {expected} entries of "
                        f"{self.names.prefix}:events:* and then nothing for {STALL_SECONDS:.0f} s"
                    )
        finally:
            self.consumer.leases.release()  # a tick may outlast the leases' time to live
        for partition in range(self.partitions):  # all acknowledged: nothing to keep
            self.client.xtrim(self.names.partition(partition), maxlen=0, approximate=False)

    def _read_decisions(self) -> pl.DataFrame:
        task = self.workspace.config.model.task
        answer = decision_columns(task)[1]
        records: list[dict[str, Any]] = []
        after = "-"
        while True:
            chunk: Any = self.client.xrange(self.names.decisions, min=after, count=10_000)
            if not chunk:
                break
            for _, fields in chunk:
                records.append(orjson.loads(fields[b"decision"]))
            after = "(" + _text(chunk[-1][0])
        self.client.xtrim(self.names.decisions, maxlen=0, approximate=False)
        answer_type: pl.DataType = {"regression": pl.Float64(), "multiclass": pl.String()}.get(
            task, pl.Boolean()
        )
        frame = pl.DataFrame(
            {
                "event_id": [record["event_id"] for record in records],
                answer: [record.get(answer) for record in records],
                "model_version": [record["model_version"] for record in records],
                "route": [record["route"] for record in records],
            },
            schema={
                "event_id": pl.String,
                answer: answer_type,
                "model_version": pl.Int64,
                "route": pl.String,
            },
        )
        return frame.unique("event_id", keep="first", maintain_order=True)  # a redelivery


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _drop(client: redis.Redis, prefix: str) -> None:
    """Delete the run's streams and leases."""
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1_000))
    if keys:
        client.delete(*keys)


__all__ = ["DEFAULT_REDIS_URL", "StreamScoring", "StreamVia"]
