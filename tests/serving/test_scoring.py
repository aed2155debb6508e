"""The scoring path end to end: response, durable log, served features equal to batch ones."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient
from tests.serving.conftest import TOKEN, Service, TrainedModels, live_event, register

from watchkeeper.features.batch_engine import compute_batch
from watchkeeper.registry.registry import CHAMPION, ModelRegistry
from watchkeeper.serving.app import create_app
from watchkeeper.workspace import Workspace


def predictions(service: Service) -> pl.DataFrame:
    service.workspace.events.flush()
    return service.workspace.events.read("predictions")


def test_a_scored_event_is_answered_and_logged_with_raw_input_and_features(
    service: Service, trained: TrainedModels
) -> None:
    events = [service.event(index) for index in range(30)]
    answers = [service.client.post("/v1/score", json=event) for event in events]
    assert all(answer.status_code == 200 for answer in answers), answers[0].text
    body = answers[0].json()
    assert body["event_id"] == "live-0" and body["route"] == "champion"
    assert body["model_version"] == service.champion and 0.0 <= body["score"] <= 1.0
    assert isinstance(body["decision"], bool) and body["latency_ms"] > 0

    logged = predictions(service).sort("ts")
    assert logged["event_id"].to_list() == [event["event_id"] for event in events]
    assert json.loads(logged["raw_input"][3]) == events[3]
    served = [json.loads(text) for text in logged["features"]]
    batch = compute_batch(
        trained.fitted,
        pl.DataFrame(events).with_columns(pl.col("ts").str.to_datetime(time_zone="UTC")),
    ).features.drop("event_id")
    assert served == batch.to_dicts()
    assert [round(score, 12) for score in logged["score"]] == [
        round(answer.json()["score"], 12) for answer in answers
    ]


def test_a_batch_is_scored_in_order_and_logged(service: Service) -> None:
    events = [service.event(index) for index in range(10)]
    answer = service.client.post("/v1/score/batch", json={"events": events})
    assert answer.status_code == 200, answer.text
    assert [item["event_id"] for item in answer.json()["results"]] == [
        e["event_id"] for e in events
    ]
    assert predictions(service).height == 10


def test_outcomes_are_idempotent_by_event_id(service: Service) -> None:
    outcome = {
        "event_id": "live-1",
        "outcome": "chargeback",
        "outcome_ts": "2026-06-09T00:00:00Z",
        "amount": 12.5,
    }
    for _ in range(2):
        answer = service.client.post("/v1/outcomes", json={"outcomes": [outcome]})
        assert answer.status_code == 200, answer.text
    service.workspace.events.flush()
    stored = service.workspace.events.read("outcomes")
    assert stored["event_id"].to_list() == ["live-1"]


def test_models_health_and_readiness(service: Service) -> None:
    assert service.client.get("/healthz").json() == {"status": "ok"}
    assert service.client.get("/readyz").status_code == 200
    models = service.client.get("/v1/models", headers=service.admin()).json()
    assert models["aliases"] == {"champion": service.champion}
    assert [item["version"] for item in models["versions"]] == [1, 2, 3]


@pytest.mark.parametrize("state_type", ["sqlite", "lmdb"])
def test_a_file_online_state_outlives_the_app_and_is_shared(
    tmp_path: Path, trained: TrainedModels, state_type: str
) -> None:
    root = Workspace.create(tmp_path / f"{state_type}-state")
    config = root / "watchkeeper.yaml"
    config.write_text(config.read_text().replace("type: memory", f"type: {state_type}", 1))
    now = datetime.now(UTC)  # the apps' clock is the wall clock
    with Workspace.open(root) as workspace:
        version = register(workspace, trained, trained.good, threshold=0.5)
        ModelRegistry.for_workspace(workspace).set_status(version, CHAMPION, reason="first")
        for index in range(2):
            with TestClient(create_app(workspace, admin_token=TOKEN)) as client:
                event = live_event(index, after=now, card_id="same-card")
                assert client.post("/v1/score", json=event).status_code == 200
        # two apps open at once, as two workers: each sees what the other folded
        with (
            TestClient(create_app(workspace, admin_token=TOKEN)) as first,
            TestClient(create_app(workspace, admin_token=TOKEN)) as second,
        ):
            for index, client in zip(range(2, 6), [first, second, first, second], strict=True):
                event = live_event(index, after=now, card_id="same-card")
                assert client.post("/v1/score", json=event).status_code == 200
        workspace.events.flush()
        logged = workspace.events.read("predictions").sort("ts")
    counts = [json.loads(text)["card_txn_count_24h"] for text in logged["features"]]
    assert counts == [0, 1, 2, 3, 4, 5]  # each app saw every earlier app's events
