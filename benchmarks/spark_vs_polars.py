"""Polars against local Spark on the fraud example's batch features, in one run.

Simulates ``--events`` transactions (default ten million), fits the fraud example's feature
spec (every feature, time_since_last included) and times, on the same rows:

* the Polars batch engine (validation at the edge included): median of ``--repeats`` runs;
* the Spark session's start (the JVM), reported apart;
* the Spark feature engine on ``--master`` (default ``local[*]``), validation, hand-over as
  Parquet and the collection of the result included: median of ``--repeats`` runs after one
  warm-up run (reported too), and the two results compared value for value;
* the training window (label join with the simulated chargebacks, maturity, provisional
  labels, slices; a 30-day window, 14-day horizon, as of the last event) on Polars and on
  Spark (hand-over as Parquet and collection included), with ``--sample`` (default 0.25) of
  the entities in the training slice, and the two windows compared row for row.

    .venv/bin/python benchmarks/spark_vs_polars.py --events 1000000
    .venv/bin/python benchmarks/spark_vs_polars.py              # 10M events

On one small machine Spark is expected to be slower: it is there for histories one
machine cannot hold. The ratio printed is Spark time over Polars time.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import polars as pl
import yaml

from features_batch import timed
from watchkeeper.compute.spark_frames import spark_rows
from watchkeeper.compute.spark_session import spark_session
from watchkeeper.config import LabelConfig, SparkConfig, parse_config
from watchkeeper.features import BatchFeatureEngine, FeatureSpec, fit
from watchkeeper.features.comparison import compare_columns
from watchkeeper.features.spark_engine import SparkFeatureEngine
from watchkeeper.simulate import preset, simulate
from watchkeeper.simulate.to_event_store import chargebacks_as_outcomes
from watchkeeper.training.spark_window import spark_training_window
from watchkeeper.training.window import TrainingWindow, training_window
from watchkeeper.training.window_sample import EntitySample
from watchkeeper.workspace import example_text

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

PER_DAY = 20_000
"""The simulated traffic a day (that of ``features_batch.py``): 1M events span 50 days."""


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--master", default="local[*]")
    parser.add_argument("--driver-memory", default="6g")
    parser.add_argument("--shuffle-partitions", type=int, default=8)
    parser.add_argument("--warm-up", type=int, default=1, help="untimed Spark runs first (0: none)")
    parser.add_argument("--per-day", type=int, default=PER_DAY, help="simulated events a day")
    parser.add_argument("--sample", type=float, default=0.25, help="training window's sample")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    arguments = _arguments(argv)
    print(f"simulating {arguments.events:,} transactions ...", flush=True)
    days = max(1, -(-arguments.events // arguments.per_day))
    simulated = simulate(preset("stable", days=days, per_day=arguments.per_day, seed=11))
    frame = simulated.transactions.head(arguments.events).drop("is_fraud")
    outcomes = chargebacks_as_outcomes(simulated.chargebacks).join(
        frame.select("event_id"), on="event_id", how="semi"
    )
    spec = FeatureSpec.from_workspace_config(parse_config(yaml.safe_load(example_text("fraud"))))
    fitted = fit(spec, frame.head(1_000_000))
    print(
        f"{len(spec.stateless_features)} stateless + {len(spec.windowed_features)} windowed "
        f"features; {pl.thread_pool_size()} Polars threads",
        flush=True,
    )
    polars_seconds, expected = timed(
        lambda: BatchFeatureEngine(fitted).compute(frame), arguments.repeats
    )
    print(f"polars: {polars_seconds:.2f} s ({frame.height / polars_seconds:,.0f} events/s)")

    started = time.perf_counter()
    config = SparkConfig(
        master=arguments.master,
        conf={
            "spark.driver.memory": arguments.driver_memory,
            "spark.sql.shuffle.partitions": str(arguments.shuffle_partitions),
            "spark.ui.enabled": "false",
            "spark.driver.maxResultSize": "0",  # the features are collected to the driver
        },
    )
    session = spark_session(config)
    session_seconds = time.perf_counter() - started
    print(f"spark session start: {session_seconds:.2f} s ({arguments.master})", flush=True)
    engine = SparkFeatureEngine(fitted, session)
    if arguments.warm_up:
        warm_up, _ = timed(lambda: engine.compute(frame), arguments.warm_up)
        print(f"spark first run(s), median: {warm_up:.2f} s", flush=True)
    spark_seconds, actual = timed(lambda: engine.compute(frame), arguments.repeats)
    print(f"spark: {spark_seconds:.2f} s ({frame.height / spark_seconds:,.0f} events/s)")

    mismatches = {
        name: compare_columns(name, expected.features[name], actual.features[name]).mismatches
        for name in expected.features.columns
    }
    different = {name: count for name, count in mismatches.items() if count}
    print(f"values: {'identical within 1e-9' if not different else f'MISMATCHES {different}'}")
    print(
        f"ratio spark / polars: {spark_seconds / polars_seconds:.1f}x "
        f"(with the session start: {(spark_seconds + session_seconds) / polars_seconds:.1f}x)"
    )
    same_window = _compare_windows(session, frame, outcomes, arguments)
    session.stop()
    return 0 if not different and same_window else 1


def _compare_windows(
    session: SparkSession,
    frame: pl.DataFrame,
    outcomes: pl.DataFrame,
    arguments: argparse.Namespace,
) -> bool:
    """Time the training window on both engines and compare them."""
    horizon = timedelta(days=14)
    label = LabelConfig(maturity_horizon=horizon)
    ts_max = frame["ts"].max()
    settings: dict[str, Any] = {
        "as_of": ts_max,
        "maturity_horizon": horizon,
        "window": timedelta(days=30),
        "validation": timedelta(days=5),
        "holdout": timedelta(days=5),
        "label": label,
        "provisional": label.provisional,
        "sample": EntitySample(arguments.sample, "card_id"),
    }
    polars_seconds, expected = timed(
        lambda: training_window(frame, outcomes, **settings),
        arguments.repeats,
    )

    def on_spark() -> TrainingWindow:
        with (
            spark_rows(session, frame, "arrival") as events,
            spark_rows(session, outcomes, "arrival") as received,
        ):
            return spark_training_window(
                events, received, arrival="arrival", schema=frame.schema, **settings
            )

    spark_seconds, actual = timed(on_spark, arguments.repeats)
    same = actual.describe() == expected.describe() and all(
        getattr(actual, name).equals(getattr(expected, name))
        for name in ("train", "validation", "holdout")
    )
    counts = expected.describe()
    print(
        f"training window: polars {polars_seconds:.2f} s, spark {spark_seconds:.2f} s "
        f"({spark_seconds / polars_seconds:.1f}x); rows "
        f"{ {name: slice_['rows'] for name, slice_ in counts['slices'].items()} }, "
        f"sample {counts.get('sample')}; {'identical' if same else 'DIFFERENT'}",
        flush=True,
    )
    return same


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
