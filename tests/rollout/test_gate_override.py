"""A rollout action is all-or-nothing, and a version the gate did not accept needs an override."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import record_gate_pass
from tests.registry.test_registry import tamper
from tests.serving.conftest import Service

from watchkeeper.cli import main
from watchkeeper.errors import RolloutError
from watchkeeper.readiness import assess
from watchkeeper.registry.registry import ModelRegistry
from watchkeeper.rollout.controller import RolloutController


def refuse_at_the_gate(service: Service, version: int) -> None:
    model = service.workspace.config.model.name
    record_gate_pass(service.workspace.metadata, model, version, accepted=False)


def unchanged(service: Service) -> None:
    """Nothing was started: no canary, no challenger, no start in the audit log."""
    status = service.client.get("/v1/rollout", headers=service.admin()).json()
    assert status["state"] == "idle" and status["rollout"] is None
    assert status["aliases"] == {"champion": service.champion}
    kinds = [entry.kind for entry in service.workspace.metadata.decisions(None, limit=100)]
    assert "rollout_start" not in kinds


def artifacts(service: Service) -> Path:
    return service.workspace.root / ".watchkeeper" / "artifacts"


def test_a_version_the_gate_refused_needs_force_and_a_reason(service: Service) -> None:
    refuse_at_the_gate(service, service.bad)  # newer than the pass the fixture recorded
    start = "/v1/rollout/start"
    refused = service.client.post(start, json={"version": service.bad}, headers=service.admin())
    assert refused.status_code == 409
    assert "refused by the validation gate" in refused.json()["error"]["message"]
    no_reason = service.client.post(
        start, json={"version": service.bad, "force": True}, headers=service.admin()
    )
    assert no_reason.status_code == 422 and no_reason.json()["error"]["field"] == "reason"
    not_a_flag = service.client.post(
        start, json={"version": service.bad, "force": "yes"}, headers=service.admin()
    )
    assert not_a_flag.status_code == 422 and not_a_flag.json()["error"]["field"] == "force"
    unchanged(service)
    forced = service.client.post(
        start,
        json={"version": service.bad, "force": True, "reason": "the gate's holdout is stale"},
        headers=service.admin(),
    )
    assert forced.status_code == 200, forced.text
    assert forced.json()["state"] == "canary"
    entry = service.workspace.metadata.decisions(None, kind="rollout_start")[0]
    assert entry.evidence["forced"] is True
    assert entry.evidence["force_reason"] == "the gate's holdout is stale"
    assert entry.evidence["gate"].startswith("refused by the validation gate")
    assert "forced past the gate" in entry.summary


def test_readiness_fails_while_a_forced_version_serves(service: Service) -> None:
    refuse_at_the_gate(service, service.bad)
    control = RolloutController.for_workspace(service.workspace)
    control.start(service.bad, actor="dana", reason="needed today", force=True)
    answer = {item.key: item for item in assess(service.workspace).answers}["retraining"]
    assert answer.status == "fail"
    assert any(
        f"canary version {service.bad} was forced past the validation gate" in line
        and "needed today" in line
        for line in answer.evidence
    )
    control.promote(actor="dana", reason="promoted")
    answer = {item.key: item for item in assess(service.workspace).answers}["retraining"]
    assert answer.status == "fail"
    assert any(f"champion version {service.bad} was forced" in line for line in answer.evidence)


def test_a_start_whose_champion_does_not_load_changes_nothing(service: Service) -> None:
    registry = ModelRegistry.for_workspace(service.workspace)
    tamper(artifacts(service), registry.manifest(service.champion).model_sha256)
    answer = service.client.post(
        "/v1/rollout/start", json={"version": service.good}, headers=service.admin()
    )
    assert answer.status_code == 409, answer.text
    message = answer.json()["error"]["message"]
    assert "not started, nothing changed" in message and "corrupt" in message
    unchanged(service)


def test_a_promotion_whose_challenger_does_not_load_changes_nothing(service: Service) -> None:
    control = RolloutController.for_workspace(service.workspace)
    control.start(service.good, actor="dana", reason="validated")
    registry = ModelRegistry.for_workspace(service.workspace)
    tamper(artifacts(service), registry.manifest(service.good).model_sha256)
    with pytest.raises(RolloutError, match="not promoted, nothing changed"):
        control.promote(actor="dana")
    assert registry.aliases() == {"champion": service.champion, "challenger": service.good}
    assert control.status().state == "canary"


def test_a_reload_failing_after_the_commit_undoes_the_start_and_says_so(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    from watchkeeper.errors import ArtifactIntegrityError
    from watchkeeper.serving import service as serving_service

    def broken(registry: ModelRegistry) -> object:
        raise ArtifactIntegrityError("artifact is corrupt")

    service.client.get("/readyz")  # the champion is loaded and serving
    monkeypatch.setattr(serving_service, "load_serving_models", broken)
    answer = service.client.post(
        "/v1/rollout/start", json={"version": service.good}, headers=service.admin()
    )
    assert answer.status_code == 503
    assert "rolled back at once" in answer.json()["error"]["message"]
    status = service.client.get("/v1/rollout", headers=service.admin()).json()
    assert status["state"] == "idle" and status["aliases"] == {"champion": service.champion}
    scored = service.client.post("/v1/score", json=service.event(1))
    assert scored.status_code == 200 and scored.json()["model_version"] == service.champion


def test_the_cli_needs_force_and_reason_for_a_version_the_gate_refused(
    service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    refuse_at_the_gate(service, service.bad)
    workspace = str(service.workspace.root)
    bad = str(service.bad)
    assert main(["rollout", "start", bad, "-w", workspace]) == 2
    assert "refused by the validation gate" in capsys.readouterr().err
    assert main(["rollout", "start", bad, "--force", "-w", workspace]) == 2
    assert "--force needs --reason" in capsys.readouterr().err
    assert main(["rollout", "start", bad, "--force", "--reason", "hotfix", "-w", workspace]) == 0
    entry = service.workspace.metadata.decisions(None, kind="rollout_start")[0]
    assert entry.evidence["forced"] is True and entry.evidence["force_reason"] == "hotfix"
