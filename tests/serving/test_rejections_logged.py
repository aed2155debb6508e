"""Every refused event is one row of the ``rejections`` table; nothing else is written."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl
import pytest
from tests.serving.conftest import Service

from watchkeeper.errors import InvalidInputError
from watchkeeper.serving.prediction_logger import PredictionLogger
from watchkeeper.serving.rejection_log import MODEL_ERROR, model_error_version, rejection_reason


def stored(service: Service, table: str) -> pl.DataFrame:
    service.workspace.events.flush()
    return service.workspace.events.read(table)


def rejections(service: Service) -> pl.DataFrame:
    return stored(service, "rejections")


EVENT_CASES: list[tuple[dict[str, Any], str, str]] = [
    ({"amount": None}, "amount", "missing_field"),
    ({"amount": "lots"}, "amount", "wrong_type"),
    ({"amount": True}, "amount", "wrong_type"),
    ({"amount": -5.0}, "amount", "out_of_range"),
    ({"channel": "carrier-pigeon"}, "channel", "not_allowed"),
    ({"ts": "next tuesday"}, "ts", "bad_timestamp"),
    ({"ts": None}, "ts", "missing_field"),
]


@pytest.mark.parametrize(("changes", "field", "reason"), EVENT_CASES)
def test_a_refused_event_is_one_rejection_row_with_its_reason(
    service: Service, changes: dict[str, Any], field: str, reason: str
) -> None:
    event = service.event(1, **changes)
    answer = service.client.post("/v1/score", json=event)
    assert answer.status_code == 422
    found = rejections(service)
    assert found.select("event_id", "reason", "field", "source").rows() == [
        ("live-1", reason, field, "score")
    ]
    assert field in found["detail"][0]
    if field != "ts":  # the event's own time when it parses
        assert found["ts"][0] == datetime.fromisoformat(event["ts"])
    assert stored(service, "predictions").height == 0


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{not json", "malformed_json"),
        (b"[1, 2]", "malformed_json"),
        (b'{"amount": NaN}', "not_finite"),
        (b'{"amount": 1e999}', "not_finite"),
    ],
)
def test_a_refused_body_is_logged_at_the_clock_time(
    service: Service, content: bytes, reason: str
) -> None:
    answer = service.client.post(
        "/v1/score", content=content, headers={"content-type": "application/json"}
    )
    assert 400 <= answer.status_code < 500
    found = rejections(service)
    assert found.select("event_id", "reason", "field", "source").rows() == [
        (None, reason, "body", "score")
    ]
    assert found["ts"][0] == service.clock.now()


def test_an_oversized_body_is_logged_as_too_large(service: Service) -> None:
    answer = service.client.post("/v1/score", json=service.event(1, device_id="x" * 2_000_000))
    assert answer.status_code == 413
    assert rejections(service)["reason"].to_list() == ["too_large"]


def test_a_refused_batch_logs_the_event_at_fault(service: Service) -> None:
    events = [service.event(0), service.event(1), service.event(2, amount="-")]
    answer = service.client.post("/v1/score/batch", json={"events": events})
    assert answer.status_code == 422
    found = rejections(service)
    assert found.select("event_id", "reason", "field", "source").rows() == [
        ("live-2", "wrong_type", "events[2].amount", "score_batch")
    ]
    assert stored(service, "predictions").height == 0


def test_a_refused_outcome_is_logged_with_its_source(service: Service) -> None:
    outcome = {"event_id": "live-3", "outcome": "chargeback", "outcome_ts": "later"}
    answer = service.client.post("/v1/outcomes", json={"outcomes": [outcome]})
    assert answer.status_code == 422
    assert rejections(service).select("event_id", "reason", "source").rows() == [
        ("live-3", "bad_timestamp", "outcomes")
    ]
    assert stored(service, "outcomes").height == 0


def test_ignored_unknown_fields_are_not_a_rejection(service: Service) -> None:
    answer = service.client.post("/v1/score", json=service.event(1, colour="red"))
    assert answer.status_code == 200  # ignored by default: counted, not a rejection
    assert rejections(service).height == 0


def test_accepted_events_log_no_rejection(service: Service) -> None:
    for index in range(3):
        assert service.client.post("/v1/score", json=service.event(index)).status_code == 200
    assert rejections(service).height == 0
    assert stored(service, "predictions").height == 3


def test_a_model_failure_is_logged_with_the_version_and_route(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert service.client.post("/v1/score", json=service.event(0)).status_code == 200
    scorer = service.client.app.state.service.scorer()

    def broken(rows: Any) -> Any:
        raise RuntimeError("the model file is damaged")

    for method in ("predict_scores", "score_row"):  # the batch and the one-row path
        monkeypatch.setattr(scorer.models.champion.model, method, broken)
    with pytest.raises(RuntimeError):
        service.client.post("/v1/score", json=service.event(1))
    found = rejections(service)
    assert found.select("event_id", "reason", "field", "source").rows() == [
        ("live-1", MODEL_ERROR, "model", "score")
    ]
    assert model_error_version(found["detail"][0]) == service.champion
    assert "route=champion" in found["detail"][0]
    assert stored(service, "predictions")["event_id"].to_list() == ["live-0"]


def test_reason_codes_cover_the_documented_refusals() -> None:
    assert rejection_reason("colour", "unknown field (the schema does not declare it)") == (
        "unknown_field"
    )
    assert rejection_reason("model_version", "unknown or not serving: 7 (serving: 1)") == (
        "unknown_version"
    )
    assert rejection_reason("events", "empty; expected at least one item") == "missing_field"
    assert rejection_reason("ts", "out of the representable range (got '0001')") == (
        "bad_timestamp"
    )


def test_the_prediction_logger_logs_what_it_refuses(service: Service) -> None:
    logger = PredictionLogger(service.workspace)
    with pytest.raises(InvalidInputError, match="ts"):
        logger.log(
            service.event(4, ts="yesterday"),
            features={},
            score=0.1,
            decision=False,
            model_version=1,
        )
    assert rejections(service).select("event_id", "reason", "source").rows() == [
        ("live-4", "bad_timestamp", "logger")
    ]
    assert stored(service, "predictions").height == 0


def test_a_non_integer_model_version_is_a_logged_rejection(service: Service) -> None:
    answer = service.client.post("/v1/score?model_version=latest", json=service.event(1))
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "model_version"
    found = rejections(service)
    assert found.select("event_id", "field", "source").rows() == [
        ("live-1", "model_version", "score")
    ]
    assert "latest" in found["detail"][0]
    assert stored(service, "predictions").height == 0
