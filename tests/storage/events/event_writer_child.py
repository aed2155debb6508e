"""A writer process for the crash and concurrency tests (run as a script, never imported).

It appends batches of transactions to an event store and prints ``ack <worker> <batch>``
after each ``append`` returned (the acknowledgement), flushing stdout at once, and
``commit <worker> <table version> <spool id> <rows>`` for each Delta commit it made.

``--unsynced`` appends as the service logs predictions (``append_columns(fsync=False)``).
``--crash-after-commit`` makes the process SIGKILL itself inside its first flush, right
after the Delta commit and before the spool cleanup.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from watchkeeper.clock import EventTimeClock
from watchkeeper.storage.events.delta_events import DeltaEventStore
from watchkeeper.storage.events.store import TableFlush

START = datetime(2026, 1, 1, tzinfo=UTC)


def batch_rows(worker: str, batch: int, rows: int) -> pl.DataFrame:
    moment = START + timedelta(minutes=batch)
    return pl.DataFrame(
        {
            "event_id": [f"{worker}-{batch}-{row}" for row in range(rows)],
            "ts": [moment + timedelta(days=row % 3) for row in range(rows)],
            "card_id": [f"card-{row}" for row in range(rows)],
            "merchant_id": ["merchant-1"] * rows,
            "merchant_category": ["grocery"] * rows,
            "amount": [float(batch)] * rows,
            "country": ["FR"] * rows,
            "channel": ["web"] * rows,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--spool", required=True, type=Path)
    parser.add_argument("--worker", required=True)
    parser.add_argument("--batches", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=5)
    parser.add_argument("--flush-every", type=int, default=0)
    parser.add_argument("--flush-threshold-rows", type=int, default=100_000)
    parser.add_argument("--crash-after-commit", action="store_true")
    parser.add_argument(
        "--unsynced", action="store_true", help="append_columns(fsync=False), as the service"
    )
    arguments = parser.parse_args()

    def report(flushed: TableFlush) -> None:
        print(f"commit {arguments.worker} {flushed.table_version} {flushed.rows}", flush=True)
        if arguments.crash_after_commit:
            os.kill(os.getpid(), signal.SIGKILL)

    clock = EventTimeClock(START)
    store = DeltaEventStore(
        arguments.root,
        arguments.spool,
        clock,
        flush_threshold_rows=arguments.flush_threshold_rows,
        after_commit=report,
    )
    for batch in range(arguments.batches):
        clock.advance(timedelta(seconds=1))
        rows = batch_rows(arguments.worker, batch, arguments.rows)
        if arguments.unsynced:
            store.append_columns("transactions", rows.to_dict(as_series=False), fsync=False)
        else:
            store.append("transactions", rows)
        print(f"ack {arguments.worker} {batch}", flush=True)
        if arguments.flush_every and (batch + 1) % arguments.flush_every == 0:
            store.flush()
    store.close()
    print("done", flush=True)


if __name__ == "__main__":
    sys.exit(main())
