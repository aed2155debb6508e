"""The micro-batch scorer's features: whatever the batch length, each day's features are those
the batch engine computes over the whole stream at once (every event sees only the events
before it), including windows that reach back across batches and ``time_since_last`` on two
keys (a card's and a device's previous event)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from watchkeeper.demo.micro_batch_scorer import MicroBatchScorer, chunk_for
from watchkeeper.features import FeatureSpec, compute_batch, fit

ORIGIN = datetime(2026, 3, 1, tzinfo=UTC)


def spec() -> FeatureSpec:
    return FeatureSpec(
        inputs={
            "event_id": {"type": "string", "required": True},
            "ts": {"type": "timestamp", "required": True},
            "card_id": {"type": "string"},
            "device_id": {"type": "string"},
            "amount": {"type": "float"},
        },
        transforms=[
            {"name": "amount_raw", "op": "identity", "input": "amount"},
            {"name": "count_1h", "op": "count", "by": "card_id", "window": "1h"},
            {"name": "mean_20d", "op": "mean", "input": "amount", "by": "card_id", "window": "20d"},
            {"name": "since_last", "op": "time_since_last", "by": "card_id"},
            {"name": "device_since_last", "op": "time_since_last", "by": "device_id"},
        ],
    )


def events() -> pl.DataFrame:
    """Sixty days from 45 days before the origin, 40 events a day over 25 cards (some quiet
    for weeks, so ``since_last`` reaches back beyond every window) and 40 devices (a fifth of
    the events without one)."""
    rng = np.random.default_rng(7)
    count = 60 * 40
    start = ORIGIN - timedelta(days=45)
    seconds = np.sort(rng.integers(0, 60 * 86_400, size=count))
    cards = rng.choice([f"c{index}" for index in range(25)], size=count, p=_card_shares())
    devices = rng.choice([f"d{index}" for index in range(40)], size=count).tolist()
    absent = rng.random(count) < 0.2
    return pl.DataFrame(
        {
            "event_id": [f"e{index}" for index in range(count)],
            "ts": [start + timedelta(seconds=int(value)) for value in seconds],
            "card_id": cards.tolist(),
            "device_id": [
                None if gone else device for gone, device in zip(absent, devices, strict=True)
            ],
            "amount": rng.gamma(2.0, 30.0, size=count).round(2),
        }
    ).with_columns(pl.col("ts").dt.cast_time_unit("us"))


def _card_shares() -> np.ndarray:
    shares = np.ones(25)
    shares[:3] = 0.02  # three quiet cards
    return shares / shares.sum()


@pytest.mark.parametrize("chunk", [None, timedelta(days=7), timedelta(days=1)])
def test_each_day_s_features_match_one_computation_over_the_whole_stream(
    chunk: timedelta | None,
) -> None:
    stream = events()
    fitted = fit(spec(), stream.filter(pl.col("ts") < ORIGIN))
    whole = compute_batch(fitted, stream).features.join(
        stream.select("event_id", "ts"), on="event_id", how="left", maintain_order="left"
    )
    scorer = MicroBatchScorer(stream, origin=ORIGIN, chunk=chunk)
    for offset in range(15):
        start = ORIGIN + timedelta(days=offset)
        end = start + timedelta(days=1)
        day = scorer.features(fitted, start, end)
        expected = whole.filter((pl.col("ts") >= start) & (pl.col("ts") < end))
        assert day.height == expected.height > 0
        assert_frame_equal(day.select(expected.columns), expected)


def test_a_batch_spans_the_spec_s_longest_window_and_at_least_a_week() -> None:
    stream = events()
    fitted = fit(spec(), stream)
    assert chunk_for(fitted) == timedelta(days=20)
    short = spec().model_copy(
        update={"transforms": [t for t in spec().transforms if t.name != "mean_20d"]}
    )
    assert chunk_for(fit(short, stream)) == timedelta(days=7)
