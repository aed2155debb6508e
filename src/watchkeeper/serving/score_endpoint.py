"""``POST /v1/score`` as a plain ASGI app, answered ahead of FastAPI's middleware and routing.

Scoring one event costs the service well under a millisecond of its own work; FastAPI's
layers around an endpoint (error and telemetry middleware, body limit, exception handlers,
routing over every route, dependency solving, the response class) cost about as much again.
The score endpoint is the one every live event goes through, so the app hands it straight
to :class:`ScoreEndpoint`, which reads the body, answers and counts the request itself, with
the same refusals (:mod:`watchkeeper.serving.refusals`) and the same request metrics as every
other endpoint. The FastAPI route of the same path stays: it describes the endpoint in
OpenAPI and serves it through :meth:`ScoreEndpoint.respond` whenever the fast path does not
apply (an app mounted under a root path).

>>> query_value(b"model_version=3&x=1", "model_version"), query_value(b"", "model_version")
('3', None)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from watchkeeper.errors import WatchkeeperError
from watchkeeper.serving.body_reader import REQUEST_TIMEOUT, read_body
from watchkeeper.serving.refusals import RefusalLog, error_body, refusal_for
from watchkeeper.serving.request_body import (
    as_object,
    check_content_type,
    model_version_parameter,
    parse_json,
)
from watchkeeper.serving.request_metrics import RequestSeries
from watchkeeper.serving.service import ScoringService

SCORE_ROUTE = "/v1/score"
CLIENT_CLOSED = 499
"""The status counted for a request whose client left before its body arrived."""


class ScoreEndpoint:
    """Scores the event in a request's body; see the module."""

    def __init__(
        self,
        service: ScoringService,
        *,
        max_body_bytes: int,
        body_timeout: float,
        refusals: RefusalLog,
        series: RequestSeries,
        check_event: Callable[[dict[str, Any]], None],
    ) -> None:
        self.service = service
        self.max_body_bytes = max_body_bytes
        self.body_timeout = body_timeout
        self.refusals = refusals
        self.series = series
        self.check_event = check_event

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one ``POST /v1/score`` and count it (route, status, latency)."""
        started = time.perf_counter()
        status = 500
        try:
            status, content = await self.respond(scope, receive)
        except ClientDisconnect:
            status = CLIENT_CLOSED
            return
        except Exception:
            # as FastAPI's outermost middleware does: a plain 500, then the server logs it
            await _send(send, 500, b"Internal Server Error", b"text/plain; charset=utf-8")
            raise
        finally:
            self.series.record(SCORE_ROUTE, status, time.perf_counter() - started)
        await _send(send, status, content)

    async def respond(self, scope: Scope, receive: Receive) -> tuple[int, bytes]:
        """The status and JSON body answering the request; a refusal is counted and logged.

        Raises :class:`~starlette.requests.ClientDisconnect` if the client leaves before the
        body has arrived.
        """
        payload: Any = None
        try:
            headers = scope["headers"]
            for name, value in headers:
                if name == b"content-type":
                    check_content_type(value)
            body = await read_body(
                headers, receive, max_bytes=self.max_body_bytes, timeout=self.body_timeout
            )
            payload = parse_json(body, max_bytes=self.max_body_bytes)
            event = as_object(payload)
            self.check_event(event)
            pinned = model_version_parameter(query_value(scope["query_string"], "model_version"))
            # on the event loop; only the log append leaves it, shared by the requests in flight
            result = await self.service.scorer().score_async(
                event, model_version=pinned, raw_input=_text(body)
            )
        except WatchkeeperError as error:
            if payload is None:
                payload = getattr(error, "payload", None)
            refusal = refusal_for(error, SCORE_ROUTE)
            self.refusals.record(SCORE_ROUTE, refusal, payload)
            return refusal.status, error_body(refusal.field, refusal.reason)
        self.service.metrics.observe(result)
        return 200, _json(result.to_dict())


def query_value(query_string: bytes, name: str) -> str | None:
    """The last value of ``name`` in a raw query string (None when absent), as Starlette's
    ``request.query_params`` reads it."""
    if not query_string:
        return None
    found = None
    for key, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if key == name:
            found = value
    return found


def _json(content: Any) -> bytes:
    """Compact UTF-8 JSON, as FastAPI's ``JSONResponse`` renders it."""
    return orjson.dumps(content)


def _text(body: bytes) -> str | None:
    """The body as text to log, if it is UTF-8 (JSON may come in UTF-16 or UTF-32 too)."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


async def _send(
    send: Send, status: int, content: bytes, content_type: bytes = b"application/json"
) -> None:
    headers = [
        (b"content-length", str(len(content)).encode("ascii")),
        (b"content-type", content_type),
    ]
    if status == REQUEST_TIMEOUT:  # the rest of a slow body is not waited for
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})


__all__ = ["CLIENT_CLOSED", "SCORE_ROUTE", "ScoreEndpoint", "query_value"]
