"""Training windows of multiclass and regression models: matured, labelled events only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest

from watchkeeper.config import LabelConfig
from watchkeeper.errors import TrainingDataError
from watchkeeper.training.window import training_window

DAY0 = datetime(2026, 1, 1, tzinfo=UTC)
HORIZON = timedelta(days=10)
CLASSES = ["billing", "technical", "sales"]
SPANS: dict[str, Any] = {
    "window": timedelta(days=40),
    "validation": timedelta(days=5),
    "holdout": timedelta(days=5),
}


def traffic() -> tuple[pl.DataFrame, pl.DataFrame]:
    """An event a day for 60 days; event i gets class i % 3 three days later, except each 4th."""
    events = pl.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(60)],
            "ts": [DAY0 + timedelta(days=i) for i in range(60)],
        }
    )
    answered = [i for i in range(60) if i % 4]
    outcomes = pl.DataFrame(
        {
            "event_id": [f"e{i}" for i in answered],
            "outcome": [CLASSES[i % 3] for i in answered],
            "received_at": [DAY0 + timedelta(days=i + 3) for i in answered],
        }
    )
    return events, outcomes


def test_a_multiclass_window_keeps_matured_events_with_a_class() -> None:
    events, outcomes = traffic()
    as_of = DAY0 + timedelta(days=59)  # cut-off: day 49, window from day 9
    found = training_window(
        events,
        outcomes,
        as_of=as_of,
        maturity_horizon=HORIZON,
        task="multiclass",
        label=LabelConfig(classes=CLASSES, maturity_horizon=HORIZON),
        **SPANS,
    )
    everything = pl.concat([found.train, found.validation, found.holdout])
    numbers = everything["event_id"].str.slice(1).cast(pl.Int64)
    # days 9..49 (41 events), minus the unanswered each 4th day (12, 16, ..., 48: 10 of them)
    assert numbers.to_list() == [i for i in range(9, 50) if i % 4]
    assert found.unlabelled == 10
    assert everything["label"].to_list() == [CLASSES[i % 3] for i in numbers]
    assert set(everything["label_status"]) == {"labelled"}
    counts = found.counts()
    assert sum(counts[name]["rows"] for name in counts) == 31
    holdout_classes = counts["holdout"]["classes"]
    expected = pl.Series([CLASSES[i % 3] for i in range(44, 50) if i % 4]).value_counts()
    assert holdout_classes == dict(expected.iter_rows())
    assert found.describe()["unlabelled"] == 10


def test_a_regression_window_and_its_refusals() -> None:
    events, outcomes = traffic()
    values = outcomes.with_columns(outcome=pl.col("event_id").str.slice(1).cast(pl.Float64) / 2)
    label = LabelConfig(maturity_horizon=HORIZON)
    found = training_window(
        events,
        values,
        as_of=DAY0 + timedelta(days=59),
        maturity_horizon=HORIZON,
        task="regression",
        label=label,
        **SPANS,
    )
    assert found.holdout["label"].to_list() == [45 / 2, 46 / 2, 47 / 2, 49 / 2]
    assert found.counts()["holdout"] == {"rows": 4}
    with pytest.raises(TrainingDataError, match="needs the workspace's label section"):
        training_window(
            events, values, as_of=DAY0 + timedelta(days=59), maturity_horizon=HORIZON,
            task="regression", **SPANS,
        )  # fmt: skip
    # by day 58 only the outcome of e58, newer than the cut-off, has arrived
    early = values.with_columns(
        received_at=pl.when(pl.col("event_id") == "e58")
        .then(pl.lit(DAY0 + timedelta(days=58)))
        .otherwise(pl.lit(DAY0 + timedelta(days=59)))
    )
    with pytest.raises(TrainingDataError, match="has an outcome received by"):
        training_window(
            events, early, as_of=DAY0 + timedelta(days=58), maturity_horizon=HORIZON,
            task="regression", label=label, **SPANS,
        )  # fmt: skip
