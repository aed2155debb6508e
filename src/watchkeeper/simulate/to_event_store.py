"""Loading simulated traffic into a workspace's event store.

Transactions go to the ``transactions`` table; chargebacks become rows of ``outcomes``
(outcome ``chargeback``, received when they happened). Each chunk is a bulk load whose id
derives from the settings, so loading the same simulation twice writes it once.

>>> import tempfile
>>> from datetime import datetime, timezone
>>> from pathlib import Path
>>> from watchkeeper.clock import EventTimeClock
>>> from watchkeeper.simulate import SimulationConfig, simulate
>>> from watchkeeper.storage.events.store import open_event_store
>>> folder = Path(tempfile.mkdtemp())
>>> store = open_event_store(str(folder / "events"), folder / "events.spool",
...                          EventTimeClock(datetime(2025, 3, 1, tzinfo=timezone.utc)))
>>> config = SimulationConfig(days=3, per_day=200, seed=1)
>>> loaded = load_into_event_store(simulate(config), store, load_key=simulation_key(config))
>>> again = load_into_event_store(simulate(config), store, load_key=simulation_key(config))
>>> store.read("transactions").height == loaded.transactions, again.transactions
(True, 0)
>>> store.close()
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import polars as pl

from watchkeeper.simulate.config import SimulationConfig
from watchkeeper.simulate.traffic import SimulatedTraffic
from watchkeeper.storage.events.store import EventStore

POSITIVE_OUTCOME = "chargeback"


@dataclass(frozen=True)
class LoadedTraffic:
    """How many rows a load wrote (0 for a chunk that was loaded before)."""

    transactions: int
    outcomes: int


def simulation_key(config: SimulationConfig) -> str:
    """A short content hash of the settings: the same simulation always gets the same key.

    >>> simulation_key(SimulationConfig(days=3, seed=1)) == simulation_key(SimulationConfig(days=3, seed=1))
    True
    """
    digest = hashlib.sha256(config.model_dump_json().encode("utf-8")).hexdigest()
    return digest[:16]


def chargebacks_as_outcomes(chargebacks: pl.DataFrame) -> pl.DataFrame:
    """Turn simulator chargebacks into rows of the ``outcomes`` table.

    >>> from datetime import datetime, timezone
    >>> at = datetime(2025, 2, 1, tzinfo=timezone.utc)
    >>> chargebacks_as_outcomes(pl.DataFrame({"event_id": ["tx-1"], "chargeback_ts": [at],
    ...                                       "amount": [90.0]})).columns
    ['event_id', 'outcome', 'outcome_ts', 'amount', 'received_at']
    """
    return chargebacks.select(
        "event_id",
        pl.lit(POSITIVE_OUTCOME).alias("outcome"),
        pl.col("chargeback_ts").alias("outcome_ts"),
        "amount",
        pl.col("chargeback_ts").alias("received_at"),
    )


def load_into_event_store(
    traffic: SimulatedTraffic, store: EventStore, load_key: str, part: int = 0
) -> LoadedTraffic:
    """Bulk-load one chunk of simulated traffic; ``load_key`` and ``part`` make it idempotent.

    The simulation's truth (``is_fraud``) stays in its own files: the event store holds what
    production would see, the events and the chargebacks that come back.
    """
    transactions = store.write_bulk(
        "transactions",
        traffic.transactions.drop(TRUTH_COLUMN),
        load_id=f"simulate-{load_key}-{part}-transactions",
    )
    outcomes = store.write_bulk(
        "outcomes",
        chargebacks_as_outcomes(traffic.chargebacks),
        load_id=f"simulate-{load_key}-{part}-outcomes",
    )
    return LoadedTraffic(
        transactions=0 if transactions.already_loaded else transactions.rows,
        outcomes=0 if outcomes.already_loaded else outcomes.rows,
    )


TRUTH_COLUMN = "is_fraud"
"""The simulated transactions' hidden truth, never loaded into an event store."""


__all__ = [
    "POSITIVE_OUTCOME",
    "TRUTH_COLUMN",
    "LoadedTraffic",
    "chargebacks_as_outcomes",
    "load_into_event_store",
    "simulation_key",
]
