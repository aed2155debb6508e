"""The simulator's output: schema, determinism, chargebacks, files and summary."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy import stats

import watchkeeper.simulate as simulator
from watchkeeper.simulate import (
    CHARGEBACK_SCHEMA,
    TRANSACTION_SCHEMA,
    ChargebackLagConfig,
    SimulatedTraffic,
    SimulationConfig,
    simulate,
    simulate_chunks,
    summary,
    write_parquet,
)

START = datetime(2025, 1, 1, tzinfo=UTC)


# Determinism -------------------------------------------------------------------------------


def test_same_seed_gives_identical_frames_and_another_seed_does_not(
    small_config: SimulationConfig,
) -> None:
    first, again = simulate(small_config), simulate(small_config)
    assert first.transactions.equals(again.transactions)
    assert first.chargebacks.equals(again.chargebacks)
    other = simulate(small_config.model_copy(update={"seed": 6}))
    assert not other.transactions.equals(first.transactions)
    assert other.transactions["amount"].sum() != first.transactions["amount"].sum()


def test_chunks_concatenate_to_the_whole_simulation(small_config: SimulationConfig) -> None:
    whole = simulate(small_config)
    chunks = list(simulate_chunks(small_config, chunk_days=4))
    assert len(chunks) == 6
    joined = SimulatedTraffic.concatenate(chunks)
    assert joined.transactions.equals(whole.transactions)
    assert joined.chargebacks.equals(whole.chargebacks)
    for chunk, first_day in zip(chunks, range(0, small_config.days, 4), strict=True):
        days = chunk.transactions["ts"].dt.date()
        assert days.min() == date(2025, 1, 1) + timedelta(days=first_day)
        assert set(chunk.chargebacks["event_id"]) <= set(chunk.transactions["event_id"])


# Schema --------------------------------------------------------------------------------------


def test_schemas_are_exact(shifted: SimulatedTraffic) -> None:
    assert list(shifted.transactions.schema.items()) == [
        ("event_id", pl.String()),
        ("ts", pl.Datetime("us", "UTC")),
        ("card_id", pl.String()),
        ("merchant_id", pl.String()),
        ("merchant_category", pl.String()),
        ("amount", pl.Float64()),
        ("country", pl.String()),
        ("channel", pl.String()),
        ("device_id", pl.String()),
        ("is_fraud", pl.Boolean()),
    ]
    assert shifted.transactions.schema == TRANSACTION_SCHEMA
    assert list(shifted.chargebacks.schema.items()) == [
        ("event_id", pl.String()),
        ("chargeback_ts", pl.Datetime("us", "UTC")),
        ("amount", pl.Float64()),
    ]
    assert shifted.chargebacks.schema == CHARGEBACK_SCHEMA


def test_values_are_well_formed(
    shifted: SimulatedTraffic, shifted_config: SimulationConfig
) -> None:
    frame = shifted.transactions
    assert frame["event_id"].is_unique().all()
    assert frame["event_id"].str.contains(r"^tx-\d{12}$").all()
    assert frame["ts"].is_sorted()
    assert frame["ts"].min() >= START
    assert frame["ts"].max() < START + timedelta(days=shifted_config.days)
    assert (frame["amount"] > 0).all()
    assert frame.null_count().drop("device_id").sum_horizontal().item() == 0
    assert set(frame["channel"].unique()) == {"card_present", "online"}
    assert frame["country"].str.contains(r"^[A-Z]{2}$").all()
    assert (frame["country"] == "US").mean() > 0.8
    card_present = frame["channel"] == "card_present"
    assert frame.filter(card_present)["device_id"].is_null().all()
    assert frame.filter(~card_present)["device_id"].is_not_null().all()


def test_days_hold_about_per_day_transactions(
    transactions: pl.DataFrame, shift_day: int, shifted_config: SimulationConfig
) -> None:
    per_day = transactions.filter(pl.col("day") < shift_day).group_by("day").len()["len"]
    assert per_day.mean() == pytest.approx(shifted_config.per_day, rel=0.02)


# Chargebacks --------------------------------------------------------------------------------


def test_only_frauds_get_chargebacks_after_the_transaction(charged: pl.DataFrame) -> None:
    assert charged["is_fraud"].is_not_null().all()
    assert charged["is_fraud"].all()
    assert charged["event_id"].is_unique().all()
    assert (charged["chargeback_ts"] > charged["ts"]).all()
    assert (charged["amount"] == charged["amount_transaction"]).all()
    assert charged["chargeback_ts"].is_sorted()


def test_chargeback_lag_follows_the_configured_lognormal(
    charged: pl.DataFrame, shifted_config: SimulationConfig
) -> None:
    lag_days = (
        (charged["chargeback_ts"] - charged["ts"]).dt.total_microseconds() / 86_400e6
    ).to_numpy()
    settings = shifted_config.chargeback_lag
    expected = stats.lognorm(s=settings.sigma, scale=settings.median_days)
    assert len(lag_days) > 1_000
    assert np.median(lag_days) == pytest.approx(expected.median(), abs=1.5)
    sigma, _, scale = stats.lognorm.fit(lag_days, floc=0)
    assert sigma == pytest.approx(settings.sigma, abs=0.04)
    assert scale == pytest.approx(settings.median_days, rel=0.05)
    assert stats.kstest(lag_days, expected.cdf).pvalue > 0.001


def test_chargeback_lag_median_is_configurable(small_config: SimulationConfig) -> None:
    config = small_config.model_copy(
        update={
            "base_fraud_rate": 0.05,
            "chargeback_lag": ChargebackLagConfig(median_days=7, sigma=0.3),
        }
    )
    traffic = simulate(config)
    lags = traffic.chargebacks.join(traffic.transactions, on="event_id").select(
        days=(pl.col("chargeback_ts") - pl.col("ts")).dt.total_microseconds() / 86_400e6
    )["days"]
    assert lags.median() == pytest.approx(7, abs=0.5)


def test_about_five_percent_of_frauds_are_never_charged_back(
    shifted: SimulatedTraffic, transactions: pl.DataFrame
) -> None:
    frauds = int(transactions["is_fraud"].sum())
    never = 1 - shifted.chargebacks.height / frauds
    assert never == pytest.approx(0.05, abs=0.02)


def test_never_charged_back_share_is_configurable(small_config: SimulationConfig) -> None:
    config = small_config.model_copy(
        update={
            "base_fraud_rate": 0.05,
            "chargeback_lag": ChargebackLagConfig(never_charged_back=0.3),
        }
    )
    traffic = simulate(config)
    never = 1 - traffic.chargebacks.height / traffic.transactions["is_fraud"].sum()
    assert never == pytest.approx(0.3, abs=0.04)


# Output -----------------------------------------------------------------------------------


def test_write_parquet_round_trips(tmp_path: Path, small_config: SimulationConfig) -> None:
    traffic = simulate(small_config)
    transactions_path, chargebacks_path = write_parquet(traffic, tmp_path / "out")
    assert (transactions_path.name, chargebacks_path.name) == (
        "transactions.parquet",
        "chargebacks.parquet",
    )
    assert pl.read_parquet(transactions_path).equals(traffic.transactions)
    assert pl.read_parquet(chargebacks_path).equals(traffic.chargebacks)


def test_summary_counts_and_months(shifted: SimulatedTraffic) -> None:
    figures = summary(shifted)
    frame = shifted.transactions
    assert figures.transactions == frame.height
    assert figures.frauds == frame["is_fraud"].sum()
    assert figures.fraud_rate == pytest.approx(frame["is_fraud"].mean())
    assert figures.chargebacks == shifted.chargebacks.height
    assert figures.charged_back_fraud_share == pytest.approx(0.95, abs=0.02)
    assert [month.month for month in figures.months] == [
        "2025-01",
        "2025-02",
        "2025-03",
        "2025-04",
    ]
    assert sum(month.transactions for month in figures.months) == frame.height
    assert sum(month.chargebacks for month in figures.months) == figures.chargebacks
    assert figures.first_ts == frame["ts"].min()
    as_dict = figures.to_dict()
    assert as_dict["months"][0]["month"] == "2025-01"
    assert as_dict["last_ts"] == frame["ts"].max().isoformat()
    json.dumps(as_dict)


def test_public_api_is_exactly_the_exported_list() -> None:
    assert set(simulator.__all__) == {
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
    }
    assert len(simulator.__all__) == 15
    for name in simulator.__all__:
        assert getattr(simulator, name) is not None
