"""What the service answers to each refused request, and how a refusal is counted and logged.

:func:`refusal_for` maps watchkeeper's errors to an HTTP status and the field at fault, for
every endpoint alike; :class:`RefusalLog` counts a refused event under a bounded label and,
for the event endpoints, appends it to the ``rejections`` table. The FastAPI exception
handlers and the ``/v1/score`` fast path (:mod:`watchkeeper.serving.score_endpoint`) both go
through here, so a refusal reads the same whichever path served it.

>>> from watchkeeper.errors import InvalidInputError, RegistryError
>>> refusal_for(InvalidInputError("amount", "below the minimum 0 (got -5.0)"), "/v1/score")
Refusal(status=422, field='amount', reason='below the minimum 0 (got -5.0)', logged=True)
>>> refusal_for(RegistryError("no champion"), "/v1/score").status
503
>>> error_body("body", "empty; expected a JSON object")
b'{"error":{"field":"body","message":"empty; expected a JSON object"}}'
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from watchkeeper.errors import (
    ConflictingEventError,
    InvalidInputError,
    RegistryError,
    RolloutError,
    StorageError,
    WatchkeeperError,
)
from watchkeeper.serving.metrics import ServingMetrics
from watchkeeper.serving.rejection_log import RejectionLog
from watchkeeper.serving.request_body import BadRequestError

LOGGED_ENDPOINTS = {
    "/v1/score": "score",
    "/v1/score/batch": "score_batch",
    "/v1/outcomes": "outcomes",
}
"""The endpoints whose refusals are logged to the ``rejections`` table, and their source."""


@dataclass(frozen=True)
class Refusal:
    """A refused request's answer: ``status``, the ``field`` at fault and the ``reason``;
    ``logged``: a refused *input* (counted, and logged for the event endpoints)."""

    status: int
    field: str
    reason: str
    logged: bool


def refusal_for(error: WatchkeeperError, path: str) -> Refusal:
    """The answer to ``error`` raised while serving ``path``."""
    if isinstance(error, BadRequestError):
        return Refusal(error.status, error.field, error.reason, logged=True)
    if isinstance(error, ConflictingEventError):
        return Refusal(409, error.field, error.reason, logged=True)
    if isinstance(error, InvalidInputError):
        return Refusal(422, error.field, error.reason, logged=True)
    if isinstance(error, RolloutError):
        return Refusal(409, "rollout", str(error), logged=False)
    if isinstance(error, RegistryError):
        status = 404 if path.startswith("/v1/rollout") else 503
        return Refusal(status, "model", str(error), logged=False)
    if isinstance(error, StorageError):
        return Refusal(503, "storage", str(error), logged=False)
    return Refusal(400, "request", str(error), logged=False)


def error_body(field: str, reason: str) -> bytes:
    """The JSON body of an error answer."""
    content = {"error": {"field": field, "message": reason}}
    return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class RefusalLog:
    """Counts refused inputs (by a known field's name, else ``other``) and logs those of the
    event endpoints to ``rejections``."""

    def __init__(
        self, metrics: ServingMetrics, rejections: RejectionLog, label_fields: Iterable[str]
    ) -> None:
        self.metrics = metrics
        self.rejections = rejections
        self.label_fields = frozenset(label_fields)

    def record(self, path: str, refusal: Refusal, payload: Any) -> None:
        """Count ``refusal`` of a request to ``path`` whose parsed body was ``payload``."""
        if not refusal.logged:
            return
        name = refusal.field.rsplit(".", 1)[-1]
        self.metrics.reject(name if name in self.label_fields else "other")
        source = LOGGED_ENDPOINTS.get(path)
        if source is not None:
            self.rejections.record_request(
                source=source,
                field=refusal.field,
                message=refusal.reason,
                status=refusal.status,
                payload=payload,
            )


__all__ = ["LOGGED_ENDPOINTS", "Refusal", "RefusalLog", "error_body", "refusal_for"]
