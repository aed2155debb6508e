"""Every endpoint reads at most its limit of a body, in time: one bounded reader for all."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from tests.serving.conftest import TOKEN, Service

from watchkeeper.serving.app import create_app
from watchkeeper.workspace import Workspace

BODY_ENDPOINTS = ["/v1/score", "/v1/score/batch", "/v1/outcomes", "/v1/rollout/start"]


def streamed(
    service: Service, path: str, chunk: bytes, chunks: int
) -> tuple[list[dict[str, Any]], int]:
    """POST ``chunks`` chunks of ``chunk`` to ``path`` as a chunked body (no length) straight
    into the app; what it sent back and how many chunks it read."""
    read = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        return {"type": "http.request", "body": chunk, "more_body": read < chunks}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"transfer-encoding", b"chunked"),
            (b"content-type", b"application/json"),
            (b"authorization", f"Bearer {TOKEN}".encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
        "state": {},
    }
    asyncio.run(service.client.app(scope, receive, send))
    return sent, read


@pytest.mark.parametrize("path", BODY_ENDPOINTS)
def test_a_chunked_body_is_refused_once_it_passes_the_limit(service: Service, path: str) -> None:
    limit = service.workspace.config.serving.max_body_bytes
    sent, read = streamed(service, path, b" " * (limit // 4), chunks=100)
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["error"]["field"] == "body"
    assert read <= 5  # the limit and one chunk past it, not the 25 MB sent


@pytest.fixture
def slow_server(tmp_path: Path) -> Iterator[int]:
    """A real server (uvicorn, h11) of a workspace whose bodies must arrive within 0.5 s;
    it stops when the test ends."""
    root = Workspace.create(tmp_path / "ws")
    config = root / "watchkeeper.yaml"
    config.write_text(config.read_text() + "\nserving:\n  body_timeout: 0.5s\n")
    with Workspace.open(root) as workspace:
        app = create_app(workspace, admin_token=TOKEN, flush_seconds=None)
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        probe.close()
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", http="h11")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + 20
            while not server.started and time.monotonic() < deadline:
                time.sleep(0.05)
            assert server.started
            yield port
        finally:
            server.should_exit = True
            thread.join(timeout=10)


@pytest.mark.parametrize("path", ["/v1/score", "/v1/outcomes"])
def test_a_body_that_stalls_is_answered_408_and_its_connection_closed(
    slow_server: int, path: str
) -> None:
    with socket.create_connection(("127.0.0.1", slow_server), timeout=10) as client:
        client.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Content-Length: 5000\r\n\r\n".encode()
            + b"{"
            + b" " * 99
        )  # 100 of the 5000 bytes declared, then nothing
        answer = b""
        while chunk := client.recv(65536):  # until the server closes the connection
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"connection: close" in head.lower()
    assert json.loads(body)["error"]["field"] == "body"
