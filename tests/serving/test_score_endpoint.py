"""``POST /v1/score`` answered ahead of FastAPI's routing reads exactly as the routed endpoint."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from tests.serving.conftest import Service

from watchkeeper.serving.score_endpoint import CLIENT_CLOSED, SCORE_ROUTE, ScoreEndpoint

REQUESTS: list[tuple[str, bytes]] = [
    ("", b"{oops"),
    ("", b"[1, 2]"),
    ("", b'{"event_id": "x"}'),
    ("", json.dumps({"amount": float("nan")}).encode()),
    ("model_version=latest", b"{}"),
    ("model_version=99", b"{}"),
    ("", b" "),
]


def endpoint(service: Service) -> ScoreEndpoint:
    found = service.client.app.score_endpoint  # type: ignore[attr-defined]
    assert isinstance(found, ScoreEndpoint)
    return found


def scope(body_length: int | None = None, query: bytes = b"") -> dict[str, Any]:
    headers = [] if body_length is None else [(b"content-length", str(body_length).encode())]
    return {
        "type": "http",
        "method": "POST",
        "path": SCORE_ROUTE,
        "query_string": query,
        "headers": headers,
    }


def call(fast: ScoreEndpoint, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run the endpoint on ``messages`` (then a disconnect); what it sent."""
    sent: list[dict[str, Any]] = []
    queue = iter(messages)

    async def receive() -> dict[str, Any]:
        return next(queue, {"type": "http.disconnect"})

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(fast(scope(), receive, send))
    return sent


def requests_counted(service: Service, status: int) -> float:
    counter = service.client.app.state.service.metrics.requests  # type: ignore[attr-defined]
    return float(counter.labels(SCORE_ROUTE, str(status))._value.get())


def test_refusals_and_scores_read_the_same_through_the_fast_path_and_the_route(
    service: Service,
) -> None:
    app = service.client.app
    fast = endpoint(service)
    answers: dict[bool, list[tuple[int, Any]]] = {}
    for routed in (False, True):
        app.score_endpoint = None if routed else fast  # type: ignore[attr-defined]
        answers[routed] = [
            (answer.status_code, answer.json())
            for query, body in REQUESTS
            for answer in [service.client.post(f"/v1/score?{query}", content=body)]
        ]
        event = service.event(100 + routed)
        scored = service.client.post("/v1/score", json=event)
        assert scored.status_code == 200
        assert scored.json()["event_id"] == event["event_id"]
        answers[routed].append((200, sorted(scored.json())))
    app.score_endpoint = fast  # type: ignore[attr-defined]
    assert answers[False] == answers[True]
    assert [status for status, _ in answers[False]] == [400, 422, 422, 400, 422, 422, 400, 200]
    assert requests_counted(service, 422) == 8  # each path counted its own requests once


def test_a_body_over_the_limit_is_refused_as_it_streams(service: Service) -> None:
    fast = endpoint(service)
    chunk = b" " * (fast.max_body_bytes // 2 + 1)
    body_messages = [{"type": "http.request", "body": chunk, "more_body": True}] * 2
    sent = call(fast, [*body_messages, {"type": "http.request", "body": b"never read"}])
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["error"]["field"] == "body"


def test_a_declared_length_over_the_limit_is_refused_before_reading(service: Service) -> None:
    fast = endpoint(service)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        raise AssertionError("the body was read")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(fast(scope(body_length=fast.max_body_bytes + 1), receive, send))
    assert sent[0]["status"] == 413


def test_a_client_that_leaves_before_its_body_is_counted_and_not_answered(
    service: Service,
) -> None:
    fast = endpoint(service)
    before = requests_counted(service, CLIENT_CLOSED)
    assert call(fast, [{"type": "http.request", "body": b"{", "more_body": True}]) == []
    assert requests_counted(service, CLIENT_CLOSED) == before + 1


def test_an_unexpected_failure_is_a_plain_500_and_reaches_the_server(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = endpoint(service)

    def broken() -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(fast.service, "scorer", broken)
    sent: list[dict[str, Any]] = []
    body = json.dumps(service.event(0)).encode()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    with pytest.raises(RuntimeError, match="disk on fire"):
        asyncio.run(fast(scope(), receive, send))
    assert sent[0]["status"] == 500
    assert sent[1]["body"] == b"Internal Server Error"
    assert requests_counted(service, 500) == 1


def test_the_body_is_logged_as_it_came(service: Service) -> None:
    body = b'{"ts": "%s",  "event_id": "as-sent", "card_id": "c1", "merchant_id": "m1",\n' % (
        service.event(0)["ts"].encode()
    )
    body += b' "merchant_category": "grocery", "amount": 12.5, "country": "US",'
    body += b' "channel": "online", "device_id": "d1"}'
    assert service.client.post("/v1/score", content=body).status_code == 200
    service.workspace.events.flush()
    logged = service.workspace.events.read("predictions")
    assert logged.filter(logged["event_id"] == "as-sent")["raw_input"].to_list() == [body.decode()]
