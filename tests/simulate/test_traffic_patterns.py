"""The simulated world's habits, rhythms, fraud patterns and the segment shift."""

from __future__ import annotations

import polars as pl
import pytest

from watchkeeper.simulate import SimulationConfig, simulate

# Cards and merchants ------------------------------------------------------------------------


def test_some_cards_are_much_more_active_than_others(
    transactions: pl.DataFrame, shift_day: int
) -> None:
    counts = transactions.filter(pl.col("day") < shift_day).group_by("card_id").len()["len"]
    top = counts.sort(descending=True).head(len(counts) // 100).sum()
    assert top / counts.sum() > 0.05  # the busiest 1% of cards make over 5% of payments
    assert counts.max() > 10 * counts.median()


def test_cards_use_few_habitual_devices(transactions: pl.DataFrame) -> None:
    legitimate_online = transactions.filter(~pl.col("is_fraud") & (pl.col("channel") == "online"))
    devices = legitimate_online.group_by("card_id").agg(
        payments=pl.len(), devices=pl.col("device_id").n_unique()
    )
    busy = devices.filter(pl.col("payments") >= 10)
    assert busy["devices"].median() <= 3
    assert (busy["devices"] <= 4).mean() > 0.9


def test_categories_have_their_own_amount_scales(transactions: pl.DataFrame) -> None:
    medians = dict(
        transactions.filter(~pl.col("is_fraud"))
        .group_by("merchant_category")
        .agg(pl.col("amount").median())
        .iter_rows()
    )
    assert medians["subscriptions"] < medians["grocery"] < medians["electronics"]
    assert medians["electronics"] < medians["travel"]
    categories = transactions.group_by("merchant_id").agg(pl.col("merchant_category").n_unique())
    assert (categories["merchant_category"] == 1).all()


# Fraud ------------------------------------------------------------------------------------


def test_fraud_rate_is_near_the_base_rate(
    transactions: pl.DataFrame, shifted_config: SimulationConfig
) -> None:
    assert transactions["is_fraud"].mean() == pytest.approx(
        shifted_config.base_fraud_rate, rel=0.15
    )


@pytest.mark.parametrize("rate", [0.0, 0.02])
def test_fraud_rate_follows_the_setting(rate: float, small_config: SimulationConfig) -> None:
    traffic = simulate(small_config.model_copy(update={"base_fraud_rate": rate}))
    assert traffic.transactions["is_fraud"].mean() == pytest.approx(rate, rel=0.15, abs=1e-9)
    if rate == 0.0:
        assert traffic.chargebacks.height == 0


def _new_device_for_card() -> pl.Expr:
    """True for a payment from a device the card never used before (rows sorted by time)."""
    return pl.col("device_id").is_not_null() & (
        pl.int_range(pl.len()).over("card_id", "device_id") == 0
    )


def test_classic_fraud_is_foreign_nocturnal_bursty_and_online(
    transactions: pl.DataFrame, shift_day: int
) -> None:
    legitimate = transactions.filter(~pl.col("is_fraud") & (pl.col("day") < shift_day))
    classic = transactions.filter(pl.col("is_fraud") & (pl.col("day") < shift_day))
    assert (classic["country"] != "US").mean() > 0.6
    assert (legitimate["country"] != "US").mean() < 0.15
    assert (classic["hour"] < 6).mean() > 0.45
    assert (classic["channel"] == "online").mean() > 0.8
    tests = classic.filter(pl.col("amount") <= 2.0)
    assert tests.height > 0.3 * classic.height  # card testing: tiny payments...
    largest = classic.group_by("card_id").agg(pl.col("amount").max())["amount"]
    assert largest.median() > 300  # ...followed by large ones
    bursts = tests.group_by("card_id").agg(
        span=(pl.col("ts").max() - pl.col("ts").min()).dt.total_minutes(), payments=pl.len()
    )
    assert (bursts["payments"] >= 2).mean() > 0.9
    assert (bursts["span"] <= 15).mean() > 0.9


def test_adapted_fraud_looks_normal_but_switches_devices_and_merchants(
    transactions: pl.DataFrame, shift_day: int
) -> None:
    frame = transactions.with_columns(new_device=_new_device_for_card())
    adapted = frame.filter(pl.col("is_fraud") & (pl.col("day") >= shift_day))
    everyday_online = frame.filter(
        ~pl.col("is_fraud")
        & (pl.col("channel") == "online")
        & (pl.col("merchant_category") != "digital_wallet")
    )
    assert (adapted["country"] != "US").mean() < 0.2
    assert (adapted["hour"] < 6).mean() < 0.1
    assert adapted["amount"].median() == pytest.approx(everyday_online["amount"].median(), rel=0.35)
    assert (adapted["amount"] <= 2.0).mean() < 0.1  # only the 10% still classic
    assert adapted["new_device"].mean() > 0.85
    assert everyday_online.filter(pl.col("day") >= shift_day)["new_device"].mean() < 0.1
    episodes = adapted.group_by("card_id").agg(
        merchants=pl.col("merchant_id").n_unique(),
        span=(pl.col("ts").max() - pl.col("ts").min()).dt.total_minutes(),
    )
    assert (episodes["merchants"] >= 4).mean() > 0.8
    assert episodes["span"].median() <= 40


# Rhythms ----------------------------------------------------------------------------------


def test_nights_are_quieter_than_days(transactions: pl.DataFrame) -> None:
    hours = transactions.group_by("hour").len()
    night = hours.filter(pl.col("hour") < 6)["len"].mean()
    day = hours.filter(pl.col("hour").is_between(10, 17))["len"].mean()
    assert night < 0.25 * day


def test_flat_day_without_daily_seasonality(small_config: SimulationConfig) -> None:
    traffic = simulate(small_config.model_copy(update={"daily_seasonality": False}))
    night_share = (traffic.transactions["ts"].dt.hour() < 6).mean()
    assert night_share == pytest.approx(6 / 24, abs=0.03)


def test_fridays_are_busier_than_sundays(transactions: pl.DataFrame, shift_day: int) -> None:
    weekdays = (
        transactions.filter(pl.col("day") < shift_day)
        .group_by("day")
        .agg(pl.len(), weekday=pl.col("ts").dt.weekday().first())
        .group_by("weekday")
        .agg(pl.col("len").mean())
    )
    volume = dict(weekdays.iter_rows())
    assert volume[5] > 1.15 * volume[7]  # Friday, Sunday (ISO weekdays)


def test_flat_week_without_weekly_seasonality(small_config: SimulationConfig) -> None:
    traffic = simulate(
        small_config.model_copy(update={"weekly_seasonality": False, "segment_shift": None})
    )
    per_day = traffic.transactions.group_by(pl.col("ts").dt.date()).len()["len"]
    assert per_day.max() / per_day.min() < 1.03


# Segment shift ----------------------------------------------------------------------------


def test_segment_is_absent_before_and_takes_its_share_after(
    transactions: pl.DataFrame, shift_day: int
) -> None:
    share = (
        transactions.group_by("day")
        .agg(share=(pl.col("merchant_category") == "digital_wallet").mean())
        .sort("day")
    )
    before = share.filter(pl.col("day") < shift_day)["share"]
    ramping = share.filter(pl.col("day") == shift_day + 4)["share"].item()
    after = share.filter(pl.col("day") >= shift_day + 10)["share"]
    assert before.max() == 0.0
    assert ramping == pytest.approx(0.25 * 5 / 10, abs=0.02)
    assert after.mean() == pytest.approx(0.25, abs=0.01)
    assert after.min() > 0.2


def test_segment_is_new_legitimate_customers_who_look_unusual(
    transactions: pl.DataFrame, shift_day: int
) -> None:
    segment = transactions.filter(pl.col("merchant_category") == "digital_wallet")
    everyday = transactions.filter(
        (pl.col("merchant_category") != "digital_wallet") & ~pl.col("is_fraud")
    )
    old_cards = set(transactions.filter(pl.col("day") < shift_day)["card_id"])
    assert not segment["is_fraud"].any()
    assert old_cards.isdisjoint(set(segment["card_id"]))
    assert (segment["channel"] == "online").all()
    assert segment["amount"].median() > 1.5 * everyday["amount"].median()
    assert (segment["hour"] < 6).mean() > 3 * (everyday["hour"] < 6).mean()
    assert (segment["country"] != "US").mean() > 0.3
    assert segment["merchant_id"].n_unique() < 0.05 * transactions["merchant_id"].n_unique()
