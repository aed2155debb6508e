"""The skew check finds served features that differ from the batch recomputation."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

from watchkeeper.clock import EventTimeClock
from watchkeeper.config import parse_config
from watchkeeper.features import FeatureSpec, OnlineFeatureEngine, fit
from watchkeeper.features.backfill import backfill_state
from watchkeeper.features.skew import check_skew
from watchkeeper.simulate import preset, simulate
from watchkeeper.workspace import Workspace, example_text


def served_predictions(
    days: int = 12, skew_every: int = 0, history_days: int = 0, backfill: bool = False
) -> tuple[pl.DataFrame, Any, pl.DataFrame]:
    """Score simulated traffic with the online engine and log it as predictions would be.

    The first ``history_days`` are history, not served (returned third); the online state
    starts empty, or with ``backfill`` filled from that history.
    """
    traffic = simulate(preset("stable", days=days, per_day=150, seed=5)).transactions
    spec = FeatureSpec.from_workspace_config(parse_config(yaml.safe_load(example_text("fraud"))))
    fitted = fit(spec, traffic)
    launch = traffic["ts"].min() + timedelta(days=history_days)  # type: ignore[operator]
    history = traffic.filter(pl.col("ts") < launch)
    engine = OnlineFeatureEngine(fitted)
    if backfill and history.height:
        backfill_state(engine.store, fitted, history, history["ts"].max())  # type: ignore[arg-type]
    rows = []
    served = traffic.filter(pl.col("ts") >= launch).sort("ts")
    for position, event in enumerate(served.iter_rows(named=True)):
        raw = {name: event[name] for name in spec.inputs}
        features = engine.score(raw)
        if skew_every and position % skew_every == 0:
            features["card_amount_mean_30d"] = (features["card_amount_mean_30d"] or 0.0) + 1.0
        raw["ts"] = raw["ts"].isoformat()
        rows.append(
            {
                "event_id": event["event_id"],
                "ts": event["ts"],
                "entity": event["card_id"],
                "model_version": 1,
                "route": "champion",
                "score": 0.1,
                "decision": False,
                "raw_input": json.dumps(raw),
                "features": json.dumps(features),
            }
        )
    return pl.DataFrame(rows), fitted, history


def test_features_served_by_the_online_engine_show_no_skew() -> None:
    predictions, fitted, _ = served_predictions(days=36)
    report = check_skew(fitted, predictions)
    assert report.ok, [item.to_dict() for item in report.features if item.mismatches]
    assert report.compared_rows == report.rows > 5000  # every served row, none left out
    assert report.warm_up.days == 30 and report.warm_up_rows == 0


def test_skewed_features_are_reported_with_rate_and_largest_difference() -> None:
    predictions, fitted, _ = served_predictions(days=40, skew_every=10)
    report = check_skew(fitted, predictions, threshold=0.001)
    assert not report.ok and report.skewed_features == ["card_amount_mean_30d"]
    skewed = next(item for item in report.features if item.name == "card_amount_mean_30d")
    assert 0.09 < skewed.mismatch_rate < 0.11  # one row in ten, over every row
    assert skewed.largest_difference == pytest.approx(1.0)


def test_a_cold_start_is_skew_in_its_warm_up_and_a_backfill_removes_it() -> None:
    cold, fitted, history = served_predictions(days=45, history_days=30)
    start = cold["ts"].min()
    report = check_skew(fitted, cold, history=history, cold_since=start)
    assert not report.ok and "card_amount_mean_30d" in report.skewed_features
    assert report.history_rows == history.height and report.compared_rows == cold.height
    assert report.warm_up_rows == cold.height  # all 15 days lie within 30 days of the start
    early = {item.name: item.mismatches for item in report.warm_up_features}
    late = {item.name: item.mismatches for item in report.features}
    assert early == late and early["card_amount_mean_30d"] > 0
    warm, _, _ = served_predictions(days=45, history_days=30, backfill=True)
    report = check_skew(fitted, warm, history=history)
    assert report.ok, [item.to_dict() for item in report.features if item.mismatches]
    assert report.compared_rows == warm.height and report.warm_up_rows == 0
    assert check_skew(fitted, warm).skewed_features  # without the history: windows too short


def test_no_row_compared_is_a_failure() -> None:
    predictions, fitted, _ = served_predictions(days=2)
    report = check_skew(fitted, predictions.clear())
    assert not report.ok and report.problem == "0 rows compared: no served prediction to check"


def test_skew_check_command_reads_the_workspace_event_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from watchkeeper.cli import main

    predictions, fitted, _ = served_predictions(days=35, skew_every=5)
    root = Workspace.create(tmp_path / "ws")
    spec_path = tmp_path / "fitted.json"
    fitted.save(spec_path)  # type: ignore[attr-defined]
    with Workspace.open(root, clock=EventTimeClock(predictions["ts"].max())) as workspace:
        workspace.events.write_bulk("predictions", predictions)
    assert main(["skew-check", "-w", str(root), "--spec", str(spec_path), "--json"]) == 1
    capsys.readouterr()
    after = ["--start", "2030-01-01", "--end", "2030-02-01"]
    assert main(["skew-check", "-w", str(root), "--spec", str(spec_path), *after]) == 1
    assert "failed: 0 rows compared" in capsys.readouterr().out
    with Workspace.open(root) as workspace:
        rows = workspace.metadata.metrics(workspace.config.model.name, metric="skew_mismatch_rate")
        [alert] = workspace.metadata.alerts.firing()
        decisions = workspace.metadata.decisions(workspace.config.model.name, kind="alert")
    assert {row.feature for row in rows if row.status == "alert"} == {"card_amount_mean_30d"}
    assert (alert.rule, alert.feature, alert.severity) == (
        "training-serving skew",
        "card_amount_mean_30d",
        "critical",
    )
    assert len(decisions) == 1
    assert main(["skew-check", "-w", str(root)]) == 2  # no champion registered, no --spec
    assert (
        main(["skew-check", "-w", str(root), "--spec", str(spec_path), "--threshold", "0.5"]) == 0
    )
    assert main(["skew-check", "-w", str(root), "--spec", str(tmp_path / "nope.json")]) == 2
