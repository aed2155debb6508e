"""``watchkeeper features fit | compute | check-parity``: files in, Parquet or CSV out, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from watchkeeper.cli import main
from watchkeeper.features import FittedFeatureSpec
from watchkeeper.simulate import preset, simulate
from watchkeeper.workspace import Workspace

FEATURES = [
    "log_amount",
    "hour",
    "weekday",
    "weekend",
    "mcc",
    "country_code",
    "online",
    "amount_clipped",
    "card_txn_count_1h",
    "card_txn_count_24h",
    "card_amount_mean_30d",
    "card_amount_max_7d",
    "card_merchants_1h",
    "card_devices_30d",
    "card_secs_since_last",
    "device_txn_count_30d",
    "device_secs_since_last",
]


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("events")
    traffic = simulate(preset("stable", days=20, per_day=150, seed=9)).transactions
    traffic.drop("is_fraud").write_parquet(folder / "events.parquet")
    traffic.drop("is_fraud").write_csv(folder / "events.csv")
    return folder


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return Workspace.create(tmp_path / "ws")


def test_fit_then_compute_in_both_modes_gives_the_same_parquet(
    events: Path, workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fitted = tmp_path / "fitted.json"
    assert (
        main(
            [
                "features",
                "fit",
                "-w",
                str(workspace),
                "--input",
                str(events / "events.parquet"),
                "--out",
                str(fitted),
                "--json",
            ]
        )
        == 0
    )
    digest = json.loads(capsys.readouterr().out)["content_hash"]
    assert FittedFeatureSpec.load(fitted, expected_hash=digest).training_rows > 2000
    outputs = {}
    for mode in ("batch", "online"):
        out = tmp_path / f"{mode}.parquet"
        code = main(
            [
                "features",
                "compute",
                "-w",
                str(workspace),
                "--mode",
                mode,
                "--input",
                str(events / "events.parquet"),
                "--out",
                str(out),
                "--spec",
                str(fitted),
            ]
        )
        assert code == 0
        outputs[mode] = pl.read_parquet(out)
    assert outputs["batch"].columns == ["event_id", *FEATURES]
    assert outputs["batch"].equals(outputs["online"])


def test_compute_without_spec_fits_on_the_input_and_reads_csv(
    events: Path, workspace: Path, tmp_path: Path
) -> None:
    out = tmp_path / "features.parquet"
    assert (
        main(
            [
                "features",
                "compute",
                "-w",
                str(workspace),
                "--input",
                str(events / "events.csv"),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    from_csv = pl.read_parquet(out)
    assert (
        main(
            [
                "features",
                "compute",
                "-w",
                str(workspace),
                "--input",
                str(events / "events.parquet"),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert from_csv.equals(pl.read_parquet(out))
    as_csv = tmp_path / "features.csv"
    arguments = ["features", "compute", "-w", str(workspace), "--input"]
    assert main([*arguments, str(events / "events.parquet"), "--out", str(as_csv)]) == 0
    written = pl.read_csv(as_csv, schema=from_csv.schema)
    assert written.equals(from_csv)


def test_check_parity_reports_every_feature(
    events: Path, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "features",
                "check-parity",
                "-w",
                str(workspace),
                "--input",
                str(events / "events.parquet"),
                "--json",
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and [item["feature"] for item in report["features"]] == FEATURES


def test_bad_rows_fail_with_one_line_or_go_to_a_side_file(
    workspace: Path, events: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = pl.read_parquet(events / "events.parquet").with_columns(
        pl.when(pl.col("event_id") == pl.col("event_id").first())
        .then(-1.0)
        .otherwise(pl.col("amount"))
        .alias("amount")
    )
    bad = tmp_path / "bad.parquet"
    frame.write_parquet(bad)
    fitted = tmp_path / "fitted.json"
    assert (
        main(
            [
                "features",
                "fit",
                "-w",
                str(workspace),
                "--input",
                str(events / "events.parquet"),
                "--out",
                str(fitted),
            ]
        )
        == 0
    )
    capsys.readouterr()
    out = tmp_path / "f.parquet"
    assert (
        main(
            [
                "features",
                "compute",
                "-w",
                str(workspace),
                "--input",
                str(bad),
                "--out",
                str(out),
                "--spec",
                str(fitted),
            ]
        )
        == 2
    )
    error = capsys.readouterr().err
    assert (
        "amount: below the minimum 0 (got -1.0)" in error and len(error.strip().splitlines()) == 1
    )
    assert (
        main(
            [
                "features",
                "compute",
                "-w",
                str(workspace),
                "--input",
                str(bad),
                "--out",
                str(out),
                "--spec",
                str(fitted),
                "--invalid",
                "quarantine",
            ]
        )
        == 0
    )
    rejected = pl.read_parquet(tmp_path / "f.rejected.parquet")
    assert rejected.height == 1 and rejected["rejected_field"].to_list() == ["amount"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["features", "fit", "--input", "missing.parquet", "--out", "x.json"],
            "missing.parquet: no such file",
        ),
        (
            ["features", "compute", "--input", "events.txt", "--out", "x.parquet"],
            "unknown file type .txt",
        ),
        (
            ["features", "compute", "--input", "events.parquet", "--out", "x.json"],
            "x.json: unknown file type .json; use .parquet or .csv",
        ),
        (
            [
                "features",
                "compute",
                "--input",
                "events.parquet",
                "--out",
                "x.parquet",
                "--mode",
                "stream",
            ],
            "--mode: 'stream' is not a mode",
        ),
        (
            [
                "features",
                "compute",
                "--input",
                "events.parquet",
                "--out",
                "x.parquet",
                "--invalid",
                "ignore",
            ],
            "--invalid: 'ignore' is not a policy",
        ),
        (
            ["features", "check-parity", "--input", "no_card.parquet"],
            "input column 'card_id' is missing",
        ),
    ],
)
def test_user_errors_are_one_line_with_exit_code_2(
    arguments: list[str],
    message: str,
    events: Path,
    workspace: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "events.txt").write_text("x")
    pl.read_parquet(events / "events.parquet").write_parquet(tmp_path / "events.parquet")
    pl.read_parquet(events / "events.parquet").drop("card_id").write_parquet(
        tmp_path / "no_card.parquet"
    )
    assert main([*arguments, "-w", str(workspace)]) == 2
    error = capsys.readouterr().err
    assert message in error and len(error.strip().splitlines()) == 1
