"""How fast the event store takes rows: acknowledged appends, flushes, and bulk loads.

Measured in one run, side by side with what a user would do without watchkeeper:

* appends of 1, 100 and 10,000 rows through the spool (acknowledged appends per second),
  against one ``write_deltalake`` commit per append (the same durability, no spool);
* the flush that moves those spooled rows to Delta (rows per second);
* a bulk load of 1M transactions with ``write_bulk`` (validation, fingerprint, arrival
  numbers, one partitioned Delta commit), against a bare partitioned ``write_deltalake``
  of the same Arrow table (the floor).

Each figure is the median of 3 repetitions, each in a fresh folder. ``--quick`` makes
every workload smaller, to check the script runs.

    .venv/bin/python benchmarks/event_store_write.py [--quick] [--folder /tmp]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
from deltalake import write_deltalake

from watchkeeper.clock import WallClock
from watchkeeper.storage.events.delta_events import DeltaEventStore
from watchkeeper.storage.events.rows import conform_rows, with_arrival_sequence
from watchkeeper.storage.events.tables import EVENT_TABLES

REPEATS = 3
START = datetime(2026, 1, 1, tzinfo=UTC)
START_SECONDS = int(START.timestamp())
TEMPORARY_FOLDER: str | None = None


def transactions(count: int, seed: int = 0, days: int = 30) -> pl.DataFrame:
    """``count`` plausible transactions spread over ``days`` days."""
    generator = np.random.default_rng(seed)
    seconds = np.sort(generator.integers(0, days * 86_400, count))
    return pl.DataFrame(
        {
            "event_id": [f"tx-{seed}-{index:09d}" for index in range(count)],
            "ts": pl.Series((START_SECONDS + seconds) * 1_000_000).cast(pl.Datetime("us", "UTC")),
            "card_id": generator.integers(0, 100_000, count).astype(str),
            "merchant_id": generator.integers(0, 5_000, count).astype(str),
            "merchant_category": generator.choice(["grocery", "travel", "online", "fuel"], count),
            "amount": generator.exponential(50.0, count),
            "country": generator.choice(["FR", "DE", "US", "GB"], count),
            "channel": generator.choice(["web", "pos", "app"], count),
            "device_id": generator.integers(0, 1_000_000, count).astype(str),
            "is_fraud": generator.random(count) < 0.01,
        }
    )


def median_of(repeats: int, run: Callable[[Path], float]) -> float:
    """The median of ``repeats`` runs, each given a fresh folder."""
    results = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(dir=TEMPORARY_FOLDER) as folder:
            results.append(run(Path(folder)))
    return statistics.median(results)


def open_store(folder: Path) -> DeltaEventStore:
    return DeltaEventStore(
        str(folder / "events"),
        folder / "events.spool",
        WallClock(),
        flush_threshold_rows=10**12,
        flush_threshold_age=timedelta(days=365),
    )


def spooled_appends(rows_per_append: int, appends: int) -> tuple[float, float]:
    """(acknowledged appends per second, flushed rows per second), medians."""
    batches = [transactions(rows_per_append, seed=index) for index in range(min(appends, 20))]
    flush_rates: list[float] = []

    def run(folder: Path) -> float:
        store = open_store(folder)
        began = time.perf_counter()
        for index in range(appends):
            store.append("transactions", batches[index % len(batches)])
        appended = time.perf_counter() - began
        began = time.perf_counter()
        flushed = store.flush().rows
        flush_rates.append(flushed / (time.perf_counter() - began))
        store.close()
        return appends / appended

    append_rate = median_of(REPEATS, run)
    return append_rate, statistics.median(flush_rates)


def direct_delta_appends(rows_per_append: int, appends: int) -> float:
    """Appends per second with one partitioned Delta commit per append (no spool)."""
    definition = EVENT_TABLES["transactions"]
    batches = [
        with_arrival_sequence(
            conform_rows(definition, transactions(rows_per_append, seed=index), START), 0
        )
        for index in range(min(appends, 20))
    ]

    def run(folder: Path) -> float:
        began = time.perf_counter()
        for index in range(appends):
            write_deltalake(
                str(folder / "t"),
                batches[index % len(batches)],
                mode="append",
                partition_by=["event_date"],
            )
        return appends / (time.perf_counter() - began)

    return median_of(REPEATS, run)


def bulk_load(rows: pl.DataFrame) -> tuple[float, float]:
    """(write_bulk seconds, bare write_deltalake seconds) for ``rows``, medians."""
    definition = EVENT_TABLES["transactions"]
    prepared = with_arrival_sequence(conform_rows(definition, rows, START), 0)

    def through_store(folder: Path) -> float:
        store = open_store(folder)
        began = time.perf_counter()
        store.write_bulk("transactions", rows)
        elapsed = time.perf_counter() - began
        store.close()
        return elapsed

    def bare(folder: Path) -> float:
        began = time.perf_counter()
        write_deltalake(str(folder / "t"), prepared, mode="append", partition_by=["event_date"])
        return time.perf_counter() - began

    return median_of(REPEATS, through_store), median_of(REPEATS, bare)


def main() -> None:
    global TEMPORARY_FOLDER
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small workloads, to check it runs")
    parser.add_argument("--folder", default=None, help="where temporary stores go")
    arguments = parser.parse_args()
    TEMPORARY_FOLDER = arguments.folder
    quick = arguments.quick
    workloads = [
        (1, 40 if quick else 400),
        (100, 20 if quick else 200),
        (10_000, 4 if quick else 30),
    ]
    print(f"event store write benchmark ({'quick' if quick else 'full'}), median of {REPEATS}")
    print()
    print(
        f"{'rows/append':>12} {'appends':>8} {'acked appends/s':>16} {'acked rows/s':>13} "
        f"{'direct Delta appends/s':>23} {'ratio':>6} {'flush rows/s':>13}"
    )
    for rows_per_append, appends in workloads:
        append_rate, flush_rate = spooled_appends(rows_per_append, appends)
        direct_rate = direct_delta_appends(rows_per_append, max(appends // 4, 4))
        print(
            f"{rows_per_append:>12,} {appends:>8,} {append_rate:>16,.0f} "
            f"{append_rate * rows_per_append:>13,.0f} {direct_rate:>23,.1f} "
            f"{append_rate / direct_rate:>5.1f}x {flush_rate:>13,.0f}"
        )
    print()
    count = 100_000 if quick else 1_000_000
    rows = transactions(count)
    store_seconds, bare_seconds = bulk_load(rows)
    print(f"bulk load of {count:,} transactions over 30 daily partitions:")
    print(f"  write_bulk            {store_seconds:6.2f} s  {count / store_seconds:>12,.0f} rows/s")
    print(f"  bare write_deltalake  {bare_seconds:6.2f} s  {count / bare_seconds:>12,.0f} rows/s")
    print(f"  ratio (store / bare)  {store_seconds / bare_seconds:6.2f}")


if __name__ == "__main__":
    main()
