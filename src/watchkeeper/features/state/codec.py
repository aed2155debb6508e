"""Entity states as bytes, for stores outside the process (SQLite, Redis).

Compact JSON, versioned: integers stay integers, floats are written as their shortest
round-trip form and read back exactly, strings and booleans keep their type. No code runs when
a state is read back (no pickle), so a tampered store cannot execute anything. Encoded and
decoded by ``orjson``: a busy card's state holds its whole window of events, and the standard
library's ``json`` took about a quarter of a request's time with a shared online state.

>>> from watchkeeper.features.entity_state import EntityState
>>> state = EntityState(last_timestamp=5, timestamps=[5], values={"m": ["x"]},
...                     totals={"a": (1, 2.5, 0.0, 6.25, 0.0)},
...                     snapshots={"a": [(0, 0.0, 0.0, 0.0, 0.0)]})
>>> decode_state(encode_state(state)) == state
True
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson

from watchkeeper.errors import StorageError
from watchkeeper.features.entity_state import EntityState, Totals

STATE_FORMAT = 1


def encode_state(state: EntityState) -> bytes:
    """The state as bytes."""
    document = {
        "format": STATE_FORMAT,
        "last": state.last_timestamp,
        "ts": state.timestamps,
        "values": state.values,
        "totals": state.totals,
        "snapshots": state.snapshots,
    }
    if all(math.isfinite(value) for totals in state.totals.values() for value in totals):
        return orjson.dumps(document)
    # orjson would write an overflowed total (inf, nan) as null; the standard library writes
    # Infinity and NaN. Totals only accumulate, so finite totals mean finite snapshots too.
    return json.dumps(document, separators=(",", ":"), allow_nan=True).encode("utf-8")


def decode_state(data: bytes) -> EntityState:
    """A state from bytes written by :func:`encode_state`."""
    try:
        document: dict[str, Any] = orjson.loads(data)
    except orjson.JSONDecodeError:
        try:  # a state with an overflowed total (Infinity, NaN), which orjson refuses
            document = json.loads(data)
        except (ValueError, UnicodeDecodeError) as error:
            raise StorageError(f"online feature state is not readable: {error}") from None
    if not isinstance(document, dict) or document.get("format") != STATE_FORMAT:
        found = document.get("format") if isinstance(document, dict) else document
        raise StorageError(f"online feature state has format {found!r}; expected {STATE_FORMAT}")
    try:
        return _state(document)
    except (KeyError, TypeError, ValueError) as error:
        raise StorageError(f"online feature state is not readable: {error!r}") from None


def _state(document: dict[str, Any]) -> EntityState:
    return EntityState(
        last_timestamp=document["last"],
        timestamps=document["ts"],
        values=document["values"],
        totals={name: _totals(totals) for name, totals in document["totals"].items()},
        snapshots={
            name: [_totals(item) for item in items] for name, items in document["snapshots"].items()
        },
    )


def _totals(items: list[Any]) -> Totals:
    count, total, total_error, squares, squares_error = items
    return (int(count), float(total), float(total_error), float(squares), float(squares_error))


__all__ = ["STATE_FORMAT", "decode_state", "encode_state"]
