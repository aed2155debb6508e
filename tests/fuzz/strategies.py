"""Hypothesis strategies for hostile request bodies, shared by the fuzz tests and
``benchmarks/fuzz_long.py``.

Values are built as Python objects and encoded by :func:`encode`, which writes what
``orjson`` refuses to: lone surrogates as ``\\ud800`` escapes, integers past 64 bits, and
:class:`Raw` JSON text (``NaN``, ``1e999``, nesting thousands deep) written as it is.

>>> encode({"a": "\\ud800", "n": 2**70, "x": Raw("NaN")})
b'{"a":"\\\\ud800","n":1180591620717411303424,"x":NaN}'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st
from tests.serving.conftest import live_event

MAX_TEXT = 20_000
"""The longest fuzzed string, in characters: past any sensible field limit, still fast."""


@dataclass(frozen=True)
class Raw:
    """JSON text written into a body as it is (it may not be valid JSON)."""

    text: str


@dataclass(frozen=True)
class Absent:
    """A field removed from the event."""


ABSENT = Absent()


def encode(value: Any) -> bytes:
    """``value`` as JSON bytes, lone surrogates escaped, :class:`Raw` text kept verbatim.

    >>> encode([-0.0, 5e-324, 1e308, "\\x00"])
    b'[-0.0,5e-324,1e+308,"\\\\u0000"]'
    """
    return _text(value).encode("utf-8")


def _text(value: Any) -> str:
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(f"{_text(str(k))}:{_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_text(item) for item in value) + "]"
    # ensure_ascii escapes lone surrogates as \udXXX; NaN/Infinity only come as Raw
    return json.dumps(value, ensure_ascii=True, allow_nan=True)


LONE_SURROGATES = st.integers(0xD800, 0xDFFF).map(chr)
ODD_CHARACTERS = st.sampled_from(
    ["\x00", "\x01", "\x1b", "\x1f", "\x7f", "\u2028", "\ufeff", "\U0001f600", "[/]", "'", '"']
)
odd_text = st.lists(
    st.one_of(st.characters(), LONE_SURROGATES, ODD_CHARACTERS), min_size=0, max_size=12
).map("".join)
"""Short strings with lone surrogates, NUL, control characters and markup."""

long_text = st.builds(
    lambda size, unit: (unit * size)[:size],
    st.integers(257, MAX_TEXT),
    st.sampled_from(["x", "é", "\U0001f600", "\x00", "ab\ud800"]),
)
"""Long strings (up to :data:`MAX_TEXT` characters), some made of odd characters."""

odd_numbers = st.one_of(
    st.sampled_from(
        [
            0,
            -0.0,
            5e-324,
            -5e-324,
            1e308,
            -1e308,
            1.7976931348623157e308,
            2**53 + 1,
            2**63,
            2**64,
            -(2**63) - 1,
            10**30,
            -(10**30),
            2**64 * 10**20,
            1e-300,
            0.1,
            -1,
            -1.0,
            True,
            False,
        ]
    ),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        [
            Raw("NaN"),
            Raw("Infinity"),
            Raw("-Infinity"),
            Raw("1e999"),
            Raw("-1e999"),
            Raw("1" * 400),
            Raw("0." + "0" * 400 + "1"),
        ]
    ),
)
"""Huge, tiny, signed-zero, past-64-bit and non-finite numbers (the last as raw text)."""

deep_nesting = st.builds(
    lambda depth, opener: (
        Raw(
            opener * depth + ("1" if opener == "[" else "") + ("]" if opener == "[" else "") * depth
        )
        if opener == "["
        else Raw('{"a":' * depth + "1" + "}" * depth)
    ),
    st.sampled_from([2, 64, 600, 1100, 5000, 50_000]),
    st.sampled_from(["[", "{"]),
)
"""Arrays or objects nested up to 50,000 deep (as raw text)."""

_PLAUSIBLE = datetime(2026, 6, 9, tzinfo=UTC)
_OFFSETS = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))

odd_timestamps = st.one_of(
    st.sampled_from(
        [
            "0001-01-01T00:00:00Z",
            "0001-01-01T00:00:00+00:00",
            "1900-01-01T00:00:00+00:00",
            "1970-01-01T00:00:00Z",
            "2999-12-31T23:59:59Z",
            "9999-12-31T23:59:59.999999+00:00",
            "9999-12-31T23:59:59-23:59",
            "0001-01-01T00:00:00+23:59",
            "2026-06-09T00:00:00",
            "2026-06-09T00:00:00+14:00",
            "2026-06-09T00:00:00-12:00",
            "2026-06-09",
            "2026-06-09T25:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-06-09T00:00:00.123456789Z",
            "+002026-06-09T00:00:00Z",
            "2026-W23-2",
            "20260609T000000Z",
            "2026-06-09 00:00:00",
            "2026-06-09T00:00:00Z[Europe/Paris]",
            "soon",
            "",
            " ",
            "2026-06-09T00:00:00\x00",
            "2026-06-09T00:00:00\ud800",
        ]
    ),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).flatmap(
        lambda moment: (
            st.sampled_from([None, UTC]).map(lambda zone: moment.replace(tzinfo=zone).isoformat())
            | _OFFSETS.map(lambda zone: moment.replace(tzinfo=zone).isoformat())
        )
    ),
    st.sampled_from([0, 1_780_000_000, 1_780_000_000_000, -1, 1e308]),
    long_text.map(lambda text: "2026-06-09T00:00:00Z" + text),
)
"""Event times far past and future, without an offset, with odd offsets, and garbage."""

json_scalars = st.one_of(st.none(), st.booleans(), odd_numbers, odd_text)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(odd_text, children, max_size=4)
    ),
    max_leaves=12,
)
"""Any JSON value: scalars, arrays, objects (keys with surrogates too)."""

hostile_values = st.one_of(
    json_values, odd_text, long_text, odd_numbers, deep_nesting, odd_timestamps
)
"""Whatever a careless or hostile client may put in one field."""


@dataclass(frozen=True)
class Change:
    """A change to one field of an otherwise valid object: a new value, or :data:`ABSENT`."""

    field: str
    value: Any

    def apply(self, valid: dict[str, Any]) -> dict[str, Any]:
        """A copy of ``valid`` with this change made."""
        changed = dict(valid)
        if isinstance(self.value, Absent):
            changed.pop(self.field, None)
        else:
            changed[self.field] = self.value
        return changed


EVENT_FIELDS = tuple(live_event(0))
"""The fields of an event in the example workspace's schema."""
OUTCOME_FIELDS = ("event_id", "outcome", "outcome_ts", "amount")


def changes(fields: tuple[str, ...]) -> st.SearchStrategy[Change]:
    """One hostile change to one of ``fields`` (or an unknown field, possibly an odd name)."""
    name = st.sampled_from(fields) | st.sampled_from(["extra", "", "__proto__"]) | odd_text
    return st.builds(Change, name, hostile_values | st.just(ABSENT))


content_types = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        None,
    ]
)
"""A request's content type (None: no header)."""

JSON_CONTENT_TYPES = frozenset({"application/json", "application/json; charset=utf-8", None})
"""The content types a JSON endpoint must accept (no header: the body still says JSON)."""


__all__ = [
    "ABSENT",
    "EVENT_FIELDS",
    "JSON_CONTENT_TYPES",
    "OUTCOME_FIELDS",
    "Change",
    "Raw",
    "changes",
    "content_types",
    "deep_nesting",
    "encode",
    "hostile_values",
    "json_values",
    "long_text",
    "odd_numbers",
    "odd_text",
    "odd_timestamps",
]
