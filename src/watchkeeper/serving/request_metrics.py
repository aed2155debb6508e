"""Pure ASGI middleware counting requests and timing them, by route template and status.

A route template (``/v1/score``), never the raw path, labels the series, so a scanner cannot
create unbounded label values; unmatched paths are counted as ``unmatched``.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from watchkeeper.serving.metrics import ServingMetrics


class RequestSeries:
    """The request counter and latency histogram of each (route template, status) pair,
    looked up once: route templates and statuses are few."""

    def __init__(self, metrics: ServingMetrics) -> None:
        self.metrics = metrics
        self._children: dict[tuple[str, int], tuple[Any, Any]] = {}

    def record(self, route: str, status: int, seconds: float) -> None:
        """Count one request to ``route`` answered with ``status`` after ``seconds``."""
        children = self._children.get((route, status))
        if children is None:
            children = (
                self.metrics.requests.labels(route, str(status)),
                self.metrics.latency.labels(route),
            )
            self._children[(route, status)] = children
        children[0].inc()
        children[1].observe(seconds)


class RequestMetricsMiddleware:
    """Wraps an ASGI app; counts each HTTP request and observes its latency."""

    def __init__(self, app: ASGIApp, series: RequestSeries) -> None:
        self.app = app
        self.series = series

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
            self.series.record(name, status, time.perf_counter() - started)


__all__ = ["RequestMetricsMiddleware", "RequestSeries"]
