"""A real ``watchkeeper serve``: SIGTERM under load stops it, every process with it, in
bounded time, losing no acknowledged prediction; a killed flusher is restarted; a stalled
request's headers close its connection."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from tests.serving.conftest import TrainedModels, live_event, register
from tests.serving.test_kill_worker import free_port, start_server

from watchkeeper.registry.registry import CHAMPION, ModelRegistry
from watchkeeper.workspace import Workspace

SHUTDOWN_TIMEOUT = 8


def children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in found]


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def flusher_of(server: int) -> int:
    """The flusher: the first process the server spawned (before uvicorn's workers)."""
    spawned = [
        pid
        for pid in children(server)
        if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]
    return min(spawned)


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc")
@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_under_load_stops_everything_in_time_and_loses_nothing(
    tmp_path: Path, trained: TrainedModels, workers: int
) -> None:
    root = Workspace.create(tmp_path / "ws")
    config = root / "watchkeeper.yaml"
    text = config.read_text().replace("type: memory", "type: lmdb", 1)
    config.write_text(text + f"\nserving:\n  shutdown_timeout: {SHUTDOWN_TIMEOUT}s\n")
    with Workspace.open(root) as workspace:
        version = register(workspace, trained, trained.good, threshold=0.5)
        ModelRegistry.for_workspace(workspace).set_status(version, CHAMPION, reason="first")
    stderr = tmp_path / "stderr"
    server, port = start_server(root, workers, stderr)
    acknowledged: list[str] = []
    stop = threading.Event()

    def send(offset: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=2.0) as client:
            index = offset
            while not stop.is_set():
                index += 1
                try:
                    now = datetime.now(UTC) - timedelta(seconds=index)  # the server's wall clock
                    answer = client.post("/v1/score", json=live_event(index, after=now))
                except httpx.HTTPError:
                    time.sleep(0.05)
                    continue
                if answer.status_code == 200:
                    acknowledged.append(answer.json()["event_id"])

    senders = [threading.Thread(target=send, args=(n * 1_000_000,)) for n in range(3)]
    try:
        os.kill(flusher_of(server.pid), signal.SIGKILL)  # restarted, and the stop still ends
        deadline = time.monotonic() + 30
        while b"was restarted (restart 1)" not in stderr.read_bytes():
            assert time.monotonic() < deadline, "the killed flusher was not restarted"
            time.sleep(0.1)
        assert b"the flusher process died (exit code -9)" in stderr.read_bytes()
        processes = children(server.pid)
        for senders_thread in senders:
            senders_thread.start()
        deadline = time.monotonic() + 30
        while len(acknowledged) < 50 and time.monotonic() < deadline:
            time.sleep(0.01)
        processes = set(children(server.pid))
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=SHUTDOWN_TIMEOUT + 10)
    finally:
        stop.set()
        for sender in senders:
            if sender.is_alive():
                sender.join(10)
        if server.poll() is None:
            server.kill()
    # Status 0 says it stopped within its own shutdown deadline: an expired one exits 1.
    assert server.returncode == 0, stderr.read_text()[-2000:]
    deadline = time.monotonic() + 10
    while any(running(pid) for pid in processes) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in processes if running(pid)]
    assert not port_open(port)
    assert len(acknowledged) >= 50
    with Workspace.open(root) as workspace:
        logged = set(workspace.events.read("predictions")["event_id"].to_list())
    assert set(acknowledged) <= logged


def test_a_request_whose_headers_stall_is_closed_within_the_header_timeout(tmp_path: Path) -> None:
    import asyncio

    import uvicorn

    from watchkeeper.serving.h11_guards import GuardedH11Protocol
    from watchkeeper.serving.server_run import ServerConfig

    async def app(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
        return None

    port = free_port()
    config = ServerConfig(
        app,
        host="127.0.0.1",
        port=port,
        http=GuardedH11Protocol,
        lifespan="off",
        log_level="warning",
        header_timeout_seconds=0.5,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        sockets = []
        for index in range(500):
            connection = socket.create_connection(("127.0.0.1", port))
            if index % 2:
                connection.sendall(b"POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Le")
            sockets.append(connection)
        answers = []
        for connection in sockets:
            connection.settimeout(10.0)
            received = b""
            while chunk := connection.recv(4096):  # b"": closed by the server
                received += chunk
            answers.append(received)
            connection.close()
        assert all(answer.startswith(b"HTTP/1.1 408") for answer in answers[1::2])
        assert all(answer == b"" for answer in answers[0::2])
        assert len(server.server_state.connections) == 0
    finally:
        server.should_exit = True
        thread.join(10)
