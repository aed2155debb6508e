"""Calibrated drift verdicts: quiet on identical data at any size, alert on a small real shift."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from watchkeeper import Reference
from watchkeeper.cli import main
from watchkeeper.config import MonitoringConfig
from watchkeeper.config.lifecycle import DriftThresholds
from watchkeeper.errors import DatasetError
from watchkeeper.monitoring.comparison.baseline import Baseline, build_baseline, compare_frame
from watchkeeper.monitoring.comparison.chunks import Chunking
from watchkeeper.monitoring.comparison.file_comparison import ComparisonOptions, compare_files
from watchkeeper.monitoring.comparison.report import DriftReport
from watchkeeper.monitoring.statistics.drift_calibration import (
    ALERT_FLOOR,
    FEW_EDGES,
    WARN_FLOOR,
    calibrate_reference,
    numeric_chunk_cells,
)

KINDS = {"x": "numeric", "y": "numeric", "colour": "categorical"}


def frame(rows: int, seed: int, shift: float = 0.0) -> pa.Table:
    rng = np.random.default_rng(seed)
    colours = rng.choice(["red", "green", "blue"], rows, p=[0.5, 0.3, 0.2])
    return pa.table(
        {
            "x": rng.normal(shift, 1.0, rows),
            "y": rng.lognormal(0.0, 0.5, rows),
            "colour": colours,
        }
    )


def baseline(seed: int, monitoring: MonitoringConfig | None = None) -> Baseline:
    return build_baseline(frame(20_000, seed), KINDS, monitoring)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_identical_distributions_never_alert_at_any_size(seed: int) -> None:
    reference = baseline(seed)
    assert reference.verdict_rule == "calibrated"
    for size in (300, 3_000, 20_000):
        drift = compare_frame(reference, frame(size, seed + 100 * size)).drift()
        assert [item.verdict for item in drift] == ["ok"] * 3, size
        assert {item.verdict_rule for item in drift} == {"calibrated"}


def test_levels_fall_with_the_size_down_to_the_floors() -> None:
    calibration = baseline(4).calibration["x"]
    small, large = calibration.levels(300), calibration.levels(20_000)
    assert small.alert > large.alert >= ALERT_FLOOR and small.warn > large.warn >= WARN_FLOOR
    assert calibration.levels(1_000_000).warn == WARN_FLOOR


def test_a_small_shift_alerts_calibrated_and_not_fixed() -> None:
    reference = baseline(5)
    current = compare_frame(reference, frame(5_000, 6, shift=0.3))
    calibrated = {item.feature: item for item in current.drift()}
    assert calibrated["x"].verdict == "alert" and calibrated["y"].verdict == "ok"
    fixed = replace(reference, monitoring=MonitoringConfig(drift_verdict="fixed"))
    judged = {item.feature: item for item in replace(current, baseline=fixed).drift()}
    assert judged["x"].verdict == "ok" and judged["x"].threshold == 0.25
    assert judged["x"].verdict_rule == "fixed"


def test_a_reference_whose_chunks_differ_gets_wider_levels() -> None:
    rng = np.random.default_rng(7)
    wandering = np.repeat(rng.normal(0.0, 0.15, 10), 2_000)  # a mean moving chunk by chunk
    data = pa.table({"x": rng.normal(size=20_000) + wandering})
    steady = pa.table({"x": rng.normal(size=20_000)})
    wide = build_baseline(data, {"x": "numeric"})
    narrow = build_baseline(steady, {"x": "numeric"})
    assert (
        wide.calibration["x"].levels(5_000).alert > 2 * narrow.calibration["x"].levels(5_000).alert
    )
    current = data.take(rng.choice(20_000, 5_000, replace=False))  # the reference's own mix
    assert [item.verdict for item in compare_frame(wide, current).drift()] == ["ok"]


def test_an_explicit_per_feature_level_wins_over_the_calibration() -> None:
    settings = MonitoringConfig(
        per_feature={
            "x": DriftThresholds(warn=0.5, alert=0.9),
            "y": DriftThresholds(min_window="7d"),  # a cycle, no level: still calibrated
        }
    )
    reference = baseline(8, settings)
    drift = {item.feature: item for item in compare_frame(reference, frame(5_000, 9, 0.3)).drift()}
    assert (drift["x"].verdict_rule, drift["x"].threshold, drift["x"].verdict) == (
        "fixed", 0.9, "ok",
    )  # fmt: skip
    assert drift["y"].verdict_rule == "calibrated" and drift["y"].threshold < 0.25


def test_a_workspace_with_psi_levels_and_no_rule_stays_fixed() -> None:
    assert MonitoringConfig().drift_verdict == "calibrated"
    assert MonitoringConfig(psi={"warn": 0.05, "alert": 0.1}).drift_verdict == "fixed"
    both = MonitoringConfig(psi={"warn": 0.05, "alert": 0.1}, drift_verdict="calibrated")
    assert both.drift_verdict == "calibrated"


def test_calibration_uses_the_reference_bins_and_counts_missing() -> None:
    data = pa.table({"x": pa.array([*np.arange(999.0), None], pa.float64())})
    profile = build_baseline(data, {"x": "numeric"}, MonitoringConfig(drift_verdict="fixed"))
    calibration = calibrate_reference(data, profile.profile, chunks=4)["x"]
    assert calibration.cells == 11 and calibration.reference_rows == 1_000
    assert calibration.noise_mean is not None and calibration.noise_mean > 0


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("calibrated")
    reference, current = folder / "reference.parquet", folder / "current.parquet"
    pq.write_table(frame(20_000, 10), reference)
    halves = [frame(2_000, 11), frame(2_000, 12, shift=0.3)]
    pq.write_table(pa.concat_tables(halves), current)
    return reference, current


def test_the_report_round_trip_keeps_each_chunks_levels(files: tuple[Path, Path]) -> None:
    options = ComparisonOptions(chunking=Chunking(size=1_000))
    report = compare_files(*files, options)
    assert report.verdict_rule == "calibrated"
    assert [chunk.verdict for chunk in report.chunks] == ["ok", "ok", "alert", "alert"]
    whole, chunk = report.features[0], report.chunks[0].features[0]
    assert chunk.threshold > whole.threshold  # 1,000 rows are noisier than 4,000
    document = json.loads(report.to_json())
    assert document["verdict_rule"] == "calibrated"
    assert DriftReport.from_dict(document) == report


def test_the_cli_verdict_option(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["drift", "-r", str(files[0]), "-c", str(files[1]), "--json"]
    assert main([*arguments, "--verdict", "fixed", "--fail-on", "alert"]) == 0
    fixed = json.loads(capsys.readouterr().out)
    assert fixed["verdict_rule"] == "fixed" and fixed["features"][0]["threshold"] == 0.25
    assert main([*arguments, "--fail-on", "alert"]) == 1  # calibrated by default
    calibrated = json.loads(capsys.readouterr().out)
    assert calibrated["verdict_rule"] == "calibrated"
    assert calibrated["features"][0]["verdict"] == "alert"
    assert main([*arguments, "--verdict", "loose"]) == 2
    assert "--verdict loose: give calibrated or fixed" in capsys.readouterr().err
    assert main([*arguments, "--verdict", "calibrated", "--psi-warn", "0.2"]) == 2
    assert "--psi-warn/--psi-alert set fixed levels" in capsys.readouterr().err


def test_both_ways_of_counting_chunks_agree() -> None:
    rng = np.random.default_rng(12)
    values = rng.normal(size=5_000)
    values[rng.choice(5_000, 300, replace=False)] = rng.choice([np.nan, np.inf, -np.inf], 300)
    values[:50] = 0.0  # on an edge
    column = pa.chunked_array([values[:1_000], values[1_000:]])
    bounds = np.array([0, 1_234, 2_500, 5_000])
    few = (-1.0, 0.0, 0.5)
    many = tuple(float(edge) for edge in np.linspace(-2, 2, FEW_EDGES + 1))
    for edges in (few, many):
        counted = numeric_chunk_cells(column, edges, bounds)
        for row, (start, stop) in zip(counted, itertools.pairwise(bounds), strict=True):
            part = values[start:stop]
            usable = part[np.isfinite(part)]
            bins = np.searchsorted(np.array(edges), usable, side="right")
            expected = [*np.bincount(bins, minlength=len(edges) + 1), len(part) - len(usable)]
            assert row.tolist() == expected


def test_a_reference_too_small_to_cut_keeps_the_floors() -> None:
    data = pa.table({"x": np.arange(15.0)})
    profile = build_baseline(data, {"x": "numeric"}, MonitoringConfig(drift_verdict="fixed"))
    calibration = calibrate_reference(data, profile.profile, chunks=10)["x"]
    assert calibration.noise_mean is None and calibration.levels(15).alert > ALERT_FLOOR


def test_a_reference_ordered_by_its_feature_is_noted_and_never_laxer_than_fixed(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(13)
    reference, current = tmp_path / "sorted.parquet", tmp_path / "current.parquet"
    pq.write_table(pa.table({"x": np.sort(rng.normal(size=20_000))}), reference)
    pq.write_table(pa.table({"x": rng.normal(0.8, 1.0, 2_000)}), current)
    report = compare_files(reference, current)
    assert "ordered by this feature?" in report.notes["x"]
    item = report.features[0]
    assert (item.warn_threshold, item.threshold, item.verdict) == (0.1, 0.25, "alert")


def test_reference_drift_takes_the_rule_per_call() -> None:
    reference = Reference(frame(20_000, 14), monitoring=MonitoringConfig(drift_verdict="fixed"))
    current = frame(5_000, 15, shift=0.3)
    assert reference.drift(current).context["verdict_rule"] == "fixed"
    calibrated = reference.drift(current, verdict="calibrated")
    assert calibrated.context["verdict_rule"] == "calibrated" and calibrated.verdict == "alert"
    assert reference.drift(current).verdict == "ok"  # the reference's own rule again
    with pytest.raises(DatasetError, match="verdict 'loose': give 'calibrated' or 'fixed'"):
        reference.drift(current, verdict="loose")  # type: ignore[arg-type]
