"""``POST /v1/outcomes`` (the outcomes of the model's task, idempotent by event id) and
``POST /v1/predictions`` (what a model served elsewhere decided, each row checked on its own).
The event store's appends run on a worker thread.
"""

from __future__ import annotations

import functools
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from watchkeeper.intake.prediction_checks import PredictionRules
from watchkeeper.serving.openapi_schema import (
    error_responses,
    event_schema,
    outcomes_schema,
    predictions_schema,
    request_body,
)
from watchkeeper.serving.outcomes import OutcomeRules, outcome_rows
from watchkeeper.serving.prediction_log import PredictionLog
from watchkeeper.serving.request_body import as_list, as_object
from watchkeeper.serving.routes.context import BODY_ERRORS, MAX_BATCH_EVENTS, ServingContext


def intake_router(context: ServingContext) -> APIRouter:
    """The outcome and prediction intake routes of ``context``'s app."""
    router = APIRouter()
    workspace, service = context.workspace, context.service
    config = workspace.config
    outcome_rules = OutcomeRules.for_workspace(config, service.time_range)
    prediction_rules = PredictionRules.from_config(config)
    keys = config.keys
    declared = event_schema(config.features.inputs)["properties"]
    predictions_body = predictions_schema(
        event_schema(prediction_rules.spec.inputs),
        config.model.task,
        prediction_rules.classes,
        keys=[name for name in (keys.event_id, keys.entity) if name not in declared],
        max_items=MAX_BATCH_EVENTS,
    )
    prediction_log = PredictionLog(
        workspace.events,
        prediction_rules,
        functools.partial(workspace.metadata.external_versions.number, config.model.name),
        clock=service.clock,
        ledger=service.idempotency,
        records=service.pending_states,
        time_range=service.time_range,
        reject_unknown=context.serving.unknown_fields == "reject",
    )

    @router.post(
        "/v1/outcomes",
        openapi_extra={
            "requestBody": request_body(outcomes_schema(outcome_rules.values, outcome_rules.task))
        },
        responses=error_responses(*BODY_ERRORS),
    )
    async def outcomes(request: Request) -> dict[str, Any]:
        """Record outcomes (``{"outcomes": [...]}`` or one object); idempotent by event id.

        See :mod:`watchkeeper.serving.outcomes` for what is accepted (values, times, and
        outcomes of events the service has not scored).
        """
        payload = as_object(await context.body(request))
        items = payload.get("outcomes", [payload])
        rows = outcome_rows(
            as_list(items, "outcomes", max_items=MAX_BATCH_EVENTS),
            received_at=service.clock.now(),
            rules=outcome_rules,
        )
        receipt = await run_in_threadpool(workspace.events.append, "outcomes", rows)
        service.metrics.count_outcomes(rows.column("outcome").to_pylist())
        return {"accepted": receipt.row_count}

    @router.post(
        "/v1/predictions",
        openapi_extra={"requestBody": request_body(predictions_body)},
        responses=error_responses(*BODY_ERRORS, 401, 403, 409, 503),
    )
    async def predictions(request: Request) -> JSONResponse:
        """Log what a model served outside watchkeeper decided (``{"predictions": [...]}``).

        Each prediction is checked on its own: the good ones are logged, each bad one is
        listed in ``refused`` with its position, field and reason (and kept in
        ``rejections``); an event id logged before counts as ``repeated`` with the same
        content and is refused with another. 200 when any was logged or repeated; when all
        were refused, 422 (409 if every one conflicts with a logged event id).
        Needs the ``WATCHKEEPER_LOG_TOKEN`` (or the admin) bearer token.
        """
        context.logger(request)
        context.served_here("predictions")
        payload = as_object(await context.body(request))
        items = as_list(payload.get("predictions"), "predictions", max_items=MAX_BATCH_EVENTS)
        result = await run_in_threadpool(prediction_log.log, items)
        reasons = [row.reason for row in result.refused]
        service.metrics.count_logged_predictions(
            logged=result.logged, repeated=result.repeated, refused_reasons=reasons
        )
        service.metrics.unknown_fields.inc(result.unknown_fields)
        for row in result.refused:
            context.refusals.count(row.field or "other")
        return JSONResponse(result.to_dict(), status_code=result.status)

    return router


__all__ = ["intake_router"]
