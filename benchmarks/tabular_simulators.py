"""How fast the tabular example simulators (churn, demand, triage) generate events.

Times each simulator for ``--days`` x ``--per-day`` events and prints the median wall time
over the repeats, events per second and the ratio to the target.

    .venv/bin/python benchmarks/tabular_simulators.py           # 200 days x 1,000, 3 repeats
    .venv/bin/python benchmarks/tabular_simulators.py --quick   # 50 days x 1,000, 1 repeat

Target: over 100,000 events a second for each simulator on a 2-core machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from watchkeeper.simulate.tabular import SIMULATORS

TARGET_EVENTS_PER_SECOND = 100_000


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=200)
    parser.add_argument("--per-day", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="50 days, one repeat")
    arguments = parser.parse_args(argv)
    if arguments.quick:
        arguments.days, arguments.repeats = 50, 1
    return arguments


def main(argv: list[str] | None = None) -> int:
    """Print one line per simulator; exit 1 when one misses the target."""
    arguments = _arguments(sys.argv[1:] if argv is None else argv)
    missed = 0
    for name, simulator in sorted(SIMULATORS.items()):
        times = []
        for _ in range(arguments.repeats):
            started = time.perf_counter()
            simulation = simulator(
                days=arguments.days, per_day=arguments.per_day, shift_day=arguments.days // 2
            )
            times.append(time.perf_counter() - started)
        seconds = statistics.median(times)
        rate = simulation.events.height / seconds
        missed += rate < TARGET_EVENTS_PER_SECOND
        print(
            f"{name:<7} {simulation.events.height:>9,} events in {seconds:6.2f} s: "
            f"{rate:>11,.0f} events/s ({rate / TARGET_EVENTS_PER_SECOND:.1f}x the target)"
        )
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
