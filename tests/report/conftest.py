"""A monitored workspace for the report's tests, built once per module: a champion, four
weeks of logged predictions (two stable, two shifted), chargebacks, two monitor runs, a
recorded retraining attempt and a canary that was promoted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

START = datetime(2026, 6, 1, tzinfo=UTC)  # a Monday
DAYS = 28
SHIFT_DAY = 14


def day(index: int) -> datetime:
    """The ``index``-th day of the logged traffic."""
    return START + timedelta(days=index)


def build_report_workspace(root: Path, rows: int = 1_000) -> Path:
    """Log the traffic, run the monitor, record the decisions; return the workspace folder."""
    from tests.conftest import MonitoredTraffic

    from watchkeeper.clock import EventTimeClock
    from watchkeeper.monitoring.job.monitor_job import run_monitor
    from watchkeeper.training.attempts import RetrainAttempt, record_attempt
    from watchkeeper.workspace import Workspace

    traffic = MonitoredTraffic(root)
    config = traffic.root / "watchkeeper.yaml"
    config.write_text(config.read_text().replace("maturity_horizon: 60d", "maturity_horizon: 21d"))
    for index in range(DAYS):
        shifted = index >= SHIFT_DAY
        traffic.log_day(day(index), rows=rows, shift=1.0 if shifted else 0.0, concept_drift=shifted)
    clock = EventTimeClock(day(DAYS))
    with Workspace.open(traffic.root, clock=clock) as opened:
        run_monitor(opened, until=day(SHIFT_DAY))
        run_monitor(opened, until=day(DAYS))
        record_attempt(
            opened.metadata,
            opened.config.model.name,
            RetrainAttempt(
                accepted=True,
                reason="challenger beats champion on business value",
                trigger="drift",
                stage="validation",
                champion_version=1,
                challenger_version=2,
            ),
            at=day(SHIFT_DAY + 3),
        )
        for kind, offset, summary in (
            ("rollout_start", 4, "canary of version 2 started: drift"),
            ("rollout_promote", 6, "version 2 promoted: guards passed"),
        ):
            opened.metadata.record_decision(
                model=opened.config.model.name,
                kind=kind,
                summary=summary,
                evidence={"rollout": 1},
                at=day(SHIFT_DAY + offset),
            )
    return traffic.root


@pytest.fixture(scope="session")
def report_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The monitored workspace (shared by the tests: treat it as read-only)."""
    return build_report_workspace(tmp_path_factory.mktemp("report") / "ws")
