"""Timestamps read from text: the vectorised path for plain ISO-8601 forms gives exactly what
the online engine's parser gives, for any instant, offset and spelling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.errors import InvalidInputError
from watchkeeper.features.frame_validation import _plain_iso_timestamps
from watchkeeper.features.schema_validation import parse_timestamp

offsets = st.one_of(
    st.just(""),
    st.just("Z"),
    st.builds(
        lambda sign, hours, minutes, colon: f"{sign}{hours:02d}{':' if colon else ''}{minutes:02d}",
        st.sampled_from("+-"),
        st.integers(0, 23),
        st.integers(0, 59),
        st.booleans(),
    ),
)


@st.composite
def plain_iso_texts(draw: st.DrawFn) -> str:
    moment = draw(
        st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59))
    )
    digits = draw(st.integers(0, 6))
    fraction = f".{moment.microsecond:06d}"[: digits + 1] if digits else ""
    separator = draw(st.sampled_from("T "))
    return f"{moment:%Y-%m-%d}{separator}{moment:%H:%M:%S}{fraction}{draw(offsets)}"


def python_parser(text: str) -> datetime | None:
    try:
        return parse_timestamp("ts", text)
    except InvalidInputError:
        return None


@settings(max_examples=300, deadline=None)
@given(st.lists(plain_iso_texts(), min_size=1, max_size=20))
def test_the_vectorised_path_equals_the_online_parser(texts: list[str]) -> None:
    fast = _plain_iso_timestamps(pl.Series(texts)).to_list()
    for text, value in zip(texts, fast, strict=True):
        expected = python_parser(text)
        if value is None:  # left to the online parser (out of range, say): never a guess
            continue
        assert expected is not None, text
        assert value == expected, text


def test_most_plain_forms_take_the_vectorised_path() -> None:
    texts = ["2026-03-29T01:30:00Z", "2026-03-29 01:30:00.25", "2026-03-29T01:30:00.123456+0530"]
    fast = _plain_iso_timestamps(pl.Series(texts)).to_list()
    expected = [
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 30, 0, 250000, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 30, 0, 123456, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    ]
    assert fast == expected


def test_other_spellings_are_left_to_the_online_parser() -> None:
    texts = [
        "2026-03-29",
        "20260329T013000",
        "2026-03-29T01:30:00.1234567Z",
        "2026-02-30T00:00:00",
        "soon",
    ]
    assert _plain_iso_timestamps(pl.Series(texts)).to_list() == [None] * len(texts)
