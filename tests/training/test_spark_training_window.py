"""The training window's features computed by Spark are the Polars engine's: same model inputs.

A small simulated workspace (the fraud example, 120 days of 150 events); the window, its label
maturity and the fit stay on the driver, the features are computed on the ``spark``
fixture's ``local[2]`` session. Every slice must be equal (floats within 1e-9 relative).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from watchkeeper.simulate import preset, simulate
from watchkeeper.simulate.to_event_store import load_into_event_store, simulation_key
from watchkeeper.training.pipeline import (
    featured_window,
    latest_event_time,
    read_training_data,
    resolve_as_of,
    warm_up,
)
from watchkeeper.workspace import Workspace

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark


def test_spark_features_give_the_same_training_frames(spark: SparkSession, tmp_path: Path) -> None:
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
    expected = featured_window(data, settings)
    actual = featured_window(data, settings, spark=spark)
    assert actual.feature_names == expected.feature_names
    assert actual.rejected_rows == expected.rejected_rows
    for name in ("train", "validation", "holdout"):
        mine: pl.DataFrame = getattr(actual.window, name)
        theirs: pl.DataFrame = getattr(expected.window, name)
        assert theirs.height > 0, name
        assert_frame_equal(mine, theirs, check_exact=False, rel_tol=1e-9, abs_tol=1e-12)
