"""The stream consumer end to end on a real Redis: scored, logged, published, acknowledged."""

from __future__ import annotations

import json

import pytest
from tests.serving.conftest import live_event
from tests.stream.conftest import PARTITIONS, StreamWorld

from watchkeeper.stream import publish

pytestmark = pytest.mark.redis


def send(world: StreamWorld, events: list[dict[str, object]]) -> list[str]:
    return publish(
        world.client, events, key="card_id", prefix=world.names.prefix, partitions=PARTITIONS
    )


def pending(world: StreamWorld) -> int:
    return sum(
        int(world.client.xpending(world.names.partition(index), "g")["pending"])
        for index in range(PARTITIONS)
    )


def test_published_events_get_one_prediction_row_and_one_decision_each(
    world: StreamWorld,
) -> None:
    events = [live_event(index) for index in range(60)]
    send(world, events)
    counts = world.consumer(batch_size=25).run(idle_seconds=0.2)
    assert (counts.scored, counts.rejected) == (60, 0)
    world.workspace.events.flush()
    logged = world.workspace.events.read("predictions")
    assert sorted(logged["event_id"].to_list()) == sorted(event["event_id"] for event in events)
    decisions = world.decisions()
    assert len(decisions) == 60
    scores = dict(zip(logged["event_id"].to_list(), logged["score"].to_list(), strict=True))
    for record in decisions:
        body = json.loads(record["decision"])
        assert body["score"] == pytest.approx(scores[record["event_id"]])
        assert body["route"] == "champion"
    assert pending(world) == 0


def test_a_redelivered_event_is_logged_once_and_decided_the_same(world: StreamWorld) -> None:
    first = [live_event(index) for index in range(5)]
    send(world, first)
    world.consumer().run(idle_seconds=0.2)
    send(world, [first[2], live_event(5)])  # the same event again, then a new one
    world.consumer().run(idle_seconds=0.2)
    world.workspace.events.flush()
    logged = world.workspace.events.read("predictions")["event_id"].to_list()
    assert sorted(logged) == [f"live-{index}" for index in range(6)]
    again = [record for record in world.decisions() if record["event_id"] == "live-2"]
    assert len(again) == 2
    assert again[0]["decision"] == again[1]["decision"]


def test_malformed_entries_are_acknowledged_rejected_and_dead_lettered(
    world: StreamWorld,
) -> None:
    stream = world.names.partition(0)
    world.client.xadd(stream, {"event": b"{not json"})
    world.client.xadd(stream, {"other": b"x"})
    world.client.xadd(stream, {"event": json.dumps(live_event(1, amount=-5.0))})
    world.client.xadd(stream, {"event": json.dumps(live_event(2))})
    counts = world.consumer().run(idle_seconds=0.2)
    assert (counts.scored, counts.rejected) == (1, 3)
    assert pending(world) == 0
    dead = world.client.xrange(world.names.dead_letters)
    reasons = [fields[b"reason"].decode() for _, fields in dead]
    assert [reason.split(":", 1)[0] for reason in reasons] == [
        "wrong_type",
        "invalid",
        "out_of_range",
    ]
    world.workspace.events.flush()
    rejections = world.workspace.events.read("rejections")
    assert rejections["source"].to_list() == ["stream"] * 3
    assert "live-1" in rejections["event_id"].to_list()
    assert world.workspace.events.read("predictions")["event_id"].to_list() == ["live-2"]


def test_two_consumers_split_the_partitions_and_a_stopped_ones_are_taken_over(
    world: StreamWorld,
) -> None:
    one = world.consumer("one", max_owned=2)
    two = world.consumer("two", max_owned=2)
    one.leases.refresh()
    two.leases.refresh()
    assert sorted(one.leases.owned + two.leases.owned) == list(range(PARTITIONS))
    one.leases.release()
    three = world.consumer("three", max_owned=4)
    assert sorted(three.leases.refresh()) == sorted(set(range(PARTITIONS)) - set(two.leases.owned))
