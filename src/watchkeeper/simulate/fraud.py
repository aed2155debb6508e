"""Fraud episodes on compromised cards: the classic patterns and the adapted ones.

*Classic* (before the fraudsters adapt): most episodes start with card testing, a burst of
tiny online payments at one merchant within a few minutes, then one to three large purchases
(electronics, travel). They happen mostly at night, mostly from a foreign country, mostly
online from one device the card has never used.

*Adapted* (concept drift): ordinary amounts in everyday online categories, in the daytime, from
the card's home country, so amount, hour, country and channel look normal. What gives them
away is elsewhere: every payment comes from a different device never seen with the card, and
the fraudster switches merchant every few minutes (several distinct merchants within an hour).

>>> from watchkeeper.simulate.config import SimulationConfig
>>> from watchkeeper.simulate.world import build_world
>>> world = build_world(SimulationConfig(days=2, per_day=1_000))
>>> adapted = adapted_fraud(world, day=0, episodes=3, generator=np.random.default_rng(0))
>>> bool(adapted.is_fraud.all()), len(set(adapted.device.tolist())) == len(adapted)
(True, True)
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from watchkeeper.simulate.batch import NO_CHARGEBACK, NO_DEVICE, TransactionBatch
from watchkeeper.simulate.categories import (
    CATEGORY_INDEX,
    CATEGORY_ONLINE_SHARE,
    CATEGORY_WEIGHTS,
    COUNTRIES,
)
from watchkeeper.simulate.seasonality import NIGHT_HOURS, draw_times_of_day, hourly_weights
from watchkeeper.simulate.sequences import Runs
from watchkeeper.simulate.transactions import draw_amounts, draw_categories, in_cents
from watchkeeper.simulate.world import DeviceSource, World

CARD_TESTING_SHARE = 0.8
"""Share of online classic episodes that start with card testing."""
TESTING_PAYMENTS = (2, 6)
"""Smallest and largest number of tiny test payments in a card-testing burst."""
TEST_AMOUNT = (0.5, 2.0)
"""Smallest and largest amount of a card-testing payment, in dollars."""
LARGE_PAYMENTS = (1, 3)
"""Smallest and largest number of large purchases of a classic episode."""
CLASSIC_NIGHT_SHARE = 0.6
CLASSIC_FOREIGN_SHARE = 0.75
CLASSIC_ONLINE_SHARE = 0.88
LARGE_AMOUNT_MEDIAN = 650.0
LARGE_AMOUNT_SIGMA = 0.6
LARGE_AMOUNT_FLOOR = 120.0
ADAPTED_PAYMENTS = (4, 9)
"""Smallest and largest number of payments of an adapted episode."""

_SECOND = 1_000_000
_MINUTE = 60 * _SECOND
_TESTING_CATEGORIES = np.array(
    [CATEGORY_INDEX[name] for name in ("online_retail", "subscriptions", "entertainment")]
)
_LARGE_CATEGORIES = np.array(
    [CATEGORY_INDEX[name] for name in ("electronics", "travel", "online_retail")]
)
_LARGE_CATEGORY_SHARES = np.array([0.5, 0.2, 0.3])
_IN_STORE_CATEGORIES = np.array([CATEGORY_INDEX[name] for name in ("electronics", "apparel")])
_NIGHT = hourly_weights(NIGHT_HOURS, 1.0)

CLASSIC_MEAN_PAYMENTS = CLASSIC_ONLINE_SHARE * CARD_TESTING_SHARE * sum(TESTING_PAYMENTS) / 2 + (
    sum(LARGE_PAYMENTS) / 2
)
"""Mean number of payments of a classic episode."""
ADAPTED_MEAN_PAYMENTS = sum(ADAPTED_PAYMENTS) / 2
"""Mean number of payments of an adapted episode."""


def _between(
    generator: np.random.Generator, bounds: tuple[int, int], size: int
) -> npt.NDArray[np.int64]:
    return generator.integers(bounds[0], bounds[1] + 1, size).astype(np.int64)


def _episode_starts(
    world: World, day: int, generator: np.random.Generator, night_share: float, size: int
) -> npt.NDArray[np.int64]:
    night = generator.random(size) < night_share
    everyday = draw_times_of_day(generator, world.everyday_hours, size)
    at_night = draw_times_of_day(generator, _NIGHT, size)
    return world.day_start(day) + np.where(night, at_night, everyday)


def classic_fraud(
    world: World, day: int, episodes: int, generator: np.random.Generator
) -> TransactionBatch:
    """Draw ``episodes`` classic fraud episodes starting on ``day``.

    >>> from watchkeeper.simulate.config import SimulationConfig
    >>> from watchkeeper.simulate.world import build_world
    >>> world = build_world(SimulationConfig(days=2, per_day=1_000))
    >>> batch = classic_fraud(world, day=0, episodes=20, generator=np.random.default_rng(0))
    >>> bool(batch.is_fraud.all()), bool((batch.amount > 0).all())
    (True, True)
    """
    if episodes <= 0:
        return TransactionBatch.empty()
    cards_population = world.population.cards
    merchants = world.population.merchants
    cards = cards_population.draw_uniform(generator, episodes)
    home = cards_population.home_country[cards_population.local(cards)]
    online = generator.random(episodes) < CLASSIC_ONLINE_SHARE
    tests = generator.random(episodes) < CARD_TESTING_SHARE
    testing = np.where(online & tests, _between(generator, TESTING_PAYMENTS, episodes), 0)
    runs = Runs.of_lengths(testing + _between(generator, LARGE_PAYMENTS, episodes))
    is_test = runs.position < testing[runs.run]

    foreign = generator.random(episodes) < CLASSIC_FOREIGN_SHARE
    elsewhere = (home + generator.integers(1, len(COUNTRIES), episodes)) % len(COUNTRIES)
    country = np.where(foreign, elsewhere, home)

    test_category = _TESTING_CATEGORIES[generator.integers(0, len(_TESTING_CATEGORIES), episodes)]
    test_merchant = merchants.draw(generator, test_category)
    large_category = np.where(
        online[runs.run],
        _LARGE_CATEGORIES[draw_categories(generator, _LARGE_CATEGORY_SHARES, runs.rows)],
        _IN_STORE_CATEGORIES[generator.integers(0, len(_IN_STORE_CATEGORIES), runs.rows)],
    )
    merchant = np.where(is_test, test_merchant[runs.run], merchants.draw(generator, large_category))

    test_amount = in_cents(generator.uniform(*TEST_AMOUNT, runs.rows))
    large_draw = generator.lognormal(np.log(LARGE_AMOUNT_MEDIAN), LARGE_AMOUNT_SIGMA, runs.rows)
    large_amount = in_cents(np.maximum(large_draw, LARGE_AMOUNT_FLOOR))

    first_large = runs.position == testing[runs.run]
    gaps = np.where(
        is_test,
        generator.integers(10 * _SECOND, 120 * _SECOND, runs.rows),
        np.where(
            first_large,
            generator.integers(2 * _MINUTE, 20 * _MINUTE, runs.rows),
            generator.integers(1 * _MINUTE, 15 * _MINUTE, runs.rows),
        ),
    )
    starts = _episode_starts(world, day, generator, CLASSIC_NIGHT_SHARE, episodes)
    device = world.new_devices(day, DeviceSource.CLASSIC_FRAUD, episodes)
    return TransactionBatch(
        offset=starts[runs.run] + runs.elapsed(gaps),
        card=cards[runs.run],
        merchant=merchant,
        amount=np.where(is_test, test_amount, large_amount),
        country=country[runs.run],
        online=online[runs.run],
        device=np.where(online[runs.run], device[runs.run], NO_DEVICE),
        is_fraud=np.ones(runs.rows, dtype=np.bool_),
        chargeback_lag=np.full(runs.rows, NO_CHARGEBACK, dtype=np.int64),
    )


def adapted_fraud(
    world: World, day: int, episodes: int, generator: np.random.Generator
) -> TransactionBatch:
    """Draw ``episodes`` adapted fraud episodes starting on ``day``.

    >>> from watchkeeper.simulate.config import SimulationConfig
    >>> from watchkeeper.simulate.world import build_world
    >>> world = build_world(SimulationConfig(days=2, per_day=1_000))
    >>> batch = adapted_fraud(world, day=1, episodes=10, generator=np.random.default_rng(0))
    >>> home = world.population.cards.home_country[batch.card]
    >>> bool(batch.online.all()), bool((batch.country == home).all())
    (True, True)
    """
    if episodes <= 0:
        return TransactionBatch.empty()
    cards_population = world.population.cards
    cards = cards_population.draw_uniform(generator, episodes)
    local = cards_population.local(cards)
    runs = Runs.of_lengths(_between(generator, ADAPTED_PAYMENTS, episodes))
    category = draw_categories(generator, CATEGORY_WEIGHTS * CATEGORY_ONLINE_SHARE, runs.rows)
    gaps = generator.integers(1 * _MINUTE, 6 * _MINUTE, runs.rows)
    starts = _episode_starts(world, day, generator, 0.0, episodes)
    return TransactionBatch(
        offset=starts[runs.run] + runs.elapsed(gaps),
        card=cards[runs.run],
        merchant=world.population.merchants.draw(generator, category),
        amount=draw_amounts(generator, cards_population.spending_level[local][runs.run], category),
        country=cards_population.home_country[local][runs.run],
        online=np.ones(runs.rows, dtype=np.bool_),
        device=world.new_devices(day, DeviceSource.ADAPTED_FRAUD, runs.rows),
        is_fraud=np.ones(runs.rows, dtype=np.bool_),
        chargeback_lag=np.full(runs.rows, NO_CHARGEBACK, dtype=np.int64),
    )


__all__ = [
    "ADAPTED_MEAN_PAYMENTS",
    "CLASSIC_MEAN_PAYMENTS",
    "adapted_fraud",
    "classic_fraud",
]
