"""Orchestration: day by day, the kinds of traffic joined, sorted and turned into frames.

Each day draws from its own random streams, so the traffic does not depend on how days are
grouped: :func:`simulate` and the concatenated chunks of :func:`simulate_chunks` are the same
frames. Sessions and fraud episodes that run past midnight are carried into the next day;
transactions after the end of the last day are dropped.

>>> config = SimulationConfig(days=3, per_day=300, seed=11)
>>> traffic = simulate(config)
>>> traffic.transactions.height > 800, traffic.transactions["ts"].is_sorted()
(True, True)
>>> chunks = list(simulate_chunks(config, chunk_days=1))
>>> len(chunks), SimulatedTraffic.concatenate(chunks).transactions.equals(traffic.transactions)
(3, True)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np

from watchkeeper.errors import SimulationError
from watchkeeper.simulate.batch import TransactionBatch
from watchkeeper.simulate.chargebacks import draw_chargeback_lags
from watchkeeper.simulate.config import SimulationConfig
from watchkeeper.simulate.fraud import (
    ADAPTED_MEAN_PAYMENTS,
    CLASSIC_MEAN_PAYMENTS,
    adapted_fraud,
    classic_fraud,
)
from watchkeeper.simulate.randomness import Stream, day_generator
from watchkeeper.simulate.schedule import plan_day
from watchkeeper.simulate.segment import segment_traffic
from watchkeeper.simulate.traffic import SimulatedTraffic, Vocabulary, to_traffic
from watchkeeper.simulate.transactions import legitimate_traffic
from watchkeeper.simulate.world import World, build_world

DEFAULT_CHUNK_DAYS = 30


def generate_day(world: World, day: int) -> TransactionBatch:
    """Draw every transaction that starts on ``day``, not yet sorted by time.

    >>> world = build_world(SimulationConfig(days=1, per_day=1_000, base_fraud_rate=0.05))
    >>> batch = generate_day(world, 0)
    >>> 0.02 < float(batch.is_fraud.mean()) < 0.08
    True
    """
    config = world.config
    plan = plan_day(config, day)
    fraud_generator = day_generator(config.seed, Stream.FRAUD, day)
    expected = plan.expected_fraud_transactions
    classic_episodes = int(
        fraud_generator.poisson(expected * (1.0 - plan.adapted_share) / CLASSIC_MEAN_PAYMENTS)
    )
    adapted_episodes = int(
        fraud_generator.poisson(expected * plan.adapted_share / ADAPTED_MEAN_PAYMENTS)
    )
    fraud = TransactionBatch.concatenate(
        [
            classic_fraud(world, day, classic_episodes, fraud_generator),
            adapted_fraud(world, day, adapted_episodes, fraud_generator),
        ]
    )
    lags = draw_chargeback_lags(
        day_generator(config.seed, Stream.CHARGEBACKS, day), config.chargeback_lag, len(fraud)
    )
    fraud = dataclasses.replace(fraud, chargeback_lag=lags)
    legitimate = legitimate_traffic(
        world,
        day,
        max(0, plan.stable_transactions - len(fraud)),
        day_generator(config.seed, Stream.LEGITIMATE, day),
    )
    segment = segment_traffic(
        world,
        day,
        plan.segment_transactions,
        day_generator(config.seed, Stream.SEGMENT, day),
    )
    return TransactionBatch.concatenate([legitimate, segment, fraud])


def simulate_chunks(
    config: SimulationConfig, chunk_days: int = DEFAULT_CHUNK_DAYS
) -> Iterator[SimulatedTraffic]:
    """Yield the traffic of ``config`` chunk by chunk of ``chunk_days`` days.

    Memory stays bounded by a chunk. Event ids run on across chunks; each chunk holds the
    chargebacks of its own transactions. Concatenated, the chunks equal :func:`simulate`.

    >>> [part.transactions.height > 0 for part in simulate_chunks(
    ...     SimulationConfig(days=5, per_day=100), chunk_days=2)]
    [True, True, True]
    >>> next(simulate_chunks(SimulationConfig(days=5), chunk_days=0))
    Traceback (most recent call last):
    ...
    watchkeeper.errors.SimulationError: chunk_days 0 is not allowed: it must be at least 1
    """
    if chunk_days < 1:
        raise SimulationError(f"chunk_days {chunk_days} is not allowed: it must be at least 1")
    world = build_world(config)
    vocabulary = Vocabulary.of_world(world)
    carried = TransactionBatch.empty()
    next_event_number = 0
    for first_day in range(0, config.days, chunk_days):
        emitted: list[TransactionBatch] = []
        for day in range(first_day, min(config.days, first_day + chunk_days)):
            finished, carried = _close_day(world, day, carried)
            emitted.append(finished)
        chunk = TransactionBatch.concatenate(emitted)
        yield to_traffic(chunk, vocabulary, next_event_number)
        next_event_number += len(chunk)


def _close_day(
    world: World, day: int, carried: TransactionBatch
) -> tuple[TransactionBatch, TransactionBatch]:
    """Return the day's transactions sorted by time, and those that spill into the next day."""
    batch = TransactionBatch.concatenate([carried, generate_day(world, day)]).sorted_by_time()
    cut = int(np.searchsorted(batch.offset, world.day_start(day + 1), side="left"))
    return batch.take(slice(0, cut)), batch.take(slice(cut, None))


def simulate(config: SimulationConfig) -> SimulatedTraffic:
    """Simulate the traffic of ``config``: the same config gives the same frames, bit for bit.

    >>> config = SimulationConfig(days=2, per_day=200, seed=5)
    >>> traffic = simulate(config)
    >>> traffic.transactions.columns
    ['event_id', 'ts', 'card_id', 'merchant_id', 'merchant_category', 'amount', 'country',
     'channel', 'device_id', 'is_fraud']
    >>> traffic.transactions.equals(simulate(config).transactions)
    True
    """
    return SimulatedTraffic.concatenate(list(simulate_chunks(config)))


__all__ = ["DEFAULT_CHUNK_DAYS", "generate_day", "simulate", "simulate_chunks"]
