"""The Python client against the app in process; the rollout CLI; reloads across instances."""

from __future__ import annotations

import json

import pytest
from tests.serving.conftest import TOKEN, Service

from watchkeeper.cli import main
from watchkeeper.serving.client import Client, ServiceError


def client_of(service: Service, token: str | None = TOKEN) -> Client:
    return Client("http://testserver", admin_token=token, transport=service.client._transport)


def test_the_client_scores_records_outcomes_and_controls_the_rollout(service: Service) -> None:
    with client_of(service) as client:
        assert client.health() == {"status": "ok"}
        assert client.score(service.event(1))["route"] == "champion"
        assert len(client.score_batch([service.event(2), service.event(3)])) == 2
        outcome = {
            "event_id": "live-1",
            "outcome": "chargeback",
            "outcome_ts": "2026-06-09T00:00:00Z",
        }
        assert client.record_outcomes([outcome]) == 1
        assert client.start_rollout(service.good)["state"] == "canary"
        assert client.rollback()["aliases"] == {"champion": service.champion}
        with pytest.raises(ServiceError) as refused:
            client.score(service.event(4, amount=-3.0))
        assert refused.value.status == 422 and refused.value.field == "amount"
    with client_of(service, token="wrong") as client, pytest.raises(ServiceError) as denied:
        client.promote()
    assert denied.value.status == 403


def test_the_rollout_cli_and_a_service_that_notices_the_change(
    service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = str(service.workspace.root)
    app_service = service.client.app.state.service  # type: ignore[attr-defined]
    app_service.refresh_seconds = 0.0
    assert service.client.post("/v1/score", json=service.event(1)).json()["model_version"] == 1
    assert main(["rollout", "start", str(service.good), "-w", workspace, "--json"]) == 0
    started = json.loads(capsys.readouterr().out)
    assert started["state"] == "canary" and started["rollout"]["challenger_version"] == service.good
    assert main(["rollout", "promote", "-w", workspace]) == 0
    assert "champion=2" in capsys.readouterr().out
    assert service.client.post("/v1/score", json=service.event(2)).json()["model_version"] == 2
    assert main(["rollout", "rollback", "-w", workspace]) == 2
    assert "no rollout" in capsys.readouterr().err
    assert main(["rollout", "status", "-w", workspace, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rollout"]["state"] == "promoted"


def test_several_workers_need_a_shared_online_state(
    service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = str(service.workspace.root)
    assert main(["serve", "-w", workspace, "--workers", "2"]) == 2
    assert "online_state" in capsys.readouterr().err
