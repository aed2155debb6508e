"""Strict parsing of request bodies: size limit, JSON, no NaN or infinity, the right shape.

Every problem raises :class:`BadRequestError` with the HTTP status and a message naming it.

>>> parse_json(b'{"amount": 1.5}', max_bytes=1024)
{'amount': 1.5}
>>> parse_json(b'{"amount": NaN}', max_bytes=1024)
Traceback (most recent call last):
...
watchkeeper.serving.request_body.BadRequestError: body: NaN is not a valid JSON number
>>> parse_json(b'{"amount": 1e999}', max_bytes=1024)
Traceback (most recent call last):
...
watchkeeper.serving.request_body.BadRequestError: body: the number 1e999 is not finite
>>> parse_json(b'{"n": 123456789012345678901234567890}', max_bytes=1024)
{'n': 123456789012345678901234567890}
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

import orjson

from watchkeeper.errors import WatchkeeperError


class BadRequestError(WatchkeeperError):
    """A request the service refuses: ``status`` (4xx), the ``field`` at fault, the reason."""

    def __init__(self, field: str, reason: str, status: int = 400) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.status = status


_LONG_DIGITS = re.compile(rb"[0-9]{19}")


def _constant(name: str) -> Any:
    raise BadRequestError("body", f"{name} is not a valid JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadRequestError("body", f"the number {text} is not finite")
    return value


def check_declared_length(declared: str | bytes | None, max_bytes: int) -> None:
    """Refuse (413) a body whose ``content-length`` header says it exceeds ``max_bytes``,
    before it is read.

    >>> check_declared_length("2048", 1024)
    Traceback (most recent call last):
    ...
    watchkeeper.serving.request_body.BadRequestError: body: 2048 bytes exceed the limit of 1024
    """
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise BadRequestError("body", f"{int(declared)} bytes exceed the limit of {max_bytes}", 413)


def parse_json(body: bytes, *, max_bytes: int) -> Any:
    """Decode a JSON body of at most ``max_bytes``; NaN and infinities are refused.

    ``orjson`` reads a body first (strict JSON: it refuses NaN, infinities and numbers that
    overflow, several times faster than the standard library); a body it refuses is read
    again by the standard parser, which names the problem (or accepts what orjson does not,
    such as lone surrogates). A body with a run of 19 digits or more goes to the standard
    parser at once: orjson reads an integer past 64 bits as an inexact float.
    """
    if len(body) > max_bytes:
        raise BadRequestError("body", f"{len(body)} bytes exceed the limit of {max_bytes}", 413)
    if _LONG_DIGITS.search(body) is None:
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    if not body.strip():
        raise BadRequestError("body", "empty; expected a JSON object")
    try:
        return json.loads(body, parse_constant=_constant, parse_float=_finite)
    except BadRequestError:
        raise
    except (ValueError, RecursionError) as error:
        raise BadRequestError("body", f"malformed JSON ({error})") from None


def as_object(value: Any, field: str = "body") -> dict[str, Any]:
    """``value`` if it is a JSON object, else :class:`BadRequestError`.

    >>> as_object([1])
    Traceback (most recent call last):
    ...
    watchkeeper.serving.request_body.BadRequestError: body: expected a JSON object (got a list)
    """
    if not isinstance(value, dict):
        raise BadRequestError(field, f"expected a JSON object (got a {type(value).__name__})", 422)
    return value


def as_list(value: Any, field: str, *, max_items: int) -> list[Any]:
    """``value`` if it is a non-empty JSON array of at most ``max_items``."""
    if not isinstance(value, list):
        raise BadRequestError(field, f"expected a JSON array (got a {type(value).__name__})", 422)
    if not value:
        raise BadRequestError(field, "empty; expected at least one item", 422)
    if len(value) > max_items:
        raise BadRequestError(field, f"{len(value)} items exceed the limit of {max_items}", 413)
    return value


def model_version_parameter(text: str | None) -> int | None:
    """The ``model_version`` query parameter as a version number (None when absent).

    >>> model_version_parameter("3"), model_version_parameter(None)
    (3, None)
    >>> model_version_parameter("latest")
    Traceback (most recent call last):
    ...
    watchkeeper.serving.request_body.BadRequestError: model_version: expected a version number (got 'latest')
    """
    if text is None:
        return None
    stripped = text.strip()
    if not stripped.isdigit() or len(stripped) > 18:
        raise BadRequestError(
            "model_version", f"expected a version number (got {text[:40]!r})", 422
        )
    return int(stripped)


def unknown_fields(event: dict[str, Any], known: Iterable[str]) -> list[str]:
    """The fields of ``event`` the schema does not declare, sorted.

    >>> unknown_fields({"amount": 1, "colour": "red"}, ["amount"])
    ['colour']
    """
    declared = set(known)
    return sorted(name for name in event if name not in declared)


__all__ = [
    "BadRequestError",
    "as_list",
    "as_object",
    "model_version_parameter",
    "parse_json",
    "unknown_fields",
]
