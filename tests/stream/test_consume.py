"""The stream consumer end to end on a real Redis: scored, logged, published, acknowledged."""

from __future__ import annotations

import json
import time

import pytest
from tests.conftest import record_gate_pass
from tests.serving.conftest import TrainedModels, live_event, register
from tests.stream.conftest import PARTITIONS, StreamWorld

from watchkeeper.rollout.controller import RolloutController
from watchkeeper.stream import publish

pytestmark = pytest.mark.redis


def send(world: StreamWorld, events: list[dict[str, object]]) -> list[str]:
    return publish(
        world.client, events, key="card_id", prefix=world.names.prefix, partitions=PARTITIONS
    )


def stored_rows(world: StreamWorld, table: str) -> int:
    """The rows of ``table`` in Delta, duplicates included (a read keeps one per key)."""
    from deltalake import DeltaTable

    rows: int = DeltaTable(str(world.root / ".watchkeeper" / "events" / table)).count()
    return rows


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
    consumer = world.consumer()
    consumer.run(idle_seconds=0.2)
    send(world, [first[2], live_event(5)])  # the same event again, then a new one
    consumer.run(idle_seconds=0.2)
    world.workspace.events.flush()
    logged = world.workspace.events.read("predictions")["event_id"].to_list()
    assert sorted(logged) == [f"live-{index}" for index in range(6)]
    assert stored_rows(world, "predictions") == 6  # not only one on read: written once
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
        "malformed_json",
        "missing_field",
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


def test_a_conflicting_id_and_a_model_failure_refuse_their_entry_alone(
    world: StreamWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    consumer = world.consumer()
    scorer = consumer.service.scorer()
    predict = scorer._champion.predict

    def fails_on_odd_amounts(features: dict[str, object]) -> object:
        if features.get("amount_clipped") == 777.25:
            raise RuntimeError("the model file is damaged")
        return predict(features)

    monkeypatch.setattr(scorer._champion, "predict", fails_on_odd_amounts)
    send(world, [live_event(0)])
    consumer.run(idle_seconds=0.2)
    batch = [live_event(0, amount=1.0), live_event(1), live_event(2, amount=777.25)]
    batch += [live_event(3, amount=777.25), live_event(4)]
    world.client.xadd(  # one partition: one batch, in this order
        world.names.partition(0), {"event": json.dumps(batch[0])}
    )
    for event in batch[1:]:
        world.client.xadd(world.names.partition(0), {"event": json.dumps(event)})
    counts = consumer.run(idle_seconds=0.2)
    assert (counts.scored - 1, counts.rejected) == (2, 3)
    world.workspace.events.flush()
    rejections = world.workspace.events.read("rejections").sort("event_id")
    assert rejections.select("event_id", "reason").rows() == [
        ("live-0", "invalid"),  # as /v1/score logs a 409
        ("live-2", "model_error"),
        ("live-3", "model_error"),
    ]  # each model failure once, though its batch was scored twice
    logged = world.workspace.events.read("predictions")["event_id"].to_list()
    assert sorted(logged) == ["live-0", "live-1", "live-4"]
    assert len(world.client.xrange(world.names.dead_letters)) == 3


def test_a_running_canary_gets_the_services_sticky_share_of_cards(
    world: StreamWorld, trained: TrainedModels
) -> None:
    challenger = register(world.workspace, trained, trained.good, threshold=0.5)
    record_gate_pass(world.workspace.metadata, world.workspace.config.model.name, challenger)
    RolloutController.for_workspace(world.workspace, world.clock).start(challenger, actor="test")
    send(world, [live_event(index) for index in range(80)])
    consumer = world.consumer()
    consumer.run(idle_seconds=0.2)
    router = consumer.service.scorer().models.router
    routes = {
        record["event_id"]: json.loads(record["decision"])["route"] for record in world.decisions()
    }
    expected = {f"live-{index}": router.route(f"c{index % 200}").decision for index in range(80)}
    assert routes == expected
    assert set(routes.values()) == {"champion", "canary"}


def test_a_dead_consumers_pending_entries_are_claimed_by_the_next_owner(
    world: StreamWorld,
) -> None:
    send(world, [live_event(index) for index in range(30)])
    dead = world.consumer("dead", lease_ttl_ms=150)
    dead.leases.refresh()
    delivered = dead.source.read_batch(dead.leases.owned, 12, 10)  # then it dies unacknowledged
    assert len(delivered) == 12 and pending(world) == 12  # 3 from each of 4 partitions
    heir = world.consumer("heir")
    assert heir.leases.refresh() == []  # the dead one's leases still hold
    time.sleep(0.2)
    heir.leases._looked = -float("inf")  # look again now, not in a second
    counts = heir.run(idle_seconds=0.2)
    assert (counts.scored, counts.rejected) == (30, 0)
    assert pending(world) == 0
    assert sorted(record["event_id"] for record in world.decisions()) == sorted(
        f"live-{index}" for index in range(30)
    )


def test_a_stalled_owner_loses_its_partitions_to_a_forced_takeover(world: StreamWorld) -> None:
    stalled = world.consumer("stalled", lease_ttl_ms=150)
    assert sorted(stalled.leases.refresh()) == list(range(PARTITIONS))
    time.sleep(0.2)  # a batch longer than the lease's time to live: the lease expires
    heir = world.consumer("heir")
    assert sorted(heir.leases.refresh()) == list(range(PARTITIONS))  # taken over, by force
    assert stalled.leases.refresh() == [] and stalled.leases.owned == []  # and it knows
    send(world, [live_event(index) for index in range(8)])
    stalled.leases._looked = float("inf")  # no look for free partitions: none are free
    assert stalled.step() == 0
    assert heir.run(idle_seconds=0.2).scored == 8
    assert len(world.decisions()) == 8
