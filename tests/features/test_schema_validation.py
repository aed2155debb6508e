"""Validation at the edge: the same rules online (one event) and in batch (whole frames)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import polars as pl
import pytest

from watchkeeper.errors import InvalidInputError, SchemaError
from watchkeeper.features import FeatureSpec, validate_event, validate_frame


def spec() -> FeatureSpec:
    return FeatureSpec(
        inputs={
            "ts": {"type": "timestamp"},
            "amount": {"type": "float", "min": 0, "max": 1000, "required": True},
            "items": {"type": "int", "min": 1},
            "channel": {"type": "category", "allowed": ["web", "pos"]},
            "flag": {"type": "bool"},
        },
        transforms=[{"name": "h", "op": "hour_of_day", "input": "ts"}],
    )


GOOD = {"ts": "2026-01-01T00:00:00Z", "amount": 5, "items": 2, "channel": "web", "flag": True}


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"amount": None}, "amount", "required but missing"),
        ({"amount": "5"}, "amount", "expected a number (got '5')"),
        ({"amount": float("inf")}, "amount", "not a finite number (got inf)"),
        ({"amount": 1e9}, "amount", "above the maximum 1000"),
        ({"amount": 10**400}, "amount", "not a finite number (got 1000"),
        ({"items": 2**70}, "items", "outside the 64-bit integer range"),
        ({"items": 2.0}, "items", "expected an integer (got 2.0)"),
        ({"items": True}, "items", "expected an integer (got True)"),
        ({"items": 0}, "items", "below the minimum 1 (got 0)"),
        ({"channel": "atm"}, "channel", "not among the allowed values web, pos (got 'atm')"),
        ({"channel": 3}, "channel", "expected a string (got 3)"),
        ({"flag": "yes"}, "flag", "expected true or false (got 'yes')"),
        ({"ts": None}, "ts", "required but missing (it is the event time)"),
        ({"ts": "soon"}, "ts", "not an ISO-8601 timestamp (got 'soon')"),
    ],
)
def test_an_event_is_rejected_with_field_and_reason(
    change: dict[str, Any], field: str, reason: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        validate_event(spec(), {**GOOD, **change})
    assert caught.value.field == field
    assert reason in caught.value.reason


def test_a_valid_event_comes_back_normalised() -> None:
    row = validate_event(
        spec(),
        {**GOOD, "ts": datetime(2026, 1, 1, 1, tzinfo=timezone(timedelta(hours=1))), "other": 1},
    )
    assert row == {
        "ts": datetime(2026, 1, 1, tzinfo=UTC),
        "amount": 5.0,
        "items": 2,
        "channel": "web",
        "flag": True,
    }
    assert isinstance(row["amount"], float)


def test_frame_rows_are_rejected_with_the_same_reasons() -> None:
    frame = pl.DataFrame(
        {
            "event_id": ["a", "b", "c", "d", "e", "f"],
            "ts": [datetime(2026, 1, 1, tzinfo=UTC)] * 6,
            "amount": [5.0, None, float("nan"), 2000.0, 1.0, 1.0],
            "items": [1, 1, 1, 1, 0, 1],
            "channel": ["web", "web", "web", "web", "web", "atm"],
            "flag": [True] * 6,
        }
    )
    checked = validate_frame(spec(), frame, "quarantine")
    assert checked.valid["event_id"].to_list() == ["a"]
    assert checked.rejected.select("event_id", "rejected_field", "rejection_reason").rows() == [
        ("b", "amount", "required but missing"),
        ("c", "amount", "not a finite number (got NaN)"),
        ("d", "amount", "above the maximum 1000 (got 2000.0)"),
        ("e", "items", "below the minimum 1 (got 0)"),
        ("f", "channel", "not among the allowed values web, pos (got 'atm')"),
    ]


def test_text_columns_are_parsed_strictly() -> None:
    frame = pl.DataFrame(
        {
            "ts": ["2026-01-01T10:00:00+02:00", "2026-01-01", "2026-01-01"],
            "amount": ["1.5", "1,5", "2"],
            "items": ["3", "3", "3.0"],
            "flag": ["TRUE", "false", "false"],
        }
    )
    checked = validate_frame(spec(), frame, "quarantine")
    assert checked.valid.row(0, named=True)["ts"] == datetime(2026, 1, 1, 8, tzinfo=UTC)
    assert checked.valid["flag"].to_list() == [True]
    assert checked.rejected["rejection_reason"].to_list() == [
        "not a number (got '1,5')",
        "not an integer (got '3.0')",
    ]


def test_wrong_column_types_and_missing_required_columns_are_schema_errors() -> None:
    with pytest.raises(
        SchemaError, match="input column 'amount' has type Boolean; the spec declares float"
    ):
        validate_frame(spec(), pl.DataFrame({"ts": ["2026-01-01"], "amount": [True]}))
    with pytest.raises(SchemaError, match="input column 'amount' is missing"):
        validate_frame(spec(), pl.DataFrame({"ts": ["2026-01-01"]}))


def test_naive_timestamps_are_read_as_utc_in_both_engines() -> None:
    naive = datetime(2026, 1, 1, 12)
    frame = pl.DataFrame({"ts": [naive], "amount": [1.0]})
    assert validate_frame(spec(), frame).valid["ts"].to_list() == [naive.replace(tzinfo=UTC)]
    assert validate_event(spec(), {"ts": naive, "amount": 1.0})["ts"] == naive.replace(tzinfo=UTC)
