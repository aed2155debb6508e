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
    "warn_threshold",
    "verdict",
    "verdict_rule",
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
        assert entry["verdict_rule"] == "calibrated"
        assert entry["threshold"] >= 0.02 and 0.01 <= entry["warn_threshold"] <= entry["threshold"]
    assert document["verdict_rule"] == "calibrated"
    assert list(by_name) == ["amount", "hour", "weekday", "country", "is_foreign", "score"]
    assert by_name["amount"]["type"] == "numeric" and by_name["amount"]["verdict"] == "alert"
    assert by_name["amount"]["chi2_pvalue"] is None
    for name in ("weekday", "country", "is_foreign"):
        assert by_name[name]["type"] == "categorical"
        assert by_name[name]["ks_statistic"] is None and by_name[name]["wasserstein"] is None
        assert by_name[name]["chi2_pvalue"] is not None
        assert by_name[name]["verdict"] == "ok"
    assert by_name["hour"]["type"] == "numeric"
    assert re.fullmatch(r"timestamp: type timestamp\[\w+\]", document["excluded"]["ts"])
    assert document["skipped"] == {} and document["chunks"] == []
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
    assert "verdict" in out and "calibrated PSI levels" in out
    assert "excluded ts: timestamp: type timestamp[" in out


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
        extra = ["--features", "amount"]
    code, out, err = run(capsys, "-r", str(reference), "-c", str(current), *extra)
    assert code == 2
    assert out == ""
    assert message in err
    assert len(err.strip().splitlines()) == 1


def run_fresh_python(script: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in a new interpreter, so that its imported modules are its own."""
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=timeout
    )


def test_help_starts_fast_without_heavy_imports() -> None:
    script = (
        "import sys\n"
        "from watchkeeper.cli import main\n"
        "main(['drift', '--help'])\n"
        "main(['features', 'compute', '--help'])\n"
        "main(['monitor', '--help'])\n"
        "main(['train', '--help'])\n"
        "heavy = [name for name in ('sklearn', 'lightgbm', 'scipy', 'pyarrow', 'datasketches', 'polars', 'pyspark') if name in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    result = run_fresh_python(script, timeout=60)
    assert "--reference" in result.stdout
    assert "--engine" in result.stdout  # features compute --help: Spark is not imported either
    assert "HEAVY []" in result.stdout


def test_a_polars_drift_run_never_imports_pyspark(tmp_path: Path) -> None:
    """The default engine: no JVM, not even PySpark's import, for a whole comparison."""
    rng = np.random.default_rng(0)
    for name in ("reference", "current"):
        pq.write_table(pa.table({"x": rng.normal(size=500)}), tmp_path / f"{name}.parquet")
    script = (
        "import sys\n"
        "from watchkeeper.cli import main\n"
        "try:\n"
        f"    main(['drift', '--reference', {str(tmp_path / 'reference.parquet')!r}, "
        f"'--current', {str(tmp_path / 'current.parquet')!r}, '--json'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('SPARK', [name for name in sys.modules if name.startswith(('pyspark', 'py4j'))])\n"
    )
    result = run_fresh_python(script, timeout=120)
    assert '"verdict"' in result.stdout
    assert "SPARK []" in result.stdout


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


# --- exact statistics, column roles, CI gating, chunks --------------------------------------


def test_a_file_against_itself_is_exactly_no_drift_whatever_the_features(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    reference = str(files["reference"])
    entries = []
    for extra in (["--features", "amount"], []):
        code, out, _ = run(capsys, "-r", reference, "-c", reference, "--json", *extra)
        assert code == 0
        document = json.loads(out)
        amount = next(entry for entry in document["features"] if entry["feature"] == "amount")
        assert (amount["ks_statistic"], amount["ks_pvalue"], amount["wasserstein"]) == (0, 1, 0)
        assert document["verdict"] == "ok"
        entries.append(amount)
    assert entries[0] == entries[1]


def test_output_is_identical_from_run_to_run(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["-r", str(files["small_reference"]), "-c", str(files["small_current"])]
    outputs = [run(capsys, *arguments, "--json", "--multivariate")[1] for _ in range(2)]
    assert outputs[0] == outputs[1]
    script = "import sys\nfrom watchkeeper.cli import main\nmain(sys.argv[1:])\n"
    processes = [
        subprocess.run(
            [sys.executable, "-c", script, "drift", *arguments, "--json"],
            capture_output=True, text=True, check=True, timeout=120,
        ).stdout
        for _ in range(2)
    ]  # fmt: skip
    assert processes[0] == processes[1]


def test_identifier_columns_are_left_out_and_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reference, current = tmp_path / "reference.parquet", tmp_path / "current.parquet"
    for path, seed, offset in ((reference, 1, 0), (current, 2, 50_000)):
        data = frame(5_000, seed).drop_columns(["ts"])
        ids = pa.array([f"txn-{offset + index}" for index in range(5_000)])
        pq.write_table(data.append_column("reference", ids).append_column("id", ids), path)
    code, out, _ = run(capsys, "-r", str(reference), "-c", str(current), "--json")
    assert code == 0
    document = json.loads(out)
    assert document["excluded"] == {
        "reference": "identifier: a different value on every row of the reference",
        "id": "identifier: named like one",
    }
    assert document["verdict"] == "ok"
    code, out, _ = run(capsys, "-r", str(reference), "-c", str(current), "--role", "id=feature")
    assert "excluded reference: identifier" in out and "alert" in out


def test_fail_on_gates_ci_and_psi_levels_come_from_options(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["-r", str(files["reference"]), "-c", str(files["current"]), "--json"]
    assert run(capsys, *arguments)[0] == 0  # alert, but no gate: as before
    code, out, err = run(capsys, *arguments, "--fail-on", "alert")
    assert code == 1 and json.loads(out)["verdict"] == "alert"
    assert "verdict alert reaches --fail-on alert: exit 1" in err
    assert run(capsys, *arguments, "--fail-on", "warn")[0] == 1
    code, out, _ = run(
        capsys, *arguments, "--fail-on", "warn", "--psi-warn", "50", "--psi-alert", "100"
    )
    document = json.loads(out)
    assert code == 0 and document["verdict"] == "ok" and document["verdict_rule"] == "fixed"
    assert {entry["threshold"] for entry in document["features"]} == {100.0}
    assert set(document["warn_thresholds"].values()) == {50.0}


def test_chunks_in_json_and_as_a_table(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["-r", str(files["reference"]), "-c", str(files["current"])]
    whole = json.loads(run(capsys, *arguments, "--json")[1])
    code, out, _ = run(capsys, *arguments, "--json", "--chunk-size", "5000")
    assert code == 0
    document = json.loads(out)
    assert document["features"] == whole["features"]  # the whole current data, as before
    assert [(c["chunk"], c["start"], c["end"], c["rows"]) for c in document["chunks"]] == [
        (0, 0, 5000, 5000), (1, 5000, 10000, 5000), (2, 10000, 15000, 5000),
        (3, 15000, 20000, 5000),
    ]  # fmt: skip
    for chunk in document["chunks"]:
        assert [entry["feature"] for entry in chunk["features"]] == [
            entry["feature"] for entry in whole["features"]
        ]
        assert all(set(entry) == FEATURE_KEYS for entry in chunk["features"])
    code, out, _ = run(
        capsys, *arguments, "--chunk-period", "1h", "--timestamp-column", "ts", "--json"
    )
    chunks = json.loads(out)["chunks"]
    assert code == 0 and [chunk["rows"] for chunk in chunks] == [3600] * 5 + [2000]
    assert chunks[1]["start"] == "1970-01-01T01:00:00" and chunks[1]["end"] == "1970-01-01T02:00:00"
    code, out, _ = run(capsys, *arguments, "--chunks", "4")
    assert code == 0 and "chunks" in out and "amount" in out
    assert re.search(r"\b3\s+15000\s+20000\s+5,000\s+alert", out)


def test_many_categories_are_said_to_be_cut_to_the_top(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from watchkeeper.monitoring.comparison import file_comparison
    from watchkeeper.monitoring.profiles import profile_builder

    rng = np.random.default_rng(3)
    path = tmp_path / "levels.parquet"
    pq.write_table(pa.table({"level": rng.choice([f"v{i}" for i in range(40)], 4_000)}), path)
    code, out, _ = run(capsys, "-r", str(path), "-c", str(path), "--json")
    assert json.loads(out)["notes"] == {
        "level": "40 distinct values in the reference: the top 20 are compared one by one, "
        "the rest together as 'other'"
    }
    monkeypatch.setattr(profile_builder, "VOCABULARY_LIMIT", 30)
    monkeypatch.setattr(file_comparison, "VOCABULARY_LIMIT", 30)
    code, out, _ = run(capsys, "-r", str(path), "-c", str(path))
    assert code == 0 and "note level: more than 30 distinct values in the reference" in out


@pytest.mark.parametrize(
    ("setup", "extra", "message"),
    [
        ("extra_feature", [], "the files' columns differ (only in the current data: extra)"),
        ("missing_feature", [], "only in the reference: score"),
        ("all_null", [], "column 'score' has no values (all 3,000 rows are null)"),
        ("all_null_current", [], "column 'score' has no values (all 3,000 rows are null"),
        ("plain", ["--chunk-size", "50"], "chunk 0 (rows 0 to 50) has 50 rows"),
        ("bad_time", ["--chunk-period", "1d", "--timestamp-column", "when"],
         "column 'when': cannot read 'later' as a timestamp"),
        ("plain", ["--chunk-period", "soon", "--timestamp-column", "ts"], "--chunk-period: 'soon'"),
        ("plain", ["--fail-on", "maybe"], "--fail-on maybe: give warn or alert"),
        ("plain", ["--psi-warn", "0.5", "--psi-alert", "0.2"], "--psi-warn 0.5 must not exceed"),
        ("plain", ["--role", "amount:feature"], "--role amount:feature: write COLUMN=ROLE"),
        ("plain", ["--exclude", "nope"], "--exclude nope: not a column of either file"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(
    setup: str,
    extra: list[str],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base = frame(3_000, 1)
    reference, current = base, frame(3_000, 2)
    if setup == "extra_feature":
        current = current.append_column("extra", pa.array(np.ones(3_000)))
    elif setup == "missing_feature":
        current = current.drop_columns(["score"])
    elif setup == "all_null":
        reference = reference.set_column(5, "score", pa.nulls(3_000, pa.float64()))
    elif setup == "all_null_current":
        current = current.set_column(5, "score", pa.nulls(3_000, pa.float64()))
    elif setup == "bad_time":
        when = pa.array(["2026-01-05"] * 2_999 + ["later"])
        current = current.append_column("when", when)
        reference = reference.append_column("when", pa.array(["2026-01-04"] * 3_000))
    paths = tmp_path / "reference.parquet", tmp_path / "current.parquet"
    pq.write_table(reference, paths[0])
    pq.write_table(current, paths[1])
    code, out, err = run(capsys, "-r", str(paths[0]), "-c", str(paths[1]), *extra)
    assert code == 2 and out == ""
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_reading_a_large_current_file_twice_gives_the_same_result(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from watchkeeper.monitoring.comparison import file_comparison

    arguments = ["-r", str(files["reference"]), "-c", str(files["current"]), "--json"]
    kept = json.loads(run(capsys, *arguments)[1])
    monkeypatch.setattr(file_comparison, "KEPT_VALUES", 0)  # as if too large to keep
    read_twice = json.loads(run(capsys, *arguments)[1])
    for a, b in zip(kept["features"], read_twice["features"], strict=True):
        if b["wasserstein"] is not None:
            b["wasserstein"] = pytest.approx(b["wasserstein"], rel=1e-12)
        assert a == b
