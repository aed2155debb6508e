"""The simulator's output: transactions and chargebacks as Polars frames with a fixed schema.

>>> dict(TRANSACTION_SCHEMA)["ts"]
Datetime(time_unit='us', time_zone='UTC')
>>> list(CHARGEBACK_SCHEMA)
['event_id', 'chargeback_ts', 'amount']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
import polars as pl

from watchkeeper.simulate.batch import NO_CHARGEBACK, NO_DEVICE, TransactionBatch
from watchkeeper.simulate.categories import COUNTRIES
from watchkeeper.simulate.world import World

TIMESTAMP = pl.Datetime("us", "UTC")

# Data types are written as instances, pl.String() rather than pl.String, so that the schemas
# type-check as mappings of DataType.
TRANSACTION_SCHEMA = pl.Schema(
    {
        "event_id": pl.String(),
        "ts": TIMESTAMP,
        "card_id": pl.String(),
        "merchant_id": pl.String(),
        "merchant_category": pl.String(),
        "amount": pl.Float64(),
        "country": pl.String(),
        "channel": pl.String(),
        "device_id": pl.String(),
        "is_fraud": pl.Boolean(),
    }
)
"""Columns of :attr:`SimulatedTraffic.transactions`; ``is_fraud`` is the hidden truth."""

CHARGEBACK_SCHEMA = pl.Schema(
    {"event_id": pl.String(), "chargeback_ts": TIMESTAMP, "amount": pl.Float64()}
)
"""Columns of :attr:`SimulatedTraffic.chargebacks`."""

CHANNELS = ("card_present", "online")


@dataclass(frozen=True)
class SimulatedTraffic:
    """Simulated transactions (sorted by ``ts``) and their chargebacks.

    ``transactions`` follows :data:`TRANSACTION_SCHEMA`; ``is_fraud`` is the truth a real
    system never sees, kept for evaluation. ``chargebacks`` follows :data:`CHARGEBACK_SCHEMA`,
    sorted by ``chargeback_ts``: one row per charged-back fraud, dated weeks after its
    transaction, possibly after the last simulated day (filter by time when replaying).
    """

    transactions: pl.DataFrame
    chargebacks: pl.DataFrame

    @classmethod
    def concatenate(cls, parts: Sequence[SimulatedTraffic]) -> SimulatedTraffic:
        """Join consecutive parts (such as chunks) into one traffic, chargebacks re-sorted.

        >>> empty = SimulatedTraffic.concatenate([])
        >>> empty.transactions.schema == TRANSACTION_SCHEMA, empty.chargebacks.height
        (True, 0)
        """
        if not parts:
            return cls(
                transactions=pl.DataFrame(schema=TRANSACTION_SCHEMA),
                chargebacks=pl.DataFrame(schema=CHARGEBACK_SCHEMA),
            )
        return cls(
            transactions=pl.concat([part.transactions for part in parts], rechunk=False),
            chargebacks=pl.concat([part.chargebacks for part in parts]).sort(
                "chargeback_ts", "event_id"
            ),
        )


@dataclass(frozen=True)
class Vocabulary:
    """The strings that stand for the integer codes of a :class:`TransactionBatch`."""

    start: int
    """Microseconds from the Unix epoch to midnight UTC of day 0."""
    card_ids: pl.Series
    merchant_ids: pl.Series
    merchant_categories: pl.Series
    """Category name of every merchant."""
    countries: pl.Series
    channels: pl.Series

    @classmethod
    def of_world(cls, world: World) -> Vocabulary:
        """Name the cards, merchants and categories of ``world``.

        >>> from watchkeeper.simulate.config import SimulationConfig
        >>> from watchkeeper.simulate.world import build_world
        >>> vocabulary = Vocabulary.of_world(build_world(SimulationConfig(days=1, per_day=10)))
        >>> vocabulary.card_ids[0], vocabulary.merchant_ids[0], vocabulary.start
        ('card-000000000', 'merchant-000000', 1735689600000000)
        """
        population = world.population
        start = datetime.combine(world.config.start, datetime.min.time(), tzinfo=UTC)
        merchants = population.merchants
        categories = pl.Series(merchants.category_names, dtype=pl.String)
        return cls(
            start=int(start.timestamp()) * 1_000_000,
            card_ids=_numbered("card-", population.card_total, 9),
            merchant_ids=_numbered("merchant-", merchants.size, 6),
            merchant_categories=categories.gather(merchants.category),
            countries=pl.Series(COUNTRIES, dtype=pl.String),
            channels=pl.Series(CHANNELS, dtype=pl.String),
        )


def _numbered(prefix: str, count: int, width: int) -> pl.Series:
    """Name ``count`` things ``prefix`` + number, with at least ``width`` digits."""
    width = max(width, len(str(count - 1)))
    return _format_numbers(prefix, pl.Series(np.arange(count, dtype=np.int64)), width)


def _format_numbers(prefix: str, numbers: pl.Series, width: int) -> pl.Series:
    """Write ``numbers`` (null stays null) with ``width`` digits after ``prefix``.

    Adding ``10 ** width`` and dropping the leading "1" pads faster than ``zfill``; every
    number must be below ``10 ** width``.
    """
    padded = (numbers + 10**width).cast(pl.String).str.slice(1)
    return pl.select(pl.concat_str(pl.lit(prefix), padded)).to_series()


def _device_ids(devices: npt.NDArray[np.int64]) -> pl.Series:
    numbers = pl.Series(devices)
    return _format_numbers("device-", numbers.set(numbers == NO_DEVICE, None), 13)


def to_traffic(
    batch: TransactionBatch, vocabulary: Vocabulary, first_event_number: int
) -> SimulatedTraffic:
    """Turn a time-sorted batch into frames; event ids count on from ``first_event_number``.

    >>> from watchkeeper.simulate.config import SimulationConfig
    >>> from watchkeeper.simulate.world import build_world
    >>> vocabulary = Vocabulary.of_world(build_world(SimulationConfig(days=1, per_day=10)))
    >>> traffic = to_traffic(TransactionBatch.empty(), vocabulary, 0)
    >>> traffic.transactions.schema == TRANSACTION_SCHEMA
    True
    """
    rows = len(batch)
    numbers = pl.Series(np.arange(first_event_number, first_event_number + rows, dtype=np.int64))
    transactions = pl.DataFrame(
        {
            "event_id": _format_numbers("tx-", numbers, 12),
            "ts": pl.Series(batch.offset + vocabulary.start).cast(TIMESTAMP),
            "card_id": vocabulary.card_ids.gather(batch.card),
            "merchant_id": vocabulary.merchant_ids.gather(batch.merchant),
            "merchant_category": vocabulary.merchant_categories.gather(batch.merchant),
            "amount": pl.Series(batch.amount, dtype=pl.Float64),
            "country": vocabulary.countries.gather(batch.country),
            "channel": vocabulary.channels.gather(batch.online.astype(np.int64)),
            "device_id": _device_ids(batch.device),
            "is_fraud": pl.Series(batch.is_fraud, dtype=pl.Boolean),
        },
        schema=TRANSACTION_SCHEMA,
    )
    charged = batch.chargeback_lag != NO_CHARGEBACK
    chargebacks = pl.DataFrame(
        {
            "event_id": transactions["event_id"].filter(pl.Series(charged)),
            "chargeback_ts": pl.Series(
                batch.offset[charged] + batch.chargeback_lag[charged] + vocabulary.start
            ).cast(TIMESTAMP),
            "amount": pl.Series(batch.amount[charged], dtype=pl.Float64),
        },
        schema=CHARGEBACK_SCHEMA,
    ).sort("chargeback_ts", "event_id")
    return SimulatedTraffic(transactions=transactions, chargebacks=chargebacks)


__all__ = [
    "CHANNELS",
    "CHARGEBACK_SCHEMA",
    "TRANSACTION_SCHEMA",
    "SimulatedTraffic",
    "Vocabulary",
    "to_traffic",
]
