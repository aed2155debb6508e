"""The prediction log is durable before the state is folded, and a retry is folded once."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import polars as pl
import pytest
from tests.serving.conftest import Service

from watchkeeper.errors import StorageError
from watchkeeper.storage.events.store import AppendReceipt


def logged_features(service: Service) -> dict[str, dict[str, Any]]:
    service.workspace.events.flush()
    frame = service.workspace.events.read("predictions")
    return {
        event_id: json.loads(features)
        for event_id, features in zip(frame["event_id"], frame["features"], strict=True)
    }


def failing_append(table: str, rows: Any, *, fsync: bool = True) -> AppendReceipt:
    raise StorageError("the event spool is unavailable (test)")


@pytest.mark.parametrize("path", ["/v1/score", "/v1/score/batch"])
def test_a_failed_log_append_leaves_the_state_unfolded(
    service: Service, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    same_card = [service.event(index, card_id="c7") for index in range(3)]
    with monkeypatch.context() as patch:
        patch.setattr(service.workspace.events, "append_columns", failing_append)
        if path == "/v1/score":
            answers = [service.client.post(path, json=event) for event in same_card]
        else:
            answers = [service.client.post(path, json={"events": same_card})]
    assert {answer.status_code for answer in answers} == {503}
    assert logged_features(service) == {}

    answer = service.client.post("/v1/score", json=service.event(10, card_id="c7"))
    assert answer.status_code == 200, answer.text
    features = logged_features(service)["live-10"]
    assert features["card_txn_count_24h"] == 0  # none of the refused events was folded
    assert features["card_secs_since_last"] is None


def test_a_batch_sees_its_earlier_events_once_they_are_logged(service: Service) -> None:
    same_card = [service.event(index, card_id="c7") for index in range(4)]
    answer = service.client.post("/v1/score/batch", json={"events": same_card})
    assert answer.status_code == 200, answer.text
    features = logged_features(service)
    assert [features[f"live-{index}"]["card_txn_count_24h"] for index in range(4)] == [0, 1, 2, 3]
    follow = service.client.post("/v1/score", json=service.event(9, card_id="c7"))
    assert follow.status_code == 200
    assert logged_features(service)["live-9"]["card_txn_count_24h"] == 4


@pytest.mark.parametrize("path", ["/v1/score", "/v1/score/batch"])
def test_a_retried_event_id_is_folded_into_the_state_once(service: Service, path: str) -> None:
    first = service.event(1, card_id="c7", amount=10.0)
    for _ in range(3):
        if path == "/v1/score":
            answer = service.client.post(path, json=first)
        else:
            answer = service.client.post(path, json={"events": [first, first]})
        assert answer.status_code == 200, answer.text
    answer = service.client.post("/v1/score", json=service.event(2, card_id="c7", amount=30.0))
    assert answer.status_code == 200, answer.text
    features = logged_features(service)
    assert features["live-2"]["card_txn_count_24h"] == 1
    assert features["live-2"]["card_amount_mean_30d"] == pytest.approx(10.0)
    assert features["live-1"]["card_txn_count_24h"] == 0  # the first arrival is the one kept
    service.workspace.events.flush()
    assert (
        service.workspace.events.read("predictions").filter(pl.col("event_id") == "live-1").height
        == 1
    )


def test_distinct_events_of_one_card_at_one_instant_are_all_folded(service: Service) -> None:
    moment = service.event(0)["ts"]
    events = [service.event(index, card_id="c7", ts=moment) for index in range(3)]
    for event in events:
        assert service.client.post("/v1/score", json=event).status_code == 200
    answer = service.client.post("/v1/score", json=service.event(5, card_id="c7"))
    assert answer.status_code == 200
    assert logged_features(service)["live-5"]["card_txn_count_24h"] == 3


def test_a_request_cancelled_before_its_log_is_written_is_still_folded(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fold follows the log append, not the awaiting request: logged means folded."""
    scorer = service.client.app.state.service.scorer()  # type: ignore[attr-defined]
    real_append = service.workspace.events.append_columns
    cancellations_at_append: list[int] = []
    request: asyncio.Future[Any] | None = None

    def recording_append(table: str, rows: Any, *, fsync: bool = True) -> AppendReceipt:
        assert isinstance(request, asyncio.Task)
        cancellations_at_append.append(request.cancelling())
        return real_append(table, rows, fsync=fsync)

    async def cancel_before_the_append() -> None:
        nonlocal request
        request = asyncio.ensure_future(scorer.score_async(service.event(1, card_id="c7")))
        await asyncio.sleep(0)  # it has submitted its rows; this turn's append comes next
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request
        assert cancellations_at_append == [1]  # appended after the request was cancelled
        assert scorer._pending.held == 0  # and folded

    monkeypatch.setattr(service.workspace.events, "append_columns", recording_append)
    asyncio.run(cancel_before_the_append())
    monkeypatch.undo()
    answer = service.client.post("/v1/score", json=service.event(2, card_id="c7"))
    assert answer.status_code == 200, answer.text
    assert logged_features(service)["live-2"]["card_txn_count_24h"] == 1
