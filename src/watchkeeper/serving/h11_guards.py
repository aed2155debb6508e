"""uvicorn's HTTP/1.1 protocol with a header timeout, and no connection left out of a stop.

uvicorn bounds an idle keep-alive connection (``timeout_keep_alive``) and the size of a
request's headers (16 KiB, else 400), but not the time they take: a connection that opens and
sends nothing, or half a request line, was kept for ever, and 500 of them stayed open.
:class:`GuardedH11Protocol` gives every request ``header_timeout_seconds`` (read from the
uvicorn config, default :data:`HEADER_TIMEOUT_SECONDS`) from its first byte, or from the
connection's opening for the first, to complete its headers; then the connection is closed,
with a 408 answer if the request had begun. The body's own timeout is the app's.

And on a stop, uvicorn asks the connections open at that moment to close once their answer
is sent, then waits for all of them; a connection accepted in the same instant was never
asked, and a client that kept sending on it held the worker (and the server waiting for the
worker) for ever. Once a server's stop has begun, a connection made afterwards is asked as
soon as it is made.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from typing import Any

import h11
from uvicorn.config import Config
from uvicorn.server import ServerState

from watchkeeper.serving.no_delay_protocol import NoDelayH11Protocol

HEADER_TIMEOUT_SECONDS = 10.0
"""The default time a request may take to send its headers."""
_TIMED_OUT_BODY = b'{"error": {"field": "headers", "message": "the headers came too slowly"}}'
TIMED_OUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
    b"content-length: %d\r\n\r\n%s" % (len(_TIMED_OUT_BODY), _TIMED_OUT_BODY)
)
"""The answer to a request whose headers did not complete in time."""

_stopping: weakref.WeakSet[ServerState] = weakref.WeakSet()
"""The servers (of this process) whose stop has begun."""


class GuardedH11Protocol(NoDelayH11Protocol):
    """:class:`NoDelayH11Protocol` with a header timeout, and closing connections made during a
    stop (see the module)."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.header_timeout = float(
            getattr(config, "header_timeout_seconds", HEADER_TIMEOUT_SECONDS)
        )
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the first request's header clock; shut down at once during a stop."""
        super().connection_made(transport)
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_timed_out)
        if self.server_state in _stopping:
            self.shutdown()

    def data_received(self, data: bytes) -> None:
        """Proceed as uvicorn does; then start the header clock if a request has begun, or
        stop it once its headers are complete."""
        super().data_received(data)
        if self.conn.their_state is h11.IDLE:  # a request begun, its headers incomplete
            if self._header_timer is None and not self.transport.is_closing():
                self._header_timer = self.loop.call_later(
                    self.header_timeout, self._headers_timed_out
                )
        else:
            self._stop_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the header clock; proceed as uvicorn does."""
        self._stop_header_timer()
        super().connection_lost(exc)

    def shutdown(self) -> None:
        """Note that this connection's server is stopping; proceed as uvicorn does."""
        _stopping.add(self.server_state)
        super().shutdown()

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_timed_out(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.conn.trailing_data[0]:  # part of a request came: say why it ends
            self.transport.write(TIMED_OUT)
        with contextlib.suppress(h11.LocalProtocolError):
            self.conn.send(h11.ConnectionClosed())
        self.transport.close()


__all__ = ["HEADER_TIMEOUT_SECONDS", "GuardedH11Protocol"]
