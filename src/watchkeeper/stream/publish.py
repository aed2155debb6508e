"""The producer's helper: append events to the partition of their entity key.

>>> import redis  # doctest: +SKIP
>>> client = redis.Redis()  # doctest: +SKIP
>>> publish(client, [{"event_id": "e1", "card_id": "c7", "amount": 12.5}], key="card_id")  # doctest: +SKIP
['watchkeeper:events:5/1733400000000-0']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import orjson

from watchkeeper.errors import InvalidInputError
from watchkeeper.stream.partitions import (
    DEFAULT_PARTITIONS,
    DEFAULT_PREFIX,
    StreamNames,
    check_partitions,
    partition_of,
)
from watchkeeper.stream.redis_streams import EVENT_FIELD

if TYPE_CHECKING:
    import redis


def publish(
    client: redis.Redis,
    events: Iterable[Mapping[str, Any]],
    *,
    key: str,
    prefix: str = DEFAULT_PREFIX,
    partitions: int = DEFAULT_PARTITIONS,
    maxlen: int | None = None,
) -> list[str]:
    """Append ``events`` to the partitions of their ``key`` field (the workspace's
    ``keys.entity``), in one round trip; returns ``STREAM/ID`` of each entry, in order.

    ``partitions`` must equal the consumers' ``--partitions``; ``maxlen`` caps each
    partition's length (approximately; entries not yet read are then lost). Datetimes are
    written as ISO 8601. An event without ``key`` raises :class:`InvalidInputError`.
    """
    check_partitions(partitions)
    names = StreamNames(prefix)
    pipe = client.pipeline(transaction=False)
    streams = []
    for position, event in enumerate(events):
        entity = event.get(key)
        if entity is None:
            raise InvalidInputError(f"events[{position}].{key}", "required: the partition key")
        stream = names.partition(partition_of(str(entity), partitions))
        streams.append(stream)
        fields = {EVENT_FIELD: orjson.dumps(event, default=str)}
        pipe.xadd(stream, fields, maxlen=maxlen, approximate=True)  # type: ignore[arg-type]
    ids = pipe.execute()
    return [f"{stream}/{_text(entry_id)}" for stream, entry_id in zip(streams, ids, strict=True)]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


__all__ = ["publish"]
