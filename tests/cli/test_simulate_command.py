"""``watchkeeper simulate``: Parquet files, the workspace's event store, and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from watchkeeper.cli import main
from watchkeeper.workspace import Workspace

SMALL = ["--preset", "stable", "--days", "35", "--per-day", "300", "--seed", "3"]


def test_out_writes_the_two_parquet_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", *SMALL, "--out", str(tmp_path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    transactions = pl.read_parquet(tmp_path / "transactions.parquet")
    chargebacks = pl.read_parquet(tmp_path / "chargebacks.parquet")
    assert transactions.columns == [
        "event_id",
        "ts",
        "card_id",
        "merchant_id",
        "merchant_category",
        "amount",
        "country",
        "channel",
        "device_id",
        "is_fraud",
    ]
    assert chargebacks.columns == ["event_id", "chargeback_ts", "amount"]
    assert result["transactions"] == transactions.height
    assert result["chargebacks"] == chargebacks.height
    assert [month["month"] for month in result["months"]] == ["2025-01", "2025-02"]


def test_workspace_load_is_idempotent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["simulate", *SMALL, "-w", str(tmp_path), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(["simulate", *SMALL, "-w", str(tmp_path), "--json"]) == 0
    capsys.readouterr()
    with Workspace.open(tmp_path) as workspace:
        transactions = workspace.events.read("transactions")
        outcomes = workspace.events.read("outcomes")
    expected = pl.read_parquet(_simulate_to_files(tmp_path / "files") / "transactions.parquet")
    assert transactions.height == expected.height == first["transactions"]
    assert transactions["event_id"].n_unique() == transactions.height
    assert set(outcomes["outcome"].unique()) == {"chargeback"}
    fraud_ids = set(expected.filter(pl.col("is_fraud"))["event_id"])
    assert set(outcomes["event_id"]) <= fraud_ids


def _simulate_to_files(folder: Path) -> Path:
    assert main(["simulate", *SMALL, "--out", str(folder)]) == 0
    return folder


def test_settings_file_overrides_the_preset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = tmp_path / "sim.yaml"
    settings.write_text(
        "days: 20\nper_day: 200\nbase_fraud_rate: 0.02\nsegment_shift: {start_day: 10, share: 0.3}\n"
    )
    assert (
        main(
            [
                "simulate",
                "--preset",
                "stable",
                "--config",
                str(settings),
                "--out",
                str(tmp_path),
                "--json",
            ]
        )
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert 0.01 < result["fraud_rate"] < 0.03
    categories = (
        pl.read_parquet(tmp_path / "transactions.parquet")["merchant_category"].unique().to_list()
    )
    assert len(categories) > 3


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--preset", "nope"], "unknown simulation preset 'nope'"),
        (["--preset", "case-study", "--days", "90"], "segment_shift.start_day 540"),
        (["--start", "yesterday"], "--start: 'yesterday' is not a date"),
        (["--fraud-rate", "2"], "base_fraud_rate"),
    ],
)
def test_bad_settings_are_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    assert main(["simulate", *arguments, "--out", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert message in error
    assert "Traceback" not in error


def test_an_example_preset_writes_its_events_outcomes_and_a_team_s_predictions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "logs"
    args = ["simulate", "--preset", "triage", "--days", "16", "--per-day", "20", "--out", str(out)]
    assert main([*args, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    events = pl.read_parquet(out / "events.parquet")
    predictions = pl.read_parquet(out / "predictions.parquet")
    assert result["events"] == events.height == predictions.height == 16 * 20
    assert result["shift_day"] == 10
    assert set(predictions["model_label"]) <= {"team-v1", "team-v2"}
    assert pl.read_parquet(out / "outcomes.parquet").columns == [
        "event_id", "outcome", "outcome_ts", "received_at",
    ]  # fmt: skip


def test_an_example_preset_loads_a_workspace_of_its_task(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(tmp_path), "--example", "demand"]) == 0
    capsys.readouterr()
    command = ["simulate", "-p", "demand", "--days", "8", "--per-day", "10", "-w", str(tmp_path)]
    assert main(command) == 0
    assert main(command) == 0  # loading twice changes nothing
    with Workspace.open(tmp_path) as workspace:
        outcomes = workspace.events.read("outcomes")
        events = workspace.events.read("transactions")
    assert events.height == outcomes.height == 80
    assert outcomes["outcome"].dtype == pl.Float64


def test_fraud_options_are_refused_for_another_example(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", "-p", "churn", "--cards", "10", "--out", str(tmp_path)]) == 2
    assert "--cards apply to the card-fraud presets, not 'churn'" in capsys.readouterr().err
