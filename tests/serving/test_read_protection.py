"""What an unauthenticated client can read: by default only liveness, readiness, scoring and
outcomes; no answer over HTTP names a filesystem path or the versions the service runs."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from tests.registry.test_registry import tamper
from tests.serving.conftest import TOKEN, Service, TrainedModels, live_event, register
from tests.test_readiness import register_champion

from watchkeeper.registry.registry import CHAMPION, ModelRegistry
from watchkeeper.serving.app import create_app
from watchkeeper.workspace import Workspace

PUBLIC = {"/healthz", "/readyz", "/v1/score", "/v1/score/batch", "/v1/outcomes"}
"""The endpoints open without a token (besides the OpenAPI description and its pages)."""
PROTECTED_READS = {"/v1/models", "/v1/rollout", "/metrics", "/dashboard"}
ADMIN = {"/v1/rollout/start", "/v1/rollout/promote", "/v1/rollout/rollback", "/v1/rollout/evaluate"}
LOGGING = {"/v1/predictions"}
"""Opened by the log token or the admin token."""


def test_reads_need_a_token_by_default_and_the_rest_stays_as_it_was(service: Service) -> None:
    client = service.client
    paths = set(client.get("/openapi.json").json()["paths"]) | {"/dashboard"}
    assert paths == PUBLIC | PROTECTED_READS | ADMIN | LOGGING
    for path in LOGGING:
        assert client.post(path, json={"predictions": []}).status_code == 401, path
    for path in PROTECTED_READS:
        assert client.get(path).status_code == 401, path
        assert client.get(path, headers={"Authorization": "Bearer nope"}).status_code == 403
        assert client.get(path, headers=service.admin()).status_code == 200, path
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.post("/v1/score", json=live_event(1)).status_code == 200
    assert client.post("/v1/score/batch", json={"events": [live_event(2)]}).status_code == 200
    outcome = {"event_id": "live-1", "outcome": "chargeback", "outcome_ts": live_event(3)["ts"]}
    assert client.post("/v1/outcomes", json=outcome).status_code == 200


def test_a_read_token_opens_the_reads_and_not_the_admin_endpoints(
    tmp_path: Path, trained: TrainedModels
) -> None:
    with Workspace.open(Workspace.create(tmp_path / "ws")) as workspace:
        version = register(workspace, trained, trained.good, threshold=0.5)
        ModelRegistry.for_workspace(workspace).set_status(version, CHAMPION, reason="first")
        app = create_app(workspace, admin_token=TOKEN, read_token="reader", flush_seconds=None)
        client = TestClient(app)
        reader = {"Authorization": "Bearer reader"}
        for path in PROTECTED_READS:
            assert client.get(path, headers=reader).status_code == 200, path
        assert client.post("/v1/rollout/promote", headers=reader).status_code == 403
        no_tokens = TestClient(create_app(workspace, admin_token="", flush_seconds=None))
        refused = no_tokens.get("/v1/models", headers=reader)
        assert refused.status_code == 403
        assert "WATCHKEEPER_READ_TOKEN" in refused.json()["error"]["message"]


def test_errors_over_http_name_no_path(tmp_path: Path, trained: TrainedModels) -> None:
    with Workspace.open(Workspace.create(tmp_path / "ws")) as workspace:
        version = register(workspace, trained, trained.good, threshold=0.5)
        registry = ModelRegistry.for_workspace(workspace)
        registry.set_status(version, CHAMPION, reason="first")
        folder = workspace.root / ".watchkeeper" / "artifacts"
        tamper(folder, registry.manifest(version).model_sha256)
        client = TestClient(create_app(workspace, admin_token=TOKEN, flush_seconds=None))
        scored = client.post("/v1/score", json=live_event(1))
        ready = client.get("/readyz")
        assert scored.status_code == 503 and ready.status_code == 503
        for answer in (scored, ready):
            assert str(tmp_path) not in answer.text and "file://" not in answer.text
        assert "<path>" in ready.text or "server log" in ready.text


def test_a_dashboard_open_to_all_leaves_out_the_owner_and_the_versions(tmp_path: Path) -> None:
    root = Workspace.create(tmp_path / "ws")
    config = root / "watchkeeper.yaml"
    with Workspace.open(root) as workspace:
        register_champion(workspace)  # with lineage: code and environment (python, platform)
        protected = TestClient(create_app(workspace, admin_token=TOKEN, flush_seconds=None))
        page = protected.get("/dashboard", headers={"Authorization": f"Bearer {TOKEN}"}).text
        assert "<h3>environment</h3>" in page and "Dana Reyes" in page
    config.write_text(config.read_text() + "\nserving:\n  protect_reads: false\n")
    with Workspace.open(root) as workspace:
        public = TestClient(create_app(workspace, admin_token=TOKEN, flush_seconds=None))
        page = public.get("/dashboard").text
    assert "<h3>data</h3>" in page  # the lineage is still there, without the versions
    for hidden in ("<h3>environment</h3>", "<h3>code</h3>", "watchkeeper_version", "Dana Reyes"):
        assert hidden not in page, hidden
