"""Request bodies read by orjson first mean exactly what the standard library reads."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.serving.request_body import BadRequestError, parse_json

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()  # any size: past 64 bits too
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def storable(value: Any) -> bool:
    """Whether every string of ``value`` (keys too) can be stored: UTF-8, no NUL."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate
            return False
        return "\x00" not in value
    if isinstance(value, dict):
        return all(storable(key) and storable(item) for key, item in value.items())
    if isinstance(value, list):
        return all(storable(item) for item in value)
    return True


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES, st.booleans())
def test_any_json_body_parses_as_the_standard_library_reads_it(value: Any, ascii: bool) -> None:
    body = json.dumps(value, ensure_ascii=True).encode("utf-8")
    if not storable(value):  # a lone surrogate or a NUL anywhere: refused, by its path
        with pytest.raises(BadRequestError, match="not valid text"):
            parse_json(body, max_bytes=1 << 20)
        return
    body = json.dumps(value, ensure_ascii=ascii).encode("utf-8")
    parsed = parse_json(body, max_bytes=1 << 20)
    expected = json.loads(body)
    assert parsed == expected
    assert json.dumps(parsed) == json.dumps(expected)  # ints stay ints, floats floats


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"a": NaN}', "NaN is not a valid JSON number"),
        (b'{"a": -Infinity}', "-Infinity is not a valid JSON number"),
        (b'{"a": 1e400}', "the number 1e400 is not finite"),
        (b"  ", "empty; expected a JSON object"),
        (b'{"a": 1', "malformed JSON"),
    ],
)
def test_a_refused_body_is_named_by_the_standard_parser(body: bytes, message: str) -> None:
    with pytest.raises(BadRequestError, match=message):
        parse_json(body, max_bytes=1024)
