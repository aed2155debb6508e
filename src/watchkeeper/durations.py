"""Durations written the way people write them in configuration: ``90d``, ``48h``, ``15m``.

>>> parse_duration("48h")
datetime.timedelta(days=2)
>>> format_duration(parse_duration("90d"))
'90d'
>>> parse_duration("1w2d").days
9
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

_UNIT_SECONDS = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
_PART = re.compile(r"(\d+(?:\.\d+)?)([wdhms])")


def parse_duration(text: str) -> timedelta:
    """Parse a duration such as ``30d``, ``1h30m`` or ``45s`` into a timedelta.

    Units: ``w`` weeks, ``d`` days, ``h`` hours, ``m`` minutes, ``s`` seconds.

    >>> parse_duration("1h30m")
    datetime.timedelta(seconds=5400)
    >>> parse_duration("soon")
    Traceback (most recent call last):
    ...
    ValueError: 'soon' is not a duration: write a number and a unit (w, d, h, m, s), e.g. 90d or 48h
    """
    cleaned = text.strip().lower().replace(" ", "")
    position = 0
    seconds = 0.0
    for match in _PART.finditer(cleaned):
        if match.start() != position:
            break
        seconds += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if position == 0 or position != len(cleaned):
        raise ValueError(
            f"{text!r} is not a duration: write a number and a unit (w, d, h, m, s), e.g. 90d or 48h"
        )
    return timedelta(seconds=seconds)


def format_duration(duration: timedelta) -> str:
    """Write a timedelta in the largest whole units: ``timedelta(days=2)`` -> ``2d``.

    >>> format_duration(timedelta(hours=36))
    '1d12h'
    >>> format_duration(timedelta(0))
    '0s'
    """
    remaining = int(duration.total_seconds())
    if remaining == 0:
        return "0s"
    parts = []
    for unit in ("d", "h", "m", "s"):
        count, remaining = divmod(remaining, _UNIT_SECONDS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def _coerce_duration(value: Any) -> Any:
    if isinstance(value, str):
        return parse_duration(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f"{value!r} has no unit: write e.g. {value}d, {value}h or {value}s")
    return value


Duration = Annotated[
    timedelta,
    BeforeValidator(_coerce_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]
"""A pydantic field type that reads ``90d`` style strings and writes them back the same way."""

__all__ = ["Duration", "format_duration", "parse_duration"]
