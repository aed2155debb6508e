"""The scenarios as pure functions: what each changes, where, and how much."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from watchkeeper.drill.scenarios import SCENARIOS, chosen_field, get_scenario
from watchkeeper.errors import ConfigError
from watchkeeper.features.spec import FeatureSpec

SPEC = FeatureSpec(
    inputs={
        "event_id": {"type": "string", "required": True},
        "ts": {"type": "timestamp", "required": True},
        "amount": {"type": "float", "min": 0, "required": True},
        "merchant_category": {"type": "category"},
        "country": {"type": "category"},
        "channel": {"type": "category", "allowed": ["card_present", "online"]},
    },
    transforms=[
        {"name": "log_amount", "op": "log1p", "input": "amount"},
        {"name": "hour", "op": "hour_of_day", "input": "ts"},
    ],
)
ROWS = 4_000
NOON = datetime(2026, 6, 1, 12, tzinfo=UTC)


def traffic() -> tuple[pl.DataFrame, np.ndarray]:
    frame = pl.DataFrame(
        {
            "event_id": [f"e{index}" for index in range(ROWS)],
            "ts": [NOON + timedelta(minutes=index % 600) for index in range(ROWS)],
            "amount": [10.0 + index % 50 for index in range(ROWS)],
            "merchant_category": ["grocery", "fuel"] * (ROWS // 2),
            "country": ["US"] * ROWS,
            "channel": ["card_present"] * ROWS,
        }
    )
    drilled = np.arange(ROWS) >= ROWS // 2  # the first half is warm-up history
    return frame, drilled


def inject(name: str, severity: float, field: str | None = None) -> tuple[pl.DataFrame, int]:
    frame, drilled = traffic()
    injection = get_scenario(name).inject(
        frame, drilled, SPEC, severity, field, np.random.default_rng(3)
    )
    return injection.frame, injection.events


def test_the_warm_up_history_is_never_touched() -> None:
    original, drilled = traffic()
    for name, scenario in SCENARIOS.items():
        changed, _ = inject(name, 2.0 if not scenario.share else 1.0)
        warm_up = changed.filter(pl.Series(~drilled)).select(original.columns)
        assert warm_up.equals(original.filter(pl.Series(~drilled))), name


def test_amount_inflation_multiplies_every_drilled_amount() -> None:
    original, drilled = traffic()
    changed, events = inject("amount-inflation", 3.0)
    ratio = changed["amount"].to_numpy()[drilled] / original["amount"].to_numpy()[drilled]
    assert events == ROWS // 2 and np.allclose(ratio, 3.0)


def test_a_share_scenario_changes_about_its_share_of_the_drilled_events() -> None:
    changed, events = inject("missing-values", 0.25)
    missing = changed["merchant_category"].null_count()
    assert missing == events and abs(events / (ROWS // 2) - 0.25) < 0.04


def test_missing_values_takes_the_first_optional_field_or_the_one_named() -> None:
    assert chosen_field(SPEC, None, required=False) == "merchant_category"
    changed, events = inject("missing-values", 0.5, field="country")
    assert changed["country"].null_count() == events > 0
    assert changed["merchant_category"].null_count() == 0


def test_new_segment_brings_new_categories_and_larger_amounts() -> None:
    original, _ = traffic()
    changed, events = inject("new-segment", 0.3)
    segment = changed["merchant_category"] == "new-segment"
    assert int(segment.sum()) == events > 0
    assert set(changed.filter(segment)["country"].unique()) <= {
        "new-country-1", "new-country-2", "new-country-3",
    }  # fmt: skip
    inflated = changed.filter(segment)["amount"] / original.filter(segment)["amount"]
    assert np.allclose(inflated.to_numpy(), 2.5)


def test_category_flood_gives_each_picked_event_its_own_unseen_value() -> None:
    changed, events = inject("category-flood", 0.3)
    flooded = changed.filter(pl.col("merchant_category").str.starts_with("unseen-"))
    assert flooded.height == events > 0
    assert flooded["merchant_category"].n_unique() == events


def test_score_shift_makes_events_late_night_online_and_large() -> None:
    original, _ = traffic()
    changed, events = inject("score-shift", 0.3)
    picked = (changed["channel"] == "online").to_numpy()
    assert int(picked.sum()) == events > 0
    hours = changed.filter(pl.Series(picked))["ts"].dt.hour().to_numpy()
    assert hours.min() >= 1 and hours.max() < 5
    dates = changed.filter(pl.Series(picked))["ts"].dt.date().unique().to_list()
    assert dates == [NOON.date()]  # same day, other hour
    ratio = changed["amount"].to_numpy()[picked] / original["amount"].to_numpy()[picked]
    assert np.allclose(ratio, 5.0)


def test_schema_break_renames_the_amount_in_a_share_of_events() -> None:
    original, _ = traffic()
    changed, events = inject("schema-break", 0.3)
    renamed = changed["amount_v2"].is_not_null()
    assert int(renamed.sum()) == events == changed["amount"].null_count() > 0
    assert changed.filter(renamed)["amount_v2"].equals(
        original.filter(renamed)["amount"].alias("amount_v2")
    )


def test_the_seed_decides_which_events_are_picked() -> None:
    frame, drilled = traffic()
    scenario = get_scenario("missing-values")

    def picked(seed: int) -> list[bool]:
        injection = scenario.inject(frame, drilled, SPEC, 0.5, None, np.random.default_rng(seed))
        return injection.frame["merchant_category"].is_null().to_list()

    assert picked(1) == picked(1) and picked(1) != picked(2)


@pytest.mark.parametrize(
    ("name", "severity", "message"),
    [
        ("missing-values", 1.5, "it is a share of events, in (0, 1]"),
        ("new-segment", 0.0, "it is a share of events, in (0, 1]"),
        ("amount-inflation", -2.0, "it is a factor on amounts, above 0"),
    ],
)
def test_a_severity_outside_the_scenario_range_is_refused(
    name: str, severity: float, message: str
) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("]", r"\]")):
        inject(name, severity)


def test_an_unknown_field_or_scenario_lists_the_known_ones() -> None:
    with pytest.raises(
        ConfigError, match=r"--field 'amt' is not a raw input field \(known: amount"
    ):
        inject("missing-values", 0.5, field="amt")
    with pytest.raises(ConfigError, match=r"unknown scenario 'flood' \(known: amount-inflation, "):
        get_scenario("flood")
