"""A seeded simulator of card transactions and of the chargebacks that label them weeks later.

The stable world has cards with habits (home country, devices, spending level, activity) and
merchants in everyday categories; a small share of traffic is fraud in the classic patterns.
Two optional shifts reproduce the case study: a new merchant segment whose legitimate traffic
looks unusual (data drift) and fraudsters who adapt so that fraud looks normal on the old
features (concept drift). Everything is vectorised and deterministic for a given seed.

>>> traffic = simulate(preset("case-study", days=60, per_day=500, segment_shift={"start_day": 30},
...                           fraud_adaptation={"start_day": 30}))
>>> figures = summary(traffic)
>>> figures.transactions > 25_000, 0.002 < figures.fraud_rate < 0.007
(True, True)
"""

from __future__ import annotations

from watchkeeper.simulate.config import (
    ChargebackLagConfig,
    FraudAdaptationConfig,
    SegmentShiftConfig,
    SimulationConfig,
)
from watchkeeper.simulate.generator import simulate, simulate_chunks
from watchkeeper.simulate.parquet import write_parquet
from watchkeeper.simulate.presets import PRESET_NAMES, preset
from watchkeeper.simulate.summary import MonthSummary, TrafficSummary, summary
from watchkeeper.simulate.traffic import CHARGEBACK_SCHEMA, TRANSACTION_SCHEMA, SimulatedTraffic

__all__ = [
    "CHARGEBACK_SCHEMA",
    "PRESET_NAMES",
    "TRANSACTION_SCHEMA",
    "ChargebackLagConfig",
    "FraudAdaptationConfig",
    "MonthSummary",
    "SegmentShiftConfig",
    "SimulatedTraffic",
    "SimulationConfig",
    "TrafficSummary",
    "preset",
    "simulate",
    "simulate_chunks",
    "summary",
    "write_parquet",
]
