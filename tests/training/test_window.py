"""The training window holds matured labels only, by construction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from watchkeeper.errors import TrainingDataError
from watchkeeper.training.window import TrainingWindow, training_window

DAY0 = datetime(2026, 1, 1, tzinfo=UTC)
AS_OF = datetime(2026, 8, 1, tzinfo=UTC)
HORIZON = timedelta(days=60)


def traffic() -> tuple[pl.DataFrame, pl.DataFrame]:
    """A transaction every 6 hours for 212 days; every 10th is fraud, charged back 20 days later."""
    count = 212 * 4
    times = [DAY0 + timedelta(hours=6 * index) for index in range(count)]
    events = pl.DataFrame(
        {
            "event_id": [f"t{index}" for index in range(count)],
            "ts": times,
            "amount": np.linspace(1, 100, count),
        }
    )
    fraud = list(range(0, count, 10))
    outcomes = pl.DataFrame(
        {
            "event_id": [f"t{index}" for index in fraud],
            "outcome": ["chargeback"] * len(fraud),
            "received_at": [times[index] + timedelta(days=20) for index in fraud],
        }
    )
    return events, outcomes


def window(**overrides: object) -> TrainingWindow:
    events, outcomes = traffic()
    settings: dict[str, object] = {
        "as_of": AS_OF,
        "maturity_horizon": HORIZON,
        "window": timedelta(days=90),
        "validation": timedelta(days=14),
        "holdout": timedelta(days=14),
    }
    settings.update(overrides)
    return training_window(events, outcomes, **settings)  # type: ignore[arg-type]


def test_no_pending_label_and_nothing_after_the_maturity_cutoff() -> None:
    found = window()
    cutoff = AS_OF - HORIZON
    assert found.cutoff == cutoff and found.start == cutoff - timedelta(days=90)
    everything = pl.concat([found.train, found.validation, found.holdout])
    assert everything["label"].null_count() == 0
    assert set(everything["label_status"].unique()) == {"positive", "negative"}
    assert everything["ts"].max() <= cutoff
    assert everything["ts"].min() >= found.start
    # recent frauds already charged back (after the cut-off) are left out with their negatives
    events, outcomes = traffic()
    recent_known_fraud = events.join(outcomes, on="event_id").filter(
        (pl.col("ts") > cutoff) & (pl.col("received_at") <= AS_OF)
    )
    assert recent_known_fraud.height > 0
    assert not set(recent_known_fraud["event_id"]) & set(everything["event_id"])


def test_labels_are_as_known_at_as_of() -> None:
    found = window()
    everything = pl.concat([found.train, found.validation, found.holdout])
    fraud = everything.filter(pl.col("event_id").str.slice(1).cast(pl.Int64) % 10 == 0)
    assert (fraud["label"] == 1).all()
    assert everything["label"].sum() == fraud.height


def test_slices_are_consecutive_and_the_holdout_is_the_most_recent() -> None:
    found = window()
    assert found.train["ts"].max() < found.validation_start <= found.validation["ts"].min()
    assert found.validation["ts"].max() < found.holdout_start <= found.holdout["ts"].min()
    counts = found.counts()
    assert counts["holdout"]["rows"] == 14 * 4 + 1  # both ends of the closed window
    assert counts["validation"]["rows"] == 14 * 4
    assert counts["train"]["rows"] == (90 - 28) * 4
    assert found.describe()["maturity_cutoff"] == (AS_OF - HORIZON).isoformat()


def test_missing_outcome_data_is_refused() -> None:
    events, outcomes = traffic()
    with pytest.raises(TrainingDataError, match="missing outcome data"):
        training_window(
            events,
            outcomes.head(0),
            as_of=AS_OF,
            maturity_horizon=HORIZON,
            window=timedelta(days=90),
            validation=timedelta(days=14),
            holdout=timedelta(days=14),
        )
    with pytest.raises(TrainingDataError, match="missing outcome data"):
        window(as_of=DAY0 + timedelta(days=5))  # no chargeback had arrived yet


def test_an_empty_window_and_impossible_slices_are_refused() -> None:
    with pytest.raises(TrainingDataError, match="no event between"):
        window(as_of=AS_OF + timedelta(days=400))
    with pytest.raises(TrainingDataError, match="leave nothing"):
        window(validation=timedelta(days=50), holdout=timedelta(days=40))
