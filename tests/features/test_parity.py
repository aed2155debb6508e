"""Parity, proven: on random event streams the online engine gives the batch engine's values.

Streams are unsorted, full of equal timestamps and bursts, missing values, unseen categories,
extreme amounts, in several time zones around daylight-saving changes. The online engine is
fed the stream in time order (stable for ties); every feature of every row must agree, exactly
for integers and within 1e-9 relative for floats. Hypothesis runs derandomised, without a
database, so CI sees the same examples every time.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl
from feature_streams import (
    TIME_ZONES,
    WINDOWS,
    close,
    event_streams,
    full_spec,
    reference_aggregate,
    reference_window,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watchkeeper.durations import parse_duration
from watchkeeper.features import OnlineFeatureEngine, check_parity, compute_batch, fit
from watchkeeper.features.replay import replay_online

PROPERTY_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

window_pairs = st.tuples(st.sampled_from(WINDOWS[:3]), st.sampled_from(WINDOWS[3:]))


@PROPERTY_SETTINGS
@given(
    stream=event_streams(),
    timezone=st.sampled_from(TIME_ZONES),
    windows=window_pairs,
    training_share=st.floats(0.0, 1.0),
)
def test_online_engine_matches_batch_engine_on_every_feature_and_row(
    stream: pl.DataFrame, timezone: str, windows: tuple[str, str], training_share: float
) -> None:
    spec = full_spec(timezone, windows)
    # Fit on a prefix: the rest of the stream then brings categories the vocabulary never saw.
    fitted = fit(spec, stream.head(max(1, int(stream.height * training_share))))
    report = check_parity(fitted, stream)
    assert report.rows == stream.height
    failures = {item.name: item.examples for item in report.features if item.mismatches}
    assert report.ok, failures


@PROPERTY_SETTINGS
@given(stream=event_streams(extreme=False), windows=window_pairs)
def test_batch_windows_match_the_naive_reference(
    stream: pl.DataFrame, windows: tuple[str, str]
) -> None:
    spec = full_spec("UTC", windows)
    features = compute_batch(fit(spec, stream), stream).features
    for feature in spec.windowed_features:
        if feature.op == "time_since_last":
            continue
        assert feature.by is not None and feature.window is not None
        members = reference_window(stream, feature.by, feature.window)
        values = stream[feature.input].to_list() if feature.input else [1] * stream.height
        keys = stream[feature.by].to_list()
        for row, window in enumerate(members):
            if keys[row] is None:
                expected = None
            else:
                expected = reference_aggregate(feature.op, [values[j] for j in window])
            if expected is None and feature.fill is not None:
                expected = feature.fill
            actual = features[feature.name][row]
            assert close(expected, actual, absolute=1e-9), (feature.name, row, expected, actual)


@PROPERTY_SETTINGS
@given(stream=event_streams(extreme=False))
def test_time_since_last_matches_the_reference(stream: pl.DataFrame) -> None:
    spec = full_spec("UTC", ("1h", "24h"))
    features = compute_batch(fit(spec, stream), stream).features
    everything = reference_window(stream, "card", timedelta(days=100_000))
    times = stream["ts"].to_list()
    for row, earlier in enumerate(everything):
        previous = max((times[j] for j in earlier), default=None)
        expected = None if previous is None else (times[row] - previous).total_seconds()
        assert close(expected, features["since_last"][row]), row


@PROPERTY_SETTINGS
@given(stream=event_streams(max_size=25), timezone=st.sampled_from(TIME_ZONES))
def test_micro_batches_give_the_same_features_as_single_events(
    stream: pl.DataFrame, timezone: str
) -> None:
    spec = full_spec(timezone, ("90s", "24h"))
    fitted = fit(spec, stream)
    single = replay_online(OnlineFeatureEngine(fitted), stream).features
    engine = OnlineFeatureEngine(fitted)
    ordered = stream.with_row_index("position").sort("ts", "position")
    rows = ordered.drop("position").to_dicts()
    batched: dict[int, dict[str, object]] = {}
    positions = ordered["position"].to_list()
    for start in range(0, len(rows), 4):
        result = engine.score_batch(rows[start : start + 4])
        assert result.rejected == []
        for offset, features in enumerate(result.features):
            assert features is not None
            batched[positions[start + offset]] = features
    for column in single.columns[1:]:
        expected = single[column].to_list()
        assert [batched[row][column] for row in range(stream.height)] == expected, column


def test_parity_holds_across_a_spring_forward_change() -> None:
    stream = pl.DataFrame(
        {
            "event_id": ["a", "b", "c"],
            "ts": ["2026-03-29T00:59:59Z", "2026-03-29T01:00:00Z", "2026-03-29T01:00:00Z"],
            "card": ["x", "x", "x"],
            "amount": [1.0, 2.0, 3.0],
        }
    )
    spec = full_spec("Europe/Berlin", ("1h", "24h"))
    fitted = fit(spec, stream)
    features = compute_batch(fitted, stream).features
    assert features["hour"].to_list() == [1, 3, 3]
    assert features["count_card_1h"].to_list() == [0, 1, 2]
    assert check_parity(fitted, stream).ok


def test_windows_use_durations_in_microseconds() -> None:
    assert parse_duration("90s") == timedelta(seconds=90)
