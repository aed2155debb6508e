"""The monitor job as a daily tick: one ``run(until=end of day)`` per simulated day.

Workload: a workspace whose champion is registered with a reference profile (the test suite's
``MonitoredTraffic``: three features, a LightGBM champion, a calibrator), ``--per-day``
predictions a day (2,000 by default) over ``--days`` days (90), and the chargebacks of their
fraud, received 20 days after the event. Then the monitor job runs once per day, in order,
each run seeing the day that just ended plus every window still open for labels (up to the
60-day maturity horizon). Reported: the median and 90th percentile wall time of a tick, over
all ticks and over the steady state (the ticks with a full horizon of open windows).

    python benchmarks/monitor_tick.py            # 2,000 a day, 90 days
    python benchmarks/monitor_tick.py --quick    # 500 a day, 30 days

``--full`` times a second pass that recomputes every open window on every tick (the job before
it learnt to skip windows whose labels did not change), for the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import MonitoredTraffic

from watchkeeper.monitoring.monitor_job import MonitorJob
from watchkeeper.workspace import Workspace

START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday


def ticks(root: Path, days: int, *, recompute_all: bool) -> list[float]:
    """Milliseconds of each daily run."""
    times = []
    with Workspace.open(root) as workspace:
        for index in range(1, days + 1):
            job = MonitorJob(workspace, recompute_all=recompute_all)
            started = time.perf_counter()
            job.run(until=START + timedelta(days=index))
            times.append((time.perf_counter() - started) * 1_000)
    return times


def summary(label: str, times: list[float]) -> str:
    ordered = sorted(times)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"{label:<34}: median {statistics.median(times):7.1f} ms   p90 {p90:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-day", type=int, default=2_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--full", action="store_true", help="also time full recomputation")
    options = parser.parse_args()
    per_day, days = (500, 30) if options.quick else (options.per_day, options.days)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        traffic = MonitoredTraffic(Path(folder) / "ws")
        for index in range(days):
            traffic.log_day(START + timedelta(days=index), rows=per_day)
        print(
            f"{days} days x {per_day:,} predictions logged in {time.perf_counter() - started:.0f} s"
        )
        times = ticks(traffic.root, days, recompute_all=False)
        steady = times[60:] if len(times) > 70 else times[len(times) // 2 :]
        print(summary("daily tick, all", times))
        print(summary("daily tick, steady state", steady))
        if options.full:
            full_root = Path(folder) / "ws-full"
            full = MonitoredTraffic(full_root)
            for index in range(days):
                full.log_day(START + timedelta(days=index), rows=per_day)
            full_times = ticks(full.root, days, recompute_all=True)
            print(summary("full recomputation, all", full_times))
            ratio = statistics.median(full_times) / statistics.median(times)
            print(f"{'ratio (full / incremental)':<34}: {ratio:7.1f}x")


if __name__ == "__main__":
    main()
