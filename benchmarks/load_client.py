"""A light HTTP/1.1 load generator for ``serve_load.py``: asyncio protocols over keep-alive
connections, each request built from bytes, each answer parsed only as far as its status line
and ``content-length``.

A load generator on the same two cores as the server takes CPU from it. The generator this
replaced (``httpx`` clients in threads) spent about 0.8 ms of CPU per request and took some 1.3
of the 2 cores at the bare endpoint's rate, so it measured itself as much as the servers. This
one spends a few tens of microseconds per request.

Closed loop (``rate=None``): each connection sends its next request when the previous answer
has arrived. Open loop (``rate`` per second for all connections together): each connection
sends on a fixed schedule; when slow answers have put it behind that schedule, a request's
latency counts from the moment it was *due*, not from when it went out, so a server that falls
behind is charged for the wait (no coordinated omission). The garbage collector is off during
a run: its pauses in this process would count as the server's latency.

    >>> request_bytes(b'{"a": 1}')[:30]
    b'POST /v1/score HTTP/1.1\\r\\nHost:'
    >>> parse_head(b"HTTP/1.1 200 OK\\r\\ncontent-length: 12\\r\\n\\r\\n")
    (200, 12)
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, field

HEADER_END = b"\r\n\r\n"


def request_bytes(body: bytes, path: str = "/v1/score") -> bytes:
    """One POST with a JSON body, ready for the socket."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


def parse_head(head: bytes) -> tuple[int, int]:
    """The status code and ``content-length`` of an answer's head (up to the blank line)."""
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return status, int(value.strip())
    raise ValueError("an answer without content-length (chunked answers are not supported)")


@dataclass
class LoadResult:
    """Latencies (seconds) of the answers with status 200, and how many others came back."""

    latencies: list[float] = field(default_factory=list)
    failed: int = 0


class _Connection(asyncio.Protocol):
    """One keep-alive connection sending one request at a time."""

    def __init__(self, next_body: Callable[[], bytes], result: LoadResult) -> None:
        self.next_body = next_body
        self.result = result
        self.buffer = b""
        self.expected: int | None = None
        self.status = 0
        self.started = 0.0
        self.answered: asyncio.Future[None] | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    async def send(self, counted_from: float) -> None:
        """Send one request and wait for its answer; latency counts from ``counted_from``."""
        assert self.transport is not None
        self.answered = asyncio.get_running_loop().create_future()
        self.started = counted_from
        self.transport.write(request_bytes(self.next_body()))
        await self.answered

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.expected is None:
            end = self.buffer.find(HEADER_END)
            if end < 0:
                return
            self.status, length = parse_head(self.buffer[:end])
            self.buffer = self.buffer[end + len(HEADER_END) :]
            self.expected = length
        if len(self.buffer) < self.expected:
            return
        elapsed = time.perf_counter() - self.started
        if self.status == 200:
            self.result.latencies.append(elapsed)
        else:
            self.result.failed += 1
        self.buffer = self.buffer[self.expected :]
        self.expected = None
        if self.answered is not None and not self.answered.done():
            self.answered.set_result(None)

    def connection_lost(self, error: Exception | None) -> None:
        if self.answered is not None and not self.answered.done():
            self.answered.set_exception(error or ConnectionError("the server closed"))


async def run_load(
    port: int,
    connections: int,
    seconds: float,
    rate: float | None,
    next_body: Callable[[], bytes],
) -> LoadResult:
    """Drive ``connections`` keep-alive connections for ``seconds``, closed or open loop."""
    loop = asyncio.get_running_loop()
    result = LoadResult()
    opened = [
        (await loop.create_connection(lambda: _Connection(next_body, result), "127.0.0.1", port))[1]
        for _ in range(connections)
    ]
    start = time.perf_counter()
    end = start + seconds

    async def drive(number: int, connection: _Connection) -> None:
        interval = connections / rate if rate else 0.0
        due = start + number * interval / connections
        while True:
            now = time.perf_counter()
            sent_from = now
            if interval and due > now:
                await asyncio.sleep(due - now)
                sent_from = now = time.perf_counter()  # this loop's own lateness is not charged
            elif interval:
                sent_from = due  # behind schedule because answers were slow: charged
            if now >= end:
                return
            await connection.send(sent_from)
            due += interval

    # A full collection in this process (which holds the test helpers' imports) took some
    # 100 ms: every answer arriving meanwhile counted as that much slower. Nothing here
    # makes cycles that must be collected during a run.
    gc.freeze()
    gc.disable()
    try:
        await asyncio.gather(*(drive(n, c) for n, c in enumerate(opened)))
    finally:
        gc.enable()
        gc.unfreeze()
    for connection in opened:
        assert connection.transport is not None
        connection.transport.close()
    return result


__all__ = ["LoadResult", "parse_head", "request_bytes", "run_load"]
