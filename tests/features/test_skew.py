"""The skew check finds served features that differ from the batch recomputation."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
import yaml

from watchkeeper.clock import EventTimeClock
from watchkeeper.config import parse_config
from watchkeeper.features import FeatureSpec, OnlineFeatureEngine, fit
from watchkeeper.features.skew import check_skew
from watchkeeper.simulate import preset, simulate
from watchkeeper.workspace import Workspace, example_text


def served_predictions(days: int = 12, skew_every: int = 0) -> tuple[pl.DataFrame, object]:
    """Score simulated traffic with the online engine and log it as predictions would be."""
    traffic = simulate(preset("stable", days=days, per_day=150, seed=5)).transactions
    spec = FeatureSpec.from_workspace_config(parse_config(yaml.safe_load(example_text("fraud"))))
    fitted = fit(spec, traffic)
    engine = OnlineFeatureEngine(fitted)
    rows = []
    for position, event in enumerate(traffic.sort("ts").iter_rows(named=True)):
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
    return pl.DataFrame(rows), fitted


def test_features_served_by_the_online_engine_show_no_skew() -> None:
    predictions, fitted = served_predictions(days=36)
    report = check_skew(fitted, predictions)  # type: ignore[arg-type]
    assert report.ok, [item.to_dict() for item in report.features if item.mismatches]
    assert report.warm_up.days == 30 and report.compared_rows > 500
    assert report.warm_up_rows == report.rows - report.compared_rows


def test_skewed_features_are_reported_with_rate_and_largest_difference() -> None:
    predictions, fitted = served_predictions(days=40, skew_every=10)
    report = check_skew(fitted, predictions, threshold=0.001)  # type: ignore[arg-type]
    assert not report.ok and report.skewed_features == ["card_amount_mean_30d"]
    skewed = next(item for item in report.features if item.name == "card_amount_mean_30d")
    assert 0.05 < skewed.mismatch_rate < 0.15
    assert skewed.largest_difference == pytest.approx(1.0)
    assert report.compared_rows < report.rows  # the first 30 days are warm-up


def test_skew_check_command_reads_the_workspace_event_store(tmp_path: Path) -> None:
    from watchkeeper.cli import main

    predictions, fitted = served_predictions(days=35, skew_every=5)
    root = Workspace.create(tmp_path / "ws")
    spec_path = tmp_path / "fitted.json"
    fitted.save(spec_path)  # type: ignore[attr-defined]
    with Workspace.open(root, clock=EventTimeClock(predictions["ts"].max())) as workspace:
        workspace.events.write_bulk("predictions", predictions)
    assert main(["skew-check", "-w", str(root), "--spec", str(spec_path), "--json"]) == 1
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
