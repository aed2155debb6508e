"""Does the monitor's money agree with the truth? A demo's monitored weekly cost against its
replay's, week by week.

Reads a finished ``watchkeeper demo --example churn|demand|triage --out DIR``: the watched
workspace's daily ``cost`` rows (every version that served, summed per Monday-aligned week),
its ``estimated_cost`` rows (before labels), and the replay's weekly cost of the watched run
on the simulation's truth (``summary.json``). On a week whose windows all matured, the
monitored cost is the cost of the same decisions on the same labels, so the two must be
equal; later weeks count only the labels received so far.

    .venv/bin/watchkeeper demo --example churn --days 240 --out /tmp/churn
    .venv/bin/python benchmarks/monitored_cost.py /tmp/churn
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from watchkeeper.storage.metadata.records import MetricRow
from watchkeeper.workspace import Workspace


def _week(day: date) -> str:
    return (day - timedelta(days=day.weekday())).isoformat()


def weekly(rows: list[MetricRow]) -> tuple[dict[str, float], dict[str, set[str]]]:
    """Daily rows summed per week, and the statuses each week's rows carry."""
    totals: dict[str, float] = defaultdict(float)
    statuses: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if row.window_end - row.window_start != timedelta(days=1):
            continue
        week = _week(row.window_start.date())
        totals[week] += row.value or 0.0
        statuses[week].add(row.status)
    return totals, statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the demo's --out folder")
    out = parser.parse_args().out
    summary = json.loads((out / "summary.json").read_text())
    replay = {week["week"]: week["cost"] for week in summary["with"]["weekly"]}
    with Workspace.open(out / "workspace") as workspace:
        model = workspace.config.model.name
        realized, statuses = weekly(workspace.metadata.metrics(model, metric="cost", feature=""))
        estimated, _ = weekly(
            workspace.metadata.metrics(model, metric="estimated_cost", feature="")
        )
    print(
        f"{'week':<11} {'labels':<9} {'monitored':>10} {'replay':>10} {'diff':>9} {'estimated':>10}"
    )
    matured = equal = 0
    for week in sorted(replay):
        state = "mature" if statuses.get(week) == {"ok"} else "immature"
        monitored = realized.get(week, 0.0)
        difference = monitored - replay[week]
        print(
            f"{week:<11} {state:<9} {monitored:>10,.2f} {replay[week]:>10,.2f} "
            f"{difference:>9,.2f} {estimated.get(week, 0.0):>10,.2f}"
        )
        if state == "mature":
            matured += 1
            equal += abs(difference) < 0.005
    print(f"weeks matured: {matured}; monitored cost equal to the replay's to the cent: {equal}")


if __name__ == "__main__":
    main()
