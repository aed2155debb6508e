"""``GET /metrics`` (the Prometheus exposition) and ``GET /dashboard`` (the report as a
page, :mod:`~watchkeeper.serving.dashboard_route`), both behind the read protection."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response

from watchkeeper.errors import StorageError
from watchkeeper.serving.dashboard_route import dashboard_router
from watchkeeper.serving.openapi_schema import error_responses
from watchkeeper.serving.routes.context import ServingContext

logger = logging.getLogger(__name__)

EXPOSITION_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def metrics_router(context: ServingContext) -> APIRouter:
    """The metrics and dashboard routes of ``context``'s app."""
    router = APIRouter()
    workspace, service = context.workspace, context.service

    @router.get("/metrics", responses=error_responses(401, 403))
    def metrics(request: Request) -> Response:
        """Prometheus exposition of the service's metrics."""
        context.reader(request)
        try:
            service.metrics.set_spool_backlog(workspace.events.backlog(), service.clock.now())
        except StorageError as error:  # the other series are still worth scraping
            logger.warning("the spool's backlog could not be read: %s", error)
        return Response(service.metrics.exposition(), media_type=EXPOSITION_TYPE)

    router.include_router(
        dashboard_router(workspace, guard=context.reader, public=not context.serving.protect_reads)
    )
    return router


__all__ = ["metrics_router"]
