"""Weekly rows: written once a report window is complete, from the merged daily profiles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest

from watchkeeper.monitoring.job.monitor_job import MonitorJob, run_monitor
from watchkeeper.monitoring.job.windows import report_window_of, windows_within
from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile
from watchkeeper.monitoring.statistics.prediction_drift import score_drift
from watchkeeper.workspace import Workspace

MODEL = "card-fraud"
DAY = datetime(2026, 6, 1, tzinfo=UTC)  # a Monday


def day(index: int) -> datetime:
    return DAY + timedelta(days=index)


def test_a_complete_week_gets_rows_from_its_merged_days(monitored_traffic: Any) -> None:
    for index in (-3, -2, -1):  # served before the week: warmed up (1,200 events) by then
        monitored_traffic.log_day(day(index), rows=400)
    frames = [monitored_traffic.log_day(day(index), rows=300) for index in range(7)]
    frames += [monitored_traffic.log_day(day(index), rows=300, shift=1.0) for index in (7, 8)]
    with Workspace.open(monitored_traffic.root) as opened:
        partial = run_monitor(opened, until=day(6))  # Sunday not over: no weekly row yet
        assert opened.metadata.metrics(MODEL, metric="weekly_score_psi", start=day(0)) == []
        first = opened.metadata.metrics(MODEL, metric="weekly_psi", end=day(0))
        assert {row.status for row in first} == {"warming_up"}  # the version's first week
        run_monitor(opened, until=day(9))
        weekly = {
            row.metric: row
            for row in opened.metadata.metrics(MODEL, start=day(0))
            if "weekly" in row.metric and row.feature is None
        }
        psi = {
            row.feature: row
            for row in opened.metadata.metrics(MODEL, metric="weekly_psi", start=day(0))
        }
        job = MonitorJob(opened)
        context = job.context(1)
        week = report_window_of(day(0), opened.config.monitoring.report_window)
        merged = job.profiles.merged(1, windows_within(week, opened.config.monitoring.window))
        daily_psi = opened.metadata.metrics(MODEL, metric="psi", feature="amount", start=day(0))
    assert partial.windows and set(weekly) == {"weekly_score_psi", "weekly_flag_rate"}
    for row in [*weekly.values(), *psi.values()]:
        assert (row.window_start, row.window_end, row.model_version) == (day(0), day(7), 1)
    reference, scores = context.reference.features["score"], merged.features["score"]
    assert isinstance(reference, NumericProfile) and isinstance(scores, NumericProfile)
    assert weekly["weekly_score_psi"].value == pytest.approx(score_drift(reference, scores).psi)
    flagged = pl.concat(frames[:7])["decision"].mean()
    assert weekly["weekly_flag_rate"].value == pytest.approx(flagged)
    assert set(psi) == {"amount", "hour", "merchant_category"}
    assert psi["amount"].status == "ok"  # the shifted days belong to the next week
    assert len(daily_psi) == 9  # the daily series keeps one row per day
