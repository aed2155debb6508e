"""``watchkeeper drift``: the JSON document, the HTML file, the table, and one-line errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as csv
import pyarrow.parquet as pq
import pytest

from watchkeeper.cli import main

FEATURE_KEYS = {
    "feature",
    "type",
    "method",
    "psi",
    "js_distance",
    "ks_statistic",
    "ks_pvalue",
    "wasserstein",
    "chi2_pvalue",
    "threshold",
    "verdict",
}


def frame(rows: int, seed: int, shifted: bool = False) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table(
        {
            "amount": rng.lognormal(3.0 + (0.8 if shifted else 0.0), 1.0, rows),
            "hour": rng.integers(0, 24, rows),
            "weekday": rng.integers(0, 7, rows),  # few distinct integers: categorical
            "country": rng.choice(["DE", "FR", "IT"], rows),
            "is_foreign": rng.random(rows) < 0.1,
            "score": pa.array(rng.random(rows), mask=rng.random(rows) < 0.05),
            "ts": pa.array(np.arange(rows), pa.timestamp("s")),
        }
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("drift")
    paths = {
        "reference": folder / "reference.parquet",
        "current": folder / "current.parquet",
        "csv": folder / "current.csv",
        "small_reference": folder / "small_reference.parquet",
        "small_current": folder / "small_current.parquet",
    }
    pq.write_table(frame(20_000, 1), paths["reference"])
    pq.write_table(frame(20_000, 2, shifted=True), paths["current"])
    csv.write_csv(frame(5_000, 3).drop_columns(["ts"]), paths["csv"])
    pq.write_table(frame(1_500, 4), paths["small_reference"])
    pq.write_table(frame(1_500, 5, shifted=True), paths["small_current"])
    return paths


def run(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    code = main(["drift", *arguments])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_document_has_exactly_the_documented_schema(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "--reference", str(files["reference"]), "--current", str(files["current"]), "--json"
    )
    assert code == 0
    document = json.loads(out)
    assert {"features", "multivariate"} <= set(document)
    assert document["multivariate"] is None
    by_name = {entry["feature"]: entry for entry in document["features"]}
    for entry in document["features"]:
        assert set(entry) == FEATURE_KEYS
        assert entry["verdict"] in ("ok", "warn", "alert")
        assert entry["method"] == "psi"
        assert entry["threshold"] == 0.25
    assert list(by_name) == ["amount", "hour", "weekday", "country", "is_foreign", "score"]
    assert by_name["amount"]["type"] == "numeric" and by_name["amount"]["verdict"] == "alert"
    assert by_name["amount"]["chi2_pvalue"] is None
    for name in ("weekday", "country", "is_foreign"):
        assert by_name[name]["type"] == "categorical"
        assert by_name[name]["ks_statistic"] is None and by_name[name]["wasserstein"] is None
        assert by_name[name]["chi2_pvalue"] is not None
        assert by_name[name]["verdict"] == "ok"
    assert by_name["hour"]["type"] == "numeric"
    assert re.fullmatch(
        r"type timestamp\[\w+\] is neither numeric nor categorical", document["skipped"]["ts"]
    )
    assert document["verdict"] == "alert"


def test_features_categorical_and_multivariate_options(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys,
        "-r", str(files["small_reference"]), "-c", str(files["small_current"]), "--json",
        "--features", "amount,hour", "--categorical", "hour", "--multivariate",
    )  # fmt: skip
    assert code == 0
    document = json.loads(out)
    assert [(entry["feature"], entry["type"]) for entry in document["features"]] == [
        ("amount", "numeric"),
        ("hour", "categorical"),
    ]
    multivariate = document["multivariate"]
    assert multivariate["method"] == "domain_classifier"
    assert multivariate["roc_auc"] > 0.65 and multivariate["verdict"] == "alert"


def test_csv_against_parquet_and_the_table(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "-r", str(files["reference"]), "-c", str(files["csv"]))
    assert code == 0
    assert "amount" in out and "is_foreign" in out and "categorical" in out
    assert "verdict" in out and "0.1/0.25" in out
    assert "skipped ts: only in the reference" in out


def test_html_report_is_written_and_self_contained(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "report.html"
    code, _, err = run(
        capsys, "-r", str(files["reference"]), "-c", str(files["current"]), "--html", str(page)
    )
    assert code == 0 and "HTML report written" in err
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "</html>" in text
    assert not re.search(r"<script|<link|\bsrc=|https?://|@import|url\(", text)
    assert "amount" in text and "<svg" in text


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "no such file"),
        ("no_common", "no columns in common"),
        ("unreadable", "not a readable Parquet file"),
        ("unknown_format", "unknown format"),
        ("unknown_feature", "--features: nope not in both files"),
        ("wrong_type", "numeric in the reference"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(
    setup: str,
    message: str,
    files: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    reference, current, extra = files["reference"], files["current"], []
    if setup == "missing":
        current = tmp_path / "absent.parquet"
    elif setup == "no_common":
        current = tmp_path / "other.parquet"
        pq.write_table(pa.table({"something_else": [1.0, 2.0]}), current)
    elif setup == "unreadable":
        current = tmp_path / "broken.parquet"
        current.write_bytes(b"this is not parquet at all")
    elif setup == "unknown_format":
        current = tmp_path / "data.json"
        current.write_text("{}", encoding="utf-8")
    elif setup == "unknown_feature":
        extra = ["--features", "amount,nope"]
    elif setup == "wrong_type":
        current = tmp_path / "text.parquet"
        pq.write_table(pa.table({"amount": ["a", "b"]}), current)
    code, out, err = run(capsys, "-r", str(reference), "-c", str(current), *extra)
    assert code == 2
    assert out == ""
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_help_starts_fast_without_heavy_imports() -> None:
    script = (
        "import sys\n"
        "from watchkeeper.cli import main\n"
        "main(['drift', '--help'])\n"
        "heavy = [name for name in ('sklearn', 'lightgbm', 'scipy', 'pyarrow', 'datasketches', 'polars') if name in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert "--reference" in result.stdout
    assert "HEAVY []" in result.stdout


def test_workspace_supplies_thresholds_and_schema_ranges(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "watchkeeper.yaml").write_text(
        "model: {name: fraud}\n"
        "owner: {name: Dana Reyes, contact: dana@example.com}\n"
        "features:\n"
        "  inputs:\n"
        "    amount: {type: float, min: 0, max: 50}\n"
        "monitoring:\n"
        "  per_feature:\n"
        "    amount: {warn: 5.0, alert: 10.0}\n",
        encoding="utf-8",
    )
    code, out, _ = run(
        capsys, "-r", str(files["reference"]), "-c", str(files["current"]), "--json",
        "-w", str(tmp_path),
    )  # fmt: skip
    assert code == 0
    document = json.loads(out)
    amount = next(entry for entry in document["features"] if entry["feature"] == "amount")
    assert (amount["threshold"], amount["verdict"]) == (10.0, "ok")
    quality = next(
        entry for entry in document["quality"]["features"] if entry["feature"] == "amount"
    )
    assert quality["out_of_schema_range_share"] > 0.1  # lognormal(3.8, 1) often exceeds 50
