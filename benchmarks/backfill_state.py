"""How fast the online state is filled from a history, and what folding it event by event costs.

Simulates about ``--rows`` card transactions (default one million), fits the fraud example's
features on them, then times :func:`~watchkeeper.features.backfill.backfill_state` into each
state backend asked for (memory with its snapshot file, SQLite, LMDB; Redis with ``--redis``)
and, as the floor it replaces, the online engine folding the same history event by event
into a memory store (``--fold``, slow). Prints events per second and the keys written.

    .venv/bin/python benchmarks/backfill_state.py                      # 1M rows: memory, sqlite, lmdb
    .venv/bin/python benchmarks/backfill_state.py --redis redis://127.0.0.1:6379/9 --fold
    .venv/bin/python benchmarks/backfill_state.py --quick              # 100k rows
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import yaml

from watchkeeper.config import parse_config
from watchkeeper.features import FeatureSpec, OnlineFeatureEngine, fit
from watchkeeper.features.backfill import backfill_state
from watchkeeper.features.replay import replay_online
from watchkeeper.features.state import open_state_store
from watchkeeper.simulate import preset, simulate
from watchkeeper.workspace import example_text


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="transactions to simulate")
    parser.add_argument("--per-day", type=int, default=10_000, help="transactions per day")
    parser.add_argument("--cards", type=int, default=50_000, help="cards (keys)")
    parser.add_argument("--redis", default=None, help="also fill a Redis state at this URL")
    parser.add_argument("--fold", action="store_true", help="also time event-by-event folding")
    parser.add_argument("--quick", action="store_true", help="100,000 rows")
    arguments = parser.parse_args(argv)
    if arguments.quick:
        arguments.rows = 100_000
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = _arguments(sys.argv[1:] if argv is None else argv)
    days = max(1, math.ceil(arguments.rows / arguments.per_day))
    config = preset("stable", days=days, per_day=arguments.per_day, cards=arguments.cards, seed=0)
    events = simulate(config).transactions
    spec = FeatureSpec.from_workspace_config(parse_config(yaml.safe_load(example_text("fraud"))))
    fitted = fit(spec, events)
    until = events[spec.timestamp].max()
    print(f"{events.height:,} events over {days} days, {arguments.cards:,} cards")
    with tempfile.TemporaryDirectory(prefix="watchkeeper-bench-") as scratch:
        targets = [
            ("memory", str(Path(scratch) / "state.snapshot")),
            ("sqlite", str(Path(scratch) / "state.db")),
            ("lmdb", str(Path(scratch) / "state.lmdb")),
        ]
        if arguments.redis:
            targets.append(("redis", arguments.redis))
        for kind, url in targets:
            store = open_state_store(kind, url, namespace="bench-backfill")
            try:
                report = backfill_state(store, fitted, events, until)  # type: ignore[arg-type]
            finally:
                store.close()
            print(
                f"  backfill {kind:<7} {report.seconds:6.2f} s  "
                f"{report.events / report.seconds:>10,.0f} events/s  {report.keys:,} keys"
            )
    if arguments.fold:
        started = time.perf_counter()
        replay_online(OnlineFeatureEngine(fitted), events)
        seconds = time.perf_counter() - started
        print(
            f"  fold one by one (score+fold, memory) {seconds:6.2f} s  "
            f"{events.height / seconds:>10,.0f} events/s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
