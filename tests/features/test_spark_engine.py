"""The Spark feature engine gives the Polars engine's values, row for row, on local Spark.

One ``local[2]`` session for the whole module (the JVM start is the slow part). The streams
are the parity streams of ``test_parity.py``: unsorted, with ties and bursts, missing values,
unseen categories, extreme amounts, in time zones around daylight-saving changes. Integers
must be equal and floats within 1e-9 relative. Skipped (with the reason) only where no Java
runtime or no PySpark is found and ``CI`` is not set.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import pytest
from feature_streams import TIME_ZONES, WINDOWS, event_streams, full_spec
from hypothesis import given, settings
from hypothesis import strategies as st
from test_parity import PROPERTY_SETTINGS

from watchkeeper.features import compute_batch, fit
from watchkeeper.features.comparison import compare_columns

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from watchkeeper.features.fitted import FittedFeatureSpec

pytestmark = pytest.mark.spark

SPARK_SETTINGS = settings(PROPERTY_SETTINGS, max_examples=2)
"""Each example packs several streams into one Spark job: a job costs seconds, a row nothing."""


def packed(streams: list[pl.DataFrame]) -> pl.DataFrame:
    """The streams side by side in one frame, each with keys of its own, rows interleaved."""
    parts = [
        stream.with_columns(
            (pl.lit(f"s{number}_") + pl.col("card")).alias("card"),
            (pl.col("shop") + 10 * number).alias("shop"),
            (pl.col("event_id") + f"_s{number}").alias("event_id"),
            (pl.int_range(pl.len()) * len(streams) + number).alias("__order"),
        )
        for number, stream in enumerate(streams)
    ]
    return pl.concat(parts).sort("__order").drop("__order")


@pytest.fixture(scope="module")
def session(spark: SparkSession) -> SparkSession:
    return spark


def assert_same_features(
    session: SparkSession, fitted: FittedFeatureSpec, frame: pl.DataFrame
) -> None:
    from watchkeeper.features.spark_engine import SparkFeatureEngine

    expected = compute_batch(fitted, frame, "quarantine").features
    actual = SparkFeatureEngine(fitted, session).compute(frame, "quarantine").features
    assert actual.columns == expected.columns
    assert actual.schema == expected.schema
    failures = {}
    for name in expected.columns:
        comparison = compare_columns(
            name, expected[name], actual[name], expected[expected.columns[0]]
        )
        if comparison.mismatches:
            failures[name] = comparison.examples
    assert not failures, failures


@SPARK_SETTINGS
@given(
    streams=st.lists(event_streams(max_size=30), min_size=6, max_size=6),
    timezone=st.sampled_from(TIME_ZONES),
    windows=st.tuples(st.sampled_from(WINDOWS[:3]), st.sampled_from(WINDOWS[3:])),
    training_share=st.floats(0.0, 1.0),
)
def test_spark_engine_equals_polars_engine_on_parity_streams(
    session: SparkSession,
    streams: list[pl.DataFrame],
    timezone: str,
    windows: tuple[str, str],
    training_share: float,
) -> None:
    frame = packed(streams)
    spec = full_spec(timezone, windows)
    fitted = fit(spec, frame.head(max(1, int(frame.height * training_share))))
    assert_same_features(session, fitted, frame)


def boundary_frame() -> pl.DataFrame:
    """Ties, events exactly w and w + 1us before another, extreme sums, a missing key."""
    start = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    hour = timedelta(hours=1)
    micro = timedelta(microseconds=1)
    times = [
        start + hour,
        start,
        start + hour,
        start - micro,
        start + hour,
        start,
        start + 2 * hour,
    ]
    return pl.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(len(times))],
            "ts": times,
            "card": ["a", "a", "a", "a", None, "a", "a"],
            "shop": [1, 2, 1, 1, 1, None, 2],
            "amount": [1e15, 1e-12, -1e15, 2.5, None, 7.0, 3.0],
            "items": [1, 2, None, 4, 5, 6, 7],
            "channel": ["web", "pos", "web", None, "atm", "web", "kiosk"],
            "flag": [True, False, None, True, False, True, False],
        },
        schema_overrides={"ts": pl.Datetime("us", "UTC")},
    )


def test_ties_window_boundaries_and_rejected_rows(session: SparkSession) -> None:
    from watchkeeper.features.spark_engine import SparkFeatureEngine

    frame = boundary_frame()
    invalid = frame.head(1).with_columns(pl.lit(None, dtype=pl.String).alias("event_id"))
    fitted = fit(full_spec("Europe/Berlin", ("1h", "24h")), frame)
    assert_same_features(session, fitted, pl.concat([frame, invalid]))
    result = SparkFeatureEngine(fitted, session).compute(pl.concat([invalid, frame]), "quarantine")
    assert result.rejected.height == 1
    assert result.features["event_id"].to_list() == frame["event_id"].to_list()


def test_delta_table_is_read_from_the_files_of_its_current_version(
    session: SparkSession, tmp_path: Path
) -> None:
    from deltalake import write_deltalake

    from watchkeeper.compute.delta_files import read_delta_table
    from watchkeeper.features.spark_engine import SparkFeatureEngine

    frame = boundary_frame().with_row_index("arrival_sequence")
    table = str(tmp_path / "events")
    write_deltalake(table, frame.head(3).to_arrow())
    write_deltalake(table, frame.slice(3).to_arrow(), mode="append")
    write_deltalake(table, frame.to_arrow(), mode="overwrite")  # version 2: every row once
    fitted = fit(full_spec("America/New_York", ("90s", "7d")), frame)
    rows = read_delta_table(session, table)
    assert rows.count() == frame.height
    actual = SparkFeatureEngine(fitted, session).compute_table(rows, "arrival_sequence")
    expected = compute_batch(fitted, frame.drop("arrival_sequence")).features
    for name in expected.columns:
        assert compare_columns(name, expected[name], actual[name]).mismatches == 0, name


def test_features_compute_engine_spark_writes_what_polars_writes(
    session: SparkSession, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from watchkeeper.cli import main

    frame = boundary_frame()
    fitted = fit(full_spec("UTC", ("1h", "24h")), frame)
    spec, events = tmp_path / "fitted.json", tmp_path / "events.parquet"
    fitted.save(spec)
    frame.write_parquet(events)
    outputs = {}
    for engine in ("polars", "spark"):
        out = tmp_path / f"{engine}.parquet"
        arguments = ["-i", str(events), "-o", str(out), "--spec", str(spec), "-w", str(tmp_path)]
        assert main(["features", "compute", *arguments, "--engine", engine, "--json"]) == 0
        assert f'"engine": "{engine}"' in capsys.readouterr().out
        outputs[engine] = pl.read_parquet(out)
    for name in outputs["polars"].columns:
        comparison = compare_columns(name, outputs["polars"][name], outputs["spark"][name])
        assert comparison.mismatches == 0, name
    assert main(["features", "compute", *arguments, "--engine", "dask"]) != 0
    assert "--engine: 'dask' is not an engine" in capsys.readouterr().err


def tied_frame(rows: int = 600) -> pl.DataFrame:
    """Many events of three cards at six instants, in shuffled order: every feature of an
    event depends on which of its ties arrived before it, across the file's splits."""
    start = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    return pl.DataFrame(
        {
            "event_id": [f"t{i}" for i in range(rows)],
            "ts": [start + timedelta(minutes=17 * ((i * 7) % 6)) for i in range(rows)],
            "card": [f"c{(i * 5) % 3}" for i in range(rows)],
            "shop": [(i * 11) % 4 for i in range(rows)],
            "amount": [float((i * 37) % 101) / 3 for i in range(rows)],
            "items": [i % 9 for i in range(rows)],
            "channel": [("web", "pos", "atm")[(i * 13) % 3] for i in range(rows)],
            "flag": [i % 2 == 0 for i in range(rows)],
        },
        schema_overrides={"ts": pl.Datetime("us", "UTC")},
    )


@pytest.fixture
def small_splits(session: SparkSession) -> Iterator[None]:
    """Files cut into splits of a few kilobytes, each its own partition, for one test."""
    settings = {"spark.sql.files.maxPartitionBytes": "4096", "spark.sql.files.openCostInBytes": "0"}
    before = {key: session.conf.get(key) for key in settings}
    for key, value in settings.items():
        session.conf.set(key, value)
    yield
    for key, value in before.items():
        session.conf.set(key, value)


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_a_file_read_by_the_executors_gives_the_polars_features_in_its_order(
    session: SparkSession, small_splits: None, tmp_path: Path, suffix: str
) -> None:
    from watchkeeper.application.feature_files import INPUT_ORDER
    from watchkeeper.features.input_files import read_events, read_events_on_spark
    from watchkeeper.features.spark_engine import SparkFeatureEngine

    frame = tied_frame()
    events = tmp_path / f"events{suffix}"
    if suffix == ".csv":
        frame.write_csv(events)
    else:
        frame.write_parquet(events, row_group_size=40)
    fitted = fit(full_spec("UTC", ("1h", "24h")), frame)
    rows = read_events_on_spark(session, events, INPUT_ORDER)
    assert rows.rdd.getNumPartitions() > 1  # the order must hold across splits
    engine = SparkFeatureEngine(fitted, session)
    valid, rejected = engine.checked_rows(rows, INPUT_ORDER)
    actual = engine.compute_table(valid, INPUT_ORDER)
    expected = compute_batch(fitted, read_events(events, fitted.spec)).features
    assert rejected.height == 0
    assert actual["event_id"].to_list() == frame["event_id"].to_list()
    for name in expected.columns:
        assert compare_columns(name, expected[name], actual[name]).mismatches == 0, name


def test_features_compute_on_spark_writes_a_folder_and_the_rejected_rows(
    session: SparkSession, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from watchkeeper.cli import main

    frame = tied_frame(200)
    fitted = fit(full_spec("UTC", ("1h", "24h")), frame)
    spec, events = tmp_path / "fitted.json", tmp_path / "events.csv"
    fitted.save(spec)
    text = frame.with_columns(pl.col("ts").dt.to_string("%Y-%m-%dT%H:%M:%S%.fZ")).cast(pl.String)
    text = text.with_columns(
        amount=pl.when(pl.col("event_id") == "t5").then(pl.lit("lots")).otherwise("amount")
    )
    text.write_csv(events)
    common = ["-i", str(events), "--spec", str(spec), "-w", str(tmp_path), "--json"]
    polars_out, folder = tmp_path / "polars.parquet", tmp_path / "features"
    quarantine = ["--invalid", "quarantine"]
    assert main(["features", "compute", *common, *quarantine, "-o", str(polars_out)]) == 0
    capsys.readouterr()
    spark = [*common, *quarantine, "-o", str(folder), "--engine", "spark"]
    assert main(["features", "compute", *spark]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["rows"], summary["rejected_rows"]) == (199, 1)
    expected = pl.read_parquet(polars_out)
    actual = pl.read_parquet(folder / "*.parquet")
    assert actual["event_id"].to_list() == expected["event_id"].to_list()
    for name in expected.columns:
        assert compare_columns(name, expected[name], actual[name]).mismatches == 0, name
    rejected = pl.read_parquet(tmp_path / "features.rejected.parquet")
    assert rejected["event_id"].to_list() == ["t5"] and rejected["rejected_field"][0] == "amount"

    assert main(["features", "compute", *spark]) == 2  # the folder exists now
    assert "exists; remove it or name a new folder" in capsys.readouterr().err
    other = tmp_path / "other"
    assert main(["features", "compute", *common, "-o", str(other)]) == 2
    assert "a folder of Parquet files is written by --engine spark" in capsys.readouterr().err
    assert not other.exists()
