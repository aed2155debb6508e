"""Scoring in this process answers what ``POST /v1/score`` answers, and logs the same rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.serving.conftest import TrainedModels, live_event, open_service

from watchkeeper.errors import InvalidInputError
from watchkeeper.serving.local_scoring import LocalScorer


def test_local_scores_equal_the_services_and_are_logged(
    tmp_path: Path, trained: TrainedModels
) -> None:
    events = [live_event(index) for index in range(40)]
    with open_service(tmp_path / "http", trained) as service:
        over_http = [service.client.post("/v1/score", json=event).json() for event in events]
    with open_service(tmp_path / "local", trained) as service:
        with LocalScorer(service.workspace, clock=service.clock) as scorer:
            one = scorer.score(events[0])
            rest = scorer.score_many(events[1:])
        service.workspace.events.flush()
        logged = service.workspace.events.read("predictions").sort("ts")
    local = [result.to_dict() for result in [one, *rest]]
    timing = "latency_ms"
    assert [{k: v for k, v in answer.items() if k != timing} for answer in local] == [
        {k: v for k, v in answer.items() if k != timing} for answer in over_http
    ]
    assert logged["event_id"].to_list() == [event["event_id"] for event in events]
    assert logged["score"].to_list() == pytest.approx([answer["score"] for answer in local])


def test_an_invalid_event_rejects_the_batch_before_anything_is_logged(
    tmp_path: Path, trained: TrainedModels
) -> None:
    events = [live_event(0), live_event(1, amount="lots")]
    with open_service(tmp_path, trained) as service:
        with (
            LocalScorer(service.workspace, clock=service.clock) as scorer,
            pytest.raises(InvalidInputError) as raised,
        ):
            scorer.score_many(events)
        service.workspace.events.flush()
        assert service.workspace.events.read("predictions").height == 0
    assert raised.value.field == "events[1].amount"
