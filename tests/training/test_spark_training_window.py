"""The training window on Spark is the Polars window, and so are the features of its slices.

One ``local[2]`` session for the module (the ``spark`` fixture). The window's label join,
maturity, provisional labels, slice bounds and entity sample are compared on small shuffled
frames with timestamp ties and outcome ties, one case per kind of label; then a small
simulated workspace goes through ``featured_window`` on both engines, with a champion's spec
(whose features for the holdout are computed on the same engine). Every slice must be
equal (window: exactly; features: floats within 1e-9 relative).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from tests.training.conftest import assert_same_featured

from watchkeeper.compute.spark_frames import spark_rows
from watchkeeper.config import LabelConfig, ProvisionalLabelsConfig
from watchkeeper.errors import SchemaError
from watchkeeper.features.fit import fit
from watchkeeper.features.spec import FeatureSpec
from watchkeeper.simulate import preset, simulate
from watchkeeper.simulate.to_event_store import load_into_event_store, simulation_key
from watchkeeper.training.pipeline import (
    featured_window,
    latest_event_time,
    read_training_data,
    resolve_as_of,
    warm_up,
)
from watchkeeper.training.spark_window import spark_training_window
from watchkeeper.training.window import TrainingWindow, training_window
from watchkeeper.training.window_sample import EntitySample
from watchkeeper.workspace import Workspace

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark

DAY0 = datetime(2026, 1, 1, tzinfo=UTC)
AS_OF = DAY0 + timedelta(days=120)
HORIZON = timedelta(days=30)


def _events(count: int = 400) -> pl.DataFrame:
    """Shuffled events on whole hours (many ties), 25 cards."""
    rng = np.random.default_rng(7)
    hours = rng.integers(0, 120 * 24, count)
    return pl.DataFrame(
        {
            "event_id": [f"e{index}" for index in range(count)],
            "card_id": [f"c{value}" for value in rng.integers(0, 25, count)],
            "ts": [DAY0 + timedelta(hours=int(hour)) for hour in hours],
            "amount": rng.gamma(2.0, 30.0, count).astype(np.float32),
        }
    )


def _outcomes(events: pl.DataFrame, values: list[Any], share: float = 0.3) -> pl.DataFrame:
    """Outcomes for a share of the events (some twice, some at the same instant), received
    after a delay of 0 to 70 days (so some after ``AS_OF``); values drawn from ``values``."""
    rng = np.random.default_rng(11)
    chosen = rng.random(events.height) < share
    twice = rng.random(events.height) < 0.2
    rows: list[tuple[str, Any, datetime]] = []
    for index in np.flatnonzero(chosen):
        event, time = events["event_id"][int(index)], events["ts"][int(index)]
        received = time + timedelta(hours=int(rng.integers(0, 70 * 24)))
        rows.append((event, values[int(rng.integers(len(values)))], received))
        if twice[index]:  # a second outcome, later or at the same instant
            later = received + timedelta(days=int(rng.integers(0, 3)))
            rows.append((event, values[int(rng.integers(len(values)))], later))
    return pl.DataFrame(
        rows,
        schema={
            "event_id": pl.String,
            "outcome": pl.String,
            "received_at": pl.Datetime("us", "UTC"),
        },
        orient="row",
    )


def _both(spark: SparkSession, events: pl.DataFrame, outcomes: pl.DataFrame, **settings: Any):
    """The Polars window and the Spark window of the same frames and settings."""
    common: dict[str, Any] = {
        "as_of": AS_OF,
        "maturity_horizon": HORIZON,
        "window": timedelta(days=60),
        "validation": timedelta(days=10),
        "holdout": timedelta(days=10),
        **settings,
    }
    expected = training_window(events, outcomes, **common)
    with (
        spark_rows(spark, events, "arrival") as event_rows,
        spark_rows(spark, outcomes, "arrival") as outcome_rows,
    ):
        actual = spark_training_window(
            event_rows, outcome_rows, arrival="arrival", schema=events.schema, **common
        )
    return expected, actual


def _assert_same(expected: TrainingWindow, actual: TrainingWindow) -> None:
    for name in ("train", "validation", "holdout"):
        assert_frame_equal(getattr(actual, name), getattr(expected, name), check_exact=True)
    assert actual.describe() == expected.describe()
    assert (actual.unlabelled, actual.end) == (expected.unlabelled, expected.end)


@pytest.mark.slow
def test_spark_window_equals_the_polars_window(spark: SparkSession) -> None:
    events = _events()
    provisional = ProvisionalLabelsConfig(min_matured_positives=10, min_delay_share=0.3)
    binary = LabelConfig(maturity_horizon=HORIZON, provisional=provisional)
    expected, actual = _both(
        spark,
        events,
        _outcomes(events, ["chargeback", "chargeback", "reversal"]),
        label=binary,
        provisional=provisional,
        min_positives=8,
        sample=EntitySample(0.5, "card_id", seed=3),
    )
    assert expected.provisional is not None and expected.provisional.active
    assert expected.holdout_start < expected.window_end - timedelta(days=10)  # sized by positives
    assert expected.sample is not None and expected.sample["rows_left_out"] > 0
    assert (expected.train["label_status"] == "provisional").sum() == 0
    assert (expected.holdout["label_status"] == "provisional").sum() > 0
    _assert_same(expected, actual)

    explicit = LabelConfig(
        maturity_horizon=HORIZON,
        positive_outcome="1",
        negative_outcomes=["0"],
        explicit_negatives=True,
    )
    expected, actual = _both(
        spark, events, _outcomes(events, ["1", "0"], share=0.6), label=explicit
    )
    assert set(expected.holdout["label_status"]) == {"positive", "negative"}
    _assert_same(expected, actual)

    classes = LabelConfig(maturity_horizon=HORIZON, classes=["billing", "fraud", "sales"])
    triage = _outcomes(events, classes.classes or [])
    expected, actual = _both(spark, events, triage, label=classes, task="multiclass")
    assert expected.unlabelled > 0
    _assert_same(expected, actual)
    with pytest.raises(SchemaError, match=r"'refund' is not in label\.classes"):
        _both(
            spark,
            events,
            triage.with_columns(outcome=pl.lit("refund")),
            label=classes,
            task="multiclass",
        )

    amounts = _outcomes(events, [" 12.5", "3", "1e2 ", "-0.25"])
    expected, actual = _both(spark, events, amounts, label=classes, task="regression")
    _assert_same(expected, actual)


def test_spark_training_frames_equal_polars(spark: SparkSession, tmp_path: Path) -> None:
    root = Workspace.create(tmp_path / "ws", "fraud")
    config = preset(
        "case-study",
        days=120,
        per_day=150,
        base_fraud_rate=0.03,
        segment_shift={"start_day": 100, "ramp_days": 7},
        fraud_adaptation={"start_day": 100, "ramp_days": 7, "mode": "sudden"},
    )
    with Workspace.open(root) as opened:
        load_into_event_store(simulate(config), opened.events, simulation_key(config))
        settings = opened.config
        latest = latest_event_time(opened.events, settings.keys.event_time)
        as_of = resolve_as_of(None, latest_event=latest, now=opened.clock.now())
        data = read_training_data(
            opened.events, settings, as_of=as_of, warm_up=warm_up(settings, None)
        )
    champion = fit(FeatureSpec.from_workspace_config(settings), data.events.head(3000))
    expected = featured_window(data, settings, champion_spec=champion, sample=0.5)
    actual = featured_window(data, settings, champion_spec=champion, spark=spark, sample=0.5)
    assert_same_featured(actual, expected)
