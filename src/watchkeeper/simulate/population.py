"""The cards and merchants of a simulation, drawn once from the seed.

Cards have a home country (mostly "US"), a spending level, one to three habitual devices, a
propensity to travel and an activity weight: a few cards pay much more often than most.
Merchants belong to a category and have a popularity within it. A segment shift adds its own
cards (new customers) and a few merchants of the new category.

>>> from watchkeeper.simulate.config import SimulationConfig
>>> population = build_population(SimulationConfig(per_day=100, seed=1))
>>> population.cards.size, population.merchants.size, population.segment_cards is None
(500, 50, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from watchkeeper.simulate.categories import (
    CATEGORY_NAMES,
    CATEGORY_WEIGHTS,
    COUNTRIES,
    HOME_COUNTRY,
    SEGMENT_CORRIDORS,
)
from watchkeeper.simulate.config import SimulationConfig
from watchkeeper.simulate.randomness import population_generator

DEVICES_PER_CARD_LIMIT = 4
POPULARITY_SKEW = 2.0
"""Skew of merchant popularity: the top 1% of a category's merchants take 10% of it."""
"""Habitual device ids of card ``c`` are ``c * 4 + k`` with ``k`` below the card's count."""


@dataclass(frozen=True)
class CardPopulation:
    """Cards with consecutive global indices starting at ``first_card``."""

    first_card: int
    home_country: npt.NDArray[np.int64]
    destination_country: npt.NDArray[np.int64]
    """Where the card pays when abroad: a trip destination, or a segment's corridor."""
    spending_level: npt.NDArray[np.float64]
    """Multiplier of the category's typical amount (log-normal around 1)."""
    device_count: npt.NDArray[np.int64]
    travel_probability: npt.NDArray[np.float64]
    """Chance that the card spends a given week abroad."""
    activity_cumulative: npt.NDArray[np.float64]
    """Cumulative, normalised activity weights, for drawing cards by how often they pay."""

    @property
    def size(self) -> int:
        """Number of cards."""
        return len(self.home_country)

    def draw_active(self, generator: np.random.Generator, size: int) -> npt.NDArray[np.int64]:
        """Draw global card indices in proportion to the cards' activity, in ascending order."""
        # Sorted draws make the search cache-friendly; the order of the cards is irrelevant
        # because every other attribute of a session is drawn independently.
        draws = np.sort(generator.random(size))
        local = np.searchsorted(self.activity_cumulative, draws, side="right")
        return np.minimum(local, self.size - 1).astype(np.int64) + self.first_card

    def draw_uniform(self, generator: np.random.Generator, size: int) -> npt.NDArray[np.int64]:
        """Draw global card indices uniformly (fraud victims are not chosen by activity)."""
        return generator.integers(0, self.size, size).astype(np.int64) + self.first_card

    def local(self, cards: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Return positions in this population's arrays of global card indices."""
        return cards - self.first_card


@dataclass(frozen=True)
class MerchantPopulation:
    """Merchants and their categories; a merchant's index is its global id.

    Within a category, merchants are ranked by popularity: the share of the category's
    payments going to the first ``x`` of them (as a fraction of the category) is
    ``x ** (1 / POPULARITY_SKEW)``, so a few merchants take much of the traffic.
    """

    category: npt.NDArray[np.int64]
    """Category index (into ``category_names``) of every merchant."""
    category_names: tuple[str, ...]
    by_category: npt.NDArray[np.int64]
    """Merchant indices grouped by category, in category order, most popular first."""
    category_first: npt.NDArray[np.int64]
    """Position in ``by_category`` of each category's first merchant."""
    category_size: npt.NDArray[np.int64]
    """Number of merchants of each category."""

    @property
    def size(self) -> int:
        """Number of merchants."""
        return len(self.category)

    def draw(
        self, generator: np.random.Generator, categories: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.int64]:
        """Draw one merchant of each requested category, by popularity."""
        sizes = self.category_size[categories]
        rank = (sizes * generator.random(len(categories)) ** POPULARITY_SKEW).astype(np.int64)
        return self.by_category[self.category_first[categories] + np.minimum(rank, sizes - 1)]


@dataclass(frozen=True)
class Population:
    """Everything drawn once per simulation."""

    cards: CardPopulation
    segment_cards: CardPopulation | None
    merchants: MerchantPopulation

    @property
    def card_total(self) -> int:
        """Number of cards, the segment's included."""
        extra = 0 if self.segment_cards is None else self.segment_cards.size
        return self.cards.size + extra


def _activity_cumulative(weights: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    cumulative = np.cumsum(weights)
    cumulative /= cumulative[-1]
    return cumulative


def _draw_cards(generator: np.random.Generator, count: int) -> CardPopulation:
    abroad = generator.random(count) < 0.08
    other_country = generator.integers(1, len(COUNTRIES), count)
    home = np.where(abroad, other_country, HOME_COUNTRY).astype(np.int64)
    step = generator.integers(1, len(COUNTRIES), count)
    return CardPopulation(
        first_card=0,
        home_country=home,
        destination_country=(home + step) % len(COUNTRIES),
        spending_level=generator.lognormal(0.0, 0.5, count),
        device_count=generator.choice(np.array([1, 2, 3]), count, p=[0.5, 0.35, 0.15]),
        travel_probability=generator.choice(np.array([0.0, 0.02, 0.08]), count, p=[0.6, 0.3, 0.1]),
        activity_cumulative=_activity_cumulative(generator.lognormal(0.0, 1.0, count)),
    )


def _draw_segment_cards(
    generator: np.random.Generator, count: int, first_card: int
) -> CardPopulation:
    corridors = np.array(SEGMENT_CORRIDORS, dtype=np.int64)
    return CardPopulation(
        first_card=first_card,
        home_country=np.full(count, HOME_COUNTRY, dtype=np.int64),
        destination_country=corridors[generator.integers(0, len(corridors), count)],
        spending_level=generator.lognormal(0.0, 0.4, count),
        device_count=np.ones(count, dtype=np.int64),
        travel_probability=np.zeros(count),
        activity_cumulative=_activity_cumulative(generator.lognormal(0.0, 0.8, count)),
    )


def _merchants_per_category(total: int, weights: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """Split ``total`` merchants over categories by weight, at least one each."""
    counts = np.ones(len(weights), dtype=np.int64)
    spare = total - len(weights)
    ideal = spare * weights
    counts += np.floor(ideal).astype(np.int64)
    leftover = total - int(counts.sum())
    counts[np.argsort(-(ideal - np.floor(ideal)), kind="stable")[:leftover]] += 1
    return counts


def _draw_merchants(
    generator: np.random.Generator, counts: npt.NDArray[np.int64], names: tuple[str, ...]
) -> MerchantPopulation:
    total = int(counts.sum())
    category_of_slot = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    merchant_of_slot = generator.permutation(total).astype(np.int64)
    category = np.empty(total, dtype=np.int64)
    category[merchant_of_slot] = category_of_slot
    return MerchantPopulation(
        category=category,
        category_names=names,
        by_category=merchant_of_slot,
        category_first=np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64),
        category_size=counts.astype(np.int64),
    )


def build_population(config: SimulationConfig) -> Population:
    """Draw the cards and merchants of ``config`` (the same seed gives the same population).

    >>> from watchkeeper.simulate.config import SegmentShiftConfig, SimulationConfig
    >>> shift = SegmentShiftConfig(start_day=5, share=0.2)
    >>> population = build_population(SimulationConfig(days=10, per_day=100, segment_shift=shift))
    >>> population.segment_cards.first_card, population.segment_cards.size
    (500, 125)
    >>> population.merchants.category_names[-1]
    'digital_wallet'
    """
    generator = population_generator(config.seed)
    cards = _draw_cards(generator, config.card_count)
    counts = _merchants_per_category(config.merchant_count, CATEGORY_WEIGHTS)
    names = CATEGORY_NAMES
    segment_cards = None
    shift = config.segment_shift
    if shift is not None:
        segment_count = max(10, round(config.card_count * shift.share / (1.0 - shift.share)))
        segment_cards = _draw_segment_cards(generator, segment_count, first_card=cards.size)
        segment_merchants = max(3, config.merchant_count // 100)
        counts = np.append(counts, segment_merchants)
        names = (*CATEGORY_NAMES, shift.merchant_category)
    merchants = _draw_merchants(generator, counts, names)
    return Population(cards=cards, segment_cards=segment_cards, merchants=merchants)


__all__ = [
    "DEVICES_PER_CARD_LIMIT",
    "POPULARITY_SKEW",
    "CardPopulation",
    "MerchantPopulation",
    "Population",
    "build_population",
]
