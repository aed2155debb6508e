"""Every kind of bad input is a 4xx naming the problem, and nothing is logged or folded."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.serving.conftest import (
    TOKEN,
    Service,
    TrainedModels,
    live_event,
    register,
    synthetic_events,
)

from watchkeeper.features.fit import fit
from watchkeeper.features.spec import FeatureSpec
from watchkeeper.registry.registry import CHAMPION, ModelRegistry
from watchkeeper.serving.app import create_app
from watchkeeper.workspace import Workspace


def raw(service: Service, content: bytes, path: str = "/v1/score") -> Any:
    return service.client.post(path, content=content, headers={"content-type": "application/json"})


def edited_workspace(folder: Path, edit: Callable[[str], str]) -> Path:
    """A new workspace in ``folder`` whose file is the example's, edited."""
    root = Workspace.create(folder)
    config = root / "watchkeeper.yaml"
    config.write_text(edit(config.read_text()))
    return root


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
    root = edited_workspace(
        tmp_path / "strict",
        lambda text: text + "\nserving:\n  protect_reads: true\n  unknown_fields: reject\n",
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


def stored(service: Service, table: str) -> Any:
    service.workspace.events.flush()
    return service.workspace.events.read(table)


LONE_SURROGATE = '"\\ud800"'  # valid JSON; no UTF-8 can encode the string it reads as
UNSTORABLE: list[tuple[str, bytes, str]] = [
    ("/v1/score", b'{"merchant_id": %s}', "merchant_id"),
    ("/v1/score", b'{"extra": {"deep": [1, %s]}}', "extra.deep[1]"),
    ("/v1/score", b"{%s: 1}", "\\ud800"),
    ("/v1/score/batch", b'{"events": [{}, {}, {}, {"merchant_id": %s}]}', "events[3].merchant_id"),
    ("/v1/outcomes", b'{"outcomes": [{"event_id": %s}]}', "outcomes[0].event_id"),
]


@pytest.mark.parametrize(("text", "name"), [(LONE_SURROGATE, "surrogate"), ('"a\\u0000b"', "NUL")])
@pytest.mark.parametrize(("path", "template", "field"), UNSTORABLE)
def test_text_that_cannot_be_stored_is_refused_naming_its_field_and_logged(
    service: Service, path: str, template: str, field: str, text: str, name: str
) -> None:
    content = template % text.encode()
    if field == "\\ud800" and name == "NUL":
        field = "a\\x00b"
    answer = raw(service, content, path)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == field
    assert "not valid text" in answer.json()["error"]["message"]
    # the refusal itself is stored, and the spool drains: every later row reaches Delta
    assert service.client.post("/v1/score", json=service.event(1)).status_code == 200
    assert stored(service, "rejections")["field"].to_list() == [field]
    assert stored(service, "predictions")["event_id"].to_list() == ["live-1"]
    assert service.workspace.events.backlog().rows == 0


def test_a_refused_event_with_a_lone_surrogate_in_its_id_is_logged(service: Service) -> None:
    """The rejection row of an event refused for another field keeps what it can store."""
    content = json.dumps(service.event(1, amount=-1.0, event_id="x\ud800")).encode()
    answer = raw(service, content)
    assert answer.status_code == 422
    found = stored(service, "rejections")
    assert found.select("event_id", "field").rows() == [("x\\ud800", "event_id")]


@pytest.mark.parametrize(
    "moment",
    [
        "0001-01-01T00:00:00Z",
        "1900-01-01T00:00:00Z",
        "2999-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
    ],
)
def test_an_event_time_far_from_the_clock_is_refused(service: Service, moment: str) -> None:
    answer = service.client.post("/v1/score", json=service.event(1, ts=moment))
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == "ts"
    assert "the service's clock" in answer.json()["error"]["message"]
    batch = service.client.post(
        "/v1/score/batch", json={"events": [service.event(2), service.event(3, ts=moment)]}
    )
    assert batch.status_code == 422 and batch.json()["error"]["field"] == "events[1].ts"
    outcome = {"event_id": "live-1", "outcome": "chargeback", "outcome_ts": moment}
    refused = service.client.post("/v1/outcomes", json={"outcomes": [outcome]})
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "outcomes[0].outcome_ts"
    # refused rows are dated by the clock, not by the implausible time
    assert set(stored(service, "rejections")["ts"].to_list()) == {service.clock.now()}
    assert_nothing_written(service)


def test_the_default_range_of_event_times_follows_the_labels_and_the_clock(
    tmp_path: Path,
) -> None:
    from datetime import UTC, datetime, timedelta

    from watchkeeper.clock import EventTimeClock
    from watchkeeper.serving.event_time_range import TimeRange

    config = Workspace.open(Workspace.create(tmp_path / "ws")).config
    clock = EventTimeClock(datetime(2026, 6, 1, tzinfo=UTC))
    window = TimeRange.for_config(config, clock)
    # the longest of the maturity horizon (60d) and the training window (90d), plus 30d
    assert (window.max_age, window.max_future) == (timedelta(days=120), timedelta(minutes=5))
    assert window.contains(clock.now() + timedelta(minutes=4))
    assert not window.contains(clock.now() + timedelta(minutes=6))
    clock.advance(timedelta(days=365))  # a replay's clock moves the range along
    assert window.contains(clock.now() - timedelta(days=100))


def test_an_overlong_string_is_refused_and_never_echoed_whole(service: Service) -> None:
    for changes, field in [
        ({"event_id": "e" * 1_000_000}, "event_id"),
        ({"merchant_id": "m" * 257}, "merchant_id"),
        ({"ts": "9" * 1_000_000}, "ts"),
        ({"note": "n" * 100_000}, "note"),  # a field the schema does not declare
    ]:
        answer = service.client.post("/v1/score", json=service.event(1, **changes))
        assert answer.status_code == 422, answer.text[:200]
        assert answer.json()["error"]["field"] == field
        assert len(answer.content) < 300
    outcome = {"event_id": "e" * 1_000_000, "outcome": "chargeback", "outcome_ts": "2026-06-08"}
    answer = service.client.post("/v1/outcomes", json=outcome)
    assert answer.status_code == 422 and len(answer.content) < 300
    assert answer.json()["error"]["field"] == "outcomes[0].event_id"
    found = stored(service, "rejections")
    assert sorted(found["field"]) == [
        "event_id",
        "merchant_id",
        "note",
        "outcomes[0].event_id",
        "ts",
    ]
    assert max(len(detail) for detail in found["detail"]) < 300
    assert found["event_id"].null_count() == 2  # an overlong id is not kept
    assert_nothing_written(service)


def test_a_string_input_takes_its_length_limit_from_the_schema(
    tmp_path: Path, trained: TrainedModels
) -> None:
    root = edited_workspace(
        tmp_path / "short",
        lambda text: text.replace(
            "device_id: {type: string}", "device_id: {type: string, max_length: 4}"
        ),
    )
    with Workspace.open(root) as workspace:
        # the model's spec, fitted from this workspace's schema, carries the limit
        fitted = fit(FeatureSpec.from_workspace_config(workspace.config), synthetic_events(500, 1))
        version = (
            ModelRegistry.for_workspace(workspace)
            .register(
                trained.good,
                feature_schema=trained.features.schema,
                threshold=0.5,
                feature_spec=fitted.to_json().encode("utf-8"),
            )
            .version
        )
        ModelRegistry.for_workspace(workspace).set_status(version, CHAMPION, reason="first")
        with TestClient(create_app(workspace, admin_token=TOKEN)) as client:
            event = live_event(1, after=datetime.now(UTC), device_id="d12345")
            answer = client.post("/v1/score", json=event)
            assert answer.status_code == 422
            assert answer.json()["error"] == {
                "field": "device_id",
                "message": "longer than 4 characters (got 'd12345')",
            }
            schema = client.get("/openapi.json").json()
            event = schema["paths"]["/v1/score"]["post"]["requestBody"]["content"]
            device = event["application/json"]["schema"]["properties"]["device_id"]
            assert device["maxLength"] == 4


@pytest.mark.parametrize("path", ["/v1/score", "/v1/score/batch", "/v1/outcomes"])
def test_a_body_that_is_not_declared_json_is_refused_415(service: Service, path: str) -> None:
    content = json.dumps({"events": [service.event(1)]} if "batch" in path else service.event(1))
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        answer = service.client.post(path, content=content, headers={"content-type": content_type})
        assert answer.status_code == 415, answer.text
        assert answer.json()["error"]["field"] == "content-type"
    started = service.client.post(
        "/v1/rollout/start",
        content=b'{"version": 2}',
        headers={**service.admin(), "content-type": "text/plain"},
    )
    assert started.status_code == 415
    assert_nothing_written(service)


def test_json_content_types_and_none_are_read(service: Service) -> None:
    body = json.dumps(service.event(1)).encode()
    for content_type in ("application/json; charset=utf-8", "application/vnd.event+json", None):
        headers = {} if content_type is None else {"content-type": content_type}
        answer = service.client.post("/v1/score", content=body, headers=headers)
        assert answer.status_code == 200, (content_type, answer.text)


def test_the_batch_honours_model_version(service: Service) -> None:
    started = service.client.post(
        "/v1/rollout/start", json={"version": service.good}, headers=service.admin()
    )
    assert started.status_code == 200, started.text
    events = [service.event(index) for index in range(20)]
    pinned = service.client.post(
        f"/v1/score/batch?model_version={service.good}", json={"events": events}
    )
    assert pinned.status_code == 200, pinned.text
    assert {item["model_version"] for item in pinned.json()["results"]} == {service.good}
    others = [service.event(index) for index in range(20, 40)]  # a scored id keeps its answer
    in_body = service.client.post(
        "/v1/score/batch", json={"events": others, "model_version": service.champion}
    )
    assert {item["model_version"] for item in in_body.json()["results"]} == {service.champion}
    for query, body in [("?model_version=99", {}), ("?model_version=2", {"model_version": 1})]:
        refused = service.client.post(f"/v1/score/batch{query}", json={"events": events, **body})
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["field"] == "model_version"


def test_an_outcome_the_label_does_not_know_is_refused(service: Service) -> None:
    outcome = {"event_id": "live-1", "outcome": "banana", "outcome_ts": "2026-06-08T00:00:00Z"}
    answer = service.client.post("/v1/outcomes", json={"outcomes": [outcome]})
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "outcomes[0].outcome"
    assert "chargeback, reversal" in answer.json()["error"]["message"]
    assert stored(service, "outcomes").height == 0


def test_an_outcome_of_an_unknown_event_is_stored_as_pending_and_counted(
    service: Service,
) -> None:
    outcomes = [
        {"event_id": "never-scored", "outcome": "chargeback", "outcome_ts": "2026-06-08"},
        {"event_id": "live-1", "outcome": "reversal", "outcome_ts": "2026-06-08"},
    ]
    assert service.client.post("/v1/outcomes", json={"outcomes": outcomes}).json() == {
        "accepted": 2
    }
    assert stored(service, "outcomes")["event_id"].sort().to_list() == ["live-1", "never-scored"]
    metrics = service.client.get("/metrics", headers=service.admin()).text
    assert 'watchkeeper_outcomes_received_total{outcome="chargeback"} 1.0' in metrics
    assert 'watchkeeper_outcomes_received_total{outcome="reversal"} 1.0' in metrics
