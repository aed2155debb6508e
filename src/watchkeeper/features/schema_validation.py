"""Raw input validation at the edge, one event at a time (the online engine's gate).

An event is a mapping of field names to values. :func:`validate_event` checks every declared
input — type, required, minimum, maximum, allowed values, finiteness — and returns the values
in their one canonical form (floats as ``float``, timestamps as aware UTC datetimes), or raises
:class:`~watchkeeper.errors.InvalidInputError` naming the field and the reason. Nothing is
coerced silently: ``"12"`` is not a float, ``2.0`` is not an int, NaN is not a number. Fields
the spec does not declare are ignored. The batch engine applies the same rules to whole
columns (:mod:`watchkeeper.features.frame_validation`).

Timestamps are aware datetimes or ISO-8601 strings; one without an offset is read as UTC.

>>> from watchkeeper.config import InputField
>>> amount = InputField(type="float", min=0, required=True)
>>> validate_value("amount", amount, 12)
12.0
>>> validate_value("amount", amount, -5.0)
Traceback (most recent call last):
...
watchkeeper.errors.InvalidInputError: amount: below the minimum 0 (got -5.0)
>>> validate_value("amount", amount, float("nan"))
Traceback (most recent call last):
...
watchkeeper.errors.InvalidInputError: amount: not a finite number (got nan)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from watchkeeper.clock import as_utc, utc_from_iso
from watchkeeper.errors import InvalidInputError
from watchkeeper.quoting import quoted

if TYPE_CHECKING:
    from watchkeeper.config import InputField
    from watchkeeper.features.spec import FeatureSpec

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def validate_event(spec: FeatureSpec, event: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``event`` against the spec's inputs; return every declared input, normalised.

    Absent optional fields come back as ``None``. The event time is always required.

    >>> from watchkeeper.features.spec import FeatureSpec
    >>> spec = FeatureSpec(inputs={"ts": {"type": "timestamp"}, "n": {"type": "int"}},
    ...                    transforms=[{"name": "h", "op": "hour_of_day", "input": "ts"}])
    >>> validate_event(spec, {"ts": "2026-03-01T10:00:00+01:00", "extra": 1})
    {'ts': datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.timezone.utc), 'n': None}
    >>> validate_event(spec, {"ts": "2026-03-01T10:00:00", "n": 2.0})
    Traceback (most recent call last):
    ...
    watchkeeper.errors.InvalidInputError: n: expected an integer (got 2.0)
    """
    values: dict[str, Any] = {}
    for name, field in spec.inputs.items():
        value = validate_value(name, field, event.get(name))
        if value is None and name == spec.timestamp:
            raise InvalidInputError(name, "required but missing (it is the event time)")
        values[name] = value
    return values


def validate_value(name: str, field: InputField, value: Any) -> Any:
    """Check one value of input ``name``; return it normalised, or raise InvalidInputError."""
    if value is None:
        if field.required:
            raise InvalidInputError(name, "required but missing")
        return None
    normalised = _normalise(name, field.type, value)
    if isinstance(normalised, str):
        check_length(name, normalised, field.length_limit)
    if field.type in ("float", "int"):
        if field.min is not None and normalised < field.min:
            raise InvalidInputError(
                name, f"below the minimum {_plain(field.min)} (got {quoted(normalised)})"
            )
        if field.max is not None and normalised > field.max:
            raise InvalidInputError(
                name, f"above the maximum {_plain(field.max)} (got {quoted(normalised)})"
            )
    if field.allowed is not None and normalised not in field.allowed:
        choices = ", ".join(str(choice) for choice in field.allowed)
        raise InvalidInputError(
            name, f"not among the allowed values {choices} (got {quoted(normalised)})"
        )
    return normalised


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _normalise(name: str, kind: str, value: Any) -> Any:
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise InvalidInputError(name, f"expected a number (got {quoted(value)})")
        try:
            number = float(value)
        except OverflowError:  # an integer past a float's range: JSON allows any length
            raise InvalidInputError(name, f"not a finite number (got {quoted(value)})") from None
        if not math.isfinite(number):
            raise InvalidInputError(name, f"not a finite number (got {quoted(number)})")
        return number
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise InvalidInputError(name, f"expected an integer (got {quoted(value)})")
        integer = int(value)
        if not _INT64_MIN <= integer <= _INT64_MAX:  # what the event tables can store
            raise InvalidInputError(name, f"outside the 64-bit integer range (got {quoted(value)})")
        return integer
    if kind in ("string", "category"):
        if not isinstance(value, str):
            raise InvalidInputError(name, f"expected a string (got {quoted(value)})")
        return value  # its length is checked by validate_value, against the field's limit
    if kind == "bool":
        if not isinstance(value, bool):
            raise InvalidInputError(name, f"expected true or false (got {quoted(value)})")
        return value
    return parse_timestamp(name, value)


def check_length(name: str, value: str, limit: int) -> None:
    """Refuse a string of more than ``limit`` characters, quoting only its beginning.

    >>> check_length("card_id", "c" * 300, 256)
    Traceback (most recent call last):
    ...
    watchkeeper.errors.InvalidInputError: card_id: longer than 256 characters (got 'cccc...
    """
    if len(value) > limit:
        raise InvalidInputError(name, f"longer than {limit} characters (got {quoted(value)})")


def parse_timestamp(name: str, value: Any) -> datetime:
    """An aware UTC datetime from a datetime or an ISO-8601 string (no offset means UTC).

    >>> parse_timestamp("ts", "2026-03-29T01:30:00Z")
    datetime.datetime(2026, 3, 29, 1, 30, tzinfo=datetime.timezone.utc)
    >>> parse_timestamp("ts", "0001-01-01T00:00:00+00:01")
    Traceback (most recent call last):
    ...
    watchkeeper.errors.InvalidInputError: ts: out of the representable range (got ...)
    >>> parse_timestamp("ts", "yesterday")
    Traceback (most recent call last):
    ...
    watchkeeper.errors.InvalidInputError: ts: not an ISO-8601 timestamp (got 'yesterday')
    """
    if not isinstance(value, str | datetime):
        raise InvalidInputError(name, f"expected a timestamp (got {quoted(value)})")
    try:  # the package's one time-zone rule (:mod:`watchkeeper.clock`)
        return utc_from_iso(value) if isinstance(value, str) else as_utc(value)
    except ValueError:
        raise InvalidInputError(name, f"not an ISO-8601 timestamp (got {quoted(value)})") from None
    except OverflowError:  # e.g. 0001-01-01T00:00:00+00:01 is before year 1 in UTC
        raise InvalidInputError(
            name, f"out of the representable range (got {quoted(value)})"
        ) from None


def timestamp_microseconds(value: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime, exactly.

    >>> timestamp_microseconds(datetime(1970, 1, 1, 0, 0, 1, 5, tzinfo=UTC))
    1000005
    """
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else repr(number)


__all__ = [
    "check_length",
    "parse_timestamp",
    "timestamp_microseconds",
    "validate_event",
    "validate_value",
]
