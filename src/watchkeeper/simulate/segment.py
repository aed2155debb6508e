"""Legitimate traffic of the new segment that a segment shift brings (data drift).

The segment's customers are new cards paying at the new category's few merchants: all online,
mostly late in the evening, larger amounts than everyday spending, and often into another
country (cross-border wallet top-ups). Nothing here is fraud, but a model trained before the
shift has never seen such traffic and flags far more of it than of everyday spending.

>>> from watchkeeper.simulate.config import SegmentShiftConfig, SimulationConfig
>>> config = SimulationConfig(
...     days=10, per_day=400, segment_shift=SegmentShiftConfig(start_day=2, share=0.25)
... )
>>> from watchkeeper.simulate.world import build_world
>>> world = build_world(config)
>>> batch = segment_traffic(world, day=3, count=100, generator=np.random.default_rng(0))
>>> len(batch), bool(batch.online.all()), bool(batch.is_fraud.any())
(100, True, False)
"""

from __future__ import annotations

import numpy as np

from watchkeeper.simulate.batch import NO_CHARGEBACK, TransactionBatch
from watchkeeper.simulate.seasonality import draw_times_of_day
from watchkeeper.simulate.sequences import Runs, lengths_summing_to
from watchkeeper.simulate.transactions import NEW_DEVICE_SHARE, in_cents
from watchkeeper.simulate.world import DeviceSource, World

SEGMENT_SESSION_LENGTHS = np.array([1, 2], dtype=np.int64)
SEGMENT_SESSION_LENGTH_SHARES = np.array([0.85, 0.15])
SEGMENT_AMOUNT_MEDIAN = 150.0
SEGMENT_AMOUNT_SIGMA = 0.9
CROSS_BORDER_SHARE = 0.45
"""Share of the segment's payments that go to the customer's corridor country."""
SEGMENT_GAP_MINUTES = 10.0

_MICROSECONDS_PER_MINUTE = 60_000_000


def segment_traffic(
    world: World, day: int, count: int, generator: np.random.Generator
) -> TransactionBatch:
    """Draw ``count`` transactions of the new segment on ``day`` (none without a segment).

    >>> from watchkeeper.simulate.config import SimulationConfig
    >>> from watchkeeper.simulate.world import build_world
    >>> world = build_world(SimulationConfig(days=1, per_day=100))
    >>> len(segment_traffic(world, 0, 50, np.random.default_rng(0)))
    0
    """
    segment_cards = world.population.segment_cards
    if count <= 0 or segment_cards is None:
        return TransactionBatch.empty()
    merchants = world.population.merchants
    segment_category = len(merchants.category_names) - 1
    runs = Runs.of_lengths(
        lengths_summing_to(generator, count, SEGMENT_SESSION_LENGTHS, SEGMENT_SESSION_LENGTH_SHARES)
    )
    sessions = len(runs.lengths)
    cards = segment_cards.draw_active(generator, sessions)
    local = segment_cards.local(cards)
    starts = world.day_start(day) + draw_times_of_day(generator, world.segment_hours, sessions)
    gaps = generator.exponential(SEGMENT_GAP_MINUTES * _MICROSECONDS_PER_MINUTE, runs.rows)
    gap_lengths = (gaps + _MICROSECONDS_PER_MINUTE).astype(np.int64)

    is_new_device = generator.random(sessions) < NEW_DEVICE_SHARE
    session_device = world.habitual_devices(cards, np.zeros(sessions, dtype=np.int64))
    session_device[is_new_device] = world.new_devices(
        day, DeviceSource.SEGMENT, int(is_new_device.sum())
    )

    cross_border = generator.random(runs.rows) < CROSS_BORDER_SHARE
    row_local = local[runs.run]
    amount = segment_cards.spending_level[row_local] * SEGMENT_AMOUNT_MEDIAN
    amount = amount * generator.lognormal(0.0, SEGMENT_AMOUNT_SIGMA, runs.rows)
    return TransactionBatch(
        offset=starts[runs.run] + runs.elapsed(gap_lengths),
        card=cards[runs.run],
        merchant=merchants.draw(generator, np.full(runs.rows, segment_category, dtype=np.int64)),
        amount=in_cents(amount),
        country=np.where(
            cross_border,
            segment_cards.destination_country[row_local],
            segment_cards.home_country[row_local],
        ),
        online=np.ones(runs.rows, dtype=np.bool_),
        device=session_device[runs.run],
        is_fraud=np.zeros(runs.rows, dtype=np.bool_),
        chargeback_lag=np.full(runs.rows, NO_CHARGEBACK, dtype=np.int64),
    )


__all__ = [
    "CROSS_BORDER_SHARE",
    "SEGMENT_AMOUNT_MEDIAN",
    "SEGMENT_AMOUNT_SIGMA",
    "segment_traffic",
]
