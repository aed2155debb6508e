"""Events dated year 1 or 9999-12-31 (a historical file, a bulk load) cost the monitor job one
window each, not a walk over every day in between, and change nothing on the other days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from watchkeeper.monitoring.job import monitor_job
from watchkeeper.monitoring.job.monitor_job import LABELS_JOB, PROFILE_JOB, MonitorJob, run_monitor
from watchkeeper.workspace import Workspace

MODEL = "card-fraud"
DAY = datetime(2026, 6, 1, tzinfo=UTC)
FAR_PAST = datetime(1, 1, 1, 5, tzinfo=UTC)
FAR_FUTURE = datetime(9999, 12, 31, 23, tzinfo=UTC)
MOST_WINDOWS = 200
"""More windows than a run over these few days can have (the old job walked 739,000)."""
SKETCHED = ("ks_", "wasserstein")
"""Metrics read from KLL sketches, whose compactions are random: their values are equal only
within the sketch's rank error, so only their status is compared."""


def day(index: int) -> datetime:
    return DAY + timedelta(days=index)


def traffic(root: Path, traffic_type: Any, *, outliers: bool) -> Any:
    logged = traffic_type(root)
    frames = [logged.log_day(day(index), rows=600) for index in range(4)]
    if outliers:
        far = pl.concat([frames[0].head(1), frames[0].head(1)]).with_columns(
            event_id=pl.Series(["far-past", "far-future"]),
            ts=pl.Series([FAR_PAST, FAR_FUTURE], dtype=pl.Datetime("us", "UTC")),
        )
        with Workspace.open(logged.root) as opened:
            opened.events.write_bulk("predictions", far, load_id="far-times")
    return logged


def counting_windows(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the windows the job cuts out of its read; stop it past :data:`MOST_WINDOWS`."""
    calls = [0]
    original = monitor_job.rows_within

    def counted(frame: pl.DataFrame, window: Any) -> pl.DataFrame:
        calls[0] += 1
        if calls[0] > MOST_WINDOWS:
            raise AssertionError(f"the monitor job walked more than {MOST_WINDOWS} windows")
        return original(frame, window)

    monkeypatch.setattr(monitor_job, "rows_within", counted)
    return calls


def rows_from(root: Path, start: datetime) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    with Workspace.open(root) as opened:
        return {
            (row.model_version, row.window_start, row.window_end, row.feature, row.metric): (
                None if any(part in row.metric for part in SKETCHED) else row.value,
                row.status,
                row.threshold,
            )
            for row in opened.metadata.metrics(MODEL)
            if row.window_start >= start
        }


def test_far_event_times_cost_one_window_each_and_leave_the_other_days_alone(
    tmp_path: Path, monitored_traffic_type: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = traffic(tmp_path / "plain", monitored_traffic_type, outliers=False)
    far = traffic(tmp_path / "far", monitored_traffic_type, outliers=True)
    with Workspace.open(plain.root) as opened:
        expected = run_monitor(opened, until=day(70))
    calls = counting_windows(monkeypatch)
    with Workspace.open(far.root) as opened:
        result = run_monitor(opened, until=day(70))
        marks = [opened.metadata.get_watermark(job, MODEL) for job in (PROFILE_JOB, LABELS_JOB)]
    assert calls[0] <= 2 * len(result.windows) + 10
    assert result.windows == ("0001-01-01/0001-01-02", *expected.windows)
    assert marks == [expected.watermark_after, expected.label_watermark_after] == [day(70), day(10)]
    assert rows_from(far.root, DAY) == rows_from(plain.root, DAY)
    with Workspace.open(far.root) as opened:
        far_rows = opened.metadata.metrics(MODEL, metric="scored_events", end=DAY)
    assert [(row.window_start.year, row.value) for row in far_rows] == [(1, 1.0)]


def test_a_run_up_to_the_last_day_a_datetime_holds_ends_cleanly(
    tmp_path: Path, monitored_traffic_type: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    far = traffic(tmp_path / "far", monitored_traffic_type, outliers=True)
    calls = counting_windows(monkeypatch)
    with Workspace.open(far.root) as opened:
        job = MonitorJob(opened, keep_reads=True)
        first = job.run(until=day(4))
        last = job.run(until=datetime(9999, 12, 31, 23, 59, tzinfo=UTC))
    assert first.windows[0] == "0001-01-01/0001-01-02" and len(first.windows) == 5
    # the window holding 9999-12-31 would end in year 10000: it is never complete
    assert last.windows == () and last.watermark_after == datetime(9999, 12, 31, tzinfo=UTC)
    assert calls[0] < MOST_WINDOWS
