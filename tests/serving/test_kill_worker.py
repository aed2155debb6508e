"""kill -9 of a serving worker: every acknowledged score is in the event store afterwards."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from tests.serving.conftest import TrainedModels, live_event, register

from watchkeeper.registry.registry import CHAMPION, ModelRegistry
from watchkeeper.workspace import Workspace


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_server(root: Path, workers: int, stderr: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from watchkeeper.cli import main; main()",
            "serve",
            "-w",
            str(root),
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        stdout=subprocess.DEVNULL,
        stderr=stderr.open("wb"),
        env={**os.environ, "WATCHKEEPER_ADMIN_TOKEN": ""},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1.0).status_code == 200:
                return server, port
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise AssertionError("the server never became ready")


@pytest.mark.slow
def test_acknowledged_scores_survive_kill_9_of_the_worker(
    tmp_path: Path, trained: TrainedModels
) -> None:
    root = Workspace.create(tmp_path / "ws")
    with Workspace.open(root) as workspace:
        version = register(workspace, trained, trained.good, threshold=0.5)
        ModelRegistry.for_workspace(workspace).set_status(version, CHAMPION, reason="first")
    server, port = start_server(root, 1, tmp_path / "stderr")
    acknowledged: list[str] = []
    stop = threading.Event()

    def send() -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5.0) as client:
            index = 0
            while not stop.is_set():
                # at the server's wall clock's now: its plausible range of event times
                event = live_event(index, after=datetime.now(UTC) - timedelta(seconds=index))
                index += 1
                try:
                    answer = client.post("/v1/score", json=event)
                except httpx.HTTPError:
                    return
                if answer.status_code == 200:
                    acknowledged.append(answer.json()["event_id"])

    try:
        deadline = time.monotonic() + 30
        sender = threading.Thread(target=send)
        sender.start()
        while len(acknowledged) < 100 and time.monotonic() < deadline:
            time.sleep(0.01)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        stop.set()
        sender.join(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()
    assert len(acknowledged) >= 100
    with Workspace.open(root) as workspace:
        workspace.events.flush()
        logged = set(workspace.events.read("predictions")["event_id"].to_list())
    assert set(acknowledged) <= logged
