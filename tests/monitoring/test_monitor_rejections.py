"""Rejected events in the monitor job's data-quality rows: counted per window and reason from
the event store's ``rejections`` table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from watchkeeper.monitoring.job.monitor_job import run_monitor
from watchkeeper.workspace import Workspace

MODEL = "card-fraud"
DAY = datetime(2026, 6, 1, tzinfo=UTC)


def rejections(moments: list[datetime], reasons: list[str]) -> pa.Table:
    return pa.table(
        {
            "rejection_id": [f"r-{index}" for index in range(len(moments))],
            "ts": pa.array(moments, pa.timestamp("us", tz="UTC")),
            "event_id": [None] * len(moments),
            "reason": reasons,
            "field": ["amount"] * len(moments),
            "detail": [f"amount: {reason}" for reason in reasons],
            "source": ["score"] * len(moments),
        }
    )


def test_rejected_events_are_counted_per_window_and_reason(monitored_traffic: Any) -> None:
    monitored_traffic.log_day(DAY, rows=400)
    monitored_traffic.log_day(DAY + timedelta(days=1), rows=400)
    first_day = [DAY + timedelta(hours=hour) for hour in (1, 2, 3)]
    with Workspace.open(monitored_traffic.root) as opened:
        opened.events.append(
            "rejections",
            rejections(
                [*first_day, DAY + timedelta(days=5)],
                ["missing_field", "missing_field", "not_finite", "too_large"],
            ),
        )
        opened.events.flush()
        result = run_monitor(opened, until=DAY + timedelta(days=2))
        rows = opened.metadata.metrics(MODEL, metric="rejected_events")
        shares = opened.metadata.metrics(MODEL, metric="rejected_share")
    counts = {(row.window_start, row.feature): row.value for row in rows}
    assert counts == {
        (DAY, None): 3.0,
        (DAY, "missing_field"): 2.0,
        (DAY, "not_finite"): 1.0,
        (DAY + timedelta(days=1), None): 0.0,
    }
    share = {row.window_start: row.value for row in shares}
    assert share[DAY] == 3 / 403 and share[DAY + timedelta(days=1)] == 0.0
    assert not any("rejected" in note for note in result.notes)
