"""/readyz fails when logged rows wait too long for the flusher; an alert rule watches it."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import yaml
from tests.serving.conftest import Service, TrainedModels, open_service


def test_readyz_fails_once_the_oldest_spooled_row_is_older_than_the_bound(
    tmp_path: Path, trained: TrainedModels
) -> None:
    with open_service(tmp_path, trained, flush_seconds=None) as service:  # no flusher
        assert service.client.post("/v1/score", json=service.event(1)).status_code == 200
        service.clock.advance(timedelta(minutes=4))
        assert service.client.get("/readyz").status_code == 200
        service.clock.advance(timedelta(minutes=2))  # 6 minutes > serving.max_backlog_age
        answer = service.client.get("/readyz")
        assert answer.status_code == 503
        assert "serving.max_backlog_age" in answer.json()["problems"][0]
        service.workspace.events.flush()
        assert service.client.get("/readyz").status_code == 200


def test_the_alert_rules_name_series_the_service_exports(service: Service) -> None:
    rules_file = Path(__file__).parents[2] / "dashboards" / "alerts.yaml"
    groups = yaml.safe_load(rules_file.read_text())["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    assert {rule["alert"] for rule in rules} >= {"WatchkeeperSpoolBacklogStale"}
    for rule in rules:
        assert rule["labels"]["severity"] in ("warning", "critical")
        assert rule["annotations"]["summary"]
    service.client.post("/v1/score", json=service.event(1))
    exposed = set(
        re.findall(
            r"^(watchkeeper_\w+)",
            service.client.get("/metrics", headers=service.admin()).text,
            re.MULTILINE,
        )
    )
    named = {name for rule in rules for name in re.findall(r"watchkeeper_\w+", rule["expr"])}
    assert "watchkeeper_spool_oldest_age_seconds" in named
    assert named <= exposed, named - exposed
