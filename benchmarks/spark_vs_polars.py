"""Polars against local Spark on the fraud example's batch features, in one run.

Simulates ``--events`` transactions (default ten million), fits the fraud example's feature
spec (every feature, time_since_last included) and times, on the same rows:

* the Polars batch engine (validation at the edge included): median of ``--repeats`` runs;
* the Spark session's start (the JVM), reported apart;
* the Spark feature engine on ``--master`` (default ``local[*]``), validation, hand-over as
  Parquet and the collection of the result included: median of ``--repeats`` runs after one
  warm-up run (reported too), and the two results compared value for value.

    .venv/bin/python benchmarks/spark_vs_polars.py --events 1000000
    .venv/bin/python benchmarks/spark_vs_polars.py              # 10M events

On one small machine Spark is expected to be slower: it is there for histories one
machine cannot hold. The ratio printed is Spark time over Polars time.
"""

from __future__ import annotations

import argparse
import sys
import time

import polars as pl
import yaml

from features_batch import timed, traffic
from watchkeeper.compute.spark_session import spark_session
from watchkeeper.config import SparkConfig, parse_config
from watchkeeper.features import BatchFeatureEngine, FeatureSpec, fit
from watchkeeper.features.comparison import compare_columns
from watchkeeper.features.spark_engine import SparkFeatureEngine
from watchkeeper.workspace import example_text


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--master", default="local[*]")
    parser.add_argument("--driver-memory", default="6g")
    parser.add_argument("--shuffle-partitions", type=int, default=8)
    parser.add_argument("--warm-up", type=int, default=1, help="untimed Spark runs first (0: none)")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    arguments = _arguments(argv)
    print(f"simulating {arguments.events:,} transactions ...", flush=True)
    frame = traffic(arguments.events)
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
    session.stop()
    return 0 if not different else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
