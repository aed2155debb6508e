"""Daily store-item demand: each morning's conditions, and the units sold that day.

Every store-item (``s03-i117``) is an event each day, timed at the morning's forecast run:
its store, the item's category, the day's price (lower on promotion), whether it is on
promotion, and the day's temperature at the store. The outcome is the units it sold that
day (a count, as a float), tallied overnight and known the next morning. Demand follows the
item's level, the store's size, the weekday (weekends sell more), the price (elasticity),
promotions and, for beverages and frozen food, the temperature.

The drift episode from ``shift_day`` on, ramped over three weeks:

* covariate shift: a new price regime raises prices by 15-35% per item;
* concept change: shoppers become more price-sensitive under it, and beverages take off
  (a new product trend) with a stronger pull of warm days.

>>> simulation = simulate_demand(days=20, per_day=30, shift_day=10, seed=1)
>>> simulation.events.columns == list(DEMAND_COLUMNS)
True
>>> bool((simulation.outcomes["outcome"] >= 0).all())
True
"""

from __future__ import annotations

import numpy as np
import polars as pl

from watchkeeper.simulate.tabular.common import (
    TabularSimulation,
    assemble,
    check_shape,
    day_microseconds,
    days_to_microseconds,
    labels,
    ramp,
    timestamps,
)

DEMAND_COLUMNS = (
    "event_id",
    "ts",
    "store_item",
    "store",
    "item_category",
    "price",
    "promo",
    "temperature",
)
"""The columns of a demand event, as the demand example workspace declares them."""

CATEGORIES = ("grocery", "dairy", "produce", "beverages", "frozen", "household")
_BASE_PRICE = np.array([3.5, 2.8, 2.2, 1.9, 5.5, 6.5])
_TEMPERATURE_PULL = np.array([0.0, 0.0, 0.0, 0.025, 0.02, 0.0])
"""Change of log demand per degree above 15 C."""
_WEEKDAY_LIFT = np.array([0.0, -0.05, -0.05, 0.0, 0.1, 0.35, 0.25])
"""Log demand by weekday, Monday first (2025-01-01, day 0, is a Wednesday)."""
_BEVERAGES = CATEGORIES.index("beverages")
_STORES = 10
_FORECAST_HOUR = 6 / 24

DESCRIPTION = (
    "Daily store-item demand; from shift_day prices rise 15-35%, shoppers grow more "
    "price-sensitive and beverages take off (ramped over 3 weeks)."
)


def simulate_demand(
    days: int = 240,
    per_day: int = 1_000,
    seed: int = 0,
    shift_day: int = 150,
) -> TabularSimulation:
    """Simulate ``days`` days of demand for ``per_day`` store-items (one event each a day)."""
    check_shape(days, per_day, shift_day)
    population = np.random.default_rng(np.random.SeedSequence([seed, 0]))
    stores = min(_STORES, per_day)
    store_of = np.arange(per_day) % stores
    item_of = np.arange(per_day) // stores
    category_of = population.integers(0, len(CATEGORIES), per_day)
    base_price = _BASE_PRICE[category_of] * population.lognormal(0.0, 0.35, per_day)
    level = population.lognormal(np.log(6.0), 0.6, per_day)
    store_size = population.lognormal(0.0, 0.3, stores)
    store_climate = population.normal(0.0, 3.0, stores)
    price_rise = population.uniform(0.15, 0.35, per_day)

    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    day = np.repeat(np.arange(days, dtype=np.int64), per_day)
    entity = np.tile(np.arange(per_day), days)
    store = store_of[entity]
    category = category_of[entity]
    strength = ramp(day, shift_day)
    size = day.size

    season = 15.0 + 10.0 * np.sin(2 * np.pi * (np.arange(days) - 110) / 365.0)
    weather = season[:, None] + store_climate[None, :] + rng.normal(0.0, 3.0, (days, stores))
    temperature = np.round(weather[day, store], 1)
    promo = rng.random(size) < 0.08
    regular_price = base_price[entity] * (1.0 + strength * price_rise[entity])
    price = np.round(regular_price * np.where(promo, 0.8, 1.0), 2)

    elasticity = 1.1 + 1.0 * strength
    trend = strength * (category == _BEVERAGES)
    log_demand = (
        np.log(level[entity] * store_size[store])
        + _WEEKDAY_LIFT[(day + 2) % 7]
        + (_TEMPERATURE_PULL[category] + 0.03 * trend) * (temperature - 15.0)
        - elasticity * np.log(price / base_price[entity])
        + 0.25 * promo
        + 0.6 * trend
    )
    units = rng.poisson(np.exp(log_demand)).astype(np.float64)
    at = day_microseconds(day) + days_to_microseconds(_FORECAST_HOUR + rng.random(size) / 48)
    # The day's sales are tallied overnight: known between 1 and 7 in the next morning.
    known = day_microseconds(day + 1) + days_to_microseconds((1.0 + 6.0 * rng.random(size)) / 24)

    store_names = pl.Series("store", store, dtype=pl.Int64).cast(pl.String).str.zfill(2)
    item_names = pl.Series("item", item_of[entity], dtype=pl.Int64).cast(pl.String).str.zfill(3)
    events = pl.DataFrame(
        [
            timestamps(at, "ts"),
            ("s" + store_names + "-i" + item_names).alias("store_item"),
            ("s" + store_names).alias("store"),
            labels(CATEGORIES, category, "item_category"),
            pl.Series("price", price, dtype=pl.Float64),
            pl.Series("promo", promo, dtype=pl.Boolean),
            pl.Series("temperature", temperature, dtype=pl.Float64),
        ]
    )
    outcomes = pl.DataFrame(
        [pl.Series("outcome", units, dtype=pl.Float64), timestamps(known, "outcome_ts")]
    )
    return assemble(
        events,
        outcomes,
        prefix="demand",
        columns=DEMAND_COLUMNS,
        shift_day=shift_day,
        description=DESCRIPTION,
    )


__all__ = ["CATEGORIES", "DEMAND_COLUMNS", "simulate_demand"]
