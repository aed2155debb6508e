"""Strict parsing of request bodies: size limit, JSON, no NaN or infinity, text that can be
stored, the right shape.

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
>>> parse_json(b'{"events": [{"id": "\\\\ud800"}]}', max_bytes=1024)
Traceback (most recent call last):
...
watchkeeper.serving.request_body.BadRequestError: events[0].id: not valid text: a lone surrogate \\ud800 cannot be encoded as UTF-8
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

import orjson

from watchkeeper.errors import WatchkeeperError
from watchkeeper.quoting import quoted


class BadRequestError(WatchkeeperError):
    """A request the service refuses: ``status`` (4xx), the ``field`` at fault, the reason;
    ``payload``: the body as parsed, when it was (to log the refused event)."""

    def __init__(self, field: str, reason: str, status: int = 400, payload: Any = None) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.status = status
        self.payload = payload


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


UNSUPPORTED_MEDIA_TYPE = 415


def check_content_type(declared: str | bytes | None) -> None:
    """Refuse (415) a body declared as anything but JSON.

    Accepted: ``application/json`` and any ``application/...+json`` type (parameters such as
    ``charset`` aside), and no ``Content-Type`` at all (a body the service reads as JSON
    whatever it is). A form (``curl -d`` sends one) or plain text is refused.

    >>> check_content_type("application/json; charset=utf-8")
    >>> check_content_type(None), check_content_type("application/problem+json")
    (None, None)
    >>> check_content_type("text/plain")
    Traceback (most recent call last):
    ...
    watchkeeper.serving.request_body.BadRequestError: content-type: 'text/plain' is not JSON; send application/json
    """
    if declared is None:
        return
    text = declared.decode("latin-1") if isinstance(declared, bytes) else declared
    media = text.split(";", 1)[0].strip().lower()
    if not media or media == "application/json":
        return
    if media.startswith("application/") and media.endswith("+json"):
        return
    raise BadRequestError(
        "content-type",
        f"{quoted(media)} is not JSON; send application/json",
        UNSUPPORTED_MEDIA_TYPE,
    )


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
            value = orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
        else:
            if b"\\u" in body:  # orjson refuses lone surrogates, not an escaped NUL
                _check_parsed_text(value)
            return value
    if not body.strip():
        raise BadRequestError("body", "empty; expected a JSON object")
    try:
        value = json.loads(body, parse_constant=_constant, parse_float=_finite)
    except BadRequestError:
        raise
    except (ValueError, RecursionError) as error:
        raise BadRequestError("body", f"malformed JSON ({error})") from None
    _check_parsed_text(value)
    return value


def _check_parsed_text(value: Any) -> None:
    try:
        check_text(value)
    except BadRequestError as error:
        error.payload = value
        raise


def check_text(value: Any, field: str = "") -> None:
    """Refuse (422) a string anywhere in ``value``, keys included, that the event store could
    not keep: a lone surrogate (valid JSON as ``"\\ud800"``, but no UTF-8 can encode it) or
    a NUL character (text columns and C strings end at it). The field is named by its path,
    ``events[3].merchant_id``.

    >>> check_text({"ok": ["fine", 1, None]})
    >>> check_text({"a": {"b" + chr(0): 1}})
    Traceback (most recent call last):
    ...
    watchkeeper.serving.request_body.BadRequestError: a.b\\x00: not valid text: a NUL character (a field name)
    """
    if isinstance(value, str):
        problem = _text_problem(value)
        if problem is not None:
            raise BadRequestError(field or "body", f"not valid text: {problem}", 422)
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{field}.{field_name(key)}" if field else field_name(key)
            if _text_problem(key) is not None:
                raise BadRequestError(
                    name, f"not valid text: {_text_problem(key)} (a field name)", 422
                )
            check_text(item, name)
    elif isinstance(value, list):
        for position, item in enumerate(value):
            check_text(item, f"{field or 'body'}[{position}]")


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "a NUL character"
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return f"a lone surrogate {printable(text[error.start])} cannot be encoded as UTF-8"
    return None


def field_name(key: str) -> str:
    """A body's key as an error names it: printable, and at most its first 64 characters.

    >>> field_name("k" * 100)[-8:]
    'kkkkk...'
    """
    return printable(key if len(key) <= 64 else key[:64] + "...")


def printable(text: str) -> str:
    """``text`` with what UTF-8 cannot encode, and NUL, written as backslash escapes, so it
    can be stored and shown anywhere.

    >>> print(printable("caf\u00e9" + chr(0xD800) + chr(0)))
    café\\ud800\\x00
    """
    if "\x00" in text:
        text = text.replace("\x00", "\\x00")
    if text.isascii():
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


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
            "model_version", f"expected a version number (got {quoted(text)})", 422
        )
    return int(stripped)


def json_number(value: Any) -> float | None:
    """A JSON number as a float (an integer too large for one is infinite); else None.

    >>> json_number(3), json_number(10**400), json_number(True), json_number("2")
    (3.0, inf, None, None)
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return float(value)
    except OverflowError:
        return math.inf


def unknown_fields(event: dict[str, Any], known: Iterable[str]) -> list[str]:
    """The fields of ``event`` the schema does not declare, sorted.

    >>> unknown_fields({"amount": 1, "colour": "red"}, ["amount"])
    ['colour']
    """
    declared = set(known)
    return sorted(name for name in event if name not in declared)


__all__ = [
    "UNSUPPORTED_MEDIA_TYPE",
    "BadRequestError",
    "as_list",
    "as_object",
    "check_content_type",
    "check_declared_length",
    "check_text",
    "field_name",
    "json_number",
    "model_version_parameter",
    "parse_json",
    "printable",
    "unknown_fields",
]
