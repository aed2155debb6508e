"""Seeded random streams and stateless hashing.

Every simulated day draws from its own generator, derived from the seed, a stream number and
the day. A day's traffic therefore does not depend on how the days are grouped into chunks,
and one kind of traffic (legitimate, segment, fraud) does not shift another's draws.

>>> first = day_generator(seed=1, stream=Stream.LEGITIMATE, day=5).random()
>>> first == day_generator(seed=1, stream=Stream.LEGITIMATE, day=5).random()
True
>>> first == day_generator(seed=1, stream=Stream.FRAUD, day=5).random()
False
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
import numpy.typing as npt


class Stream(IntEnum):
    """Independent random streams of one simulation."""

    POPULATION = 0
    LEGITIMATE = 1
    SEGMENT = 2
    FRAUD = 3
    CHARGEBACKS = 4


def population_generator(seed: int) -> np.random.Generator:
    """Return the generator that draws the cards and merchants of a simulation.

    >>> int(population_generator(3).integers(100)) == int(population_generator(3).integers(100))
    True
    """
    return np.random.default_rng(np.random.SeedSequence([seed, int(Stream.POPULATION)]))


def day_generator(seed: int, stream: Stream, day: int) -> np.random.Generator:
    """Return the generator of one stream on one day.

    >>> draw = day_generator(0, Stream.SEGMENT, 3).integers(1_000)
    >>> bool(draw == day_generator(0, Stream.SEGMENT, 3).integers(1_000))
    True
    """
    return np.random.default_rng(np.random.SeedSequence([seed, int(stream), day]))


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)


def mix64(values: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """Scramble 64-bit integers with the SplitMix64 finaliser (a bijection).

    >>> int(mix64(np.array([1], dtype=np.uint64))[0]) != 1
    True
    """
    mixed = values + _GOLDEN
    mixed = (mixed ^ (mixed >> np.uint64(30))) * _MIX_1
    mixed = (mixed ^ (mixed >> np.uint64(27))) * _MIX_2
    return mixed ^ (mixed >> np.uint64(31))


def hash_pair(
    seed: int, first: npt.NDArray[np.int64], second: npt.NDArray[np.int64]
) -> npt.NDArray[np.uint64]:
    """Return a stateless pseudo-random 64-bit hash of ``(seed, first, second)``, elementwise.

    Used for facts that must be the same wherever they are looked up, such as whether a card
    is travelling in a given week.

    >>> cards = np.array([1, 2], dtype=np.int64)
    >>> weeks = np.array([7, 7], dtype=np.int64)
    >>> bool((hash_pair(0, cards, weeks) == hash_pair(0, cards, weeks)).all())
    True
    """
    salt = mix64(np.array([seed], dtype=np.uint64))
    mixed = mix64(first.astype(np.uint64) ^ salt)
    return mix64(mixed ^ second.astype(np.uint64))


def unit_interval(hashes: npt.NDArray[np.uint64]) -> npt.NDArray[np.float64]:
    """Map 64-bit hashes to floats uniform in [0, 1).

    >>> float(unit_interval(np.array([0], dtype=np.uint64))[0])
    0.0
    """
    return (hashes >> np.uint64(11)).astype(np.float64) * (1.0 / 2**53)


__all__ = ["Stream", "day_generator", "hash_pair", "mix64", "population_generator", "unit_interval"]
