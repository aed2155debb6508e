"""The batch engine on hand-made histories, the two Polars pitfalls, and bad rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from feature_streams import reference_aggregate, reference_window

from watchkeeper.errors import InvalidInputError
from watchkeeper.features import BatchFeatureEngine, FeatureSpec, compute_batch, fit

T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)


def spec() -> FeatureSpec:
    return FeatureSpec(
        inputs={
            "event_id": {"type": "string"},
            "ts": {"type": "timestamp"},
            "card": {"type": "string"},
            "amount": {"type": "float", "min": 0},
        },
        transforms=[
            {"name": "n_1h", "op": "count", "by": "card", "window": "1h"},
            {"name": "sum_1h", "op": "sum", "input": "amount", "by": "card", "window": "1h"},
            {"name": "min_1h", "op": "min", "input": "amount", "by": "card", "window": "1h"},
            {"name": "since", "op": "time_since_last", "by": "card"},
        ],
    )


def history() -> pl.DataFrame:
    """Unsorted, with three events at one instant and one exactly one window earlier."""
    minutes = [60, 0, 60, 60, 30, 120, 59]
    return pl.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(len(minutes))],
            "ts": [T0 + timedelta(minutes=m) for m in minutes],
            "card": ["x", "x", "x", "x", "x", "x", "y"],
            "amount": [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0],
        }
    )


def test_ties_follow_arrival_and_the_window_start_is_inclusive() -> None:
    frame = history()
    features = compute_batch(fit(spec(), frame), frame).features
    # e1 (0m), e4 (30m), then e0, e2, e3 at 60m in arrival order, then e5 at 120m.
    assert features["n_1h"].to_list() == [2, 0, 3, 4, 1, 3, 0]
    assert features["sum_1h"].to_list() == [18.0, 0.0, 19.0, 23.0, 2.0, 13.0, 0.0]
    assert features["min_1h"].to_list() == [2.0, None, 1.0, 1.0, 2.0, 1.0, None]
    assert features["since"].to_list() == [1800.0, None, 0.0, 0.0, 1800.0, 3600.0, None]


def test_the_result_does_not_depend_on_the_input_order_of_distinct_instants() -> None:
    frame = history().filter(pl.col("event_id") != "e2").filter(pl.col("event_id") != "e3")
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=4)
    fitted = fit(spec(), frame)
    expected = compute_batch(fitted, frame).features.sort("event_id")
    assert compute_batch(fitted, shuffled).features.sort("event_id").equals(expected)


def polars_rolling(frame: pl.DataFrame) -> list[int]:
    """What a straightforward Polars implementation gives: rolling over the key, closed left."""
    return frame.select(
        pl.col("amount")
        .rolling_sum_by("ts", window_size="1h", closed="left")
        .over("card")
        .alias("n")
    )["n"].to_list()


def test_the_property_checks_catch_both_polars_pitfalls() -> None:
    frame = history()
    members = reference_window(frame, "card", timedelta(hours=1))
    amounts = frame["amount"].to_list()
    reference = [reference_aggregate("sum", [amounts[j] for j in window]) for window in members]
    engine = compute_batch(fit(spec(), frame), frame).features["sum_1h"].to_list()
    assert engine == reference
    # Unsorted input: rolling(...).over(key) silently gives other numbers (or refuses).
    try:
        unsorted_result = polars_rolling(frame)
    except pl.exceptions.InvalidOperationError:
        unsorted_result = None
    assert unsorted_result != reference
    # Sorted input: closed="left" drops every event at the same instant, not just later arrivals.
    ordered = frame.with_row_index("position").sort("ts", "position")
    sorted_reference = [reference[i] for i in ordered["position"].to_list()]
    assert polars_rolling(ordered.drop("position")) != sorted_reference


def test_rows_with_a_missing_key_get_missing_windowed_features() -> None:
    frame = history().with_columns(
        pl.when(pl.col("event_id") == "e5").then(None).otherwise(pl.col("card")).alias("card")
    )
    features = compute_batch(fit(spec(), frame), frame).features
    row = features.filter(pl.col("event_id") == "e5").row(0, named=True)
    assert row["n_1h"] is None and row["since"] is None


def test_bad_rows_fail_the_run_or_are_quarantined_never_coerced() -> None:
    frame = history().with_columns(
        pl.when(pl.col("event_id") == "e4").then(-5.0).otherwise(pl.col("amount")).alias("amount")
    )
    fitted = fit(spec(), history())
    with pytest.raises(
        InvalidInputError, match=r"amount: below the minimum 0 \(got -5.0\) \(row 4, event e4"
    ):
        compute_batch(fitted, frame)
    result = BatchFeatureEngine(fitted).compute(frame, policy="quarantine")
    assert result.rejected.select("row", "event_id", "rejected_field").rows() == [
        (4, "e4", "amount")
    ]
    assert "e4" not in result.features["event_id"].to_list()
    assert result.features.height == frame.height - 1


def test_empty_and_keyless_frames_give_empty_or_missing_features() -> None:
    fitted = fit(spec(), history())
    empty = compute_batch(fitted, history().head(0)).features
    assert empty.height == 0 and empty.columns == ["event_id", "n_1h", "sum_1h", "min_1h", "since"]
    keyless = compute_batch(
        fitted, history().with_columns(card=pl.lit(None, dtype=pl.String))
    ).features
    assert keyless["n_1h"].null_count() == keyless.height


def test_large_random_history_matches_the_naive_reference_on_a_sample() -> None:
    import numpy as np

    rng = np.random.default_rng(7)
    size = 3_000
    frame = pl.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(size)],
            "ts": [
                T0 + timedelta(seconds=int(s)) for s in rng.integers(0, 6 * 3600, size) // 60 * 60
            ],
            "card": rng.choice(["a", "b", "c", "d"], size).tolist(),
            "amount": np.round(rng.exponential(50, size), 2).tolist(),
        }
    )
    features = compute_batch(fit(spec(), frame), frame).features
    members = reference_window(frame, "card", timedelta(hours=1))
    amounts = frame["amount"].to_list()
    for row in range(0, size, 97):
        window = [amounts[j] for j in members[row]]
        assert features["n_1h"][row] == len(window)
        assert features["sum_1h"][row] == pytest.approx(
            reference_aggregate("sum", window), rel=1e-12
        )
        assert features["min_1h"][row] == reference_aggregate("min", window)
