"""Events partitioned by their entity key, so that one card's events stay in order.

A key always lands in the same partition, on every machine and Python version (a blake2b
digest, not :func:`hash`, which is salted per process). The names of the streams derive from
one prefix: ``PREFIX:events:N`` for the partitions, ``PREFIX:decisions`` for the output,
``PREFIX:dead`` for dead letters and ``PREFIX:lease:N`` for the partitions' owners.

>>> partition_of("card-17", 8), partition_of("card-17", 8) == partition_of("card-17", 8)
(7, True)
>>> names = StreamNames("wk")
>>> names.partition(3), names.decisions, names.dead_letters, names.lease(3)
('wk:events:3', 'wk:decisions', 'wk:dead', 'wk:lease:3')
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from watchkeeper.errors import ConfigError

DEFAULT_PARTITIONS = 8
DEFAULT_PREFIX = "watchkeeper"


def partition_of(key: str, partitions: int) -> int:
    """The partition of entity ``key`` among ``partitions``: stable everywhere."""
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % partitions


def check_partitions(partitions: int) -> int:
    """``partitions`` if usable, else a :class:`ConfigError`.

    >>> check_partitions(0)
    Traceback (most recent call last):
    ...
    watchkeeper.errors.ConfigError: --partitions must be between 1 and 1024 (got 0)
    """
    if not 1 <= partitions <= 1024:
        raise ConfigError(f"--partitions must be between 1 and 1024 (got {partitions})")
    return partitions


@dataclass(frozen=True)
class StreamNames:
    """The stream and key names under one ``prefix``."""

    prefix: str = DEFAULT_PREFIX

    def partition(self, index: int) -> str:
        """The input stream of partition ``index``."""
        return f"{self.prefix}:events:{index}"

    def lease(self, index: int) -> str:
        """The key naming the consumer that owns partition ``index``."""
        return f"{self.prefix}:lease:{index}"

    @property
    def decisions(self) -> str:
        """The output stream of decisions."""
        return f"{self.prefix}:decisions"

    @property
    def dead_letters(self) -> str:
        """The stream of entries that could not be scored."""
        return f"{self.prefix}:dead"


__all__ = [
    "DEFAULT_PARTITIONS",
    "DEFAULT_PREFIX",
    "StreamNames",
    "check_partitions",
    "partition_of",
]
