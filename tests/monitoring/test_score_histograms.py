"""Weekly score histograms for the report: merged daily profiles on the reference's bins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from watchkeeper.errors import RegistryError
from watchkeeper.monitoring.job.monitor_job import MonitorJob, run_monitor
from watchkeeper.monitoring.job.score_histograms import weekly_score_histograms
from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile
from watchkeeper.workspace import Workspace

DAY = datetime(2026, 6, 1, tzinfo=UTC)  # a Monday


def day(index: int) -> datetime:
    return DAY + timedelta(days=index)


def test_each_week_counts_its_scores_on_the_reference_bins(monitored_traffic: Any) -> None:
    frames = [monitored_traffic.log_day(day(index), rows=300) for index in range(10)]
    with Workspace.open(monitored_traffic.root) as opened:
        run_monitor(opened, until=day(10))
        reference = MonitorJob(opened).context(1).reference.features["score"]
        weeks = weekly_score_histograms(opened)
        assert weekly_score_histograms(opened, model_version=1) == weeks
    assert isinstance(reference, NumericProfile)
    assert [(week.week_start, week.week_end, week.days) for week in weeks] == [
        (day(0), day(7), 7),
        (day(7), day(14), 3),  # the week still running
    ]
    first = weeks[0]
    assert first.version == 1
    assert first.edges == list(reference.edges)
    assert first.reference_counts == list(reference.counts)
    scores = pl.concat(frames[:7])["score"].to_numpy()
    expected = np.bincount(
        np.searchsorted(np.array(reference.edges), scores, side="right"),
        minlength=len(reference.edges) + 1,
    )
    assert first.counts == expected.tolist() and sum(first.counts) == 2_100
    flagged = pl.concat(frames[:7])["decision"].mean()
    assert first.flag_rate == pytest.approx(flagged, abs=1e-12)
    assert sum(first.shares) == pytest.approx(1.0)


def test_no_monitoring_yet_gives_nothing_and_a_version_without_reference_is_refused(
    tmp_path: Path, monitored_traffic_type: Any
) -> None:
    traffic = monitored_traffic_type(tmp_path / "ws", with_reference=False)
    with Workspace.open(traffic.root) as opened:
        assert weekly_score_histograms(opened) == []
        with pytest.raises(RegistryError, match="no reference profile"):
            weekly_score_histograms(opened, model_version=1)
