"""Settings of the simulator: every bad knob is refused with the value and the rule."""

from __future__ import annotations

from datetime import date
from typing import Any

import pydantic
import pytest

from watchkeeper.errors import SimulationError
from watchkeeper.simulate import (
    PRESET_NAMES,
    ChargebackLagConfig,
    FraudAdaptationConfig,
    SegmentShiftConfig,
    SimulationConfig,
    preset,
)


@pytest.mark.parametrize(
    ("settings", "field", "rule"),
    [
        ({"days": 0}, "days", "greater than or equal to 1"),
        ({"per_day": -5}, "per_day", "greater than or equal to 1"),
        ({"per_day": 20_000_000}, "per_day", "less than or equal to 10000000"),
        ({"cards": 3}, "cards", "greater than or equal to 10"),
        ({"merchants": 4}, "merchants", "greater than or equal to 10"),
        ({"base_fraud_rate": 0.5}, "base_fraud_rate", "less than or equal to 0.2"),
        ({"base_fraud_rate": -0.1}, "base_fraud_rate", "greater than or equal to 0"),
        ({"daily_seasonality": 1.5}, "daily_seasonality", "less than or equal to 1"),
        ({"weekly_seasonality": -0.2}, "weekly_seasonality", "greater than or equal to 0"),
        ({"seed": -1}, "seed", "greater than or equal to 0"),
        ({"start": "2025-02-30"}, "start", "date"),
        ({"colour": "blue"}, "colour", "Extra inputs are not permitted"),
        ({"chargeback_lag": {"median_days": 0}}, "median_days", "greater than 0"),
        ({"chargeback_lag": {"sigma": 5}}, "sigma", "less than or equal to 3"),
        ({"chargeback_lag": {"never_charged_back": 1.0}}, "never_charged_back", "less than 1"),
        ({"chargeback_lag": {"distribution": "gamma"}}, "distribution", "'lognormal'"),
        ({"segment_shift": {"start_day": 5, "share": 0.0}}, "share", "greater than 0"),
        ({"segment_shift": {"start_day": 5, "share": 0.95}}, "share", "less than or equal to 0.9"),
        ({"segment_shift": {"start_day": 5, "ramp_days": -1}}, "ramp_days", "greater than"),
        ({"segment_shift": {"start_day": -1}}, "start_day", "greater than or equal to 0"),
        (
            {"segment_shift": {"start_day": 5, "merchant_category": "Digital Wallet"}},
            "merchant_category",
            "should match pattern",
        ),
        (
            {"segment_shift": {"start_day": 5, "merchant_category": "grocery"}},
            "merchant_category",
            "'grocery' already exists",
        ),
        ({"fraud_adaptation": {"start_day": 5, "mode": "slow"}}, "mode", "'sudden' or 'gradual'"),
        ({"fraud_adaptation": {"start_day": 5, "ramp_days": 0}}, "ramp_days", "greater than"),
        (
            {"fraud_adaptation": {"start_day": 5, "adapted_share": 1.2}},
            "adapted_share",
            "less than or equal to 1",
        ),
    ],
)
def test_bad_knob_is_refused_naming_field_and_rule(
    settings: dict[str, Any], field: str, rule: str
) -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        SimulationConfig.model_validate({"days": 30, **settings})
    message = str(caught.value)
    assert field in message
    assert rule in message


@pytest.mark.parametrize("section", ["segment_shift", "fraud_adaptation"])
@pytest.mark.parametrize("start_day", [30, 400])
def test_shift_starting_after_the_last_day_is_a_simulation_error(
    section: str, start_day: int
) -> None:
    with pytest.raises(SimulationError, match=rf"{section}\.start_day {start_day} .*days \(30\)"):
        SimulationConfig.model_validate({"days": 30, section: {"start_day": start_day}})


def test_shift_on_the_last_day_is_allowed() -> None:
    config = SimulationConfig(days=30, segment_shift=SegmentShiftConfig(start_day=29))
    assert config.segment_shift is not None and config.segment_shift.start_day == 29


def test_config_is_frozen() -> None:
    config = SimulationConfig()
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        config.days = 3


def test_defaults() -> None:
    config = SimulationConfig()
    assert config.start == date(2025, 1, 1)
    assert config.per_day == 20_000
    assert config.base_fraud_rate == 0.004
    assert config.chargeback_lag == ChargebackLagConfig(
        distribution="lognormal", median_days=30.0, sigma=0.4, never_charged_back=0.05
    )
    assert config.segment_shift is None and config.fraud_adaptation is None


def test_cards_and_merchants_scale_with_volume_unless_given() -> None:
    small, large = SimulationConfig(per_day=2_000), SimulationConfig(per_day=200_000)
    assert large.card_count == 100 * small.card_count == 1_000_000
    assert (small.merchant_count, large.merchant_count) == (200, 20_000)
    assert SimulationConfig(per_day=50).merchant_count == 50
    given = SimulationConfig(per_day=200_000, cards=1_234, merchants=56)
    assert (given.card_count, given.merchant_count) == (1_234, 56)


@pytest.mark.parametrize(("setting", "amplitude"), [(True, 1.0), (False, 0.0), (0.25, 0.25)])
def test_seasonality_accepts_a_flag_or_an_amplitude(
    setting: bool | float, amplitude: float
) -> None:
    config = SimulationConfig(daily_seasonality=setting, weekly_seasonality=setting)
    assert config.daily_amplitude == config.weekly_amplitude == amplitude


def test_preset_names() -> None:
    assert PRESET_NAMES == ("stable", "segment-shift", "fraud-adaptation", "case-study")
    for name in PRESET_NAMES:
        assert isinstance(preset(name), SimulationConfig)


def test_case_study_preset_tells_the_story() -> None:
    config = preset("case-study")
    assert config.days == 720
    assert config.segment_shift == SegmentShiftConfig(
        start_day=540, share=0.25, ramp_days=30, merchant_category="digital_wallet"
    )
    assert config.fraud_adaptation == FraudAdaptationConfig(
        start_day=540, mode="gradual", ramp_days=60, adapted_share=0.9
    )
    assert 10_000 <= config.per_day <= 30_000


def test_stable_preset_has_no_shift() -> None:
    config = preset("stable")
    assert config.segment_shift is None and config.fraud_adaptation is None
    assert preset("segment-shift").fraud_adaptation is None
    assert preset("fraud-adaptation").segment_shift is None


def test_preset_overrides_merge_into_sections() -> None:
    config = preset(
        "case-study",
        days=100,
        segment_shift={"start_day": 50},
        fraud_adaptation={"start_day": 60, "mode": "sudden"},
        seed=9,
    )
    assert config.days == 100 and config.seed == 9
    assert config.segment_shift is not None and config.fraud_adaptation is not None
    assert (config.segment_shift.start_day, config.segment_shift.share) == (50, 0.25)
    assert (config.fraud_adaptation.start_day, config.fraud_adaptation.mode) == (60, "sudden")
    assert config.fraud_adaptation.adapted_share == 0.9
    assert preset("segment-shift", segment_shift=None).segment_shift is None


def test_unknown_preset_lists_the_valid_names() -> None:
    with pytest.raises(SimulationError) as caught:
        preset("case_study")
    message = str(caught.value)
    assert "'case_study'" in message
    for name in PRESET_NAMES:
        assert name in message


def test_bad_preset_override_is_a_simulation_error_naming_the_knob() -> None:
    with pytest.raises(SimulationError, match=r"per_day: .*greater than or equal to 1 \(got 0\)"):
        preset("stable", per_day=0)
    with pytest.raises(
        SimulationError,
        match=r"'case-study': segment_shift\.start_day 540 .*; fraud_adaptation\.start_day 540",
    ):
        preset("case-study", days=100)
    with pytest.raises(SimulationError, match="Extra inputs are not permitted"):
        preset("stable", fraud_rate=0.1)
