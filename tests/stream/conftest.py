"""A served workspace and a Redis stream prefix of its own for each stream test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.serving.conftest import (
    LIVE_EVENTS_AHEAD,
    START,
    TrainedModels,
    register,
    trained,
)

from watchkeeper.clock import EventTimeClock
from watchkeeper.registry.registry import CHAMPION, ModelRegistry
from watchkeeper.stream.consumer import StreamConsumer
from watchkeeper.stream.partitions import StreamNames
from watchkeeper.workspace import Workspace

__all__ = ["trained"]  # the session's two trained models, shared with the serving tests

PARTITIONS = 4


@dataclass
class StreamWorld:
    """A workspace with a champion, a Redis client and a stream prefix of the test's own."""

    workspace: Workspace
    root: Path
    clock: EventTimeClock
    client: Any
    names: StreamNames

    def consumer(self, name: str = "c1", **options: Any) -> StreamConsumer:
        return StreamConsumer.over_redis(
            self.workspace,
            self.client,
            names=self.names,
            partitions=PARTITIONS,
            group="g",
            consumer=name,
            clock=self.clock,
            **options,
        )

    def decisions(self) -> list[dict[str, str]]:
        return [
            {key.decode(): value.decode() for key, value in fields.items()}
            for _, fields in self.client.xrange(self.names.decisions)
        ]


def served_workspace(root: Path, trained: TrainedModels, state: str = "memory") -> Path:
    """A workspace folder with a registered champion, its online state of type ``state``."""
    created = Workspace.create(root)
    config = created / "watchkeeper.yaml"
    text = config.read_text().replace("type: memory", f"type: {state}", 1)
    config.write_text(text + LIVE_EVENTS_AHEAD)
    with Workspace.open(created) as workspace:
        version = register(workspace, trained, trained.good, threshold=0.5)
        ModelRegistry.for_workspace(workspace).set_status(version, CHAMPION, reason="first")
    return created


@pytest.fixture
def world(tmp_path: Path, trained: TrainedModels, redis_url: str) -> Iterator[StreamWorld]:
    import redis

    root = served_workspace(tmp_path / "ws", trained)
    clock = EventTimeClock(START + timedelta(days=8))
    client = redis.Redis.from_url(redis_url)
    workspace = Workspace.open(root, clock=clock)
    try:
        yield StreamWorld(workspace, root, clock, client, StreamNames(f"t{uuid.uuid4().hex[:8]}"))
    finally:
        workspace.close()
        client.close()
