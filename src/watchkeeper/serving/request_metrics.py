"""Pure ASGI middleware counting requests and timing them, by route template and status.

A route template (``/v1/score``), never the raw path, labels the series, so a scanner cannot
create unbounded label values; unmatched paths are counted as ``unmatched``.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from watchkeeper.serving.metrics import ServingMetrics


class RequestMetricsMiddleware:
    """Wraps an ASGI app; counts each HTTP request and observes its latency."""

    def __init__(self, app: ASGIApp, metrics: ServingMetrics) -> None:
        self.app = app
        self.metrics = metrics
        self._children: dict[tuple[str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request through, recording its status and duration."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            name = getattr(scope.get("route"), "path", "unmatched")
            children = self._children.get((name, status))
            if children is None:  # route templates and statuses are few: look them up once
                children = (
                    self.metrics.requests.labels(name, str(status)),
                    self.metrics.latency.labels(name),
                )
                self._children[(name, status)] = children
            children[0].inc()
            children[1].observe(time.perf_counter() - started)


__all__ = ["RequestMetricsMiddleware"]
