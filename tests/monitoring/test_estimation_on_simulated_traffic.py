"""CBPE on the simulator's traffic, through the real feature engine and a LightGBM model.

Where only the inputs move, the estimate tracks what labels later show; when fraudsters adapt
(the ``fraud-adaptation`` preset) the scores still look calibrated to the estimate, which then
overstates recall badly: the reason watchkeeper also watches realized labels and money.
"""

from __future__ import annotations

from datetime import timedelta

import lightgbm
import numpy as np
import polars as pl
import pytest
import yaml

from watchkeeper.config import parse_config
from watchkeeper.features import FeatureSpec, compute_batch, fit
from watchkeeper.performance.binary_estimation import ScoreCalibrator, estimate_performance
from watchkeeper.simulate import preset, simulate
from watchkeeper.workspace import example_text

SHIFT_DAY = 60


@pytest.fixture(scope="module")
def featured() -> tuple[pl.DataFrame, list[str]]:
    traffic = simulate(
        preset(
            "fraud-adaptation",
            days=110,
            per_day=3_000,
            seed=5,
            fraud_adaptation={"start_day": SHIFT_DAY, "mode": "sudden", "adapted_share": 0.9},
        )
    )
    spec = FeatureSpec.from_workspace_config(parse_config(yaml.safe_load(example_text("fraud"))))
    transactions = traffic.transactions
    start = transactions["ts"].min()
    fitted = fit(spec, transactions.filter(pl.col("ts") < start + timedelta(days=40)))
    features = compute_batch(fitted, transactions.drop("is_fraud")).features
    names = [name for name in features.columns if name != "event_id"]
    frame = features.join(
        transactions.select("event_id", "ts", "is_fraud"), on="event_id", maintain_order="left"
    ).with_columns(day=((pl.col("ts") - start).dt.total_days()))
    return frame, names


def slice_days(frame: pl.DataFrame, first: int, last: int) -> pl.DataFrame:
    return frame.filter((pl.col("day") >= first) & (pl.col("day") < last))


@pytest.mark.slow  # scores and estimates months of simulated traffic: 75 s on a loaded 2-core machine
def test_estimate_tracks_realized_before_and_diverges_after_adaptation(
    featured: tuple[pl.DataFrame, list[str]],
) -> None:
    frame, names = featured
    train, calibration = slice_days(frame, 0, 40), slice_days(frame, 40, 50)
    stable, adapted = slice_days(frame, 50, SHIFT_DAY), slice_days(frame, 80, 110)
    model = lightgbm.LGBMClassifier(
        n_estimators=150,
        learning_rate=0.05,
        num_leaves=31,
        reg_lambda=1.0,
        num_threads=2,
        deterministic=True,
        verbose=-1,
        random_state=0,
    ).fit(train.select(names).to_numpy(), train["is_fraud"].to_numpy())

    def scores(part: pl.DataFrame) -> np.ndarray:
        return model.predict_proba(part.select(names).to_numpy())[:, 1]

    calibration_scores = scores(calibration)
    calibrator = ScoreCalibrator.fit(calibration_scores, calibration["is_fraud"].to_numpy())
    threshold = float(np.quantile(calibration_scores, 0.99))

    def compare(part: pl.DataFrame) -> tuple[float, float]:
        part_scores = scores(part)
        flags = part_scores > threshold
        truth = part["is_fraud"].to_numpy()
        estimate = estimate_performance(part_scores, flags, calibrator)
        assert estimate.recall is not None
        return estimate.recall, float(truth[flags].sum() / truth.sum())

    estimated, realized = compare(stable)
    print(f"stable: estimated recall {estimated:.3f}, realized {realized:.3f}")
    assert realized > 0.6
    assert abs(estimated - realized) < 0.1

    estimated, realized = compare(adapted)
    print(f"adapted fraud: estimated recall {estimated:.3f}, realized {realized:.3f}")
    assert realized < 0.4
    assert estimated - realized > 0.3
