"""The one reader of request bodies: bounded in size and in time, whatever the encoding.

Every endpoint that takes a body reads it here, straight from the ASGI ``receive``: a
``Content-Length`` over the limit is refused (413) before a byte is read, and a body that
streams in (chunked transfer encoding, or a length that lies) is refused as soon as what
arrived passes the limit, so no more than ``max_bytes`` (plus one chunk) is ever held. A
body that does not arrive whole within ``timeout`` seconds of the request's start is
refused with 408; the answer then closes the connection (:data:`CLOSE_HEADERS`), so a slow
client holds neither a worker's memory nor its connection.

>>> import asyncio
>>> messages = iter([{"type": "http.request", "body": b'{"a": ', "more_body": True},
...                  {"type": "http.request", "body": b"1}"}])
>>> async def receive():
...     return next(messages)
>>> asyncio.run(read_body([], receive, max_bytes=1024, timeout=1.0))
b'{"a": 1}'
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from starlette.requests import ClientDisconnect
from starlette.types import Receive

from watchkeeper.serving.request_body import BadRequestError, check_declared_length

REQUEST_TIMEOUT = 408
CLOSE_HEADERS = {"Connection": "close"}
"""Headers of an answer after which the server closes the connection (a 408)."""


async def read_body(
    headers: Iterable[tuple[bytes, bytes]],
    receive: Receive,
    *,
    max_bytes: int,
    timeout: float,
) -> bytes:
    """The whole body of a request with raw ``headers``, at most ``max_bytes`` long.

    Raises :class:`BadRequestError` (413 too large, 408 too slow) and
    :class:`~starlette.requests.ClientDisconnect` if the client leaves first.
    """
    for name, value in headers:
        if name == b"content-length":
            check_declared_length(value, max_bytes)
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise ClientDisconnect()
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > max_bytes:
                    raise BadRequestError("body", f"more than {max_bytes} bytes (the limit)", 413)
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
    except TimeoutError:
        raise BadRequestError(
            "body", f"not received whole within {timeout:g} s", REQUEST_TIMEOUT
        ) from None
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


__all__ = ["CLOSE_HEADERS", "REQUEST_TIMEOUT", "read_body"]
