"""Shared pieces of the feature tests (imported by the tests; see conftest.py): a full spec, random event streams, a naive reference.

The reference implements the window semantics of issue 3 literally, in O(n**2) Python with
exact rational arithmetic, independently of both engines: for an event at ``t`` the window
holds the events of the same key that came before it (an earlier timestamp, or the same
timestamp and an earlier position in the input) with timestamp ``>= t - w``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import polars as pl
from hypothesis import strategies as st

from watchkeeper.features.spec import FeatureSpec

TIME_ZONES = (
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "America/Sao_Paulo",
)
# Instants next to daylight-saving changes: EU spring forward, US fall back, Lord Howe's
# half-hour change, and an old Sao Paulo change.
DST_INSTANTS = (
    datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
    datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
    datetime(2026, 4, 4, 14, 30, tzinfo=UTC),
    datetime(2018, 11, 4, 2, 30, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
)
WINDOWS = ("1s", "90s", "1h", "24h", "7d")
EXTREME_AMOUNTS = (0.0, -0.0, 1e12, -1e12, 1e-12, 123456.789, 5e-324, 1e15, -7.5)


def inputs(amount_minimum: float | None = None) -> dict[str, Any]:
    """The raw input schema of the test spec."""
    return {
        "event_id": {"type": "string", "required": True},
        "ts": {"type": "timestamp", "required": True},
        "card": {"type": "string"},
        "shop": {"type": "int"},
        "amount": {"type": "float", "min": amount_minimum},
        "items": {"type": "int"},
        "channel": {"type": "category"},
        "flag": {"type": "bool"},
    }


def full_spec(timezone: str, windows: tuple[str, str]) -> FeatureSpec:
    """Every operation, stateless and windowed, over two keys and two windows."""
    short, long = windows
    transforms: list[dict[str, Any]] = [
        {"name": "amount_raw", "op": "identity", "input": "amount"},
        {"name": "items_filled", "op": "fill_missing", "input": "items", "fill": -1},
        {"name": "flag_raw", "op": "identity", "input": "flag"},
        {"name": "channel_raw", "op": "fill_missing", "input": "channel", "fill": "none"},
        {"name": "amount_clipped", "op": "clip", "input": "amount", "lower": -100.0, "upper": 1e6},
        {"name": "log_amount", "op": "log1p", "input": "amount", "fill": 0.0},
        {"name": "amount_z", "op": "standardize", "input": "amount"},
        {"name": "amount_bucket", "op": "bucketize", "input": "amount", "boundaries": [0, 10, 1e6]},
        {"name": "per_item", "op": "ratio", "numerator": "amount", "denominator": "items"},
        {
            "name": "channel_code",
            "op": "encode",
            "input": "channel",
            "method": "ordinal",
            "top_k": 2,
        },
        {
            "name": "channel_hot",
            "op": "encode",
            "input": "channel",
            "method": "one_hot",
            "top_k": 3,
        },
        {"name": "channel_share", "op": "encode", "input": "channel", "method": "frequency"},
        {"name": "shop_code", "op": "encode", "input": "shop", "method": "ordinal"},
        {"name": "hour", "op": "hour_of_day", "input": "ts"},
        {"name": "weekday", "op": "day_of_week", "input": "ts"},
        {"name": "day", "op": "day_of_month", "input": "ts"},
        {"name": "weekend", "op": "is_weekend", "input": "ts"},
        {"name": "custom_ratio", "op": "custom", "function": "row_functions:amount_per_item"},
        {"name": "since_last", "op": "time_since_last", "by": "card"},
        {"name": "shop_since_last", "op": "time_since_last", "by": "shop", "fill": -1.0},
    ]
    for key in ("card", "shop"):
        for window in (short, long):
            suffix = f"{key}_{window}"
            transforms += [
                {"name": f"count_{suffix}", "op": "count", "by": key, "window": window},
                {
                    "name": f"amounts_{suffix}",
                    "op": "count",
                    "input": "amount",
                    "by": key,
                    "window": window,
                },
                {
                    "name": f"sum_{suffix}",
                    "op": "sum",
                    "input": "amount",
                    "by": key,
                    "window": window,
                },
                {
                    "name": f"mean_{suffix}",
                    "op": "mean",
                    "input": "amount",
                    "by": key,
                    "window": window,
                },
                {
                    "name": f"std_{suffix}",
                    "op": "std",
                    "input": "amount",
                    "by": key,
                    "window": window,
                },
                {
                    "name": f"min_{suffix}",
                    "op": "min",
                    "input": "amount",
                    "by": key,
                    "window": window,
                },
                {
                    "name": f"max_{suffix}",
                    "op": "max",
                    "input": "items",
                    "by": key,
                    "window": window,
                },
                {
                    "name": f"distinct_{suffix}",
                    "op": "count_distinct",
                    "input": "channel",
                    "by": key,
                    "window": window,
                },
            ]
    transforms.append(
        {
            "name": "distinct_shops",
            "op": "count_distinct",
            "input": "shop",
            "by": "card",
            "window": long,
            "fill": 0,
        }
    )
    transforms.append(
        {
            "name": "mean_filled",
            "op": "mean",
            "input": "amount",
            "by": "card",
            "window": short,
            "fill": 0.0,
        }
    )
    return FeatureSpec(timezone=timezone, inputs=inputs(), transforms=transforms)


@st.composite
def event_streams(draw: st.DrawFn, extreme: bool = True, max_size: int = 40) -> pl.DataFrame:
    """Random event streams, unsorted, with ties, bursts, missing values and new categories."""
    base = draw(st.sampled_from(DST_INSTANTS))
    size = draw(st.integers(1, max_size))
    instants = draw(
        st.lists(st.integers(-3 * 86_400, 3 * 86_400), min_size=1, max_size=6)
    )  # a few instants, reused: ties and bursts
    offsets = st.one_of(
        st.sampled_from(instants).map(lambda seconds: seconds * 1_000_000),
        st.sampled_from(instants).map(lambda seconds: seconds * 1_000_000 + 1),
        st.integers(-3 * 86_400_000_000, 3 * 86_400_000_000),
    )
    if extreme:
        amounts = st.one_of(
            st.none(),
            st.sampled_from(EXTREME_AMOUNTS),
            st.floats(-1e15, 1e15, allow_nan=False, allow_infinity=False),
        )
    else:
        amounts = st.one_of(st.none(), st.integers(-(10**6), 10**6).map(lambda cents: cents / 100))
    rows = draw(
        st.lists(
            st.tuples(
                offsets,
                st.one_of(st.none(), st.sampled_from(["a", "b", "c"])),
                st.one_of(st.none(), st.integers(0, 3)),
                amounts,
                st.one_of(st.none(), st.integers(-5, 5)),
                st.one_of(st.none(), st.sampled_from(["web", "pos", "atm", "phone", "kiosk"])),
                st.one_of(st.none(), st.booleans()),
            ),
            min_size=size,
            max_size=size,
        )
    )
    return pl.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(len(rows))],
            "ts": [base + timedelta(microseconds=row[0]) for row in rows],
            "card": [row[1] for row in rows],
            "shop": [row[2] for row in rows],
            "amount": [row[3] for row in rows],
            "items": [row[4] for row in rows],
            "channel": [row[5] for row in rows],
            "flag": [row[6] for row in rows],
        },
        schema={
            "event_id": pl.String,
            "ts": pl.Datetime("us", "UTC"),
            "card": pl.String,
            "shop": pl.Int64,
            "amount": pl.Float64,
            "items": pl.Int64,
            "channel": pl.String,
            "flag": pl.Boolean,
        },
    )


def reference_window(frame: pl.DataFrame, key: str, window: timedelta) -> list[list[int]]:
    """For every row, the positions of the rows in its window, by the literal definition."""
    rows = frame.select("ts", key).rows()
    windows = []
    for i, (t, k) in enumerate(rows):
        if k is None:
            windows.append([])
            continue
        windows.append(
            [
                j
                for j, (u, other) in enumerate(rows)
                if other == k and (u < t or (u == t and j < i)) and u >= t - window
            ]
        )
    return windows


def reference_aggregate(operation: str, values: list[Any]) -> Any:
    """An aggregate over the window's values (missing values skipped), exactly."""
    present = [value for value in values if value is not None]
    if operation == "count":
        return len(present)
    if operation == "count_distinct":
        return len(set(present))
    if operation == "sum":
        return float(sum((Fraction(value) for value in present), Fraction(0)))
    if not present:
        return None
    if operation == "mean":
        return float(sum(Fraction(value) for value in present) / len(present))
    if operation == "min":
        return min(present)
    if operation == "max":
        return max(present)
    if len(present) < 2:
        return None
    exact = [Fraction(value) for value in present]
    mean = sum(exact) / len(exact)
    variance = sum((value - mean) ** 2 for value in exact) / (len(exact) - 1)
    return math.sqrt(variance)


def close(expected: Any, actual: Any, relative: float = 1e-9, absolute: float = 0.0) -> bool:
    """Exact for missing values and integers, relative for floats."""
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, float) or isinstance(actual, float):
        return math.isclose(expected, actual, rel_tol=relative, abs_tol=absolute)
    return bool(expected == actual)


__all__ = [
    "TIME_ZONES",
    "WINDOWS",
    "close",
    "event_streams",
    "full_spec",
    "inputs",
    "reference_aggregate",
    "reference_window",
]
