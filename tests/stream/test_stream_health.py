"""The consumer's /metrics (lag, outcomes) and its refusal of a cold online state."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from tests.serving.conftest import TrainedModels, live_event, synthetic_events
from tests.stream.conftest import PARTITIONS, StreamWorld, served_workspace

from watchkeeper.cli import main
from watchkeeper.stream import publish
from watchkeeper.stream.metrics import serve_metrics
from watchkeeper.workspace import Workspace

pytestmark = pytest.mark.redis


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def totals(text: str) -> dict[str, float]:
    """Each sample's name (with its outcome label) summed over the partitions."""
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            outcome = sample.labels.get("outcome")
            name = sample.name if outcome is None else f"{sample.name}:{outcome}"
            found[name] = found.get(name, 0.0) + sample.value
    return found


def test_metrics_show_pending_and_undelivered_entries_and_outcomes(world: StreamWorld) -> None:
    consumer = world.consumer()
    events = [live_event(index) for index in range(10)]
    publish(world.client, events, key="card_id", prefix=world.names.prefix, partitions=PARTITIONS)
    world.client.xadd(world.names.partition(0), {"event": b"[]"})
    consumer.leases.refresh()
    delivered = consumer.source.read_batch(consumer.leases.owned, 4, 10)
    assert len(delivered) == 4
    seen = totals(metrics_text(consumer))
    assert seen["watchkeeper_stream_pending_entries"] == 4
    assert seen["watchkeeper_stream_undelivered_entries"] == 7
    assert seen["watchkeeper_stream_oldest_entry_age_seconds"] >= 0
    consumer.handle(delivered)
    consumer.run(idle_seconds=0.2)
    seen = totals(metrics_text(consumer))
    assert seen["watchkeeper_stream_events_total:scored"] == 10
    assert seen["watchkeeper_stream_events_total:rejected"] == 1


def metrics_text(consumer: object) -> str:
    """``/metrics`` of the consumer's registry, over HTTP as ``consume --metrics-port`` serves it."""
    port = free_port()
    server = serve_metrics(consumer.service.metrics.registry, port, "127.0.0.1")  # type: ignore[attr-defined]
    try:
        return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    finally:
        server.shutdown()


def test_consume_refuses_a_cold_state_over_history(
    tmp_path: Path, trained: TrainedModels, redis_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    root = served_workspace(tmp_path / "ws", trained)
    with Workspace.open(root) as workspace:
        workspace.events.write_bulk("transactions", synthetic_events(200, seed=3))
    assert main(["consume", "-w", str(root), "--redis-url", redis_url]) == 2
    error = capsys.readouterr().err
    assert "not consuming" in error and "backfill-state" in error and "--allow-cold-state" in error
