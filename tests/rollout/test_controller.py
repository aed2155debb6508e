"""Guards roll a bad challenger back at once; a good one is promoted after the duration."""

from __future__ import annotations

from datetime import timedelta

from tests.serving.conftest import Service

from watchkeeper.config.lifecycle import RolloutConfig
from watchkeeper.registry.registry import ModelRegistry
from watchkeeper.rollout.controller import RolloutController, RolloutEvaluation

WALL_CLOCK_FREE = {"guards": {"max_latency_ratio": 1e6}}
"""The latency guard measures wall-clock time, which a busy machine makes noise of; these tests
are about the other guards and the duration in event time (the doctests of
``watchkeeper.rollout.guards`` check the latency guard on given latencies)."""


def controller(service: Service, **settings: object) -> RolloutController:
    config = RolloutConfig.model_validate(
        {"canary_share": 0.5, "min_events": 100, **WALL_CLOCK_FREE, **settings}
    )
    return RolloutController(ModelRegistry.for_workspace(service.workspace), config, service.clock)


def serve_and_evaluate(
    service: Service, control: RolloutController, start: int
) -> RolloutEvaluation:
    service.client.app.state.service.reload()  # type: ignore[attr-defined]  # see the rollout
    for index in range(start, start + 250):
        assert service.client.post("/v1/score", json=service.event(index)).status_code == 200
    return control.evaluate_from_events(service.workspace.events)


def test_a_bad_challenger_is_rolled_back_at_once_with_the_reason(service: Service) -> None:
    control = controller(service)
    control.start(service.bad, actor="dana", reason="validated")
    evaluation = serve_and_evaluate(service, control, 0)
    assert evaluation.action == "rolled_back"
    assert evaluation.alert is not None and "flag_rate_vs_champion" in evaluation.alert
    registry = ModelRegistry.for_workspace(service.workspace)
    assert registry.aliases() == {"champion": service.champion}
    assert registry.record(service.bad).status == "rolled_back"
    audit = service.workspace.metadata.decisions("card-fraud", kind="rollout_rollback")
    assert audit and "guard failed" in audit[0].summary
    assert control.status().state == "idle"


def test_a_good_challenger_is_promoted_only_after_the_duration_in_event_time(
    service: Service,
) -> None:
    control = controller(service)
    control.start(service.good, actor="dana", reason="validated")
    assert serve_and_evaluate(service, control, 0).action == "waiting"
    service.clock.advance(timedelta(hours=47))
    assert serve_and_evaluate(service, control, 300).action == "waiting"
    service.clock.advance(timedelta(hours=1))
    evaluation = serve_and_evaluate(service, control, 600)
    assert evaluation.action == "promoted", evaluation.checks
    assert all(check.passed for check in evaluation.checks)
    assert ModelRegistry.for_workspace(service.workspace).aliases() == {"champion": service.good}


def test_with_approval_required_it_waits_for_the_owner(service: Service) -> None:
    control = controller(service, require_approval=True, duration="1h")
    control.start(service.good, actor="dana", reason="validated")
    service.clock.advance(timedelta(hours=2))
    assert serve_and_evaluate(service, control, 0).action == "awaiting_approval"
    assert control.status().state == "awaiting_approval"
    control.promote(actor="dana", reason="approved")
    assert ModelRegistry.for_workspace(service.workspace).aliases() == {"champion": service.good}


def test_the_evaluate_endpoint_rolls_a_bad_canary_back(service: Service) -> None:
    service.client.post("/v1/rollout/start", json={"version": service.bad}, headers=service.admin())
    assert service.client.post("/v1/rollout/evaluate").status_code == 401
    for index in range(0, 1500):
        service.client.post("/v1/score", json=service.event(index))
    answer = service.client.post("/v1/rollout/evaluate", headers=service.admin()).json()
    assert answer["action"] == "rolled_back", answer
    assert "flag_rate_vs_holdout" in answer["alert"]
    assert answer["rollout"]["aliases"] == {"champion": service.champion}


def test_in_shadow_mode_the_champion_decides_and_the_challenger_is_logged_silently(
    service: Service,
) -> None:
    control = controller(service, shadow=True)
    control.start(service.good, actor="dana", reason="shadow first")
    service.client.app.state.service.reload()  # type: ignore[attr-defined]
    body = service.client.post("/v1/score", json=service.event(7)).json()
    assert body["route"] == "champion" and body["model_version"] == service.champion
    assert body["shadow"]["model_version"] == service.good
    service.workspace.events.flush()
    logged = service.workspace.events.read("predictions").sort("event_id")
    assert logged["event_id"].to_list() == ["live-7", "live-7:shadow"]
    assert logged["route"].to_list() == ["champion", "shadow"]
    assert logged["model_version"].to_list() == [service.champion, service.good]
