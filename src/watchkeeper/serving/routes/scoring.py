"""``POST /v1/score`` and ``/v1/score/batch``: raw events in, the model's predictions out,
each durable in the event store's spool before the answer. One event is answered by
:class:`~watchkeeper.serving.score_endpoint.ScoreEndpoint` ahead of the routing; the route
here describes it and answers 409 for a model served elsewhere. A batch is checked and scored
on a worker thread (the models may load), never on the event loop.

>>> _batch_model_version("2", {"model_version": 2}), _batch_model_version(None, {})
(2, None)
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from watchkeeper.serving.body_reader import CLOSE_HEADERS, REQUEST_TIMEOUT
from watchkeeper.serving.openapi_schema import (
    MODEL_VERSION_PARAMETER,
    batch_schema,
    error_responses,
    event_schema,
    ok_response,
    request_body,
    score_response_schema,
)
from watchkeeper.serving.request_body import (
    BadRequestError,
    as_list,
    as_object,
    model_version_parameter,
)
from watchkeeper.serving.routes.context import BODY_ERRORS, MAX_BATCH_EVENTS, ServingContext
from watchkeeper.serving.score_endpoint import SCORE_ROUTE, ScoreEndpoint
from watchkeeper.serving.scorer import ScoreResult


def scoring_router(context: ServingContext, score_endpoint: ScoreEndpoint) -> APIRouter:
    """The scoring routes of ``context``'s app; ``score_endpoint`` answers one event."""
    router = APIRouter()
    config = context.workspace.config
    service = context.service
    event = event_schema(config.features.inputs)
    errors = error_responses(*BODY_ERRORS, 409, 503)
    answer = score_response_schema(config.model.task, config.label.classes or ())
    batch_answer = {
        "type": "object",
        "properties": {"results": {"type": "array", "items": answer}},
        "required": ["results"],
    }

    @router.post(
        SCORE_ROUTE,
        openapi_extra={"requestBody": request_body(event), "parameters": [MODEL_VERSION_PARAMETER]},
        responses={**ok_response(answer, "The event's prediction (logged)"), **errors},
    )
    async def score(request: Request) -> Response:
        """Score one raw event; the prediction is durable in the event store before the answer.

        ``model_version`` (query) pins the deciding model to the champion or the challenger.
        """
        context.served_here("score")
        status, content = await score_endpoint.respond(request.scope, request.receive)
        headers = CLOSE_HEADERS if status == REQUEST_TIMEOUT else None
        return Response(content, status_code=status, media_type="application/json", headers=headers)

    @router.post(
        "/v1/score/batch",
        openapi_extra={
            "requestBody": request_body(batch_schema(event, MAX_BATCH_EVENTS)),
            "parameters": [MODEL_VERSION_PARAMETER],
        },
        responses={
            **ok_response(batch_answer, "Every event's prediction, in order (logged)"),
            **errors,
        },
    )
    async def score_batch(request: Request) -> dict[str, Any]:
        """Score ``{"events": [...]}`` in order; one bad event rejects the batch, named by position.

        ``model_version`` (query, or a field of the body) pins the deciding model of every
        event to the champion or the challenger, as for ``/v1/score``.
        """
        context.served_here("score")
        payload = as_object(await context.body(request))
        events = as_list(payload.get("events"), "events", max_items=MAX_BATCH_EVENTS)

        def scored() -> list[ScoreResult]:
            for position, item in enumerate(events):
                context.check_event(as_object(item, f"events[{position}]"), f"events[{position}].")
            pinned = _batch_model_version(request.query_params.get("model_version"), payload)
            return service.scorer().score_many(events, model_version=pinned)

        results = await run_in_threadpool(scored)
        for result in results:
            service.metrics.observe(result)
        return {"results": [result.to_dict() for result in results]}

    return router


def _batch_model_version(query: str | None, payload: dict[str, Any]) -> int | None:
    """The version a batch pins: the ``model_version`` query parameter or body field (both
    given, they must agree); None: the router decides."""
    pinned = model_version_parameter(query)
    if "model_version" in payload:
        value = payload["model_version"]
        in_body = model_version_parameter(None if value is None else str(value))
        if pinned is not None and in_body is not None and pinned != in_body:
            raise BadRequestError(
                "model_version", f"the query names {pinned} and the body {in_body}", 422
            )
        pinned = pinned if in_body is None else in_body
    return pinned


__all__ = ["scoring_router"]
