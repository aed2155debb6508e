"""The monitor job as a daily tick: a run per day gives the same rows as one run at the end,
and a quiet day recomputes only the windows whose labels changed."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from watchkeeper.monitoring.job.monitor_job import run_monitor
from watchkeeper.storage.metadata.records import MetricRow
from watchkeeper.workspace import Workspace

MODEL = "card-fraud"
DAY = datetime(2026, 6, 1, tzinfo=UTC)  # a Monday
LOGGED_DAYS = 8
LAST_RUN = 36  # the first windows are mature (25 days) and the last are still open


def day(index: int) -> datetime:
    return DAY + timedelta(days=index)


def workspace_with_traffic(traffic_type: Any, root: Path) -> Any:
    traffic = traffic_type(root)
    config = traffic.root / "watchkeeper.yaml"
    config.write_text(
        config.read_text().replace("maturity_horizon: 60d", "maturity_horizon: 25d", 1)
    )
    for index in range(LOGGED_DAYS):
        traffic.log_day(day(index), rows=250)
    return traffic


def backfill(root: Path, event_id: str, received: datetime) -> None:
    """A chargeback loaded late, with a receipt time before the monitor's watermark."""
    outcome = pl.DataFrame(
        {
            "event_id": [event_id],
            "outcome": ["chargeback"],
            "outcome_ts": [received],
            "amount": [10.0],
            "received_at": [received],
        }
    )
    with Workspace.open(root) as opened:
        opened.events.write_bulk("outcomes", outcome, load_id=f"backfill-{event_id}")


def comparable(rows: list[MetricRow]) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    return {
        (row.model_version, row.window_start, row.window_end, row.feature, row.metric): (
            row.value,
            row.status,
            row.threshold,
        )
        for row in rows
    }


def test_daily_runs_give_the_rows_of_one_run_at_the_end(
    tmp_path: Path, monitored_traffic_type: Any
) -> None:
    daily = workspace_with_traffic(monitored_traffic_type, tmp_path / "daily")
    once_root = tmp_path / "once"
    # the same data and reference profile (sketch included); the spool is each store's own
    shutil.copytree(daily.root, once_root, ignore=shutil.ignore_patterns("events.spool*"))
    late_event = f"{day(2):%Y%m%d}-v1-7"
    backfill(once_root, late_event, day(6))
    recomputed: dict[int, tuple[str, ...]] = {}
    with Workspace.open(daily.root) as opened:
        for index in range(1, LAST_RUN + 1):
            if index == 15:
                backfill(daily.root, late_event, day(6))  # received "on day 6", loaded on day 15
            result = run_monitor(opened, until=day(index))
            recomputed[index] = result.recomputed
        daily_rows = comparable(opened.metadata.metrics(MODEL))
    with Workspace.open(once_root) as opened:
        run_monitor(opened, until=day(LAST_RUN))
        once_rows = comparable(opened.metadata.metrics(MODEL))

    assert daily_rows == once_rows
    positives = {
        key[1]: value[0] for key, value in daily_rows.items() if key[4] == "positive_labels"
    }
    assert positives[day(2)] is not None and positives[day(2)] >= 1
    # the backfill was noticed by the label counts on the day it was loaded
    assert "2026-06-03/2026-06-04" in recomputed[15]
    # a day with no outcome received for an open window recomputes only what matured
    assert recomputed[12] == ()
    assert recomputed[33] == ("2026-06-08/2026-06-09",)  # the window that became mature
