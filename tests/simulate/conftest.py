"""Shared simulations of the simulator tests, generated once per session."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from watchkeeper.simulate import (
    FraudAdaptationConfig,
    SegmentShiftConfig,
    SimulatedTraffic,
    SimulationConfig,
    simulate,
)

SHIFT_DAY = 60


@pytest.fixture(scope="session")
def shift_day() -> int:
    """The day both shifts of ``shifted_config`` start."""
    return SHIFT_DAY


@pytest.fixture(scope="session")
def shifted_config() -> SimulationConfig:
    """120 days, 3,000 a day; on day 60 a segment ramps in over 10 days and fraud adapts."""
    return SimulationConfig(
        days=120,
        per_day=3_000,
        seed=3,
        segment_shift=SegmentShiftConfig(start_day=SHIFT_DAY, share=0.25, ramp_days=10),
        fraud_adaptation=FraudAdaptationConfig(start_day=SHIFT_DAY, mode="sudden"),
    )


@pytest.fixture(scope="session")
def small_config() -> SimulationConfig:
    """Three weeks, both shifts on, for the tests that simulate again with other settings."""
    return SimulationConfig(
        days=21,
        per_day=1_500,
        seed=5,
        segment_shift=SegmentShiftConfig(start_day=10, share=0.3),
        fraud_adaptation=FraudAdaptationConfig(start_day=12, mode="gradual", ramp_days=5),
    )


@pytest.fixture(scope="session")
def shifted(shifted_config: SimulationConfig) -> SimulatedTraffic:
    return simulate(shifted_config)


@pytest.fixture(scope="session")
def transactions(shifted: SimulatedTraffic) -> pl.DataFrame:
    """The shifted simulation's transactions with their day index and hour."""
    return shifted.transactions.with_columns(
        day=(pl.col("ts").dt.date() - date(2025, 1, 1)).dt.total_days(),
        hour=pl.col("ts").dt.hour(),
    )


@pytest.fixture(scope="session")
def charged(shifted: SimulatedTraffic) -> pl.DataFrame:
    """Chargebacks joined to their transactions."""
    return shifted.chargebacks.join(
        shifted.transactions, on="event_id", how="left", suffix="_transaction"
    )
