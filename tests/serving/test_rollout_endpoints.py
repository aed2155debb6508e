"""Admin endpoints need the token; a canary routes each card deterministically; /metrics."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.serving.conftest import TOKEN, Service, TrainedModels, open_service

from watchkeeper.rollout.router import Router


@pytest.mark.parametrize(
    "path", ["/v1/rollout/start", "/v1/rollout/promote", "/v1/rollout/rollback"]
)
def test_admin_endpoints_need_the_token(service: Service, path: str) -> None:
    assert service.client.post(path, json={"version": 2}).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    answer = service.client.post(path, json={"version": 2}, headers=wrong)
    assert answer.status_code == 403
    assert TOKEN not in answer.text and "not-the-token" not in answer.text
    assert service.client.get("/v1/rollout", headers=service.admin()).json()["state"] == "idle"


def test_a_canary_routes_each_card_to_the_same_model(service: Service) -> None:
    started = service.client.post(
        "/v1/rollout/start", json={"version": service.good}, headers=service.admin()
    )
    assert started.status_code == 200, started.text
    status = started.json()
    assert status["state"] == "canary" and status["aliases"]["challenger"] == service.good
    rollout_id = status["rollout"]["id"]
    router = Router(rollout_id=f"card-fraud:{rollout_id}", canary_share=0.1)
    seen: dict[str, set[str]] = {}
    for index in range(400):
        event = service.event(index)
        body = service.client.post("/v1/score", json=event).json()
        seen.setdefault(event["card_id"], set()).add(body["route"])
        assert body["route"] == router.route(event["card_id"]).decision
        expected = service.good if body["route"] == "canary" else service.champion
        assert body["model_version"] == expected
    assert all(len(routes) == 1 for routes in seen.values())
    canary_cards = sum(routes == {"canary"} for routes in seen.values())
    assert 5 <= canary_cards <= 40  # 10% of 200 cards
    assert (
        service.client.post(
            "/v1/rollout/start", json={"version": service.bad}, headers=service.admin()
        ).status_code
        == 409
    )


def test_promote_and_rollback_over_http(service: Service) -> None:
    service.client.post("/v1/rollout/start", json={"version": service.bad}, headers=service.admin())
    rolled = service.client.post("/v1/rollout/rollback", headers=service.admin()).json()
    assert rolled["state"] == "idle" and rolled["rollout"]["state"] == "rolled_back"
    assert rolled["aliases"] == {"champion": service.champion}
    assert service.client.post("/v1/rollout/promote", headers=service.admin()).status_code == 409
    service.client.post(
        "/v1/rollout/start", json={"version": service.good}, headers=service.admin()
    )
    promoted = service.client.post("/v1/rollout/promote", headers=service.admin()).json()
    assert promoted["aliases"] == {"champion": service.good}
    assert (
        service.client.post("/v1/score", json=service.event(1)).json()["model_version"]
        == service.good
    )
    unknown = service.client.post(
        "/v1/rollout/start", json={"version": 99}, headers=service.admin()
    )
    assert unknown.status_code == 404 and "no version 99" in unknown.json()["error"]["message"]


def test_metrics_exposition_has_the_expected_series(service: Service) -> None:
    service.client.post(
        "/v1/rollout/start", json={"version": service.good}, headers=service.admin()
    )
    for index in range(50):
        service.client.post("/v1/score", json=service.event(index))
    text = service.client.get("/metrics", headers=service.admin()).text
    for series in (
        'watchkeeper_requests_total{endpoint="/v1/score",status="200"} 50.0',
        'watchkeeper_request_latency_seconds_bucket{endpoint="/v1/score",le="0.5"}',
        f'watchkeeper_score_bucket{{le="1.0",model_version="{service.champion}",route="champion"}}',
        f'watchkeeper_flag_rate{{model_version="{service.champion}",route="champion"}}',
        'watchkeeper_rollout_state{state="canary"} 1.0',
        'watchkeeper_serving_model_version{alias="champion"} 1.0',
        "watchkeeper_rollout_canary_share 0.1",
    ):
        assert series in text, series


def test_the_openapi_description_lists_every_endpoint(service: Service) -> None:
    paths = set(service.client.get("/openapi.json").json()["paths"])
    assert {
        "/v1/score",
        "/v1/score/batch",
        "/v1/outcomes",
        "/v1/models",
        "/v1/rollout",
        "/v1/rollout/start",
        "/v1/rollout/promote",
        "/v1/rollout/rollback",
        "/healthz",
        "/readyz",
        "/metrics",
    } <= paths


def test_the_grafana_dashboard_queries_series_the_service_exposes(service: Service) -> None:
    import json

    from tests.serving.test_monitoring_gauges import seed_monitoring

    dashboard = json.loads(
        Path(__file__).parents[2].joinpath("dashboards/watchkeeper-serving.json").read_text()
    )
    service.client.post(
        "/v1/rollout/start", json={"version": service.good}, headers=service.admin()
    )
    service.client.post("/v1/score", json=service.event(1))
    service.client.post("/v1/score", json=service.event(2, amount=-1.0))
    seed_monitoring(service)  # the monitor job's results and an alert
    exposed = set(
        re.findall(
            r"^(watchkeeper_\w+)",
            service.client.get("/metrics", headers=service.admin()).text,
            re.MULTILINE,
        )
    )
    queried = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"watchkeeper_\w+", target["expr"])
    }
    assert queried and queried <= exposed, queried - exposed


def test_a_failing_challenger_is_a_5xx_counted_for_the_error_rate_guard(service: Service) -> None:
    service.client.post(
        "/v1/rollout/start", json={"version": service.good}, headers=service.admin()
    )
    scorer = service.client.app.state.service.scorer()  # type: ignore[attr-defined]
    assert scorer.models.challenger is not None

    class Broken:
        def predict_scores(self, features: object) -> object:
            raise RuntimeError("the model file is corrupt")

    object.__setattr__(scorer.models.challenger, "model", Broken())
    client = TestClient(service.client.app, raise_server_exceptions=False)
    canary_event = next(
        service.event(index)
        for index in range(1000)
        if scorer.models.router.route(service.event(index)["card_id"]).decision == "canary"
    )
    assert client.post("/v1/score", json=canary_event).status_code == 500
    assert scorer.errors == {"canary": 1}
    answer = service.client.post("/v1/rollout/evaluate", headers=service.admin()).json()
    assert answer["action"] == "rolled_back" and "error_rate" in answer["alert"]


def test_metrics_show_what_waits_in_the_spool_for_the_flusher(
    tmp_path: Path, trained: TrainedModels
) -> None:
    def gauges(service: Service) -> tuple[float, float]:
        text = service.client.get("/metrics", headers=service.admin()).text
        rows = re.search(r"^watchkeeper_spool_backlog_rows (\S+)$", text, re.MULTILINE)
        age = re.search(r"^watchkeeper_spool_oldest_age_seconds (\S+)$", text, re.MULTILINE)
        assert rows is not None and age is not None
        return float(rows.group(1)), float(age.group(1))

    with open_service(tmp_path, trained, flush_seconds=None) as service:  # no flush meanwhile
        service.workspace.events.flush()
        assert gauges(service) == (0.0, 0.0)
        for index in (1, 2):
            assert service.client.post("/v1/score", json=service.event(index)).status_code == 200
        service.clock.advance(timedelta(seconds=30))
        rows, age = gauges(service)
        assert rows == service.workspace.events.backlog().rows and rows >= 2  # a row per model
        assert age == 30.0
        service.workspace.events.flush()
        assert gauges(service) == (0.0, 0.0)
