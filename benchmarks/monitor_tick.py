"""The monitor job as a daily tick: one ``run(until=end of day)`` per simulated day.

Workload: a workspace whose champion is registered with a reference profile (the test suite's
``MonitoredTraffic``: three features, a LightGBM champion, a calibrator), ``--per-day``
predictions a day (2,000 by default) over ``--days`` days (90), and the chargebacks of their
fraud, received 20 days after the event. Then the monitor job runs once per day, in order:
each run profiles the day that just ended and looks at every window still open for labels
(up to the 60-day maturity horizon). Reported: the median and 90th percentile wall time of a
tick, over all ticks and over the steady state (the ticks with a full horizon of open windows),
and the process CPU time of a tick (steadier than wall time on a shared machine).

``--full`` also runs a twin workspace (a copy of the same data) with
``MonitorJob(recompute_all=True)``, which recomputes every open window on every tick as the
job did before it learnt to skip windows whose labels did not change; the two are interleaved
tick by tick so that a busy machine slows both alike.

    python benchmarks/monitor_tick.py            # 2,000 a day, 90 days
    python benchmarks/monitor_tick.py --full     # and the full-recomputation ratio
    python benchmarks/monitor_tick.py --quick    # 500 a day, 30 days
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import MonitoredTraffic

from watchkeeper.monitoring.job.monitor_job import MonitorJob
from watchkeeper.workspace import Workspace

START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
HORIZON_DAYS = 60


def summary(label: str, times: list[float]) -> str:
    """Median and 90th percentile of ``times`` (milliseconds)."""
    ordered = sorted(times)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"{label:<36}: median {statistics.median(times):7.1f} ms   p90 {p90:7.1f} ms"


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
        elapsed = time.perf_counter() - started
        print(f"{days} days x {per_day:,} predictions logged in {elapsed:.0f} s")
        roots = {"incremental": traffic.root}
        if options.full:
            roots["full"] = Path(folder) / "ws-full"
            shutil.copytree(
                traffic.root, roots["full"], ignore=shutil.ignore_patterns("events.spool*")
            )
        wall: dict[str, list[float]] = {name: [] for name in roots}
        cpu: dict[str, list[float]] = {name: [] for name in roots}
        opened = {name: Workspace.open(root) for name, root in roots.items()}
        try:
            for index in range(1, days + 1):
                until = START + timedelta(days=index)
                for name, workspace in opened.items():
                    job = MonitorJob(workspace, recompute_all=name == "full")
                    wall_start, cpu_start = time.perf_counter(), time.process_time()
                    job.run(until=until)
                    wall[name].append((time.perf_counter() - wall_start) * 1_000)
                    cpu[name].append((time.process_time() - cpu_start) * 1_000)
        finally:
            for workspace in opened.values():
                workspace.close()
    steady = slice(HORIZON_DAYS, None) if days > HORIZON_DAYS + 10 else slice(days // 2, None)
    for name in roots:
        print(summary(f"{name} tick, all", wall[name]))
        print(summary(f"{name} tick, steady state", wall[name][steady]))
        print(summary(f"{name} tick CPU, steady state", cpu[name][steady]))
    if options.full:
        ratio = statistics.median(wall["full"][steady]) / statistics.median(
            wall["incremental"][steady]
        )
        print(f"{'ratio full / incremental, steady':<36}: {ratio:7.1f}x")


if __name__ == "__main__":
    main()
