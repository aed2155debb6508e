"""The check of a raw event's undeclared fields, shared by the HTTP endpoints and the stream.

``serving.unknown_fields`` decides: ``reject`` refuses an event with a field the schema does
not declare (422, naming it); otherwise the field is kept in the logged raw input, held to
:data:`~watchkeeper.config.features.DEFAULT_MAX_LENGTH` characters. Either way each one is
counted in ``watchkeeper_unknown_fields``.

>>> from prometheus_client import CollectorRegistry, Counter
>>> counter = Counter("unknown", "", registry=CollectorRegistry())
>>> check = UndeclaredFieldCheck(lambda: ("amount",), "reject", counter)
>>> check({"amount": 1.0})
>>> check({"amount": 1.0, "colour": "red"}, "events[2].")
Traceback (most recent call last):
...
watchkeeper.serving.request_body.BadRequestError: events[2].colour: unknown field (the schema does not declare it)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from watchkeeper.config.features import DEFAULT_MAX_LENGTH
from watchkeeper.features.schema_validation import check_length
from watchkeeper.serving.request_body import BadRequestError, field_name, unknown_fields


class _Counter(Protocol):
    def inc(self, amount: float = 1) -> None: ...


class UndeclaredFieldCheck:
    """Checks an event's fields against the declared inputs (read at each call, so a reload
    of the serving models is followed) under the ``policy`` of ``serving.unknown_fields``."""

    def __init__(
        self, declared: Callable[[], Sequence[str]], policy: str, counter: _Counter
    ) -> None:
        self._declared = declared
        self._reject = policy == "reject"
        self._counter = counter

    def __call__(self, event: dict[str, Any], where: str = "") -> None:
        """Raise :class:`BadRequestError` for a refused undeclared field of ``event``;
        ``where`` prefixes the field's name (``events[3].``)."""
        extra = unknown_fields(event, self._declared())
        if not extra:
            return
        self._counter.inc(len(extra))
        if self._reject:
            raise BadRequestError(
                f"{where}{field_name(extra[0])}",
                "unknown field (the schema does not declare it)",
                422,
            )
        for name in extra:  # kept in the logged raw input: held to the default limit
            value = event[name]
            if isinstance(value, str):
                check_length(f"{where}{field_name(name)}", value, DEFAULT_MAX_LENGTH)


__all__ = ["UndeclaredFieldCheck"]
