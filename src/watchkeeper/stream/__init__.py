"""Streaming mode: score events read from a stream with the service's features and models.

``watchkeeper consume`` (:mod:`watchkeeper.stream.consumer`) reads events from partitioned
streams (:mod:`watchkeeper.stream.partitions`), one consumer owning a partition at a time
(:mod:`watchkeeper.stream.lease`), scores them as ``POST /v1/score/batch`` does
(:mod:`watchkeeper.stream.batch_scoring`) and publishes each decision to an output stream.
Producers write with :func:`publish`. Redis Streams is the first backend
(:mod:`watchkeeper.stream.redis_streams`); another one implements
:class:`~watchkeeper.stream.source.StreamSource`.
"""

from __future__ import annotations

from watchkeeper.stream.publish import publish  # cheap: redis is imported by its callers

__all__ = ["publish"]
