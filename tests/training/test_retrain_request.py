"""A model its team retrains: when the retrain policy fires, watchkeeper sends a request (the
owner, a command, a webhook) with the decision and the training window, never trains."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from watchkeeper.application.scheduled_retraining import request_if_due
from watchkeeper.clock import EventTimeClock
from watchkeeper.storage.metadata.decision_kinds import RETRAIN_REQUEST
from watchkeeper.storage.metadata.records import MetricRow
from watchkeeper.training.retrain_request import send_retrain_request
from watchkeeper.workspace import Workspace

DRIFT_DAY = datetime(2026, 3, 1, tzinfo=UTC)


def external_workspace(tmp_path: Path, **request: Any) -> Path:
    root = Workspace.create(tmp_path / "ws", example="external")
    config = yaml.safe_load((root / "watchkeeper.yaml").read_text())
    config["retraining"]["request"] = request
    (root / "watchkeeper.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return root


def drift_rows(model: str) -> list[MetricRow]:
    """Input drift above the alert level in three consecutive daily windows."""
    return [
        MetricRow(
            model, "psi", DRIFT_DAY + timedelta(days=day), DRIFT_DAY + timedelta(days=day + 1),
            value=0.6, status="alert", feature="plan",
        )
        for day in range(3)
    ]  # fmt: skip


def test_a_drift_sends_one_request_with_the_matured_window_and_cools_down(tmp_path: Path) -> None:
    received = tmp_path / "request.json"
    command = [
        sys.executable,
        "-c",
        f"import sys; open({str(received)!r}, 'wb').write(sys.stdin.buffer.read())",
    ]
    root = external_workspace(tmp_path, command=command)
    now = DRIFT_DAY + timedelta(days=60)
    with Workspace.open(root, clock=EventTimeClock(now)) as workspace:
        workspace.metadata.upsert_metrics(drift_rows(workspace.config.model.name))
        step = request_if_due(workspace, now)
        again = request_if_due(workspace, now + timedelta(days=1))
        requests = workspace.metadata.decisions(workspace.config.model.name, kind=RETRAIN_REQUEST)
        versions = workspace.metadata.versions(workspace.config.model.name)
    assert step.request is not None and step.decision is not None and step.decision.retrain
    sent = json.loads(received.read_text())
    assert sent["decision"]["trigger"] == "drift" and "plan" in sent["decision"]["reason"]
    window = sent["training_window"]
    assert window["end"] == (now - timedelta(days=31)).isoformat()  # the maturity horizon
    assert window["start"] == (now - timedelta(days=31 + 90)).isoformat()  # training.window
    assert [delivery.target for delivery in step.deliveries] == ["owner (log)", "command"]
    assert all(delivery.delivered for delivery in step.deliveries)
    assert again.request is None and again.decision is not None
    assert "cooling down" in again.decision.reason
    assert len(requests) == 1 and requests[0].evidence["accepted"] is True
    assert versions == []  # nothing was trained


def test_a_webhook_gets_the_request_and_a_failing_command_is_recorded(tmp_path: Path) -> None:
    posted: list[dict[str, Any]] = []

    class Answer:
        status_code = 202

    def post(url: str, *, json: dict[str, Any], timeout: float) -> Answer:
        posted.append({"url": url, "body": json, "timeout": timeout})
        return Answer()

    root = external_workspace(
        tmp_path,
        command=[sys.executable, "-c", "import sys; sys.exit(3)"],
        webhook="https://ml.example.com/retrain",
        timeout="5s",
    )
    now = DRIFT_DAY + timedelta(days=60)
    with Workspace.open(root, clock=EventTimeClock(now)) as workspace:
        workspace.metadata.upsert_metrics(drift_rows(workspace.config.model.name))
        step = request_if_due(workspace, now)
        assert step.request is not None
        deliveries = send_retrain_request(workspace, step.request, post=post)
    command, webhook = deliveries[-2:]
    assert (command.target, command.delivered, command.detail) == ("command", False, "exit 3: ")
    assert (webhook.target, webhook.delivered) == ("webhook", True)
    assert posted[0]["url"] == "https://ml.example.com/retrain" and posted[0]["timeout"] == 5.0
    assert posted[0]["body"]["model"] == "churn-service"


def test_no_trigger_no_request(tmp_path: Path) -> None:
    root = external_workspace(tmp_path)
    now = DRIFT_DAY
    with Workspace.open(root, clock=EventTimeClock(now)) as workspace:
        step = request_if_due(workspace, now)
    assert step.request is None and step.decision is not None
    assert step.decision.reason == "no trigger fired"


def test_a_replaced_version_s_drift_asks_once_not_after_every_cooldown(tmp_path: Path) -> None:
    """The team answered the request with a new label: the old version's last windows no
    longer judge; the new version is judged on its own windows once it has them."""
    root = external_workspace(tmp_path)
    first = DRIFT_DAY + timedelta(days=60)
    with Workspace.open(root, clock=EventTimeClock(first)) as workspace:
        model = workspace.config.model.name
        versions = workspace.metadata.external_versions
        old = versions.number(model, "team-v1")
        rows = drift_rows(model)
        workspace.metadata.upsert_metrics([replace(row, model_version=old) for row in rows])
        asked = request_if_due(workspace, first)
        assert asked.request is not None
        new = versions.number(model, "team-v2")  # the team's answer is logged
        after_cooldown = first + timedelta(days=30)
        quiet = request_if_due(workspace, after_cooldown)
        assert quiet.request is None and quiet.decision is not None
        assert quiet.decision.reason == "no trigger fired"
        # the new version drifting in turn is judged on its own windows
        later = [replace(row, model_version=new, window_start=row.window_start + timedelta(days=40),
                         window_end=row.window_end + timedelta(days=40)) for row in rows]  # fmt: skip
        workspace.metadata.upsert_metrics(later)
        again = request_if_due(workspace, after_cooldown + timedelta(days=60))
    assert again.request is not None and again.decision is not None
    assert again.decision.trigger == "drift"
