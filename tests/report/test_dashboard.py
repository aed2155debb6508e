"""``GET /dashboard``: the report page served from the service's workspace, read only, behind
the read protection when the workspace asks for it."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from watchkeeper.serving.app import create_app
from watchkeeper.workspace import Workspace

TOKEN = "report-test-token"


def test_the_dashboard_serves_the_report_and_writes_nothing(report_workspace: Path) -> None:
    with Workspace.open(report_workspace) as workspace:
        before = len(workspace.metadata.decisions(None, limit=10_000))
        client = TestClient(create_app(workspace, admin_token=TOKEN, flush_seconds=None))
        client.headers["Authorization"] = f"Bearer {TOKEN}"
        answer = client.get("/dashboard")
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "text/html; charset=utf-8"
        assert answer.headers["cache-control"] == "no-store"
        for anchor in ("scores", "psi", "flag-rate", "performance", "money", "timeline"):
            assert f'<section id="{anchor}">' in answer.text
        assert answer.text.count('<figure class="card alert">') == 2
        assert client.get("/dashboard?weeks=1").text.count('<figure class="card') == 1
        assert client.get("/dashboard?weeks=0").status_code == 422
        assert client.get("/dashboard?weeks=100000").status_code == 422
        assert len(workspace.metadata.decisions(None, limit=10_000)) == before


def test_protected_reads_protect_the_dashboard(tmp_path: Path) -> None:
    root = Workspace.create(tmp_path / "protected")
    config = root / "watchkeeper.yaml"
    config.write_text(config.read_text() + "\nserving:\n  protect_reads: true\n")
    with Workspace.open(root) as workspace:
        client = TestClient(create_app(workspace, admin_token=TOKEN, flush_seconds=None))
        assert client.get("/dashboard").status_code == 401
        wrong = client.get("/dashboard", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 403 and "nope" not in wrong.text
        allowed = client.get("/dashboard", headers={"Authorization": f"Bearer {TOKEN}"})
        assert allowed.status_code == 200 and "no monitoring results yet" in allowed.text
