"""``watchkeeper performance``: the API's results on files, exit codes like drift's, one-line
errors, the same bytes on every run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from watchkeeper.analysis import Reference
from watchkeeper.cli import main


def frame(rows: int, seed: int, noise: float = 0.0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    score = 1 / (1 + np.exp(-2 * x))
    truth = rng.random(rows) < score
    flipped = rng.random(rows) < noise
    return pl.DataFrame(
        {
            "event_id": np.arange(rows),
            "x": x,
            "score": score,
            "decision": score > 0.5,
            "label": np.where(flipped, ~truth, truth).astype(np.int64),
        }
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("performance")
    paths = {name: folder / f"{name}.parquet" for name in ("reference", "healthy", "broken")}
    frame(6_000, 1).write_parquet(paths["reference"])
    frame(2_000, 2).write_parquet(paths["healthy"])
    frame(2_000, 3, noise=0.3).write_parquet(paths["broken"])
    paths["unlabelled"] = folder / "unlabelled.csv"
    frame(2_000, 2).drop("label").write_csv(paths["unlabelled"])
    return paths


def run(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    code = main(["performance", *arguments])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_is_the_apis_result_and_repeats_byte_for_byte(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["-r", str(files["reference"]), "-c", str(files["healthy"]), "--chunk-size", "1000"]
    code, out, _ = run(capsys, *arguments, "--json")
    assert code == 0
    expected = Reference(pl.read_parquet(files["reference"])).performance(
        pl.read_parquet(files["healthy"]), chunk=1_000
    )
    assert json.loads(out) == expected.to_dict()
    assert json.loads(out)["task"] == "binary" and json.loads(out)["reference_chunks"] == 6
    again = [run(capsys, *arguments, "--json")[1] for _ in range(2)]
    assert again[0] == again[1] == out


def test_fail_on_exits_1_on_an_alert_and_0_otherwise(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["-r", str(files["reference"]), "--chunks", "2", "--fail-on", "alert"]
    code, out, _ = run(capsys, *base, "-c", str(files["healthy"]))
    assert code == 0 and "realized performance per chunk" in out
    code, out, err = run(capsys, *base, "-c", str(files["broken"]))
    assert code == 1 and "verdict alert reaches --fail-on alert: exit 1" in err
    assert "alert" in out and "f1" in out


def test_estimate_needs_no_targets_and_writes_a_page(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "estimate.html"
    code, out, err = run(
        capsys, "-r", str(files["reference"]), "-c", str(files["unlabelled"]), "--estimate",
        "--task", "binary", "--chunk-size", "1000", "--html", str(page), "--json",
    )  # fmt: skip
    assert code == 0, err
    document = json.loads(out)
    assert document["kind"] == "estimate" and "assumption" in document
    assert {row["method"] for row in document["results"]} == {
        "estimated_precision", "estimated_recall", "estimated_f1", "estimated_roc_auc",
        "estimated_pr_auc",
    }  # fmt: skip
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.count("<svg") == 5
    assert f"written to {page}" in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["-c", "{unlabelled}"], "current: has no target column 'label'"),
        (["-c", "{healthy}", "--chunk-size", "50"], "chunk 0 (rows 0 to 50) has 50 rows"),
        (["-c", "{healthy}", "--chunk-size", "6000"], "reference: 6,000 rows make 1 chunk"),
        (["-c", "{healthy}", "--chunk-period", "1d"], "the reference has no timestamp column"),
        (["-c", "{healthy}", "--chunks", "2", "--chunk-size", "9"], "give one of chunk['size'] (--chunk-size)"),
        (["-c", "{healthy}", "--task", "ranking"], "task 'ranking': give one of binary"),
        (["-c", "{healthy}", "--target-column", "y"], "target= (--target-column) 'y': not a column"),
        (["-c", "{healthy}", "--fail-on", "maybe"], "--fail-on maybe: give warn or alert"),
        (["-c", "{healthy}", "--role", "x:feature"], "--role x:feature: write COLUMN=ROLE"),
        (["-c", "missing.parquet"], "missing.parquet: no such file"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(
    extra: list[str], message: str, files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = [part.format(**{k: str(v) for k, v in files.items()}) for part in extra]
    code, out, err = run(capsys, "-r", str(files["reference"]), *arguments)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1


def test_help_starts_fast_without_heavy_imports() -> None:
    script = (
        "import sys\n"
        "from watchkeeper.cli import main\n"
        "main(['performance', '--help'])\n"
        "heavy = [name for name in ('sklearn', 'lightgbm', 'scipy', 'pyarrow', 'polars') "
        "if name in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert "--estimate" in result.stdout and "HEAVY []" in result.stdout
