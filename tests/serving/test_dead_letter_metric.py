"""/metrics counts the spooled rows set aside as dead letters."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from watchkeeper.clock import EventTimeClock
from watchkeeper.serving.app import create_app
from watchkeeper.workspace import Workspace

NOW = datetime(2026, 6, 9, tzinfo=UTC)


def dead_letter_rows(client: TestClient) -> float:
    text = client.get("/metrics", headers={"Authorization": "Bearer token"}).text
    found = re.search(r"^watchkeeper_spool_dead_letter_rows (\S+)$", text, re.MULTILINE)
    assert found is not None
    return float(found.group(1))


def test_metrics_count_the_rows_set_aside_as_dead_letters(tmp_path: Path) -> None:
    clock = EventTimeClock(NOW)
    workspace = Workspace.open(Workspace.create(tmp_path / "ws"), clock=clock)
    app = create_app(workspace, clock=clock, admin_token="token", flush_seconds=None)
    with TestClient(app) as client:
        assert dead_letter_rows(client) == 0.0
        workspace.events.append_columns(
            "outcomes",
            {
                "event_id": ["e-1", "e-\ud800", "e-2"],  # the middle one cannot be written
                "outcome": ["chargeback"] * 3,
                "outcome_ts": [NOW] * 3,
            },
        )
        assert workspace.events.flush().rows == 2
        assert dead_letter_rows(client) == 1.0
    workspace.close()
