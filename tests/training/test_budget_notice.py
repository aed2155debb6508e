"""A spent attempt budget alerts the owner once, with what is needed, and the loop resumes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from tests.conftest import Inbox

from watchkeeper.application.scheduled_retraining import retrain_if_due
from watchkeeper.clock import EventTimeClock
from watchkeeper.storage.metadata.alert_store import FIRING, RESOLVED
from watchkeeper.storage.metadata.decision_kinds import ALERT
from watchkeeper.storage.metadata.records import MetricRow
from watchkeeper.training.attempts import RetrainAttempt, record_attempt
from watchkeeper.training.budget_notice import BUDGET_RULE, announce_budget, champion_losses
from watchkeeper.training.policy_check import consult_workspace_policy
from watchkeeper.workspace import Workspace

MODEL = "card-fraud"
DAY0 = datetime(2026, 6, 1, tzinfo=UTC)


def day(index: float) -> datetime:
    return DAY0 + timedelta(days=index)


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    root = Workspace.create(tmp_path / "ws")
    path = root / "watchkeeper.yaml"
    settings = yaml.safe_load(path.read_text("utf-8"))
    settings["retraining"].update(
        {"max_attempts": 3, "cooldown": "1h", "triggers": {"psi_windows": 2, "schedule": None}}
    )
    path.write_text(yaml.safe_dump(settings), "utf-8")
    opened = Workspace.open(root, clock=EventTimeClock(day(2)))
    # drift since day -100: its traffic has matured labels for a holdout by now
    drift = [
        MetricRow(MODEL, "psi", day(i), day(i + 1), 0.4, "alert", feature="mcc")
        for i in (-100, -99)
    ]
    money = [
        MetricRow(MODEL, "estimated_fraud_loss_approved", day(i), day(i + 1), loss, "ok",
                  model_version=None)
        for i, loss in [(-108, 100.0), (-106, 150.0), (0, 700.0), (1, 800.0)]
    ]  # fmt: skip
    opened.metadata.upsert_metrics(drift + money)
    return opened


def record(workspace: Workspace, at: datetime, trigger: str = "PSI above the alert level") -> None:
    refused = RetrainAttempt(
        accepted=False,
        reason="challenger does not beat the champion by the margin 0",
        trigger=trigger,
        stage="validation",
    )
    record_attempt(workspace.metadata, MODEL, refused, at=at)


def alerts_sent(workspace: Workspace) -> int:
    return len(workspace.metadata.decisions(MODEL, kind=ALERT))


def test_a_spent_budget_alerts_the_owner_once_and_the_loop_resumes(workspace: Workspace) -> None:
    clock = workspace.clock
    assert isinstance(clock, EventTimeClock)
    for hour in (1, 2, 3):
        record(workspace, day(0) + timedelta(hours=hour))
    step = retrain_if_due(workspace, day(2))
    assert step.decision is not None and not step.decision.retrain
    assert step.decision.reason.startswith("attempt budget spent: 3 refused attempt(s)")
    assert step.notice is not None and step.notice.startswith("the owner was alerted (critical)")
    stored = workspace.metadata.alerts.get(MODEL, BUDGET_RULE, None)
    assert stored is not None and (stored.state, stored.severity) == (FIRING, "critical")
    assert stored.evidence["attempt_budget"]["used"] == 3
    assert stored.evidence["last_attempt"]["outcome"] == "refused"
    assert alerts_sent(workspace) == 1
    # later ticks while the budget stays spent: no second notice, the policy still asked
    clock.advance_to(day(2) + timedelta(hours=6))
    again = retrain_if_due(workspace, day(2) + timedelta(hours=6))
    assert again.decision is not None and again.decision.reason.startswith("attempt budget spent")
    assert again.notice is None and alerts_sent(workspace) == 1
    # the owner acts: a retraining by hand starts the count afresh
    record(workspace, day(3), trigger="manual: owner looked")
    clock.advance_to(day(3) + timedelta(minutes=30))
    cooling = retrain_if_due(workspace, day(3) + timedelta(minutes=30))
    assert cooling.decision is not None and cooling.decision.reason.startswith("cooling down")
    assert cooling.notice == "retraining budget available again: the owner's alert is resolved"
    resolved = workspace.metadata.alerts.get(MODEL, BUDGET_RULE, None)
    assert resolved is not None and resolved.state == RESOLVED
    assert consult_workspace_policy(workspace, as_of=day(3) + timedelta(hours=2)).retrain
    # spent again later: a new notice
    for hour in (3, 4, 5):
        record(workspace, day(3) + timedelta(hours=hour))
    clock.advance_to(day(3) + timedelta(hours=7))
    spent = retrain_if_due(workspace, day(3) + timedelta(hours=7))
    assert spent.notice is not None and alerts_sent(workspace) == 2


def test_the_notice_says_what_is_needed_and_what_the_champion_loses(
    workspace: Workspace,
) -> None:
    for hour in (1, 2, 3):
        record(workspace, day(0) + timedelta(hours=hour))
    decision = consult_workspace_policy(workspace, as_of=day(2))
    inbox = Inbox()
    said = announce_budget(workspace, decision, channels=[inbox])
    assert said is not None and len(inbox.received) == 1
    notice = inbox.received[0]
    assert notice.severity == "critical" and notice.owner_contact == "dana.reyes@example.com"
    assert notice.summary.startswith(
        "retraining of 'card-fraud' stopped: 3 refused attempt(s) since 2026-03-05 "
        "(retraining.max_attempts 3); it resumes on 2026-08-30 or when the owner acts"
    )
    assert "last attempt refused: challenger does not beat the champion" in notice.summary
    # the champion's estimated loss: 700 + 800 in the last 7 days, 150 before the drift
    assert (
        "estimated_fraud_loss_approved 1,500 in the last 7 days (150 before the drift)"
        in notice.summary
    )
    assert announce_budget(workspace, decision, channels=[inbox]) is None  # once
    assert len(inbox.received) == 1


def test_champion_losses_sum_the_windows_of_each_span(workspace: Workspace) -> None:
    losses = champion_losses(workspace.metadata, MODEL, None, as_of=day(2), drift_onset=day(-100))
    assert losses == {"estimated_fraud_loss_approved": {"last": 1500.0, "before_drift": 150.0}}
    assert champion_losses(workspace.metadata, MODEL, 7, as_of=day(2), drift_onset=None) == {}
