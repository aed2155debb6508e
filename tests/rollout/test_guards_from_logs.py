"""Guards judged on what every worker logged: realized performance, model errors; alerts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from tests.conftest import Inbox
from tests.serving.conftest import TOKEN, Service

from watchkeeper.config import AlertsConfig, OwnerConfig
from watchkeeper.config.lifecycle import RolloutConfig
from watchkeeper.config.workspace_file import LabelConfig
from watchkeeper.registry.registry import ModelRegistry
from watchkeeper.rollout.controller import RolloutController
from watchkeeper.rollout.rollback_alert import ROLLBACK_RULE, RollbackAlerts
from watchkeeper.serving.app import create_app
from watchkeeper.storage.events.tables import SERVED_PREDICTION_SCHEMA, event_table

# Guards other than the ones under test are opened wide, so each test isolates one.
WIDE_OPEN = {"max_flag_rate_ratio": 1e6, "max_score_psi": 1e6, "max_latency_ratio": 1e6}


def controller(service: Service, inbox: Inbox | None = None, **guards: Any) -> RolloutController:
    config = RolloutConfig.model_validate(
        {"canary_share": 0.5, "min_events": 10_000, "guards": {**WIDE_OPEN, **guards}}
    )
    registry = ModelRegistry.for_workspace(service.workspace)
    alerts = RollbackAlerts(
        registry.metadata,
        registry.model_name,
        OwnerConfig(name="Dana", contact="dana@example.com"),
        AlertsConfig(),
        service.clock,
        channels=[inbox or Inbox()],
    )
    label = LabelConfig(maturity_horizon=timedelta(days=1))
    return RolloutController(registry, config, service.clock, alerts=alerts, label=label)


def log_predictions(
    service: Service, *, version: int, route: str, flagged: int, positives: int, caught: int
) -> None:
    """100 predictions of one route; ``caught`` of the ``positives`` are among ``flagged``."""
    start = service.clock.now() + timedelta(minutes=1)
    ids = [f"{route}-{index}" for index in range(100)]
    decisions = [
        index < caught or positives <= index < positives + flagged - caught for index in range(100)
    ]
    rows = {
        "event_id": ids,
        "ts": [start + timedelta(seconds=index) for index in range(100)],
        "entity": [f"c{index}" for index in range(100)],
        "model_version": [version] * 100,
        "route": [route] * 100,
        "score": [0.9 if decision else 0.1 for decision in decisions],
        "decision": decisions,
        "latency_ms": [1.0] * 100,
        "raw_input": ["{}"] * 100,
        "features": ["{}"] * 100,
    }
    events = service.workspace.events
    events.append("predictions", pa.Table.from_pydict(rows, schema=SERVED_PREDICTION_SCHEMA))
    chargebacks = {
        "event_id": ids[:positives],
        "outcome": ["chargeback"] * positives,
        "outcome_ts": [start + timedelta(hours=2)] * positives,
        "amount": [50.0] * positives,
        "received_at": [start + timedelta(hours=3)] * positives,
    }
    events.append(
        "outcomes", pa.Table.from_pydict(chargebacks, schema=event_table("outcomes").schema)
    )


def test_a_challenger_that_misses_known_fraud_is_rolled_back_and_the_owner_alerted(
    service: Service,
) -> None:
    inbox = Inbox()
    control = controller(service, inbox, min_labelled_positives=30, max_recall_drop=0.1)
    rollout = control.start(service.good, actor="dana", reason="validated")
    log_predictions(
        service, version=service.champion, route="champion", flagged=45, positives=40, caught=36
    )
    log_predictions(
        service, version=service.good, route="canary", flagged=45, positives=40, caught=20
    )
    assert (
        control.evaluate_from_events(service.workspace.events).action == "waiting"
    )  # no labels yet

    service.clock.advance(timedelta(hours=4))  # the chargebacks have been received
    evaluation = control.evaluate_from_events(service.workspace.events)
    assert evaluation.action == "rolled_back"
    recall = next(check for check in evaluation.checks if check.name == "realized_recall_drop")
    assert recall.value == pytest.approx(0.9 - 0.5) and not recall.passed
    assert "realized_recall_drop" in (evaluation.alert or "")

    assert [note.rule for note in inbox.received] == [ROLLBACK_RULE]
    note = inbox.received[0]
    assert note.owner_contact == "dana@example.com" and note.severity == "critical"
    assert "realized_recall_drop" in note.summary and note.evidence["rollout"] == rollout.id
    stored = service.workspace.metadata.alerts.get("card-fraud", ROLLBACK_RULE, None)
    assert stored is not None and stored.state == "firing"
    assert [d.channel for d in service.workspace.metadata.alerts.deliveries(stored.id)] == ["inbox"]


def test_equal_realized_recall_passes_and_precision_counts_once_negatives_mature(
    service: Service,
) -> None:
    control = controller(service, min_labelled_positives=30)
    control.start(service.good, actor="dana", reason="validated")
    log_predictions(
        service, version=service.champion, route="champion", flagged=45, positives=40, caught=36
    )
    log_predictions(
        service, version=service.good, route="canary", flagged=45, positives=40, caught=35
    )
    service.clock.advance(timedelta(hours=4))
    evaluation = control.evaluate_from_events(service.workspace.events)
    assert evaluation.action == "waiting"
    assert [check.name for check in evaluation.checks if check.name.startswith("realized")] == [
        "realized_recall_drop"
    ]  # negatives are pending within the horizon: no precision yet
    service.clock.advance(timedelta(days=2))
    evaluation = control.evaluate_from_events(service.workspace.events)
    precision = next(c for c in evaluation.checks if c.name == "realized_precision_drop")
    assert precision.value == pytest.approx(36 / 45 - 35 / 45) and precision.passed


def test_too_few_labelled_positives_leave_the_realized_guard_out(service: Service) -> None:
    control = controller(service, min_labelled_positives=50)
    control.start(service.good, actor="dana", reason="validated")
    log_predictions(
        service, version=service.champion, route="champion", flagged=45, positives=40, caught=36
    )
    log_predictions(
        service, version=service.good, route="canary", flagged=45, positives=40, caught=0
    )
    service.clock.advance(timedelta(hours=4))
    evaluation = control.evaluate_from_events(service.workspace.events)
    assert evaluation.action == "waiting"
    assert not [check for check in evaluation.checks if check.name.startswith("realized")]


def test_the_error_rate_guard_counts_errors_logged_by_another_worker(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    control = controller(service, max_error_rate=0.05)
    control.start(service.good, actor="dana", reason="validated")
    # a second worker over the same workspace; its challenger model is broken
    other = TestClient(create_app(service.workspace, clock=service.clock, admin_token=TOKEN))
    with other:
        scorer = other.app.state.service.scorer()  # type: ignore[attr-defined]
        assert scorer.models.challenger is not None

        def broken(rows: Any) -> Any:
            raise RuntimeError("the challenger's model file is damaged")

        for method in ("predict_scores", "score_row"):  # the batch and the one-row path
            monkeypatch.setattr(scorer.models.challenger.model, method, broken)
        for index in range(5):
            with pytest.raises(RuntimeError):
                other.post(f"/v1/score?model_version={service.good}", json=service.event(index))
    # this worker never saw an error; its evaluation reads what both logged
    service.client.app.state.service.reload()  # type: ignore[attr-defined]
    for index in range(100, 160):
        answer = service.client.post(
            f"/v1/score?model_version={service.good}", json=service.event(index)
        )
        assert answer.status_code == 200
    assert service.client.app.state.service.scorer().errors == {}  # type: ignore[attr-defined]
    answer = service.client.post("/v1/rollout/evaluate", headers=service.admin()).json()
    assert answer["action"] == "rolled_back", answer
    error_rate = next(check for check in answer["checks"] if check["name"] == "error_rate")
    assert error_rate["value"] == pytest.approx(5 / 65)


def test_a_rollback_over_http_alerts_the_owner_and_a_new_canary_resolves_it(
    service: Service,
) -> None:
    started = service.client.post(
        "/v1/rollout/start", json={"version": service.good}, headers=service.admin()
    )
    assert started.status_code == 200, started.text
    assert service.client.post("/v1/rollout/rollback", headers=service.admin()).status_code == 200
    alerts = service.workspace.metadata.alerts
    stored = alerts.get("card-fraud", ROLLBACK_RULE, None)
    assert stored is not None and stored.state == "firing" and stored.severity == "warning"
    assert [(d.channel, d.delivered) for d in alerts.deliveries(stored.id)] == [("log", True)]
    decisions = service.workspace.metadata.decisions("card-fraud", kind="alert")
    assert decisions and "rolled back by http-admin" in decisions[0].summary

    restarted = service.client.post(
        "/v1/rollout/start", json={"version": service.bad}, headers=service.admin()
    )
    assert restarted.status_code == 200, restarted.text
    resolved = alerts.get("card-fraud", ROLLBACK_RULE, None)
    assert resolved is not None and resolved.state == "resolved"
