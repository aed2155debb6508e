"""uvicorn's HTTP/1.1 protocol with ``TCP_NODELAY`` on every connection.

With ``--workers`` above 1, uvicorn binds the listening socket itself (protocol number 0), and
asyncio then skips ``TCP_NODELAY`` on the connections it accepts. A response written as
headers then body waits for the client's delayed ACK: about 40 ms per request on Linux. This
protocol sets the option on each connection, whatever the worker count.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


class NoDelayH11Protocol(H11Protocol):
    """:class:`H11Protocol` that disables Nagle's algorithm on its TCP connection."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Set ``TCP_NODELAY``, then proceed as uvicorn does."""
        connection = transport.get_extra_info("socket")
        if connection is not None and connection.family in (socket.AF_INET, socket.AF_INET6):
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


__all__ = ["NoDelayH11Protocol"]
