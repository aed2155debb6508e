"""kill -9 of a consumer mid-batch, then a restart: every event logged once, decided alike."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from tests.serving.conftest import TrainedModels, live_event
from tests.stream.conftest import PARTITIONS, served_workspace

from watchkeeper.stream import publish
from watchkeeper.stream.partitions import StreamNames
from watchkeeper.workspace import Workspace

pytestmark = [pytest.mark.redis, pytest.mark.slow]
EVENTS = 400


def start_consumer(root: Path, redis_url: str, prefix: str, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "watchkeeper", "consume", "-w", str(root)]
    command += ["--redis-url", redis_url, "--stream", prefix, "--partitions", str(PARTITIONS)]
    command += ["--group", "g", "--consumer", "crashy", "--batch-size", "25"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log.open("ab"))


def wait_for(condition: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_kill_9_mid_batch_then_restart_loses_and_doubles_nothing(
    tmp_path: Path, trained: TrainedModels, redis_url: str
) -> None:
    root = served_workspace(tmp_path / "ws", trained, state="sqlite")
    client = redis.Redis.from_url(redis_url)
    names = StreamNames("crash")
    now = datetime.now(UTC)
    events = [live_event(index, after=now) for index in range(EVENTS)]
    publish(client, events, key="card_id", prefix=names.prefix, partitions=PARTITIONS)
    log = tmp_path / "consumer.log"

    consumer = start_consumer(root, redis_url, names.prefix, log)
    try:
        wait_for(lambda: client.xlen(names.decisions) >= 100, 30, "the first decisions")
        consumer.send_signal(signal.SIGKILL)
        consumer.wait(timeout=10)
    finally:
        if consumer.poll() is None:
            consumer.kill()
    decided_before = client.xlen(names.decisions)
    assert decided_before < EVENTS, "killed too late to test anything"

    def all_acknowledged() -> bool:
        groups = [client.xinfo_groups(names.partition(index)) for index in range(PARTITIONS)]
        return all(group[0]["pending"] == 0 and group[0]["lag"] == 0 for group in groups)

    consumer = start_consumer(root, redis_url, names.prefix, log)
    try:
        wait_for(all_acknowledged, 60, "every entry acknowledged after the restart")
        consumer.send_signal(signal.SIGTERM)
        assert consumer.wait(timeout=60) == 0, log.read_text()
    finally:
        if consumer.poll() is None:
            consumer.kill()

    decisions: dict[str, set[str]] = defaultdict(set)
    for _, fields in client.xrange(names.decisions):
        decisions[fields[b"event_id"].decode()].add(fields[b"decision"].decode())
    client.close()
    expected = {event["event_id"] for event in events}
    assert set(decisions) == expected
    assert all(len(values) == 1 for values in decisions.values())  # redelivered: the same
    with Workspace.open(root) as workspace:
        workspace.events.flush()
        logged = workspace.events.read("predictions", columns=["event_id", "score"])
    assert logged.height == EVENTS
    assert set(logged["event_id"].to_list()) == expected
    for event_id, score in zip(logged["event_id"], logged["score"], strict=True):
        assert json.loads(next(iter(decisions[event_id])))["score"] == pytest.approx(score)
    assert "Traceback" not in log.read_text()
    assert os.path.getsize(log) > 0
