"""How fast the simulator generates and writes traffic.

Times ``simulate()`` + ``write_parquet()`` for a stable world of about ``--rows`` transactions
(default ten million) and compares it with its floor: writing the same frames to Parquet
alone. Prints the median wall time over the repeats, rows per second, the floor, the ratio of
total to floor and the peak resident memory of the process.

    .venv/bin/python benchmarks/simulate_speed.py            # 10M rows, 3 repeats
    .venv/bin/python benchmarks/simulate_speed.py --quick    # 200k rows, 1 repeat

Target: ten million transactions in under 20 seconds on a 2-core machine.
"""

from __future__ import annotations

import argparse
import gc
import math
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from watchkeeper.simulate import SimulationConfig, simulate, write_parquet

TARGET_SECONDS_PER_TEN_MILLION = 20.0


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="transactions to simulate")
    parser.add_argument("--per-day", type=int, default=20_000, help="transactions per day")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs (median reported)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="folder for the Parquet files")
    parser.add_argument(
        "--quick", action="store_true", help="a small smoke run: 200,000 rows, one repeat"
    )
    arguments = parser.parse_args(argv)
    if arguments.quick:
        arguments.rows, arguments.repeats = 200_000, 1
    return arguments


def _peak_memory_gib() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def _run_once(config: SimulationConfig, folder: Path) -> tuple[float, float, int]:
    """Return (simulate + write seconds, write-only seconds, rows)."""
    started = time.perf_counter()
    traffic = simulate(config)
    simulated = time.perf_counter()
    write_parquet(traffic, folder)
    written = time.perf_counter()
    rows = traffic.transactions.height
    del traffic
    gc.collect()
    return written - started, written - simulated, rows


def main(argv: list[str] | None = None) -> int:
    arguments = _arguments(sys.argv[1:] if argv is None else argv)
    days = max(1, math.ceil(arguments.rows / arguments.per_day))
    config = SimulationConfig(days=days, per_day=arguments.per_day, seed=arguments.seed)
    print(
        f"simulate + write_parquet: {days} days x {arguments.per_day:,}/day "
        f"(~{days * arguments.per_day:,} transactions), {arguments.repeats} repeat(s)"
    )
    totals: list[float] = []
    floors: list[float] = []
    rows = 0
    with tempfile.TemporaryDirectory(prefix="watchkeeper-bench-") as scratch:
        folder = arguments.out or Path(scratch)
        for repeat in range(1, arguments.repeats + 1):
            total, floor, rows = _run_once(config, folder)
            totals.append(total)
            floors.append(floor)
            print(f"  run {repeat}: total {total:6.2f} s   write_parquet alone {floor:5.2f} s")
    total = statistics.median(totals)
    floor = statistics.median(floors)
    target = TARGET_SECONDS_PER_TEN_MILLION * rows / 10_000_000
    print(f"rows               {rows:,}")
    print(f"median wall time   {total:.2f} s (simulate + write_parquet)")
    print(f"throughput         {rows / total:,.0f} rows/s")
    print(f"floor              {floor:.2f} s (write_parquet of the same frames alone)")
    print(f"ratio total/floor  {total / floor:.2f}")
    print(f"peak RSS           {_peak_memory_gib():.2f} GiB")
    print(f"target             {target:.1f} s -> {'met' if total <= target else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
