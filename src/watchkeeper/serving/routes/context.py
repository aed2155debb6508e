"""What the routers of one app share: the workspace, the service, the body reader and the
access checks, with the refusal they raise and the error body every 4xx and 503 carries.

>>> RefusedError(403, "wrong token").field, error_response(409, "model", "elsewhere").status_code
('authorization', 409)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from watchkeeper.config import ServingConfig
from watchkeeper.serving.admin_token import (
    LOG_TOKEN_VARIABLE,
    READ_TOKEN_VARIABLE,
    TOKEN_VARIABLE,
    AdminToken,
)
from watchkeeper.serving.body_reader import read_body
from watchkeeper.serving.event_check import UndeclaredFieldCheck
from watchkeeper.serving.refusals import RefusalLog
from watchkeeper.serving.request_body import check_content_type, parse_json
from watchkeeper.serving.service import ScoringService
from watchkeeper.workspace import Workspace

MAX_BATCH_EVENTS = 1000
"""The most events, outcomes or predictions one request body may list."""
BODY_ERRORS = (400, 408, 413, 415, 422)
"""The statuses of a body that cannot be read or is not what the endpoint takes."""
READS_DISABLED = (
    f"reads are protected (serving.protect_reads) and no token is set: set "
    f"{READ_TOKEN_VARIABLE} or {TOKEN_VARIABLE} on the server"
)
LOGGING_DISABLED = (
    f"logging predictions needs a token and none is set: set {LOG_TOKEN_VARIABLE} or "
    f"{TOKEN_VARIABLE} on the server"
)


class RefusedError(Exception):
    """A request refused before its work: the status, the reason and the field it names."""

    def __init__(self, status: int, reason: str, field: str = "authorization") -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.field = field


def error_response(
    status: int, field: str, reason: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The body of every refusal: ``{"error": {"field": ..., "message": ...}}``."""
    return JSONResponse(
        {"error": {"field": field, "message": reason}}, status_code=status, headers=headers
    )


@dataclass(frozen=True)
class ServingContext:
    """One app's shared parts; ``reads`` and ``logs`` are the read and logging tokens (the
    admin token opens both)."""

    workspace: Workspace
    service: ScoringService
    refusals: RefusalLog
    check_event: UndeclaredFieldCheck
    reads: AdminToken
    logs: AdminToken

    @property
    def serving(self) -> ServingConfig:
        """The workspace's ``serving`` section."""
        return self.workspace.config.serving

    @property
    def external(self) -> bool:
        """True when the model is served outside watchkeeper (``model.serving: external``)."""
        return self.workspace.config.model.serving == "external"

    async def body(self, request: Request) -> Any:
        """The request's JSON body, read within ``serving.max_body_bytes`` and
        ``serving.body_timeout``; kept on the request to name a refused event."""
        check_content_type(request.headers.get("content-type"))
        raw = await read_body(
            request.scope["headers"],
            request.receive,
            max_bytes=self.serving.max_body_bytes,
            timeout=self.serving.body_timeout.total_seconds(),
        )
        payload = parse_json(raw, max_bytes=self.serving.max_body_bytes)
        request.state.payload = payload  # names the refused event in the rejections table
        return payload

    def admin(self, request: Request) -> None:
        """Refuse ``request`` unless it carries the admin token."""
        refused = self.service.admin_token.verify(request.headers.get("authorization"))
        if refused is not None:
            raise RefusedError(*refused)

    def opened_by(self, token: AdminToken, disabled: str, request: Request) -> None:
        """Refuse ``request`` unless it carries ``token`` or the admin token; ``disabled``
        is the reason when neither is set on the server."""
        header = request.headers.get("authorization")
        if token.configured and token.verify(header) is None:
            return
        refused = self.service.admin_token.verify(header)
        if refused is None:
            return
        if not (token.configured or self.service.admin_token.configured):
            refused = (403, disabled)
        raise RefusedError(*refused)

    def reader(self, request: Request) -> None:
        """The read endpoints' check: a token when ``serving.protect_reads``."""
        if self.serving.protect_reads:
            self.opened_by(self.reads, READS_DISABLED, request)

    def logger(self, request: Request) -> None:
        """``POST /v1/predictions``' check: the logging or the admin token."""
        self.opened_by(self.logs, LOGGING_DISABLED, request)

    def served_here(self, endpoint: str) -> None:
        """Refuse (409) an endpoint of the other kind of serving than the workspace's."""
        name = self.workspace.config.model.name
        if self.external and endpoint == "score":
            raise RefusedError(
                409,
                f"model {name!r} is served outside watchkeeper (model.serving: "
                "external): its service logs what it decided with POST /v1/predictions",
                "model",
            )
        if not self.external and endpoint == "predictions":
            raise RefusedError(
                409,
                f"model {name!r} is served by watchkeeper (model.serving: watchkeeper): "
                "its predictions are logged as /v1/score answers; POST /v1/predictions is "
                "for a model served outside watchkeeper",
                "model",
            )


__all__ = [
    "BODY_ERRORS",
    "LOGGING_DISABLED",
    "MAX_BATCH_EVENTS",
    "READS_DISABLED",
    "RefusedError",
    "ServingContext",
    "error_response",
]
