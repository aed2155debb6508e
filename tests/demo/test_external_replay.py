"""The external replay end to end on a short stream: requests, versions, logging, money.

99 days at 100 account snapshots a day after team-v1's launch on day 121, the shift on day
151, a tick every 5 days: long enough for the drift to be confirmed, its labels to mature and
a retraining request to reach the team, and for the team's next version to be logged. The
replay runs once (~10 s) for the tests marked slow.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from watchkeeper.config import BusinessValueConfig
from watchkeeper.demo.external_judge import judge_run
from watchkeeper.demo.external_replay import ExternalDemoSettings, run_external_demo
from watchkeeper.demo.external_summary import ExternalDemoSummary, summary_lines
from watchkeeper.errors import ConfigError
from watchkeeper.simulate.tabular import simulate_churn
from watchkeeper.simulate.tabular.common import START
from watchkeeper.workspace import Workspace

SETTINGS = ExternalDemoSettings(
    seed=1, per_day=100, days=220, launch_day=121, shift_day=151, tick_days=5
)
LAUNCH = START + timedelta(days=SETTINGS.launch_day)
MATURITY, WINDOW = timedelta(days=31), timedelta(days=90)  # the external example's


@pytest.fixture(scope="module")
def replay(
    tmp_path_factory: pytest.TempPathFactory, watching_progress: Callable[..., Any]
) -> tuple[ExternalDemoSummary, Path]:
    out = tmp_path_factory.mktemp("external-demo")
    summary = watching_progress(lambda folder, say: run_external_demo(SETTINGS, folder, say), out)
    return summary, out


def _logged(out: Path) -> pl.DataFrame:
    """The predictions table as written, every row (the store's reads keep one per key)."""
    with Workspace.open(out / "workspace") as workspace:
        folder = workspace.resolve(workspace.config.storage.events)
    return pl.read_delta(str(Path(folder) / "predictions"))


@pytest.mark.slow  # the replay takes ~10 s
def test_the_request_goes_out_after_the_shift_with_a_matured_training_window(
    replay: tuple[ExternalDemoSummary, Path],
) -> None:
    summary, out = replay
    assert summary.requests, "no retraining request was sent"
    assert summary.first_drift_alert is not None
    assert summary.shift_date <= summary.first_drift_alert
    for request in summary.requests:
        sent = datetime.fromisoformat(request["date"]).replace(tzinfo=UTC)
        start = datetime.fromisoformat(request["window"]["start"])
        end = datetime.fromisoformat(request["window"]["end"])
        assert sent.date() > summary.shift_date
        assert end == sent - MATURITY and end - start == WINDOW  # labels matured, 90 days
        assert request["trigger"] == "drift" and request["delivered"]
        assert [delivery["target"] for delivery in request["deliveries"]] == [
            "owner (log)",
            "command",
        ]
        assert all(delivery["delivered"] for delivery in request["deliveries"])
    # the command queued each request in the team's inbox, as sent
    inbox = [
        json.loads(line) for line in (out / "team" / "requests.jsonl").read_text().splitlines()
    ]
    assert [item["training_window"]["start"] for item in inbox] == [
        request["window"]["start"] for request in summary.requests
    ]


@pytest.mark.slow  # the replay takes ~10 s
def test_the_team_answers_each_request_with_a_new_version_watchkeeper_numbers(
    replay: tuple[ExternalDemoSummary, Path],
) -> None:
    summary, _ = replay
    labels = [version["label"] for version in summary.versions]
    assert labels == [f"team-v{number}" for number in range(1, len(summary.requests) + 2)]
    assert [version["version"] for version in summary.versions] == list(range(1, len(labels) + 1))
    for version, request in zip(summary.versions[1:], summary.requests, strict=True):
        team = version["team"]
        assert team["requested_at"][:10] == request["date"] == team["live_from"][:10]
        assert team["trained_on"] == request["window"]
        assert version["first_seen"] > team["live_from"]  # logged at the next tick


@pytest.mark.slow  # the replay takes ~10 s
def test_every_event_after_launch_has_exactly_one_logged_prediction_of_the_version_live(
    replay: tuple[ExternalDemoSummary, Path],
) -> None:
    summary, out = replay
    logged = _logged(out)
    simulation = simulate_churn(
        days=SETTINGS.days, per_day=SETTINGS.per_day, seed=SETTINGS.seed,
        shift_day=SETTINGS.shift_day,
    )  # fmt: skip
    served = simulation.events.filter(pl.col("ts") >= LAUNCH)
    assert logged.height == served.height == logged["event_id"].n_unique()
    assert set(logged["event_id"]) == set(served["event_id"])
    assert summary.logged["predictions"]["logged"] == served.height
    assert summary.logged["predictions"]["refused"] == 0
    # each event was scored by the version live at its time
    live = sorted(
        (datetime.fromisoformat(version["team"]["live_from"]), version["version"])
        for version in summary.versions
    )
    expected = pl.Series([max(v for at, v in live if at <= ts) for ts in logged["ts"]])
    assert (logged["model_version"] == expected).all()


@pytest.mark.slow  # the replay takes ~10 s
def test_money_and_metric_match_a_direct_count_on_the_logged_decisions(
    replay: tuple[ExternalDemoSummary, Path],
) -> None:
    summary, out = replay
    simulation = simulate_churn(
        days=SETTINGS.days, per_day=SETTINGS.per_day, seed=SETTINGS.seed,
        shift_day=SETTINGS.shift_day,
    )  # fmt: skip
    truth = dict(simulation.outcomes.select("event_id", "outcome").iter_rows())
    costs = {(True, True): -30.0, (True, False): 60.0, (False, True): 10.0, (False, False): 0.0}
    total = tp = fp = fn = 0.0
    for event_id, decision in _logged(out).select("event_id", "decision").iter_rows():
        churned = truth[event_id] == "churned"
        total += costs[(churned, decision)]
        tp += churned and decision
        fp += decision and not churned
        fn += churned and not decision
    assert summary.with_watchkeeper.cost == pytest.approx(total)
    assert summary.with_watchkeeper.metric == pytest.approx(2 * tp / (2 * tp + fp + fn))
    weekly = sum(week.cost for week in summary.with_watchkeeper.weekly)
    assert weekly == pytest.approx(summary.with_watchkeeper.cost)
    # before the first new version, both runs are team-v1's decisions
    first_switch = summary.versions[1]["team"]["live_from"][:10]
    for without, with_ in zip(summary.without.weekly, summary.with_watchkeeper.weekly, strict=True):
        if date.fromisoformat(without.week) + timedelta(days=7) <= date.fromisoformat(first_switch):
            assert without == with_


def test_the_judge_matches_a_hand_count_on_a_tiny_case() -> None:
    business = BusinessValueConfig(
        cost_matrix={
            "positive": {"positive": -30.0, "negative": 60.0},
            "negative": {"positive": 10.0},
        }
    )
    monday = datetime(2026, 6, 1, tzinfo=UTC)
    truth = pl.DataFrame(
        {
            "event_id": ["a", "b", "c", "d", "e"],
            "ts": [monday, monday, monday + timedelta(days=7), monday + timedelta(days=8), monday],
            "outcome": ["churned", "renewed", "churned", "churned", "renewed"],
        }
    )
    decided = pl.DataFrame(
        {"event_id": ["a", "b", "c", "d", "e"], "decision": [True, True, False, True, False]}
    )
    run = judge_run(decided, truth, "binary", business, positive_outcome="churned")
    # week 1: a churned+flagged -30, b renewed+flagged 10, e renewed+passed 0 -> -20
    # week 2: c churned+passed 60, d churned+flagged -30 -> 30
    assert [(week.week, week.events, week.cost) for week in run.weekly] == [
        ("2026-06-01", 3, -20.0),
        ("2026-06-08", 2, 30.0),
    ]
    assert run.cost == 10.0
    # tp = a, d; fp = b; fn = c: F1 = 2*2 / (2*2 + 1 + 1)
    assert run.metric == pytest.approx(4 / 6)
    assert run.weekly[1].metric == pytest.approx(2 / 3)  # tp d, fn c: precision 1, recall 1/2


@pytest.mark.slow  # the replay takes ~10 s
def test_the_outputs_hold_the_summary_and_the_report(
    replay: tuple[ExternalDemoSummary, Path],
) -> None:
    summary, out = replay
    document = json.loads((out / "summary.json").read_text("utf-8"))
    assert document == json.loads(json.dumps(summary.to_dict()))
    for key in ("first_drift_alert", "retrain_requests", "versions", "without", "with", "saving"):
        assert key in document
    page = (out / "report.html").read_text("utf-8")
    assert "The external example, replayed" in page and "Week by week" in page
    lines = summary_lines(summary)
    assert sum(line.startswith("  retrain request") for line in lines) == len(summary.requests)
    assert lines[-2].startswith("without") and lines[-1].startswith("with ")


def test_settings_outside_the_stream_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--shift-day 100 must come after --launch-day 130"):
        ExternalDemoSettings(shift_day=100)
    with pytest.raises(ConfigError, match="--per-day 10"):
        ExternalDemoSettings(per_day=10)
    with pytest.raises(ConfigError, match="launch on day 121 or later"):
        run_external_demo(ExternalDemoSettings(launch_day=100, shift_day=150), tmp_path)
