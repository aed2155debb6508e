"""Requests in flight overlap (shared spool commits) yet each event sees every one before it."""

from __future__ import annotations

import json
import threading

from tests.serving.conftest import Service

THREADS = 8
PER_THREAD = 6


def test_concurrent_events_of_one_card_each_see_all_earlier_ones(service: Service) -> None:
    moment = service.event(0)["ts"]  # one instant: no event is late, whatever the order
    scorer = service.client.app.state.service.scorer()  # type: ignore[attr-defined]
    failures: list[BaseException] = []

    def score(thread: int) -> None:
        try:
            for number in range(PER_THREAD):
                index = thread * 100 + number
                scorer.score(service.event(index, card_id="c7", ts=moment))
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=score, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures, failures
    assert scorer._pending.held == 0

    service.workspace.events.flush()
    logged = service.workspace.events.read("predictions")
    total = THREADS * PER_THREAD
    counts = sorted(json.loads(text)["card_txn_count_24h"] for text in logged["features"])
    assert counts == list(range(total))  # each saw exactly the events staged before it
    follow = service.client.post("/v1/score", json=service.event(999, card_id="c7", ts=moment))
    assert follow.status_code == 200
    service.workspace.events.flush()
    last = service.workspace.events.read("predictions").filter(
        service.workspace.events.read("predictions")["event_id"] == "live-999"
    )
    assert json.loads(last["features"][0])["card_txn_count_24h"] == total


def test_http_requests_in_flight_are_answered_and_all_logged(service: Service) -> None:
    answers: list[int] = []
    lock = threading.Lock()

    def post(thread: int) -> None:
        for number in range(PER_THREAD):
            answer = service.client.post("/v1/score", json=service.event(thread * 100 + number))
            with lock:
                answers.append(answer.status_code)

    threads = [threading.Thread(target=post, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert answers == [200] * 4 * PER_THREAD
    service.workspace.events.flush()
    assert service.workspace.events.read("predictions").height == 4 * PER_THREAD
