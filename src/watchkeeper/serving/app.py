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

The app is assembled here from the routers of :mod:`watchkeeper.serving.routes`, one per
concern, which share a :class:`~watchkeeper.serving.routes.context.ServingContext`; this module
holds the lifespan (model loads, the background flush), the middleware and the two error
handlers.

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
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from watchkeeper.clock import Clock
from watchkeeper.errors import WatchkeeperError
from watchkeeper.features.state.store import EntityStateStore
from watchkeeper.serving.admin_token import (
    LOG_TOKEN_VARIABLE,
    READ_TOKEN_VARIABLE,
    AdminToken,
)
from watchkeeper.serving.background_flush import BackgroundFlush
from watchkeeper.serving.body_reader import CLOSE_HEADERS, REQUEST_TIMEOUT
from watchkeeper.serving.event_check import UndeclaredFieldCheck
from watchkeeper.serving.refusals import RefusalLog, refusal_for
from watchkeeper.serving.request_metrics import RequestMetricsMiddleware, RequestSeries
from watchkeeper.serving.routes.context import RefusedError, ServingContext, error_response
from watchkeeper.serving.routes.health import health_router
from watchkeeper.serving.routes.intake import intake_router
from watchkeeper.serving.routes.metrics_route import metrics_router
from watchkeeper.serving.routes.rollout import rollout_router
from watchkeeper.serving.routes.scoring import scoring_router
from watchkeeper.serving.score_endpoint import SCORE_ROUTE, ScoreEndpoint
from watchkeeper.serving.service import ScoringService
from watchkeeper.workspace import Workspace

logger = logging.getLogger(__name__)

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
    service = ScoringService(
        workspace, clock or workspace.clock, token, state, log_predictions=log_predictions
    )
    serving = workspace.config.serving
    external = workspace.config.model.serving == "external"

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
    service.metrics.spool_max_age.set(serving.max_backlog_age.total_seconds())
    series = RequestSeries(service.metrics)
    app.add_middleware(RequestMetricsMiddleware, series=series)
    keys = workspace.config.keys
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
    context = ServingContext(
        workspace,
        service,
        refusals,
        UndeclaredFieldCheck(
            lambda: service.scorer().spec_inputs,
            serving.unknown_fields,
            service.metrics.unknown_fields,
        ),
        reads=_token(read_token, READ_TOKEN_VARIABLE),
        logs=_token(log_token, LOG_TOKEN_VARIABLE),
    )

    @app.exception_handler(WatchkeeperError)
    async def refused_input(request: Request, error: WatchkeeperError) -> Response:
        refusal = refusal_for(error, request.url.path)
        payload = getattr(request.state, "payload", None) or getattr(error, "payload", None)
        refusals.record(request.url.path, refusal, payload)
        headers = CLOSE_HEADERS if refusal.status == REQUEST_TIMEOUT else None
        return error_response(refusal.status, refusal.field, refusal.reason, headers)

    @app.exception_handler(RefusedError)
    async def refused(request: Request, error: RefusedError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
        return error_response(error.status, error.field, error.reason, headers)

    score_endpoint = ScoreEndpoint(
        service,
        max_body_bytes=serving.max_body_bytes,
        body_timeout=serving.body_timeout.total_seconds(),
        refusals=refusals,
        series=series,
        check_event=context.check_event,
    )
    if not external:
        app.score_endpoint = score_endpoint  # answers POST /v1/score ahead of the routing
    app.include_router(scoring_router(context, score_endpoint))
    app.include_router(intake_router(context))
    app.include_router(rollout_router(context))
    app.include_router(health_router(context, allow_cold_state=allow_cold_state))
    app.include_router(metrics_router(context))
    return app


def _token(given: str | None, variable: str) -> AdminToken:
    return AdminToken(given) if given is not None else AdminToken.from_environment(variable)


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


__all__ = ["create_app"]
