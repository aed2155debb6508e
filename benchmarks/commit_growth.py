"""What a flush costs as an event table ages: one day of transactions a commit, for a year.

An agent that ticks daily flushes each table once a day, and every day of events lands in a
partition of its own (``event_date``), so after a year a table holds hundreds of Parquet
files. Printed for each block of days: the median time to flush one day's rows through
:class:`~watchkeeper.storage.events.delta_events.DeltaEventStore` (read from the spool, one
Delta commit), beside a bare partitioned ``write_deltalake`` of the same rows into a table of
the same age, kept loaded between commits as the store keeps its own (the floor); then the
last block's time against the first's. A growth shared by both is the Delta writer's own cost
per active file, not the store's.

    .venv/bin/python benchmarks/commit_growth.py [--days 360] [--rows 1500] [--block 60]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import polars as pl
from deltalake import DeltaTable, write_deltalake

sys.path.insert(0, str(Path(__file__).parent))
from event_store_write import START, open_store, transactions
from watchkeeper.storage.events.rows import conform_rows, with_arrival_sequence
from watchkeeper.storage.events.tables import EVENT_TABLES


def one_day(day: int, rows: int) -> pl.DataFrame:
    """``rows`` transactions, all on day ``day`` after the start."""
    frame = transactions(rows, seed=day, days=1)
    return frame.with_columns(pl.col("ts") + timedelta(days=day))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=360)
    parser.add_argument("--rows", type=int, default=1500, help="transactions a day")
    parser.add_argument("--block", type=int, default=60, help="days per printed line")
    arguments = parser.parse_args()
    definition = EVENT_TABLES["transactions"]
    store_ms: list[float] = []
    bare_ms: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder))
        bare_path = str(Path(folder) / "bare")
        bare_table: DeltaTable | None = None
        for day in range(arguments.days):
            frame = one_day(day, arguments.rows)
            store.append("transactions", frame)
            began = time.perf_counter()
            store.flush()
            store_ms.append(1000 * (time.perf_counter() - began))
            prepared = with_arrival_sequence(conform_rows(definition, frame, START), 0)
            began = time.perf_counter()
            write_deltalake(
                bare_path if bare_table is None else bare_table,
                prepared,
                mode="append",
                partition_by=["event_date"],
            )
            bare_ms.append(1000 * (time.perf_counter() - began))
            bare_table = bare_table or DeltaTable(bare_path)  # kept loaded, as the store does
        store.close()
    print(f"{arguments.rows} transactions a day, one flush a day, {arguments.days} days")
    print(f"{'days':>9} {'flush ms':>9} {'bare ms':>8} {'ratio':>6}")
    blocks = range(0, arguments.days, arguments.block)
    medians = []
    for start in blocks:
        flush = statistics.median(store_ms[start : start + arguments.block])
        bare = statistics.median(bare_ms[start : start + arguments.block])
        medians.append((flush, bare))
        end = min(start + arguments.block, arguments.days)
        print(f"{start + 1:>4}-{end:<4} {flush:9.1f} {bare:8.1f} {flush / bare:6.2f}")
    (first_flush, first_bare), (last_flush, last_bare) = medians[0], medians[-1]
    print(
        f"last block / first: flush {last_flush / first_flush:.2f}x, "
        f"bare write_deltalake {last_bare / first_bare:.2f}x"
    )


if __name__ == "__main__":
    main()
