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
>>> refusal_for(StorageError("cannot open /srv/ws/.watchkeeper/events"), "/v1/score").reason
'the service cannot reach its storage; the server log has the details'
>>> error_body("body", "empty; expected a JSON object")
b'{"error":{"field":"body","message":"empty; expected a JSON object"}}'
"""

from __future__ import annotations

import json
import logging
import re
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

logger = logging.getLogger(__name__)

STORAGE_UNAVAILABLE = "the service cannot reach its storage; the server log has the details"
"""What a client is told of a storage error: its text names paths and hosts, kept for the log."""

_PATH = re.compile(
    r"file://\S+"  # file URIs
    r"|(?<![\w:/.])/(?!v1/)(?:[^\s/'\"(),;]+/)+[^\s/'\"(),;]*"  # two or more POSIX parts
    r"|\b[A-Za-z]:\\[^\s'\"(),;]*"  # Windows paths
)


def redact_paths(text: str) -> str:
    """``text`` with every filesystem path shown as ``<path>``, for answers over HTTP.

    >>> redact_paths("artifact 0a at file:///srv/ws/objects/0a/1b is corrupt")
    'artifact 0a at <path> is corrupt'
    >>> redact_paths("cannot open '/home/dana/ws/state.db' (see /v1/score/batch)")
    "cannot open '<path>' (see /v1/score/batch)"
    """
    return _PATH.sub("<path>", text)


LOGGED_ENDPOINTS = {
    "/v1/score": "score",
    "/v1/score/batch": "score_batch",
    "/v1/outcomes": "outcomes",
    "/v1/predictions": "predictions",
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
    """The answer to ``error`` raised while serving ``path``.

    No answer names a filesystem path (:func:`redact_paths`); a storage error is answered
    with a generic text and logged in full.
    """
    if isinstance(error, BadRequestError):
        return Refusal(error.status, error.field, redact_paths(error.reason), logged=True)
    if isinstance(error, ConflictingEventError):
        return Refusal(409, error.field, redact_paths(error.reason), logged=True)
    if isinstance(error, InvalidInputError):
        return Refusal(422, error.field, redact_paths(error.reason), logged=True)
    if isinstance(error, RolloutError):
        return Refusal(409, "rollout", redact_paths(str(error)), logged=False)
    if isinstance(error, RegistryError):
        status = 404 if path.startswith("/v1/rollout") else 503
        return Refusal(status, "model", redact_paths(str(error)), logged=False)
    if isinstance(error, StorageError):
        logger.error("%s: storage error: %s", path, error)
        return Refusal(503, "storage", STORAGE_UNAVAILABLE, logged=False)
    return Refusal(400, "request", redact_paths(str(error)), logged=False)


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

    def count(self, field: str) -> None:
        """Count one refused event whose ``field`` is at fault, under a bounded label."""
        name = field.rsplit(".", 1)[-1]
        self.metrics.reject(name if name in self.label_fields else "other")

    def record(self, path: str, refusal: Refusal, payload: Any) -> None:
        """Count ``refusal`` of a request to ``path`` whose parsed body was ``payload``."""
        if not refusal.logged:
            return
        self.count(refusal.field)
        source = LOGGED_ENDPOINTS.get(path)
        if source is not None:
            self.rejections.record_request(
                source=source,
                field=refusal.field,
                message=refusal.reason,
                status=refusal.status,
                payload=payload,
            )


__all__ = [
    "LOGGED_ENDPOINTS",
    "STORAGE_UNAVAILABLE",
    "Refusal",
    "RefusalLog",
    "error_body",
    "redact_paths",
    "refusal_for",
]
