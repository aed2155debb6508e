"""The training slice's sample by entity: deterministic, whole entities, the documented hash."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
import yaml

from watchkeeper.config import parse_config
from watchkeeper.errors import ConfigError
from watchkeeper.training.window import TrainingWindow, training_window
from watchkeeper.training.window_sample import EntitySample
from watchkeeper.workspace import example_text

DAY0 = datetime(2026, 1, 1, tzinfo=UTC)


def window(sample: EntitySample | None = None, cards: bool = True) -> TrainingWindow:
    """A window over 200 days of events every 6 hours on 40 cards; every 10th is fraud."""
    count = 200 * 4
    times = [DAY0 + timedelta(hours=6 * index) for index in range(count)]
    events = pl.DataFrame({"event_id": [f"t{index}" for index in range(count)], "ts": times})
    if cards:
        events = events.with_columns(card_id=pl.format("c{}", pl.int_range(pl.len()) % 40))
    fraud = range(0, count, 10)
    outcomes = pl.DataFrame(
        {
            "event_id": [f"t{index}" for index in fraud],
            "outcome": ["chargeback"] * len(fraud),
            "received_at": [times[index] + timedelta(days=20) for index in fraud],
        }
    )
    return training_window(
        events,
        outcomes,
        as_of=DAY0 + timedelta(days=200),
        maturity_horizon=timedelta(days=60),
        window=timedelta(days=90),
        validation=timedelta(days=14),
        holdout=timedelta(days=14),
        sample=sample,
    )


def _reference_keep(value: str, fraction: float, seed: int) -> bool:
    """The rule as the docs state it, written out independently."""
    digest = hashlib.blake2b(f"{seed}:{value}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") < fraction * 2**64


def test_the_sample_keeps_the_documented_entities_and_about_the_fraction() -> None:
    cards = pl.Series([f"card{index}" for index in range(20_000)])
    kept = EntitySample(0.3, "card_id", seed=4).keep(cards)
    expected = [_reference_keep(card, 0.3, 4) for card in cards]
    assert kept.tolist() == expected
    spread = 3 * np.sqrt(0.3 * 0.7 / cards.len())
    assert abs(kept.mean() - 0.3) < spread
    other_seed = EntitySample(0.3, "card_id", seed=5).keep(cards)
    assert (other_seed != kept).any()
    assert EntitySample(1.0, "card_id").keep(cards).all()


def test_only_the_training_slice_is_sampled_by_whole_entities() -> None:
    sample = EntitySample(0.5, "card_id", seed=1)
    whole, first, again = window(), window(sample), window(sample)
    assert first.train.equals(again.train)
    assert first.validation.equals(whole.validation) and first.holdout.equals(whole.holdout)
    kept_cards = set(first.train["card_id"])
    assert kept_cards == {
        card for card in set(whole.train["card_id"]) if _reference_keep(card, 0.5, 1)
    }
    assert first.train.equals(whole.train.filter(pl.col("card_id").is_in(kept_cards)))
    assert first.describe()["sample"] == {
        "fraction": 0.5,
        "by": "card_id",
        "seed": 1,
        "training_rows": whole.train.height,
        "rows_kept": first.train.height,
        "rows_left_out": whole.train.height - first.train.height,
    }
    assert "sample" not in whole.describe()


def test_a_sample_outside_zero_to_one_or_without_its_column_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"not a fraction in \(0, 1\]"):
        EntitySample(0.0, "card_id")
    with pytest.raises(ConfigError, match="no column 'card_id'"):
        window(EntitySample(0.5, "card_id"), cards=False)
    settings = yaml.safe_load(example_text("fraud"))
    settings["training"]["sample"] = 1.5
    with pytest.raises(
        ConfigError, match=r"training\.sample: Input should be less than or equal to 1"
    ):
        parse_config(settings)
