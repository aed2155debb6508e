"""``GET /healthz`` (liveness) and ``GET /readyz`` (readiness, 503 with the problems)."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from watchkeeper.errors import StorageError, WatchkeeperError
from watchkeeper.serving.refusals import redact_paths
from watchkeeper.serving.routes.context import ServingContext
from watchkeeper.serving.spool_backlog import stale_backlog
from watchkeeper.serving.state_readiness import state_readiness

logger = logging.getLogger(__name__)


def health_router(context: ServingContext, *, allow_cold_state: bool) -> APIRouter:
    """The health routes of ``context``'s app; ``allow_cold_state=False``: ``/readyz`` fails
    while the online state was filled for another fitted spec than the champion's."""
    router = APIRouter()
    workspace, service = context.workspace, context.service

    @router.get("/healthz")
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @router.get("/readyz")
    def readyz() -> JSONResponse:
        """Readiness: an owner is named, the champion (and canary) loaded (unless the model is
        served outside watchkeeper), no logged row has waited for the flusher longer than
        ``serving.max_backlog_age``, and (unless cold states are allowed) the online state
        was not filled for another fitted spec; the state's watermark is reported."""
        problems = []
        if not workspace.config.owner.name:
            problems.append("the workspace names no owner")
        champion_spec = None
        try:
            if not context.external:  # an external model is served elsewhere: nothing to load
                champion_spec = service.scorer().models.champion_spec.content_hash
        except WatchkeeperError as error:
            problems.append(str(error))
        online_state, state_problem = state_readiness(service.state, champion_spec)
        if state_problem is not None and not allow_cold_state:
            problems.append(state_problem)
        try:
            stale = stale_backlog(
                workspace.events.backlog(), service.clock.now(), context.serving.max_backlog_age
            )
        except StorageError as error:
            logger.warning("the spool's backlog could not be read: %s", error)
            stale = "the spool's backlog could not be read"
        if stale is not None:
            problems.append(stale)
        if problems:
            logger.warning("not ready: %s", "; ".join(problems))
            shown = [redact_paths(problem) for problem in problems]
            return JSONResponse(
                {"status": "not ready", "problems": shown, "online_state": online_state},
                status_code=503,
            )
        return JSONResponse({"status": "ready", "online_state": online_state})

    return router


__all__ = ["health_router"]
