"""Scoring is idempotent by event id: the same event again gets its first answer (nothing
logged or folded again), different content under a known id is a 409, in a single request, a
batch and across two apps sharing a persistent online state."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from fastapi.testclient import TestClient
from tests.serving.conftest import Service, TrainedModels, open_service

from watchkeeper.features.entity_state import EntityState
from watchkeeper.features.state.memory import MemoryStateStore
from watchkeeper.features.state.sqlite import SqliteStateStore
from watchkeeper.serving.app import create_app

TOKEN = "test-admin-token"


def appended_ids(service: Service, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The event ids of every prediction row appended from now on."""
    appended: list[str] = []
    events = service.workspace.events
    real = events.append_columns

    def recording(table: str, rows: Any, **options: Any) -> Any:
        if table == "predictions":
            appended.extend(rows["event_id"])
        return real(table, rows, **options)

    monkeypatch.setattr(events, "append_columns", recording)
    return appended


def card_count(service: Service, client: TestClient, card: str, index: int) -> int:
    """The 24 h count of ``card`` that a new event of it sees (the folded events)."""
    answer = client.post("/v1/score", json=service.event(index, card_id=card))
    assert answer.status_code == 200, answer.text
    service.workspace.events.flush()
    frame = service.workspace.events.read("predictions").filter(
        pl.col("event_id") == f"live-{index}"
    )
    return int(json.loads(frame["features"][0])["card_txn_count_24h"])


def without_latency(body: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in body.items() if name != "latency_ms"}


def test_the_same_event_again_gets_its_first_answer_logged_and_folded_once(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    appended = appended_ids(service, monkeypatch)
    event = service.event(1, card_id="c7", amount=10.0)
    first = service.client.post("/v1/score", json=event)
    again = service.client.post("/v1/score", json=dict(reversed(list(event.items()))))
    batch = service.client.post("/v1/score/batch", json={"events": [event, event]})
    assert first.status_code == again.status_code == batch.status_code == 200, batch.text
    assert without_latency(again.json()) == without_latency(first.json())
    assert [without_latency(item) for item in batch.json()["results"]] == [
        without_latency(first.json())
    ] * 2
    assert appended == ["live-1"]
    assert card_count(service, service.client, "c7", 2) == 1


@pytest.mark.parametrize("path", ["/v1/score", "/v1/score/batch"])
def test_a_known_id_with_different_content_is_a_409_and_changes_nothing(
    service: Service, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    appended = appended_ids(service, monkeypatch)
    first = service.client.post("/v1/score", json=service.event(1, card_id="c7"))
    assert first.status_code == 200
    changed = service.event(1, card_id="c8", amount=999.0)
    body = changed if path == "/v1/score" else {"events": [service.event(3), changed]}
    answer = service.client.post(path, json=body)
    assert answer.status_code == 409, answer.text
    error = answer.json()["error"]
    assert error["field"] == ("event_id" if path == "/v1/score" else "events[1].event_id")
    assert "'live-1'" in error["message"] and "different content" in error["message"]
    assert appended == ["live-1"]  # the batch's other event is refused with it
    assert card_count(service, service.client, "c8", 4) == 0
    assert card_count(service, service.client, "c7", 5) == 1


def test_a_batch_repeating_an_id_with_different_content_is_refused_whole(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    appended = appended_ids(service, monkeypatch)
    events = [service.event(1, card_id="c7"), service.event(1, card_id="c7", amount=5.0)]
    answer = service.client.post("/v1/score/batch", json={"events": events})
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"]["field"] == "events[1].event_id"
    assert "earlier in this batch" in answer.json()["error"]["message"]
    assert appended == []
    assert card_count(service, service.client, "c7", 2) == 0


@pytest.fixture
def shared_state(tmp_path: Path, trained: TrainedModels) -> Iterator[tuple[Service, Path]]:
    with open_service(tmp_path, trained, state=SqliteStateStore(tmp_path / "state.db")) as opened:
        yield opened, tmp_path / "state.db"


def test_two_apps_sharing_a_state_file_and_a_restart_keep_the_rule(
    shared_state: tuple[Service, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    service, path = shared_state
    appended = appended_ids(service, monkeypatch)
    event = service.event(1, card_id="c7")
    first = service.client.post("/v1/score", json=event)
    assert first.status_code == 200
    for _ in range(2):  # a second worker, then the same after a restart
        other = create_app(
            service.workspace, clock=service.clock, admin_token=TOKEN, state=SqliteStateStore(path)
        )
        with TestClient(other) as client:
            again = client.post("/v1/score", json=event)
            conflict = client.post("/v1/score", json={**event, "amount": 1.0})
            assert again.status_code == 200 and conflict.status_code == 409, conflict.text
            assert without_latency(again.json()) == without_latency(first.json())
            assert card_count(service, client, "c7", 2 + len(appended)) == len(appended) - 1
    assert appended[0] == "live-1" and appended.count("live-1") == 1


def test_an_id_is_remembered_one_window_at_least_and_forgotten_after_two() -> None:
    from watchkeeper.serving.idempotency import EventIdLedger

    store = MemoryStateStore()
    ledger = EventIdLedger(timedelta(days=3))
    start = datetime(2026, 6, 1, tzinfo=UTC)
    written = ledger.keys("e-1", start)[0]
    store.put_many({written: EntityState(values={"\x1fseen": ["digest"]})})
    for days, remembered in ((1, True), (3, True), (6, False)):
        moment = start + timedelta(days=days)
        ledger.forget_expired(store, moment)
        found = store.get_many(list(ledger.keys("e-1", moment)))
        assert any(state is not None for state in found) is remembered, days
    assert len(store) == 0


def test_a_second_request_while_the_first_is_at_its_model_is_refused_not_scored_twice(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    from watchkeeper.errors import ConflictingEventError

    scorer = service.client.app.state.service.scorer()  # type: ignore[attr-defined]
    appended = appended_ids(service, monkeypatch)
    at_model, release = threading.Event(), threading.Event()
    real_predict = scorer._predict

    def slow_predict(*args: Any, **options: Any) -> Any:
        if not at_model.is_set():
            at_model.set()
            assert release.wait(10)
        return real_predict(*args, **options)

    monkeypatch.setattr(scorer, "_predict", slow_predict)
    event = service.event(1, card_id="c7")
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(scorer.score, event)
        assert at_model.wait(10)
        with pytest.raises(ConflictingEventError, match="being scored by another request"):
            scorer.score(event)
        release.set()
        answer = first.result(10)
    assert scorer.score(event).score == answer.score
    assert appended == ["live-1"]
    assert card_count(service, service.client, "c7", 2) == 1
