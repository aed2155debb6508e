"""A team's own predictions and outcomes, for each task, logged from frames and files: good
rows kept, bad rows refused with the column and the reason, repeats counted once."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from watchkeeper.cli.app import main
from watchkeeper.errors import SchemaError
from watchkeeper.simulate.tabular import (
    simulate_churn,
    simulate_demand,
    simulate_triage,
    team_predictions,
)
from watchkeeper.workspace import Workspace


def external(tmp_path: Path, example: str) -> Path:
    """A workspace of ``example`` turned into monitoring-only (served by the team)."""
    root = Workspace.create(tmp_path / example, example=example)
    config = root / "watchkeeper.yaml"
    text = config.read_text()
    if "serving: external" not in text:
        text = text.replace("  task:", "  serving: external\n  task:", 1)
    config.write_text(text)
    return root


def stored(root: Path, table: str) -> pl.DataFrame:
    with Workspace.open(root) as workspace:
        return workspace.events.read(table)


def test_binary_predictions_from_a_pandas_frame_keep_good_rows_and_refuse_bad_ones(
    tmp_path: Path,
) -> None:
    simulation = simulate_churn(days=30, per_day=40, seed=3, shift_day=20, accounts=300)
    predictions = team_predictions(simulation, "binary", seed=3, training_days=10)
    bad = predictions.head(3).with_columns(
        pl.Series("event_id", ["bad-score", "bad-fee", "bad-decision"]),
        pl.Series("score", [129.0, 0.2, 0.3]),  # a price is not a probability
        pl.Series("monthly_fee", [9.0, -5.0, 9.0]),  # below the input's minimum
    )
    frame = pl.concat([predictions, bad]).with_columns(
        pl.when(pl.col("event_id") == "bad-decision")
        .then(pl.lit("maybe"))
        .otherwise(pl.col("decision").cast(pl.String))
        .alias("decision")
    )
    root = external(tmp_path, "external")
    with Workspace.open(str(root)) as workspace:
        summary = workspace.log_predictions(frame.to_pandas())
    assert summary.counts() == (predictions.height, 0, 3)
    assert summary.reasons == {"out_of_range": 2, "wrong_type": 1}
    logged = stored(root, "predictions")
    assert logged.height == predictions.height
    assert logged["score"].to_list() == pytest.approx(
        predictions.sort("ts", "event_id")["score"].to_list()
    )
    refused = stored(root, "rejections").sort("event_id")
    assert refused.select("event_id", "field", "reason").rows() == [
        ("bad-decision", "decision", "wrong_type"),
        ("bad-fee", "monthly_fee", "out_of_range"),
        ("bad-score", "score", "out_of_range"),
    ]
    inputs = stored(root, "transactions").sort("event_id")
    expected = predictions.select(simulation.events.columns).sort("event_id")
    assert inputs.select(expected.columns).equals(expected)  # the inputs, typed


def test_version_labels_become_version_numbers_in_order_of_arrival(tmp_path: Path) -> None:
    simulation = simulate_churn(days=60, per_day=20, seed=1, shift_day=20, accounts=200)
    predictions = team_predictions(simulation, "binary", seed=1, training_days=10, switch_day=40)
    root = external(tmp_path, "external")
    with Workspace.open(root) as workspace:
        workspace.log_predictions(predictions.to_arrow())
        versions = workspace.metadata.external_versions.entries("churn-service")
    assert [(entry.label, entry.version) for entry in versions] == [("team-v1", 1), ("team-v2", 2)]
    logged = stored(root, "predictions")
    pairs = set(logged.select("model_label", "model_version").unique().rows())
    assert pairs == {("team-v1", 1), ("team-v2", 2)}


def test_logging_the_same_rows_twice_counts_them_once_and_a_changed_one_is_refused(
    tmp_path: Path,
) -> None:
    simulation = simulate_churn(days=20, per_day=20, seed=2, shift_day=10, accounts=100)
    predictions = team_predictions(simulation, "binary", seed=2, training_days=8)
    root = external(tmp_path, "external")
    with Workspace.open(root) as workspace:
        first = workspace.log_predictions(predictions)
        again = workspace.log_predictions(predictions)
        changed = workspace.log_predictions(predictions.head(1).with_columns(pl.col("score") * 0.5))
    assert first.counts() == (predictions.height, 0, 0)
    assert again.counts() == (0, predictions.height, 0)
    assert changed.counts() == (0, 0, 1) and changed.reasons == {"conflicting_duplicate": 1}
    assert stored(root, "predictions").height == predictions.height
    refusal = stored(root, "rejections").row(0, named=True)
    assert refusal["field"] == "score" and "different score" in refusal["detail"]


def test_multiclass_predictions_need_probabilities_over_the_classes(tmp_path: Path) -> None:
    simulation = simulate_triage(days=20, per_day=30, seed=4, shift_day=10, customers=200)
    predictions = team_predictions(simulation, "multiclass", seed=4, training_days=8)
    classes = json.loads(predictions["probabilities"][0]).keys()
    uniform = {name: round(1 / len(classes), 6) for name in classes}
    bad = pl.DataFrame(
        {
            "probabilities": [
                json.dumps(dict.fromkeys(classes, 0.1)),  # sums to 0.5
                json.dumps({**uniform, "refunds": 0.0}),  # a class not in the list
                "not json",
            ],
            "decision": [None, None, None],
        }
    )
    rows = predictions.head(3).drop("probabilities", "decision", "score")
    broken = pl.concat(
        [rows, bad.with_columns(pl.col("decision").cast(pl.String))], how="horizontal"
    )
    broken = broken.with_columns(pl.Series("event_id", ["sum", "unknown", "text"]))
    wrong_decision = predictions.head(1).with_columns(
        pl.lit("refunds").alias("decision"), pl.lit("decided-refunds").alias("event_id")
    )
    root = external(tmp_path, "triage")
    with Workspace.open(root) as workspace:
        good = workspace.log_predictions(predictions)
        refused = workspace.log_predictions(
            pl.concat(
                [broken.drop("decision"), wrong_decision.select(broken.drop("decision").columns)]
            )
        )
        decided = workspace.log_predictions(wrong_decision.drop("score"))
    assert good.counts() == (predictions.height, 0, 0)
    assert refused.refused == 3
    assert refused.reasons == {"bad_probabilities": 1, "unknown_class": 1, "wrong_type": 1}
    assert decided.reasons == {"unknown_class": 1}
    details = stored(root, "rejections").sort("event_id").select("event_id", "detail").rows()
    assert any("sum to 0.5" in detail for _, detail in details)
    assert any("refunds" in detail for event_id, detail in details if event_id == "unknown")
    logged = stored(root, "predictions")
    assert logged["decision"].is_in(list(classes)).all()
    sums = logged["probabilities"].str.json_decode().struct.unnest().sum_horizontal()
    assert (sums - 1).abs().max() < 1e-6  # type: ignore[operator]


def test_regression_predictions_and_outcomes_must_be_numbers(tmp_path: Path) -> None:
    simulation = simulate_demand(days=10, per_day=20, seed=5, shift_day=5)
    predictions = team_predictions(simulation, "regression", seed=5, training_days=4)
    text = predictions.with_columns(pl.col("prediction").cast(pl.String))
    text = text.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit("twelve"))
        .otherwise(pl.col("prediction"))
        .alias("prediction")
    )
    outcomes = simulation.outcomes.with_columns(pl.col("outcome").cast(pl.String))
    outcomes = outcomes.with_columns(
        pl.when(pl.int_range(pl.len()) < 2)
        .then(pl.lit("lots"))
        .otherwise(pl.col("outcome"))
        .alias("outcome")
    )
    root = external(tmp_path, "demand")
    with Workspace.open(root) as workspace:
        logged = workspace.log_predictions(text)
        known = workspace.log_outcomes(outcomes)
    assert logged.counts() == (predictions.height - 1, 0, 1) and logged.reasons == {"wrong_type": 1}
    assert known.counts() == (outcomes.height - 2, 0, 2)
    values = stored(root, "outcomes")["outcome"]
    assert values.dtype == pl.Float64 and (values >= 0).all()


def test_outcomes_outside_the_label_are_refused_and_a_historical_file_is_known_when_it_happened(
    tmp_path: Path,
) -> None:
    simulation = simulate_churn(days=20, per_day=20, seed=6, shift_day=10, accounts=100)
    outcomes = pl.concat(
        [
            simulation.outcomes,
            pl.DataFrame(
                {
                    "event_id": ["x1"],
                    "outcome": ["banana"],
                    "outcome_ts": [datetime(2025, 1, 9, tzinfo=UTC)],
                }
            ),
        ]
    )
    root = external(tmp_path, "external")
    with Workspace.open(root) as workspace:
        summary = workspace.log_outcomes(outcomes)
    assert summary.counts() == (simulation.outcomes.height, 0, 1)
    logged = stored(root, "outcomes")
    assert (logged["received_at"] == logged["outcome_ts"]).all()
    assert logged["outcome_ts"].min() < datetime(2025, 3, 1, tzinfo=UTC)  # any period is taken


def test_a_file_whose_columns_do_not_match_is_refused_whole_naming_them(tmp_path: Path) -> None:
    root = external(tmp_path, "external")
    frame = pd.DataFrame({"event_id": ["a"], "card_id": ["c1"], "score": [0.5]})
    with Workspace.open(root) as workspace, pytest.raises(SchemaError, match="'card_id'"):
        workspace.log_predictions(frame)


def test_the_cli_logs_a_csv_with_a_column_mapping_and_counts_a_second_run_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    simulation = simulate_churn(days=20, per_day=30, seed=7, shift_day=10, accounts=150)
    predictions = team_predictions(simulation, "binary", seed=7, training_days=8)
    theirs = predictions.rename({"event_id": "request_id", "score": "churn_probability"})
    path = tmp_path / "scored.csv"
    theirs.write_csv(path)
    root = external(tmp_path, "external")
    command = [
        "log", "predictions", "--file", str(path), "-w", str(root), "--json",
        "--column", "request_id=event_id", "--column", "churn_probability=score",
        "--batch-rows", "100",
    ]  # fmt: skip
    assert main(command) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(command) == 0
    second = json.loads(capsys.readouterr().out)
    assert (first["rows"], first["logged"], first["refused"]) == (predictions.height,) * 2 + (0,)
    assert (second["logged"], second["repeated"]) == (0, predictions.height)
    logged = stored(root, "predictions")
    assert logged["ts"].to_list() == predictions.sort("ts", "event_id")["ts"].to_list()


def test_the_cli_names_a_missing_file_and_an_unmapped_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = external(tmp_path, "external")
    assert main(["log", "outcomes", "-f", str(tmp_path / "none.parquet"), "-w", str(root)]) == 2
    assert "none.parquet: no such file" in capsys.readouterr().err
    path = tmp_path / "outcomes.parquet"
    pl.DataFrame({"id": ["a"], "outcome": ["churned"], "at": ["2025-02-01"]}).write_parquet(path)
    assert main(["log", "outcomes", "-f", str(path), "-w", str(root), "-c", "id=event_id"]) == 2
    assert "'at' are not outcome columns" in capsys.readouterr().err


def test_a_string_input_longer_than_its_limit_is_refused_in_a_file_too(tmp_path: Path) -> None:
    simulation = simulate_churn(days=10, per_day=10, seed=8, shift_day=5, accounts=50)
    predictions = team_predictions(simulation, "binary", seed=8, training_days=4)
    long_plan = predictions.head(1).with_columns(
        pl.lit("p" * 300).alias("plan"), pl.lit("long").alias("event_id")
    )
    with Workspace.open(external(tmp_path, "external")) as workspace:
        summary = workspace.log_predictions(pl.concat([predictions, long_plan]))
    assert summary.counts() == (predictions.height, 0, 1) and summary.reasons == {"too_long": 1}
