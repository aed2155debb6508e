"""The registry and the canary over HTTP: ``GET /v1/models`` and ``/v1/rollout`` (reads),
``POST /v1/rollout/start``, ``/promote``, ``/rollback`` and ``/evaluate`` (admin). The
registry's SQL and the model loads run on worker threads (plain ``def`` endpoints, and
``run_in_threadpool`` after the body is read), never on the event loop that answers
``/v1/score``. Each action is the use case of
:mod:`~watchkeeper.application.rollout_actions`, run with the service's controller (on the
service's clock); the route adds the reload of the serving models.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from watchkeeper.application.rollout_actions import (
    end_canary,
    evaluate_canary,
    rollout_status,
    start_canary,
)
from watchkeeper.errors import WatchkeeperError
from watchkeeper.rollout.controller import RolloutStatus
from watchkeeper.serving.openapi_schema import ROLLOUT_START_SCHEMA, error_responses, request_body
from watchkeeper.serving.request_body import BadRequestError, as_object
from watchkeeper.serving.routes.context import BODY_ERRORS, RefusedError, ServingContext

logger = logging.getLogger(__name__)

ACTOR = "http-admin"
"""Who the audit log names for a rollout action taken over HTTP."""


def rollout_router(context: ServingContext) -> APIRouter:
    """The registry and rollout routes of ``context``'s app."""
    router = APIRouter()
    service = context.service
    workspace = context.workspace
    controller = service.controller
    read_errors = error_responses(401, 403)
    admin_errors = error_responses(*BODY_ERRORS, 401, 403, 404, 409)

    @router.get("/v1/models", responses=read_errors)
    def models(request: Request) -> dict[str, Any]:
        """Every registered version with its status, and the aliases."""
        context.reader(request)
        return {
            "model": service.registry.model_name,
            "aliases": service.registry.aliases(),
            "versions": [
                {
                    "version": record.version,
                    "status": record.status,
                    "created_at": record.created_at.isoformat(),
                    "metrics": dict(record.metrics),
                }
                for record in service.registry.versions()
            ],
        }

    @router.get("/v1/rollout", responses=read_errors)
    def rollout(request: Request) -> dict[str, Any]:
        """The rollout state, the running (or last) rollout and the aliases."""
        context.reader(request)
        status = rollout_status(workspace, controller=controller)
        service.publish(status)
        return status.to_dict()

    def reloaded(done: str, undo: Callable[[], object] | None = None) -> RolloutStatus:
        """Load the models a committed rollout action serves; when they do not load, undo the
        action if it can be (a canary start) and answer 503 saying what is true."""
        try:
            return service.reload()
        except WatchkeeperError as error:
            logger.error("%s, but the serving models could not be loaded: %s", done, error)
            if undo is None:
                truth = f"{done}, but this service could not load the models to serve and "
                raise RefusedError(503, truth + "goes on with the ones it had", "rollout") from None
            undo()
            with contextlib.suppress(WatchkeeperError):
                service.reload()
            truth = f"{done} and rolled back at once: this service could not load its models"
            raise RefusedError(503, truth, "rollout") from None

    @router.post(
        "/v1/rollout/start",
        openapi_extra={"requestBody": request_body(ROLLOUT_START_SCHEMA)},
        responses=admin_errors,
    )
    async def rollout_start(request: Request) -> dict[str, Any]:
        """Start a canary of ``{"version": N}`` (admin); a version the validation gate did not
        accept needs ``"force": true`` and a ``"reason"``, both written to the audit log."""
        context.admin(request)
        version, force, reason = _start_request(as_object(await context.body(request)))

        def start() -> dict[str, Any]:
            started = start_canary(
                workspace, version, actor=ACTOR, reason=reason, force=force, controller=controller
            )

            def undo() -> None:
                why = "the service could not load the canary's models"
                end_canary(workspace, "rollback", actor=ACTOR, reason=why, controller=controller)

            done = f"the canary of version {_challenger(started)} started"
            return reloaded(done, undo).to_dict()

        return await run_in_threadpool(start)

    @router.post("/v1/rollout/promote", responses=admin_errors)
    def rollout_promote(request: Request) -> dict[str, Any]:
        """Promote the running canary's challenger to champion (admin)."""
        context.admin(request)
        ended = end_canary(
            workspace, "promote", actor=ACTOR, reason="promoted over HTTP", controller=controller
        )
        done = f"version {_challenger(ended.status)} was promoted"
        answer = reloaded(done).to_dict()
        if ended.cold_state is not None:
            answer["cold_state"] = ended.cold_state
        return answer

    @router.post("/v1/rollout/rollback", responses=admin_errors)
    def rollout_rollback(request: Request) -> dict[str, Any]:
        """Roll the running canary back; the champion keeps serving (admin)."""
        context.admin(request)
        ended = end_canary(
            workspace,
            "rollback",
            actor=ACTOR,
            reason="rolled back over HTTP",
            controller=controller,
        )
        return reloaded(f"version {_challenger(ended.status)} was rolled back").to_dict()

    @router.post("/v1/rollout/evaluate", responses=admin_errors)
    def rollout_evaluate(request: Request) -> dict[str, Any]:
        """Check the canary's guards now; roll back, promote or wait (admin)."""
        context.admin(request)
        evaluation = evaluate_canary(workspace, actor=ACTOR, controller=controller)
        changed = evaluation.action in ("promoted", "rolled_back")
        status = reloaded(f"the canary was {evaluation.action}") if changed else None
        return {
            "action": evaluation.action,
            "checks": [vars(check) for check in evaluation.checks],
            "alert": evaluation.alert,
            "rollout": (status or rollout_status(workspace, controller=controller)).to_dict(),
        }

    return router


def _challenger(status: RolloutStatus) -> int | None:
    """The challenger of the running (or just ended) rollout of ``status``."""
    return None if status.rollout is None else status.rollout.challenger_version


def _start_request(payload: dict[str, Any]) -> tuple[int | str, bool, str]:
    """The version, ``force`` and reason of a canary start's body.

    >>> _start_request({"version": 3})
    (3, False, 'canary started over HTTP')
    >>> _start_request({"version": "challenger", "force": True})
    Traceback (most recent call last):
    ...
    watchkeeper.serving.request_body.BadRequestError: reason: required with force: why the gate is overridden
    """
    version = payload.get("version")
    if isinstance(version, bool) or not isinstance(version, int | str):
        raise BadRequestError("version", "required: a version number or alias", 422)
    force = payload.get("force", False)
    if not isinstance(force, bool):
        raise BadRequestError("force", "must be true or false", 422)
    given = payload.get("reason")
    if given is not None and not isinstance(given, str):
        raise BadRequestError("reason", "must be a string", 422)
    if force and not (given or "").strip():
        raise BadRequestError("reason", "required with force: why the gate is overridden", 422)
    return version, force, given or "canary started over HTTP"


__all__ = ["rollout_router"]
