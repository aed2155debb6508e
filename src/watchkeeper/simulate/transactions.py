"""Legitimate traffic of the stable world's cards.

Cardholders shop in sessions: one payment, or a few within the hour at different merchants,
either all in store or all online (each category keeps its share of online payments).
A session happens at home, or abroad when the card is travelling that week. Amounts are
log-normal around the category's median times the card's spending level. Online payments come
from one of the card's habitual devices, and rarely from a device never used before.

>>> from watchkeeper.simulate.config import SimulationConfig
>>> from watchkeeper.simulate.world import build_world
>>> world = build_world(SimulationConfig(days=2, per_day=500, seed=4))
>>> batch = legitimate_traffic(world, day=1, count=500, generator=np.random.default_rng(0))
>>> len(batch), bool(batch.is_fraud.any()), bool((batch.amount > 0).all())
(500, False, True)
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from watchkeeper.simulate.batch import NO_CHARGEBACK, NO_DEVICE, TransactionBatch
from watchkeeper.simulate.categories import (
    CATEGORY_AMOUNT_MEDIAN,
    CATEGORY_AMOUNT_SIGMA,
    CATEGORY_ONLINE_SHARE,
    CATEGORY_WEIGHTS,
)
from watchkeeper.simulate.randomness import hash_pair, unit_interval
from watchkeeper.simulate.seasonality import draw_times_of_day
from watchkeeper.simulate.sequences import Runs, lengths_summing_to
from watchkeeper.simulate.world import DeviceSource, World

SESSION_LENGTHS = np.array([1, 2, 3, 4, 5, 6], dtype=np.int64)
SESSION_LENGTH_SHARES = np.array([0.68, 0.16, 0.08, 0.05, 0.02, 0.01])
SESSION_GAP_MINUTES = 8.0
"""Mean gap between two payments of one session (exponential, plus half a minute)."""
HABITUAL_DEVICE_SHARES = np.array([0.80, 0.15, 0.05])
"""How often a card's first, second and third habitual device is used."""
NEW_DEVICE_SHARE = 0.004
"""Share of sessions made from a device never used with the card before."""
SMALLEST_AMOUNT = 0.5
ONLINE_SESSION_SHARE = float((CATEGORY_WEIGHTS * CATEGORY_ONLINE_SHARE).sum())
"""Share of sessions made online; a session is all online or all in store."""

_MICROSECONDS_PER_MINUTE = 60_000_000


def draw_amounts(
    generator: np.random.Generator,
    spending_level: npt.NDArray[np.float64],
    category: npt.NDArray[np.int64],
) -> npt.NDArray[np.float64]:
    """Draw everyday amounts, rounded to cents, for cards of a level in given categories.

    >>> amounts = draw_amounts(np.random.default_rng(1), np.ones(3), np.array([0, 5, 8]))
    >>> bool((amounts >= SMALLEST_AMOUNT).all())
    True
    """
    noise = generator.normal(0.0, 1.0, len(category))
    amount = spending_level * CATEGORY_AMOUNT_MEDIAN[category]
    return in_cents(amount * np.exp(CATEGORY_AMOUNT_SIGMA[category] * noise))


def in_cents(amounts: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Round amounts to cents, and raise any below :data:`SMALLEST_AMOUNT` to it.

    >>> in_cents(np.array([0.01, 12.346])).tolist()
    [0.5, 12.35]
    """
    return np.round(np.maximum(amounts, SMALLEST_AMOUNT), 2).astype(np.float64)


def draw_categories(
    generator: np.random.Generator, weights: npt.NDArray[np.float64], size: int
) -> npt.NDArray[np.int64]:
    """Draw ``size`` category indices with the given (not necessarily normalised) weights.

    >>> draw_categories(np.random.default_rng(0), np.array([0.0, 1.0]), 3).tolist()
    [1, 1, 1]
    """
    cumulative = np.cumsum(weights)
    cumulative /= cumulative[-1]
    drawn = np.searchsorted(cumulative, generator.random(size), side="right")
    return np.minimum(drawn, len(weights) - 1).astype(np.int64)


def legitimate_traffic(
    world: World, day: int, count: int, generator: np.random.Generator
) -> TransactionBatch:
    """Draw ``count`` legitimate transactions of the stable world's cards on ``day``.

    >>> from watchkeeper.simulate.config import SimulationConfig
    >>> from watchkeeper.simulate.world import build_world
    >>> world = build_world(SimulationConfig(days=1, per_day=100))
    >>> len(legitimate_traffic(world, 0, 0, np.random.default_rng(0)))
    0
    """
    if count <= 0:
        return TransactionBatch.empty()
    cards_population = world.population.cards
    runs = Runs.of_lengths(
        lengths_summing_to(generator, count, SESSION_LENGTHS, SESSION_LENGTH_SHARES)
    )
    sessions = len(runs.lengths)
    cards = cards_population.draw_active(generator, sessions)
    local = cards_population.local(cards)
    starts = world.day_start(day) + draw_times_of_day(generator, world.everyday_hours, sessions)
    gaps = generator.exponential(SESSION_GAP_MINUTES * _MICROSECONDS_PER_MINUTE, runs.rows)
    gap_lengths = (gaps + _MICROSECONDS_PER_MINUTE // 2).astype(np.int64)

    weeks = np.full(sessions, world.week_of(day), dtype=np.int64)
    travel_draw = unit_interval(hash_pair(world.config.seed, cards, weeks))
    travelling = travel_draw < cards_population.travel_probability[local]
    session_country = np.where(
        travelling,
        cards_population.destination_country[local],
        cards_population.home_country[local],
    )

    habitual_draw = np.searchsorted(np.cumsum(HABITUAL_DEVICE_SHARES), generator.random(sessions))
    slot = np.minimum(habitual_draw, cards_population.device_count[local] - 1)
    is_new_device = generator.random(sessions) < NEW_DEVICE_SHARE
    session_device = world.habitual_devices(cards, slot)
    session_device[is_new_device] = world.new_devices(
        day, DeviceSource.LEGITIMATE, int(is_new_device.sum())
    )

    online = (generator.random(sessions) < ONLINE_SESSION_SHARE)[runs.run]
    category = np.where(
        online,
        draw_categories(generator, CATEGORY_WEIGHTS * CATEGORY_ONLINE_SHARE, runs.rows),
        draw_categories(generator, CATEGORY_WEIGHTS * (1.0 - CATEGORY_ONLINE_SHARE), runs.rows),
    )
    return TransactionBatch(
        offset=starts[runs.run] + runs.elapsed(gap_lengths),
        card=cards[runs.run],
        merchant=world.population.merchants.draw(generator, category),
        amount=draw_amounts(generator, cards_population.spending_level[local][runs.run], category),
        country=session_country[runs.run],
        online=online,
        device=np.where(online, session_device[runs.run], NO_DEVICE),
        is_fraud=np.zeros(runs.rows, dtype=np.bool_),
        chargeback_lag=np.full(runs.rows, NO_CHARGEBACK, dtype=np.int64),
    )


__all__ = [
    "HABITUAL_DEVICE_SHARES",
    "NEW_DEVICE_SHARE",
    "ONLINE_SESSION_SHARE",
    "SESSION_LENGTHS",
    "SESSION_LENGTH_SHARES",
    "draw_amounts",
    "draw_categories",
    "in_cents",
    "legitimate_traffic",
]
