"""A Reference read once from any frame: roles, chunked drift as scipy computes it, the same
bytes whatever the frame library, and a self-contained page."""

from __future__ import annotations

import json
from datetime import datetime

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from scipy import stats

from watchkeeper.analysis import AnalysisResult, Reference
from watchkeeper.analysis.results import COLUMNS
from watchkeeper.report.svg import SVG_NS


def frame(rows: int, seed: int, shift: float = 0.0, start: datetime | None = None) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    amount = rng.lognormal(3.0 + shift, 1.0, rows)
    score = 1 / (1 + np.exp(-(np.log(amount) - 3.0)))
    moment = start or datetime(2026, 1, 5)
    return pl.DataFrame(
        {
            "event_id": [f"e{seed}-{row}" for row in range(rows)],
            "ts": pl.datetime_range(moment, moment.replace(year=moment.year + 2), "1h", eager=True)[
                :rows
            ],
            "amount": amount,
            "country": rng.choice(["DE", "FR", "IT"], rows, p=[0.5, 0.3, 0.2]),
            "score": score,
            "prediction": (score > 0.5).astype(np.int64),
            "target": (rng.random(rows) < score).astype(np.int64),
        }
    )


REFERENCE = frame(6_000, 1)


def test_roles_are_inferred_and_every_left_out_column_says_why() -> None:
    reference = Reference(REFERENCE)
    assert reference.task == "binary"
    assert reference.features == ("amount", "country")
    assert reference.kinds == {"amount": "numeric", "country": "categorical"}
    assert reference.timestamp == "ts"
    assert reference.excluded == {
        "event_id": "identifier: named like one",
        "ts": "timestamp: type timestamp[us]",
        "score": "prediction: the model's score",
        "prediction": "prediction: the model's prediction",
        "target": "target: the model's target",
    }
    forced = Reference(REFERENCE, roles={"score": "feature"}, exclude=["country"])
    assert forced.features == ("amount", "score")
    assert forced.excluded["country"] == "excluded: exclude"
    only = Reference(REFERENCE, features=["country"])
    assert only.features == ("country",)


def test_chunk_statistics_equal_scipy_on_each_chunk() -> None:
    current = frame(3_000, 2, shift=0.2)
    result = Reference(REFERENCE).drift(current, chunk=1_000)
    table = result.to_polars()
    assert table.columns == list(COLUMNS) and result.chunks == 3
    reference_amount = REFERENCE["amount"].to_numpy()
    for chunk in range(3):
        part = current["amount"].to_numpy()[chunk * 1_000 : (chunk + 1) * 1_000]
        rows = table.filter(chunk=chunk, feature="amount")
        value = dict(zip(rows["method"], rows["value"], strict=True))
        expected = stats.ks_2samp(reference_amount, part)
        assert value["ks_statistic"] == pytest.approx(expected.statistic, abs=1e-12)
        assert value["ks_pvalue"] == pytest.approx(expected.pvalue, rel=1e-9)
        assert value["wasserstein"] == pytest.approx(
            stats.wasserstein_distance(reference_amount, part) / np.std(reference_amount),
            rel=1e-9,
        )
        psi = rows.filter(method="psi").row(0, named=True)
        assert 0.01 <= psi["warn_threshold"] <= psi["threshold"] < 0.25  # calibrated
        level, warn = psi["threshold"], psi["warn_threshold"]
        assert psi["verdict"] == (
            "alert" if psi["value"] >= level else "warn" if psi["value"] >= warn else "ok"
        )
        assert rows.filter(method="ks_pvalue")["verdict"].to_list() == [None]
    categorical = table.filter(feature="country")["method"].unique().sort().to_list()
    assert categorical == ["chi2_pvalue", "js_distance", "psi"]


def test_a_shifted_chunk_alerts_and_its_twin_does_not() -> None:
    current = pl.concat([frame(1_000, 3), frame(1_000, 4, shift=1.0)])
    result = Reference(REFERENCE).drift(current, chunk={"number": 2})
    verdicts = result.to_polars().filter(method="psi", feature="amount")["verdict"].to_list()
    assert verdicts == ["ok", "alert"] and result.verdict == "alert"


def test_pandas_polars_and_arrow_give_the_same_bytes() -> None:
    current = frame(2_000, 5, shift=0.3)
    outputs = set()
    for convert in (lambda f: f, lambda f: f.to_pandas(), lambda f: f.to_arrow()):
        reference = Reference(convert(REFERENCE))
        for chunk in (500, "1w", {"number": 3}):
            outputs.add((str(chunk), reference.drift(convert(current), chunk=chunk).to_json()))
        outputs.add(("performance", reference.performance(convert(current), chunk=500).to_json()))
        outputs.add(("estimate", reference.estimate(convert(current), chunk=500).to_json()))
    assert len(outputs) == 5


def test_the_same_inputs_give_byte_identical_json() -> None:
    current = frame(2_000, 6, shift=0.3)
    first, second = Reference(REFERENCE), Reference(REFERENCE.clone())
    for method in ("drift", "performance", "estimate"):
        one = getattr(first, method)(current, chunk=500).to_json()
        two = getattr(second, method)(current, chunk=500).to_json()
        assert one == two
        assert json.loads(one)["results"]


def test_chunks_by_period_take_whatever_times_the_data_covers() -> None:
    reference = Reference(frame(3_000, 7, start=datetime(1890, 1, 6)), min_chunk_rows=24)
    result = reference.drift(frame(500, 8, start=datetime(2290, 3, 3)), chunk="1w")
    table = result.to_polars().filter(method="psi", feature="amount")
    assert table["start"][0] == datetime(2290, 3, 3) and table["end"][0] == datetime(2290, 3, 10)
    assert table["rows"].to_list() == [168, 168, 164]
    assert result.to_dict()["results"][0]["start"] == "2290-03-03T00:00:00"
    last = pl.DataFrame({"ts": [datetime(9999, 12, 31, hour) for hour in range(24)] * 2})
    edge = Reference(last.with_columns(x=pl.Series(np.arange(48.0))), min_chunk_rows=1)
    assert edge.drift(last.with_columns(x=pl.Series(np.arange(48.0))), chunk="1w").verdict == "ok"


def test_frames_tables_json_and_the_page_agree() -> None:
    result = Reference(REFERENCE).drift(frame(1_000, 9, shift=0.5), chunk=500)
    assert isinstance(result, AnalysisResult)
    table, pandas_table = result.to_polars(), result.to_pandas()
    assert list(pandas_table.columns) == list(COLUMNS) and len(pandas_table) == table.height
    document = json.loads(result.to_json())
    assert [row["value"] for row in document["results"]] == table["value"].to_list()
    assert document["chunking"] == {"size": 500} and document["reference_rows"] == 6_000
    assert document["verdict_rule"] == "calibrated" and "psi" not in document
    page = result.to_html()
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert "http" not in page.replace(SVG_NS, "")
    assert page.count("<svg") == 2  # a chart per judged metric: amount's and country's PSI
    assert "amount: psi" in page and "alert" in page


def test_an_arrow_table_is_read_as_given() -> None:
    table = pa.table({"x": np.random.default_rng(0).normal(size=400)})
    reference = Reference(table)
    assert reference.task is None and reference.features == ("x",)
    assert reference.drift(table).to_polars().filter(method="psi")["value"].to_list() == [0.0]
