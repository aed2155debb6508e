"""How long one retraining attempt takes on 90 days of the simulator's default traffic.

Simulates a stable world (20,000 transactions a day by default) long enough for a 90-day
window of matured labels (60-day maturity horizon), derives a handful of numeric columns from
the raw transactions as a stand-in for the feature pipeline (which is timed separately once
it lands), and times, on a temporary SQLite registry and artifact folder:

- ``training_window``: labelling and slicing the window by maturity;
- the first attempt: train, threshold, evaluation, registration as champion, audit;
- a second attempt: the same plus the validation gate against that champion.

    .venv/bin/python benchmarks/retrain_attempt_speed.py            # 20,000 a day
    .venv/bin/python benchmarks/retrain_attempt_speed.py --quick    # 2,000 a day

LightGBM uses ``--threads`` threads (default 2, the machine's cores).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from watchkeeper.clock import EventTimeClock
from watchkeeper.config import WorkspaceConfig
from watchkeeper.registry.registry import ModelRegistry
from watchkeeper.simulate import preset, simulate
from watchkeeper.storage.artifacts import open_artifact_store
from watchkeeper.storage.metadata import open_metadata_store
from watchkeeper.training.retrain_attempt import AttemptInputs, run_retrain_attempt
from watchkeeper.training.window import training_window

FEATURES = ["amount", "log_amount", "hour", "night", "foreign", "online", "has_device"]


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-day", type=int, default=20_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="2,000 transactions a day")
    return parser.parse_args(argv)


def _stand_in_features(transactions: pl.DataFrame) -> pl.DataFrame:
    return transactions.with_columns(
        log_amount=pl.col("amount").log1p(),
        hour=pl.col("ts").dt.hour().cast(pl.Float64),
        night=pl.col("ts").dt.hour().is_between(0, 5).cast(pl.Float64),
        foreign=(pl.col("country") != "US").cast(pl.Float64),
        online=(pl.col("channel") == "online").cast(pl.Float64),
        has_device=pl.col("device_id").is_not_null().cast(pl.Float64),
    )


def main(argv: list[str]) -> int:
    options = _arguments(argv)
    per_day = 2_000 if options.quick else options.per_day
    days = 90 + 60 + 2
    traffic = simulate(preset("stable", days=days, per_day=per_day, seed=options.seed))
    transactions = traffic.transactions
    outcomes = traffic.chargebacks.select(
        "event_id", outcome=pl.lit("chargeback"), received_at=pl.col("chargeback_ts")
    )
    as_of = transactions["ts"].max() + timedelta(seconds=1)

    started = time.perf_counter()
    events = _stand_in_features(transactions)
    features_seconds = time.perf_counter() - started

    started = time.perf_counter()
    window = training_window(
        events,
        outcomes,
        as_of=as_of,
        maturity_horizon=timedelta(days=60),
        window=timedelta(days=90),
        validation=timedelta(days=14),
        holdout=timedelta(days=14),
    )
    window_seconds = time.perf_counter() - started
    config = WorkspaceConfig.model_validate(
        {
            "model": {"name": "card-fraud"},
            "owner": {"name": "Dana Reyes", "contact": "dana@example.com"},
            "training": {"parameters": {"n_estimators": 200, "num_threads": options.threads}},
        }
    )
    timings = []
    with tempfile.TemporaryDirectory() as folder:
        clock = EventTimeClock(datetime(2026, 6, 1, tzinfo=UTC))
        metadata = open_metadata_store(f"sqlite:///{folder}/metadata.db", clock)
        registry = ModelRegistry(metadata, open_artifact_store(Path(folder) / "a"), "card-fraud")
        for features in (FEATURES[:3], FEATURES):
            started = time.perf_counter()
            attempt = run_retrain_attempt(
                registry,
                AttemptInputs(window=window, feature_names=features),
                config,
                trigger="benchmark",
                workspace_root=Path.cwd(),
            )
            timings.append((time.perf_counter() - started, attempt))
        metadata.close()
    counts = window.counts()
    rows = sum(part["rows"] for part in counts.values())
    print(f"window: {rows:,} matured rows over 90 days ({per_day:,} a day), slices {counts}")
    print(f"stand-in features: {features_seconds:.2f} s; training window: {window_seconds:.2f} s")
    for label, (seconds, attempt) in zip(
        ("first (champion)", "second (gate)"), timings, strict=True
    ):
        print(f"attempt {label}: {seconds:.2f} s; accepted={attempt.accepted}; {attempt.reason}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:,.0f} MiB; LightGBM threads: {options.threads}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
