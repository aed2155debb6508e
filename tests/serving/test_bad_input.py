"""Every kind of bad input is a 4xx naming the problem, and nothing is logged or folded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.serving.conftest import TOKEN, Service, TrainedModels, live_event, register

from watchkeeper.registry.registry import CHAMPION, ModelRegistry
from watchkeeper.serving.app import create_app
from watchkeeper.workspace import Workspace


def raw(service: Service, content: bytes, path: str = "/v1/score") -> Any:
    return service.client.post(path, content=content, headers={"content-type": "application/json"})


def assert_nothing_written(service: Service) -> None:
    service.workspace.events.flush()
    assert service.workspace.events.read("predictions").height == 0


BAD_EVENTS: list[tuple[str, dict[str, Any], str]] = [
    ("missing field", {"amount": None}, "amount"),
    ("missing event time", {"ts": None}, "ts"),
    ("wrong type", {"amount": "lots"}, "amount"),
    ("out of range", {"amount": -5.0}, "amount"),
    ("not allowed", {"channel": "carrier-pigeon"}, "channel"),
    ("bad timestamp", {"ts": "next tuesday"}, "ts"),
    ("timestamp out of range", {"ts": "0001-01-01T00:00:00+00:01"}, "ts"),
    ("boolean for a number", {"amount": True}, "amount"),
]


@pytest.mark.parametrize(
    ("case", "changes", "field"), BAD_EVENTS, ids=[case for case, _, _ in BAD_EVENTS]
)
def test_a_bad_event_is_refused_naming_the_field(
    service: Service, case: str, changes: dict[str, Any], field: str
) -> None:
    answer = service.client.post("/v1/score", json=service.event(1, **changes))
    assert 400 <= answer.status_code < 500, (case, answer.text)
    assert answer.json()["error"]["field"] == field
    assert_nothing_written(service)


@pytest.mark.parametrize(
    ("content", "status", "fragment"),
    [
        (b"{not json", 400, "malformed JSON"),
        (b"", 400, "empty"),
        (b"[1, 2]", 422, "JSON object"),
        (b'{"amount": NaN}', 400, "NaN"),
        (b'{"amount": Infinity}', 400, "Infinity"),
        (b'{"amount": -1e400}', 400, "not finite"),
    ],
)
def test_malformed_bodies_are_refused(
    service: Service, content: bytes, status: int, fragment: str
) -> None:
    answer = raw(service, content)
    assert answer.status_code == status
    assert fragment in answer.json()["error"]["message"]
    assert_nothing_written(service)


def test_an_oversized_body_is_refused(service: Service) -> None:
    event = service.event(1, device_id="x" * 2_000_000)
    answer = service.client.post("/v1/score", json=event)
    assert answer.status_code == 413
    assert_nothing_written(service)


def test_one_bad_event_rejects_the_whole_batch_and_names_its_position(service: Service) -> None:
    events = [service.event(0), service.event(1, amount=-1.0)]
    answer = service.client.post("/v1/score/batch", json={"events": events})
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "events[1].amount"
    assert_nothing_written(service)
    # the state was not touched: the first event, scored now, sees no earlier event of its card
    scored = service.client.post("/v1/score", json=service.event(0))
    assert scored.status_code == 200
    service.workspace.events.flush()
    features = json.loads(service.workspace.events.read("predictions")["features"][0])
    assert features["card_txn_count_24h"] == 0


def test_unknown_fields_are_ignored_and_counted_by_default(service: Service) -> None:
    answer = service.client.post("/v1/score", json=service.event(1, colour="red"))
    assert answer.status_code == 200
    assert (
        "watchkeeper_unknown_fields_total 1.0"
        in service.client.get("/metrics", headers=service.admin()).text
    )


def test_rejections_are_counted_by_field(service: Service) -> None:
    service.client.post("/v1/score", json=service.event(1, amount=-1.0))
    assert (
        'watchkeeper_rejected_events_total{field="amount"} 1.0'
        in service.client.get("/metrics", headers=service.admin()).text
    )


def test_bad_outcomes_are_refused(service: Service) -> None:
    answer = service.client.post(
        "/v1/outcomes", json={"event_id": "e", "outcome": "chargeback", "outcome_ts": "later"}
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "outcomes[0].outcome_ts"


def test_an_unknown_model_version_is_refused(service: Service) -> None:
    answer = service.client.post("/v1/score?model_version=7", json=service.event(1))
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "model_version"
    assert "serving: 1" in answer.json()["error"]["message"]
    assert (
        service.client.post("/v1/score?model_version=abc", json=service.event(1)).status_code == 422
    )
    assert_nothing_written(service)
    pinned = service.client.post("/v1/score?model_version=1", json=service.event(1))
    assert pinned.json()["model_version"] == 1


def test_configured_strictness_rejects_unknown_fields_and_protects_reads(
    tmp_path: Path, trained: TrainedModels
) -> None:
    root = Workspace.create(tmp_path / "strict")
    config = root / "watchkeeper.yaml"
    config.write_text(
        config.read_text() + "\nserving:\n  protect_reads: true\n  unknown_fields: reject\n"
    )
    with Workspace.open(root) as workspace:
        version = register(workspace, trained, trained.good, threshold=0.5)
        ModelRegistry.for_workspace(workspace).set_status(version, CHAMPION, reason="first")
        with TestClient(create_app(workspace, admin_token=TOKEN)) as client:
            answer = client.post("/v1/score", json=live_event(1, colour="red"))
            assert answer.status_code == 422 and answer.json()["error"]["field"] == "colour"
            assert client.get("/metrics").status_code == 401
            assert client.get("/v1/models").status_code == 401
            authorised = {"Authorization": f"Bearer {TOKEN}"}
            metrics = client.get("/metrics", headers=authorised).text
            assert "watchkeeper_unknown_fields_total 1.0" in metrics
            assert 'watchkeeper_rejected_events_total{field="other"} 1.0' in metrics
            workspace.events.flush()
            assert workspace.events.read("predictions").height == 0
