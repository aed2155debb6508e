"""The FastAPI app factory: ``create_app(workspace)`` builds a fresh app with its own state.

Endpoints: ``POST /v1/score`` and ``/v1/score/batch`` (raw events in; out, the event id, the
prediction of the model's task, the model version and route, every prediction durable in the
event store's spool before the answer: binary ``score`` and ``decision``, multiclass
``probabilities``, ``decision`` and ``score``, regression ``prediction``), ``POST /v1/outcomes`` (outcomes of the model's task), ``GET /v1/models``,
``GET /v1/rollout``, ``GET /healthz``, ``GET /readyz`` (503 too when logged rows wait too
long for the flusher), ``GET /metrics``, and the admin endpoints ``POST /v1/rollout/start``,
``/promote`` and ``/rollback`` behind the ``WATCHKEEPER_ADMIN_TOKEN`` bearer token. Bad input
is a 4xx naming the field, never a 5xx, and leaves the state and the event store untouched.

A model served outside watchkeeper (``model.serving: external``) needs no champion: its
service logs what it decided with ``POST /v1/predictions`` (behind ``WATCHKEEPER_LOG_TOKEN``
or the admin token; :mod:`watchkeeper.serving.prediction_log`), where each bad row is
refused on its own, and ``/v1/score`` answers 409 saying the model is served elsewhere.
Conversely, ``/v1/predictions`` answers 409 for a model watchkeeper serves: its predictions
are logged as it scores them.

Every body is read by one bounded reader (:mod:`watchkeeper.serving.body_reader`): at most
``serving.max_body_bytes`` (413), within ``serving.body_timeout`` (408, and the connection
closed). A body declared as anything but JSON is refused (415; no ``Content-Type`` is read as
JSON). Text that cannot be stored (lone surrogates, NUL) is refused naming its field, strings
longer than their input's ``max_length`` too, and event and outcome times outside
``serving.event_time`` around the service's clock (:mod:`watchkeeper.serving.event_time_range`).

>>> import tempfile
>>> from pathlib import Path
>>> from fastapi.testclient import TestClient
>>> from watchkeeper.workspace import Workspace
>>> workspace = Workspace.open(Workspace.create(Path(tempfile.mkdtemp()) / "ws"))
>>> client = TestClient(create_app(workspace))
>>> client.get("/healthz").json()
{'status': 'ok'}
>>> client.post("/v1/score", content=b"{oops").json()["error"]["field"]
'body'
>>> workspace.close()
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from watchkeeper.clock import Clock
from watchkeeper.errors import StorageError, WatchkeeperError
from watchkeeper.features.state.store import EntityStateStore
from watchkeeper.intake.prediction_checks import PredictionRules
from watchkeeper.rollout.controller import RolloutStatus
from watchkeeper.serving.admin_token import (
    LOG_TOKEN_VARIABLE,
    READ_TOKEN_VARIABLE,
    TOKEN_VARIABLE,
    AdminToken,
)
from watchkeeper.serving.background_flush import BackgroundFlush
from watchkeeper.serving.body_reader import CLOSE_HEADERS, REQUEST_TIMEOUT, read_body
from watchkeeper.serving.dashboard_route import dashboard_router
from watchkeeper.serving.event_check import UndeclaredFieldCheck
from watchkeeper.serving.openapi_schema import (
    MODEL_VERSION_PARAMETER,
    ROLLOUT_START_SCHEMA,
    batch_schema,
    error_responses,
    event_schema,
    ok_response,
    outcomes_schema,
    predictions_schema,
    request_body,
    score_response_schema,
)
from watchkeeper.serving.outcomes import OutcomeRules, outcome_rows
from watchkeeper.serving.prediction_log import PredictionLog
from watchkeeper.serving.refusals import RefusalLog, redact_paths, refusal_for
from watchkeeper.serving.request_body import (
    BadRequestError,
    as_list,
    as_object,
    check_content_type,
    model_version_parameter,
    parse_json,
)
from watchkeeper.serving.request_metrics import RequestMetricsMiddleware, RequestSeries
from watchkeeper.serving.score_endpoint import SCORE_ROUTE, ScoreEndpoint
from watchkeeper.serving.service import ScoringService
from watchkeeper.serving.spool_backlog import stale_backlog
from watchkeeper.serving.state_readiness import state_readiness
from watchkeeper.workspace import Workspace

logger = logging.getLogger(__name__)

MAX_BATCH_EVENTS = 1000
READS_DISABLED = (
    f"reads are protected (serving.protect_reads) and no token is set: set "
    f"{READ_TOKEN_VARIABLE} or {TOKEN_VARIABLE} on the server"
)
LOGGING_DISABLED = (
    f"logging predictions needs a token and none is set: set {LOG_TOKEN_VARIABLE} or "
    f"{TOKEN_VARIABLE} on the server"
)
FIXED_FIELDS = (
    "body",
    "content-type",
    "events",
    "outcomes",
    "predictions",
    "model_version",
    "version",
    "outcome",
    "outcome_ts",
    "model_label",
    "latency_ms",
    "score",
    "decision",
    "probabilities",
    "prediction",
)
"""Request fields that may label a rejection besides the schema's inputs (bounded labels)."""


def create_app(
    workspace: Workspace,
    *,
    clock: Clock | None = None,
    admin_token: str | None = None,
    read_token: str | None = None,
    log_token: str | None = None,
    state: EntityStateStore | None = None,
    log_predictions: bool = True,
    flush_seconds: float | None = 10.0,
    freeze_startup_heap: bool = False,
    allow_cold_state: bool = True,
) -> FastAPI:
    """A new app over ``workspace``; ``admin_token`` defaults to ``WATCHKEEPER_ADMIN_TOKEN``,
    ``read_token`` (the read endpoints', besides the admin token) to ``WATCHKEEPER_READ_TOKEN``,
    ``log_token`` (``/v1/predictions``', besides the admin token) to ``WATCHKEEPER_LOG_TOKEN``.

    While the app runs (its lifespan), spooled predictions are flushed to Delta every
    ``flush_seconds`` by a background thread (None: only the store's own flushes).
    ``log_predictions=False`` skips the prediction log: only for measuring its cost.
    ``freeze_startup_heap`` (a server process of its own: ``watchkeeper serve``): at startup,
    load the models, then move every object alive to the garbage collector's permanent
    generation (``gc.freeze``). A full collection then scans only what the requests made
    since: over the whole heap of libraries and models it stalled every request for 50-80 ms.
    ``allow_cold_state=False`` (``watchkeeper serve`` without ``--allow-cold-state``):
    ``/readyz`` fails while the online state was filled for another fitted spec than the
    champion's (:mod:`~watchkeeper.serving.state_readiness`).
    """
    token = AdminToken(admin_token) if admin_token is not None else AdminToken.from_environment()
    reads = (
        AdminToken(read_token)
        if read_token is not None
        else AdminToken.from_environment(READ_TOKEN_VARIABLE)
    )
    logs = (
        AdminToken(log_token)
        if log_token is not None
        else AdminToken.from_environment(LOG_TOKEN_VARIABLE)
    )
    service = ScoringService(
        workspace, clock or workspace.clock, token, state, log_predictions=log_predictions
    )
    serving = workspace.config.serving
    model = workspace.config.model
    external = model.serving == "external"

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if freeze_startup_heap:
            if not external:  # an external model has nothing to load
                with contextlib.suppress(WatchkeeperError):  # no champion yet: answered as 503
                    service.scorer()  # the models are loaded now, not by the first request
            gc.collect()
            gc.freeze()
        flusher = None
        if flush_seconds is not None:
            flusher = BackgroundFlush(workspace.events.flush, flush_seconds)
            flusher.start()
        try:
            yield
        finally:
            if flusher is not None:
                flusher.stop()
            service.close()  # the online state; the workspace belongs to the caller

    app = _ServingApp(
        lifespan=lifespan,
        title="watchkeeper",
        summary=f"Scores {workspace.config.model.name!r} and runs its canary rollouts",
        version="1",
    )
    app.state.service = service
    event = event_schema(workspace.config.features.inputs)
    score_body = {"requestBody": request_body(event), "parameters": [MODEL_VERSION_PARAMETER]}
    batch_body = {
        "requestBody": request_body(batch_schema(event, MAX_BATCH_EVENTS)),
        "parameters": [MODEL_VERSION_PARAMETER],
    }
    outcome_rules = OutcomeRules.for_workspace(workspace.config, service.time_range)
    outcomes_body = {
        "requestBody": request_body(outcomes_schema(outcome_rules.values, outcome_rules.task))
    }
    prediction_rules = PredictionRules.from_config(workspace.config)
    keys = workspace.config.keys
    predictions_body = {
        "requestBody": request_body(
            predictions_schema(
                event_schema(prediction_rules.spec.inputs),
                model.task,
                prediction_rules.classes,
                keys=[
                    name for name in (keys.event_id, keys.entity) if name not in event["properties"]
                ],
                max_items=MAX_BATCH_EVENTS,
            )
        )
    }
    start_body = {"requestBody": request_body(ROLLOUT_START_SCHEMA)}
    body_errors = (400, 408, 413, 415, 422)
    input_errors = error_responses(*body_errors)
    scoring_errors = error_responses(*body_errors, 409, 503)
    read_errors = error_responses(401, 403)
    admin_errors = error_responses(*body_errors, 401, 403, 404, 409)
    logging_errors = error_responses(*body_errors, 401, 403, 409, 503)
    answer = score_response_schema(model.task, workspace.config.label.classes or ())
    scored = {**ok_response(answer, "The event's prediction (logged)"), **scoring_errors}
    batch_answer = {
        "type": "object",
        "properties": {"results": {"type": "array", "items": answer}},
        "required": ["results"],
    }
    batch_scored = {
        **ok_response(batch_answer, "Every event's prediction, in order (logged)"),
        **scoring_errors,
    }
    body_timeout = serving.body_timeout.total_seconds()

    service.metrics.spool_max_age.set(serving.max_backlog_age.total_seconds())
    series = RequestSeries(service.metrics)
    app.add_middleware(RequestMetricsMiddleware, series=series)
    refusals = RefusalLog(
        service.metrics,
        service.rejections,
        label_fields={
            *workspace.config.features.inputs,
            *FIXED_FIELDS,
            keys.event_id,
            keys.entity,
            keys.event_time,
        },
    )

    @app.exception_handler(WatchkeeperError)
    async def refused_input(request: Request, error: WatchkeeperError) -> Response:
        refusal = refusal_for(error, request.url.path)
        payload = getattr(request.state, "payload", None) or getattr(error, "payload", None)
        refusals.record(request.url.path, refusal, payload)
        headers = CLOSE_HEADERS if refusal.status == REQUEST_TIMEOUT else None
        return _error(refusal.status, refusal.field, refusal.reason, headers)

    async def body(request: Request) -> Any:
        check_content_type(request.headers.get("content-type"))
        raw = await read_body(
            request.scope["headers"],
            request.receive,
            max_bytes=serving.max_body_bytes,
            timeout=body_timeout,
        )
        payload = parse_json(raw, max_bytes=serving.max_body_bytes)
        request.state.payload = payload  # names the refused event in the rejections table
        return payload

    check_event = UndeclaredFieldCheck(
        lambda: service.scorer().spec_inputs,
        serving.unknown_fields,
        service.metrics.unknown_fields,
    )

    def admin(request: Request) -> None:
        refused = service.admin_token.verify(request.headers.get("authorization"))
        if refused is not None:
            raise _RefusedError(*refused)

    def opened_by(token: AdminToken, disabled: str, request: Request) -> None:
        """Refuse ``request`` unless it carries ``token`` or the admin token."""
        header = request.headers.get("authorization")
        if token.configured and token.verify(header) is None:
            return
        refused = service.admin_token.verify(header)
        if refused is None:
            return
        if not (token.configured or service.admin_token.configured):
            refused = (403, disabled)
        raise _RefusedError(*refused)

    def reader(request: Request) -> None:
        if serving.protect_reads:
            opened_by(reads, READS_DISABLED, request)

    def served_here(endpoint: str) -> None:
        """Refuse (409) an endpoint of the other kind of serving than the workspace's."""
        if external and endpoint == "score":
            raise _RefusedError(
                409,
                f"model {model.name!r} is served outside watchkeeper (model.serving: "
                "external): its service logs what it decided with POST /v1/predictions",
                "model",
            )
        if not external and endpoint == "predictions":
            raise _RefusedError(
                409,
                f"model {model.name!r} is served by watchkeeper (model.serving: watchkeeper): "
                "its predictions are logged as /v1/score answers; POST /v1/predictions is "
                "for a model served outside watchkeeper",
                "model",
            )

    @app.exception_handler(_RefusedError)
    async def refused(request: Request, error: _RefusedError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
        return _error(error.status, error.field, error.reason, headers)

    prediction_log = PredictionLog(
        workspace.events,
        prediction_rules,
        functools.partial(workspace.metadata.external_versions.number, model.name),
        clock=service.clock,
        ledger=service.idempotency,
        records=service.pending_states,
        time_range=service.time_range,
        reject_unknown=serving.unknown_fields == "reject",
    )
    score_endpoint = ScoreEndpoint(
        service,
        max_body_bytes=serving.max_body_bytes,
        body_timeout=body_timeout,
        refusals=refusals,
        series=series,
        check_event=check_event,
    )
    if not external:
        app.score_endpoint = score_endpoint  # answers POST /v1/score ahead of the routing

    @app.post(SCORE_ROUTE, openapi_extra=score_body, responses=scored)
    async def score(request: Request) -> Response:
        """Score one raw event; the prediction is durable in the event store before the answer.

        ``model_version`` (query) pins the deciding model to the champion or the challenger.
        """
        served_here("score")
        status, content = await score_endpoint.respond(request.scope, request.receive)
        headers = CLOSE_HEADERS if status == REQUEST_TIMEOUT else None
        return Response(content, status_code=status, media_type="application/json", headers=headers)

    @app.post("/v1/score/batch", openapi_extra=batch_body, responses=batch_scored)
    async def score_batch(request: Request) -> dict[str, Any]:
        """Score ``{"events": [...]}`` in order; one bad event rejects the batch, named by position.

        ``model_version`` (query, or a field of the body) pins the deciding model of every
        event to the champion or the challenger, as for ``/v1/score``.
        """
        served_here("score")
        payload = as_object(await body(request))
        events = as_list(payload.get("events"), "events", max_items=MAX_BATCH_EVENTS)
        for position, event in enumerate(events):
            check_event(as_object(event, f"events[{position}]"), f"events[{position}].")
        pinned = _batch_model_version(request.query_params.get("model_version"), payload)
        scorer = service.scorer()
        results = await run_in_threadpool(
            functools.partial(scorer.score_many, events, model_version=pinned)
        )
        for result in results:
            service.metrics.observe(result)
        return {"results": [result.to_dict() for result in results]}

    @app.post("/v1/outcomes", openapi_extra=outcomes_body, responses=input_errors)
    async def outcomes(request: Request) -> dict[str, Any]:
        """Record outcomes (``{"outcomes": [...]}`` or one object); idempotent by event id.

        See :mod:`watchkeeper.serving.outcomes` for what is accepted (values, times, and
        outcomes of events the service has not scored).
        """
        payload = as_object(await body(request))
        items = payload.get("outcomes", [payload])
        rows = outcome_rows(
            as_list(items, "outcomes", max_items=MAX_BATCH_EVENTS),
            received_at=service.clock.now(),
            rules=outcome_rules,
        )
        receipt = await run_in_threadpool(workspace.events.append, "outcomes", rows)
        service.metrics.count_outcomes(rows.column("outcome").to_pylist())
        return {"accepted": receipt.row_count}

    @app.post("/v1/predictions", openapi_extra=predictions_body, responses=logging_errors)
    async def predictions(request: Request) -> JSONResponse:
        """Log what a model served outside watchkeeper decided (``{"predictions": [...]}``).

        Each prediction is checked on its own: the good ones are logged, each bad one is
        listed in ``refused`` with its position, field and reason (and kept in
        ``rejections``); an event id logged before counts as ``repeated`` with the same
        content and is refused with another. 200 when any was logged or repeated; when all
        were refused, 422 (409 if every one conflicts with a logged event id).
        Needs the ``WATCHKEEPER_LOG_TOKEN`` (or the admin) bearer token.
        """
        opened_by(logs, LOGGING_DISABLED, request)
        served_here("predictions")
        payload = as_object(await body(request))
        items = as_list(payload.get("predictions"), "predictions", max_items=MAX_BATCH_EVENTS)
        result = await run_in_threadpool(prediction_log.log, items)
        reasons = [row.reason for row in result.refused]
        service.metrics.count_logged_predictions(
            logged=result.logged, repeated=result.repeated, refused_reasons=reasons
        )
        service.metrics.unknown_fields.inc(result.unknown_fields)
        for row in result.refused:
            refusals.count(row.field or "other")
        return JSONResponse(result.to_dict(), status_code=result.status)

    @app.get("/v1/models", responses=read_errors)
    def models(request: Request) -> dict[str, Any]:
        """Every registered version with its status, and the aliases."""
        reader(request)
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

    @app.get("/v1/rollout", responses=read_errors)
    def rollout(request: Request) -> dict[str, Any]:
        """The rollout state, the running (or last) rollout and the aliases."""
        reader(request)
        status = service.controller.status()
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
                raise _RefusedError(
                    503, truth + "goes on with the ones it had", "rollout"
                ) from None
            undo()
            with contextlib.suppress(WatchkeeperError):
                service.reload()
            truth = f"{done} and rolled back at once: this service could not load its models"
            raise _RefusedError(503, truth, "rollout") from None

    @app.post("/v1/rollout/start", openapi_extra=start_body, responses=admin_errors)
    async def rollout_start(request: Request) -> dict[str, Any]:
        """Start a canary of ``{"version": N}`` (admin); a version the validation gate did not
        accept needs ``"force": true`` and a ``"reason"``, both written to the audit log."""
        admin(request)
        payload = as_object(await body(request))
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
        reason = given or "canary started over HTTP"

        def start() -> dict[str, Any]:
            record = service.controller.start(
                version, actor="http-admin", reason=reason, force=force
            )

            def undo() -> None:
                why = "the service could not load the canary's models"
                service.controller.rollback(actor="http-admin", reason=why)

            done = f"the canary of version {record.challenger_version} started"
            return reloaded(done, undo).to_dict()

        # The registry's SQL and the model loads run on a worker thread, not the event loop
        # that answers /v1/score.
        return await run_in_threadpool(start)

    @app.post("/v1/rollout/promote", responses=admin_errors)
    def rollout_promote(request: Request) -> dict[str, Any]:
        """Promote the running canary's challenger to champion (admin)."""
        admin(request)
        record = service.controller.promote(actor="http-admin", reason="promoted over HTTP")
        return reloaded(f"version {record.challenger_version} was promoted").to_dict()

    @app.post("/v1/rollout/rollback", responses=admin_errors)
    def rollout_rollback(request: Request) -> dict[str, Any]:
        """Roll the running canary back; the champion keeps serving (admin)."""
        admin(request)
        record = service.controller.rollback(actor="http-admin", reason="rolled back over HTTP")
        return reloaded(f"version {record.challenger_version} was rolled back").to_dict()

    @app.post("/v1/rollout/evaluate", responses=admin_errors)
    def rollout_evaluate(request: Request) -> dict[str, Any]:
        """Check the canary's guards now; roll back, promote or wait (admin)."""
        admin(request)
        evaluation = service.controller.evaluate_from_events(workspace.events, actor="http-admin")
        changed = evaluation.action in ("promoted", "rolled_back")
        status = reloaded(f"the canary was {evaluation.action}") if changed else None
        return {
            "action": evaluation.action,
            "checks": [vars(check) for check in evaluation.checks],
            "alert": evaluation.alert,
            "rollout": (status or service.controller.status()).to_dict(),
        }

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz")
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
            if not external:  # an external model is served elsewhere: no champion to load
                champion_spec = service.scorer().models.champion_spec.content_hash
        except WatchkeeperError as error:
            problems.append(str(error))
        online_state, state_problem = state_readiness(service.state, champion_spec)
        if state_problem is not None and not allow_cold_state:
            problems.append(state_problem)
        try:
            stale = stale_backlog(
                workspace.events.backlog(), service.clock.now(), serving.max_backlog_age
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

    @app.get("/metrics", responses=read_errors)
    def metrics(request: Request) -> Response:
        """Prometheus exposition of the service's metrics."""
        reader(request)
        try:
            service.metrics.set_spool_backlog(workspace.events.backlog(), service.clock.now())
        except StorageError as error:  # the other series are still worth scraping
            logger.warning("the spool's backlog could not be read: %s", error)
        return Response(
            service.metrics.exposition(), media_type="text/plain; version=0.0.4; charset=utf-8"
        )

    app.include_router(  # GET /dashboard
        dashboard_router(workspace, guard=reader, public=not serving.protect_reads)
    )
    return app


class _ServingApp(FastAPI):
    """FastAPI, with ``POST /v1/score`` handed to its :class:`ScoreEndpoint` first."""

    score_endpoint: ScoreEndpoint | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self.score_endpoint
        if (
            endpoint is not None
            and scope["type"] == "http"
            and scope["path"] == SCORE_ROUTE
            and scope["method"] == "POST"
        ):
            await endpoint(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


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


class _RefusedError(Exception):
    def __init__(self, status: int, reason: str, field: str = "authorization") -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.field = field


def _error(
    status: int, field: str, reason: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"field": field, "message": reason}}, status_code=status, headers=headers
    )


__all__ = ["create_app"]
