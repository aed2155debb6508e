"""A model served outside watchkeeper: its service logs predictions and outcomes over HTTP.

Per task (binary, multiclass, regression), a batch of good and bad rows: the good ones are
logged, each bad one is refused on its own with its field and reason and kept in
``rejections``; repeats count once, a conflicting repeat is refused; version labels are
numbered as they arrive; the service runs without a champion and ``/v1/score`` says why not.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from fastapi.testclient import TestClient

from watchkeeper.clock import EventTimeClock
from watchkeeper.serving.app import create_app
from watchkeeper.workspace import Workspace

NOW = datetime(2026, 6, 9, 12, tzinfo=UTC)
ADMIN_TOKEN = "admin-token"
LOG_TOKEN = "log-token"
LOGGER = {"Authorization": f"Bearer {LOG_TOKEN}"}
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

OWNER = "owner: {name: Ana Silva, contact: ana@example.com}\n"
BINARY = """
model: {name: churn, task: binary, serving: external}
keys: {event_id: event_id, entity: account_id, event_time: ts}
label: {positive_outcome: churned, negative_outcomes: [stayed], maturity_horizon: 30d}
features:
  inputs:
    account_id: {type: string, required: true}
    plan: {type: category, allowed: [basic, pro]}
    tenure_days: {type: int, min: 0, required: true}
"""
MULTICLASS = """
model: {name: triage, task: multiclass, serving: external}
keys: {event_id: ticket_id, entity: customer, event_time: opened_at}
label: {classes: [billing, technical, sales], maturity_horizon: 7d}
features:
  inputs:
    customer: {type: string, required: true}
    words: {type: int, min: 0, required: true}
"""
REGRESSION = """
model: {name: demand, task: regression, serving: external}
keys: {event_id: event_id, entity: store_item, event_time: ts}
features:
  inputs:
    store_item: {type: string, required: true}
    price: {type: float, min: 0, required: true}
"""


@dataclass
class External:
    workspace: Workspace
    client: TestClient

    def log(self, rows: list[Any], headers: dict[str, str] = LOGGER) -> Any:
        return self.client.post("/v1/predictions", json={"predictions": rows}, headers=headers)

    def stored(self, table: str) -> pl.DataFrame:
        self.workspace.events.flush()
        return self.workspace.events.read(table)


@contextmanager
def external(tmp_path: Path, workspace_file: str, **options: Any) -> Iterator[External]:
    """A workspace of ``workspace_file`` (no model registered) served on a fixed clock."""
    root = tmp_path / "ws"
    root.mkdir(parents=True)
    (root / "watchkeeper.yaml").write_text("version: 1\n" + OWNER + workspace_file)
    clock = EventTimeClock(NOW)
    workspace = Workspace.open(root, clock=clock)
    tokens = {"admin_token": ADMIN_TOKEN, "log_token": LOG_TOKEN, **options}
    app = create_app(workspace, clock=clock, flush_seconds=None, **tokens)
    with TestClient(app) as client:
        yield External(workspace, client)
    workspace.close()


def at(minutes: float) -> str:
    """An event time ``minutes`` after the service's clock (negative: before)."""
    return (NOW + timedelta(minutes=minutes)).isoformat()


def refusals_of(answer: Any) -> list[tuple[int, str | None, str, str]]:
    return [
        (row["index"], row["event_id"], row["field"], row["reason"])
        for row in answer.json()["refused"]
    ]


def churn(event_id: str, **changes: Any) -> dict[str, Any]:
    row = {
        "event_id": event_id,
        "ts": at(-60),
        "account_id": f"acct-{event_id}",
        "plan": "basic",
        "tenure_days": 40,
        "model_label": "team-v1",
        "score": 0.25,
        "decision": False,
        "latency_ms": 3.5,
    }
    row.update(changes)
    return {name: value for name, value in row.items() if value is not ...}


def test_a_binary_batch_keeps_the_good_rows_and_refuses_each_bad_one(tmp_path: Path) -> None:
    batch = [
        churn("a"),
        churn("b", model_label="team-v2", score=0.9, decision=True, plan=...),
        churn("c", score=129),
        churn("d", tenure_days=...),
        churn("e", ts=(NOW + timedelta(days=400)).isoformat()),
        churn("f", tenure_days="ten"),
        churn("g", decision="yes"),
        churn("a"),  # the same row again: counted once
        ["not", "an", "object"],
    ]
    with external(tmp_path, BINARY) as service:
        answer = service.log(batch)
        assert answer.status_code == 200, answer.text
        assert answer.json()["logged"] == 2 and answer.json()["repeated"] == 1
        assert refusals_of(answer) == [
            (2, "c", "score", "out_of_range"),
            (3, "d", "tenure_days", "missing_field"),
            (4, "e", "ts", "bad_timestamp"),
            (5, "f", "tenure_days", "wrong_type"),
            (6, "g", "decision", "wrong_type"),
            (8, None, "predictions", "wrong_type"),
        ]
        details = {row["event_id"]: row["detail"] for row in answer.json()["refused"]}
        assert details["c"] == "a score is a probability, in [0, 1] (got 129.0)"
        assert "ahead of the service's clock" in details["e"]

        predictions = service.stored("predictions").sort("event_id")
        assert predictions.select("event_id", "model_label", "model_version", "score").rows() == [
            ("a", "team-v1", 1, 0.25),
            ("b", "team-v2", 2, 0.9),
        ]
        assert predictions["decision"].to_list() == [False, True]
        assert predictions["route"].to_list() == ["external", "external"]
        assert predictions["ts"].to_list() == [NOW - timedelta(minutes=60)] * 2
        events = service.stored("transactions").sort("event_id")
        assert events.select("event_id", "account_id", "plan", "tenure_days").rows() == [
            ("a", "acct-a", "basic", 40),
            ("b", "acct-b", None, 40),
        ]
        rejections = service.stored("rejections").sort("event_id", nulls_last=True)
        assert rejections.select("event_id", "field", "reason", "source").rows() == [
            ("c", "score", "out_of_range", "predictions"),
            ("d", "tenure_days", "missing_field", "predictions"),
            ("e", "ts", "bad_timestamp", "predictions"),
            ("f", "tenure_days", "wrong_type", "predictions"),
            ("g", "decision", "wrong_type", "predictions"),
            (None, "predictions", "wrong_type", "predictions"),
        ]
        versions = service.workspace.metadata.external_versions.entries("churn")
        assert [(entry.label, entry.version) for entry in versions] == [
            ("team-v1", 1),
            ("team-v2", 2),
        ]


def test_a_batch_logged_again_counts_once_and_a_changed_row_is_refused(tmp_path: Path) -> None:
    batch = [churn("a"), churn("b", model_label="team-v2"), churn("c", score=129)]
    with external(tmp_path, BINARY) as service:
        first = service.log(batch)
        again = service.log([churn("a", latency_ms=9.0), *batch[1:]])  # a latency is no content
        changed = service.log([churn("a", score=0.5)])
        changed_input = service.log([churn("b", model_label="team-v2", tenure_days=41)])
        assert (first.json()["logged"], first.json()["repeated"]) == (2, 0)
        assert again.status_code == 200
        assert (again.json()["logged"], again.json()["repeated"]) == (0, 2)
        assert refusals_of(again) == [(2, "c", "score", "out_of_range")]
        assert changed.status_code == 409
        assert refusals_of(changed) == [(0, "a", "event_id", "conflicting_duplicate")]
        assert changed.json()["error"]["field"] == "predictions"
        assert refusals_of(changed_input) == [(0, "b", "event_id", "conflicting_duplicate")]
        predictions = service.stored("predictions").sort("event_id")
        assert predictions.select("event_id", "score").rows() == [("a", 0.25), ("b", 0.25)]
        rejections = service.stored("rejections")
        assert sorted(rejections.select("event_id", "reason").rows()) == [
            ("a", "conflicting_duplicate"),
            ("b", "conflicting_duplicate"),
            ("c", "out_of_range"),
        ]
        assert service.stored("transactions")["tenure_days"].to_list() == [40, 40]
        metrics = service.client.get("/metrics", headers=ADMIN).text
        assert 'watchkeeper_logged_predictions_total{result="logged"} 2.0' in metrics
        assert 'watchkeeper_logged_predictions_total{result="repeated"} 2.0' in metrics
        assert 'watchkeeper_logged_predictions_total{result="refused"} 4.0' in metrics
        assert 'watchkeeper_refused_predictions_total{reason="out_of_range"} 2.0' in metrics
        assert 'watchkeeper_rejected_events_total{field="score"} 2.0' in metrics


def test_a_batch_whose_rows_are_all_refused_is_a_422_listing_them(tmp_path: Path) -> None:
    with external(tmp_path, BINARY) as service:
        answer = service.log([churn("a", score="high"), churn("b", model_label="")])
        assert answer.status_code == 422
        assert refusals_of(answer) == [
            (0, "a", "score", "wrong_type"),
            (1, "b", "model_label", "missing_field"),
        ]
        assert answer.json()["logged"] == 0
        assert service.stored("predictions").height == 0


def test_bodies_are_read_and_bounded_as_for_the_other_batches(tmp_path: Path) -> None:
    with external(tmp_path, BINARY) as service:
        assert service.log([]).status_code == 422
        too_many = service.log([churn(str(index)) for index in range(1001)])
        assert too_many.status_code == 413
        assert too_many.json()["error"]["field"] == "predictions"
        not_a_list = service.client.post(
            "/v1/predictions", json={"predictions": {"a": 1}}, headers=LOGGER
        )
        assert not_a_list.status_code == 422
        malformed = service.client.post(
            "/v1/predictions",
            content=b'{"predictions": [',
            headers={**LOGGER, "content-type": "application/json"},
        )
        assert malformed.status_code == 400
        form = service.client.post(
            "/v1/predictions",
            content=b"a=1",
            headers={**LOGGER, "content-type": "application/x-www-form-urlencoded"},
        )
        assert form.status_code == 415
        assert service.stored("predictions").height == 0


def test_logging_needs_the_log_token_or_the_admin_token(tmp_path: Path) -> None:
    with external(tmp_path, BINARY) as service:
        assert service.log([churn("a")], headers={}).status_code == 401
        wrong = service.log([churn("a")], headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 403
        assert service.log([churn("a")], headers=ADMIN).status_code == 200
        assert service.log([churn("b")]).status_code == 200
        assert service.stored("predictions").height == 2
    with external(tmp_path / "closed", BINARY, admin_token="", log_token="") as closed:
        refused = closed.log([churn("a")])
        assert refused.status_code == 403
        assert "WATCHKEEPER_LOG_TOKEN" in refused.json()["error"]["message"]


def ticket(ticket_id: str, **changes: Any) -> dict[str, Any]:
    row = {
        "ticket_id": ticket_id,
        "opened_at": at(-5),
        "customer": f"cust-{ticket_id}",
        "words": 120,
        "model_label": "router-2026-05",
        "probabilities": {"billing": 0.7, "technical": 0.2, "sales": 0.1},
        "decision": "billing",
    }
    row.update(changes)
    return {name: value for name, value in row.items() if value is not ...}


def test_a_multiclass_batch_checks_probabilities_and_classes(tmp_path: Path) -> None:
    batch = [
        ticket("t1"),
        ticket("t2", probabilities={"billing": 0.1, "technical": 0.3, "sales": 0.6}, decision=...),
        ticket("t3", probabilities={"billing": 0.5, "technical": 0.1, "sales": 0.1}),
        ticket("t4", probabilities={"billing": 0.5, "refunds": 0.5}),
        ticket("t5", decision="legal"),
        ticket("t6", words=...),
        ticket("t7", probabilities="billing"),
        ticket("t8", probabilities={"billing": "most", "sales": 0.0}),
        ticket("t9", opened_at=(NOW - timedelta(days=3650)).isoformat()),
    ]
    with external(tmp_path, MULTICLASS) as service:
        answer = service.log(batch)
        assert answer.status_code == 200, answer.text
        assert (answer.json()["logged"], answer.json()["repeated"]) == (2, 0)
        assert refusals_of(answer) == [
            (2, "t3", "probabilities", "bad_probabilities"),
            (3, "t4", "probabilities", "unknown_class"),
            (4, "t5", "decision", "unknown_class"),
            (5, "t6", "words", "missing_field"),
            (6, "t7", "probabilities", "bad_probabilities"),
            (7, "t8", "probabilities", "bad_probabilities"),
            (8, "t9", "opened_at", "bad_timestamp"),
        ]
        details = [row["detail"] for row in answer.json()["refused"]]
        assert details[0] == "class probabilities sum to 0.7, not 1 (within 0.001)"
        assert "refunds" in details[1]
        predictions = service.stored("predictions").sort("event_id")
        assert predictions.select("event_id", "entity", "decision", "score").rows() == [
            ("t1", "cust-t1", "billing", 0.7),
            ("t2", "cust-t2", "sales", 0.6),  # no decision: the most probable class
        ]
        assert json.loads(predictions["probabilities"][1]) == {
            "billing": 0.1,
            "technical": 0.3,
            "sales": 0.6,
        }
        assert set(predictions["model_version"]) == {1}
        rejections = service.stored("rejections")
        assert sorted(rejections["event_id"]) == ["t3", "t4", "t5", "t6", "t7", "t8", "t9"]
        unreadable = service.log([ticket("t10", opened_at="yesterday", decision=None)])
        assert unreadable.status_code == 422
        assert refusals_of(unreadable) == [(0, "t10", "opened_at", "bad_timestamp")]


def demand(event_id: str, **changes: Any) -> dict[str, Any]:
    row = {
        "event_id": event_id,
        "ts": at(-1),
        "store_item": "s1-i9",
        "price": 2.5,
        "model_label": "gbm-v1",
        "prediction": 14.0,
    }
    row.update(changes)
    return {name: value for name, value in row.items() if value is not ...}


def test_a_regression_batch_and_its_numeric_outcomes(tmp_path: Path) -> None:
    batch = [
        demand("d1"),
        demand("d2", prediction=3, model_label="gbm-v2"),
        demand("d3", prediction="fourteen"),
        demand("d4", price=...),
        demand("d5", price=-1.0),
        demand("d6", prediction=None),
        demand("d7", ts=at(10)),  # beyond serving.event_time.max_future (5m)
    ]
    with external(tmp_path, REGRESSION) as service:
        answer = service.log(batch)
        assert answer.status_code == 200, answer.text
        assert refusals_of(answer) == [
            (2, "d3", "prediction", "wrong_type"),
            (3, "d4", "price", "missing_field"),
            (4, "d5", "price", "out_of_range"),
            (5, "d6", "prediction", "missing_field"),
            (6, "d7", "ts", "bad_timestamp"),
        ]
        predictions = service.stored("predictions").sort("event_id")
        assert predictions.select("event_id", "model_version", "prediction").rows() == [
            ("d1", 1, 14.0),
            ("d2", 2, 3.0),
        ]
        outcome = {"event_id": "d1", "outcome": 12.5, "outcome_ts": at(0)}
        accepted = service.client.post("/v1/outcomes", json={"outcomes": [outcome]})
        assert accepted.json() == {"accepted": 1}
        for value, message in (("lots", "expected a number (got 'lots')"), (None, "required")):
            refused = service.client.post(
                "/v1/outcomes", json={"outcomes": [outcome, {**outcome, "outcome": value}]}
            )
            assert refused.status_code == 422
            assert refused.json()["error"]["field"] == "outcomes[1].outcome"
            assert message in refused.json()["error"]["message"]
        outcomes = service.stored("outcomes")
        assert outcomes.select("event_id", "outcome").rows() == [("d1", 12.5)]
        metrics = service.client.get("/metrics", headers=ADMIN).text
        assert 'watchkeeper_outcomes_received_total{outcome="number"} 1.0' in metrics


def test_multiclass_and_binary_outcomes_follow_the_workspace_labels(tmp_path: Path) -> None:
    with external(tmp_path / "triage", MULTICLASS) as service:
        good = {"event_id": "t1", "outcome": "sales", "outcome_ts": at(0)}
        assert service.client.post("/v1/outcomes", json=good).json() == {"accepted": 1}
        refused = service.client.post(
            "/v1/outcomes", json={"outcomes": [good, {**good, "outcome": "legal"}]}
        )
        assert refused.status_code == 422
        assert refused.json()["error"] == {
            "field": "outcomes[1].outcome",
            "message": "not among the allowed values billing, technical, sales (got 'legal')",
        }
        assert service.stored("outcomes")["outcome"].to_list() == ["sales"]
    with external(tmp_path / "churn", BINARY) as service:
        good = {"event_id": "a", "outcome": "churned", "outcome_ts": at(0)}
        assert service.client.post("/v1/outcomes", json=good).status_code == 200
        chargeback = service.client.post("/v1/outcomes", json={**good, "outcome": "chargeback"})
        assert chargeback.status_code == 422
        assert "churned, stayed" in chargeback.json()["error"]["message"]


def test_an_external_model_is_served_without_a_champion(tmp_path: Path) -> None:
    with external(tmp_path, BINARY) as service:
        client = service.client
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/readyz").json()["status"] == "ready"
        for path, body in (
            ("/v1/score", churn("a")),
            ("/v1/score/batch", {"events": [churn("a")]}),
        ):
            answer = client.post(path, json=body)
            assert answer.status_code == 409, path
            assert answer.json()["error"]["field"] == "model"
            assert "served outside watchkeeper" in answer.json()["error"]["message"]
            assert "/v1/predictions" in answer.json()["error"]["message"]
        assert client.get("/metrics", headers=ADMIN).status_code == 200
        assert service.log([churn("a")]).status_code == 200


def test_a_model_watchkeeper_serves_takes_no_posted_predictions(tmp_path: Path) -> None:
    root = Workspace.create(tmp_path / "fraud")
    with Workspace.open(root) as workspace:
        app = create_app(
            workspace, admin_token=ADMIN_TOKEN, log_token=LOG_TOKEN, flush_seconds=None
        )
        client = TestClient(app)
        answer = client.post("/v1/predictions", json={"predictions": [{}]}, headers=LOGGER)
        assert answer.status_code == 409
        assert "served by watchkeeper" in answer.json()["error"]["message"]


def test_fields_nobody_declared_are_dropped_or_refused_as_the_workspace_says(
    tmp_path: Path,
) -> None:
    extra = churn("a", colour="red")
    with external(tmp_path / "ignore", BINARY) as service:
        assert service.log([extra]).json()["logged"] == 1
        assert "colour" not in service.stored("transactions").columns
    rejecting = BINARY + "serving: {unknown_fields: reject}\n"
    with external(tmp_path / "reject", rejecting) as service:
        answer = service.log([extra, churn("b")])
        assert refusals_of(answer) == [(0, "a", "colour", "unknown_field")]
        assert answer.json()["logged"] == 1


@pytest.mark.parametrize(
    ("task_file", "task_fields"),
    [
        (BINARY, {"score", "decision"}),
        (MULTICLASS, {"probabilities", "decision"}),
        (REGRESSION, {"prediction"}),
    ],
    ids=["binary", "multiclass", "regression"],
)
def test_the_openapi_description_shows_each_task_s_prediction(
    tmp_path: Path, task_file: str, task_fields: set[str]
) -> None:
    with external(tmp_path, task_file) as service:
        paths = service.client.get("/openapi.json").json()["paths"]
        schema = paths["/v1/predictions"]["post"]["requestBody"]["content"]["application/json"]
        item = schema["schema"]["properties"]["predictions"]["items"]
        others = {"score", "decision", "probabilities", "prediction"} - task_fields
        assert task_fields <= set(item["properties"]) and not others & set(item["properties"])
        assert "model_label" in item["required"]
        if task_file is MULTICLASS:
            classes = item["properties"]["probabilities"]["properties"]
            assert list(classes) == ["billing", "technical", "sales"]
            assert "decision" not in item["required"]
