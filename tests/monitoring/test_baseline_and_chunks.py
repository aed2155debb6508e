"""A baseline built once, compared with frames and chunks: exact, repeatable, chunked right."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats

from watchkeeper.config.lifecycle import DriftThresholds, MonitoringConfig
from watchkeeper.errors import DatasetError
from watchkeeper.monitoring.comparison.baseline import (
    CurrentComparison,
    build_baseline,
    compare_frame,
)
from watchkeeper.monitoring.comparison.chunk_drift import (
    ChunkDrift,
    compare_chunked,
    compare_chunks,
)
from watchkeeper.monitoring.comparison.chunks import (
    Chunking,
    parse_timestamps,
    row_cuts,
    split_chunks,
    stream_chunks,
)
from watchkeeper.monitoring.comparison.column_comparison import compare_columns

KINDS = {"amount": "numeric", "score": "numeric", "country": "categorical"}


def frame(rows: int, seed: int, shift: float = 0.0) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table(
        {
            "amount": rng.lognormal(3.0 + shift, 1.0, rows),
            "score": pa.array(rng.random(rows), mask=rng.random(rows) < 0.05),
            "country": rng.choice(["DE", "FR", "IT"], rows),
        }
    )


def test_a_frame_against_itself_is_exactly_no_drift_whatever_the_features() -> None:
    reference = frame(40_000, 1)
    alone = compare_frame(build_baseline(reference, {"amount": "numeric"}), reference).drift()
    together = compare_frame(build_baseline(reference, KINDS), reference).drift()
    for drift in (alone[0], together[0]):
        assert drift.feature == "amount"
        assert (drift.ks_statistic, drift.ks_pvalue, drift.wasserstein) == (0.0, 1.0, 0.0)
        assert drift.psi == 0.0 and drift.verdict == "ok"
    assert alone[0] == together[0]


def test_frame_statistics_equal_scipy_and_repeat_exactly() -> None:
    reference, current = frame(30_000, 1), frame(20_000, 2, shift=0.05)
    baseline = build_baseline(reference, KINDS)
    first = compare_frame(baseline, current).drift()
    again = compare_frame(build_baseline(reference, KINDS), current).drift()
    assert first == again
    for name in ("amount", "score"):
        drift = next(item for item in first if item.feature == name)
        a = reference.column(name).drop_null().to_numpy()
        b = current.column(name).drop_null().to_numpy()
        expected = stats.ks_2samp(a, b)
        assert drift.ks_statistic == pytest.approx(expected.statistic, abs=1e-15)
        assert drift.ks_pvalue == pytest.approx(expected.pvalue, rel=1e-9)
        assert drift.wasserstein == pytest.approx(
            stats.wasserstein_distance(a, b) / np.std(a), rel=1e-9
        )


def test_streamed_batches_give_the_frame_result() -> None:
    reference, current = frame(20_000, 1), frame(30_000, 3, shift=0.1)
    baseline = build_baseline(reference, KINDS)
    comparison = CurrentComparison(baseline)
    batches = current.to_batches(max_chunksize=4_096)
    for batch in batches:
        comparison.update(batch)
    assert comparison.needs_second_look
    for batch in batches:
        comparison.update_second_look(batch.select(comparison.second_look_features))
    streamed, whole = comparison.result().drift(), compare_frame(baseline, current).drift()
    for a, b in zip(streamed, whole, strict=True):
        assert (a.ks_statistic, a.ks_pvalue, a.psi) == (b.ks_statistic, b.ks_pvalue, b.psi)
        if a.type == "numeric":
            assert a.wasserstein == pytest.approx(b.wasserstein, rel=1e-12, abs=1e-15)


def test_chunks_by_size_keep_a_short_remainder_with_the_chunk_before() -> None:
    table = pa.table({"x": np.arange(1_050.0)})
    chunks = split_chunks(table, Chunking(size=250, min_rows=100))
    assert [(chunk.start, chunk.end, chunk.rows) for chunk in chunks] == [
        (0, 250, 250), (250, 500, 250), (500, 750, 250), (750, 1_050, 300),
    ]  # fmt: skip
    assert [c.rows for c in split_chunks(table, Chunking(size=500, min_rows=50))] == [500, 500, 50]


def test_chunks_by_number_differ_by_at_most_one_row() -> None:
    chunks = split_chunks(pa.table({"x": np.arange(1_003.0)}), Chunking(number=4))
    sizes = [chunk.rows for chunk in chunks]
    assert len(sizes) == 4 and sum(sizes) == 1_003 and max(sizes) - min(sizes) <= 1
    assert chunks[0].start == 0 and chunks[-1].end == 1_003
    assert all(a.end == b.start for a, b in pairwise(chunks))


def test_chunks_by_week_start_on_monday_in_time_order() -> None:
    start = datetime(2026, 1, 7)  # a Wednesday
    times = [start + timedelta(hours=6 * i) for i in range(120)][::-1]  # newest first
    table = pa.table({"ts": pa.array(times, pa.timestamp("us")), "x": np.arange(120.0)})
    chunking = Chunking(period=timedelta(weeks=1), timestamp_column="ts", min_rows=1)
    chunks = split_chunks(table, chunking)
    assert [chunk.start for chunk in chunks] == [
        datetime(2026, 1, 5), datetime(2026, 1, 12), datetime(2026, 1, 19), datetime(2026, 1, 26),
        datetime(2026, 2, 2),
    ]  # fmt: skip
    assert sum(chunk.rows for chunk in chunks) == 120
    for chunk in chunks:
        inside = chunk.data.column("ts").to_pylist()
        assert all(chunk.start <= time < chunk.end for time in inside)


def test_timestamps_as_text_are_read_as_iso_8601() -> None:
    parsed = parse_timestamps(pa.array(["2026-01-05T10:00:00", "2026-01-06"]), "ts")
    assert parsed.to_pylist() == [datetime(2026, 1, 5, 10), datetime(2026, 1, 6)]
    with pytest.raises(DatasetError, match=r"column 'ts': cannot read 'soon' as a timestamp"):
        parse_timestamps(pa.array(["2026-01-05", "soon"]), "ts")
    with pytest.raises(DatasetError, match="type double is not a timestamp"):
        parse_timestamps(pa.array([1.5]), "ts")


@pytest.mark.parametrize(
    ("chunking", "table", "message"),
    [
        (Chunking(number=3, min_rows=100), pa.table({"x": np.arange(250.0)}), "has 83 rows"),
        (
            Chunking(period=timedelta(days=1), timestamp_column="ts", min_rows=2),
            pa.table({"ts": pa.array([0, 1, 90_000], pa.timestamp("s"))}),
            r"chunk 1 \(1970-01-02T00:00:00 to 1970-01-03T00:00:00\) has 1 rows",
        ),
        (
            Chunking(period=timedelta(days=1), timestamp_column="ts", min_rows=1),
            pa.table({"ts": pa.array([0, None], pa.timestamp("s"))}),
            "1 rows have no timestamp",
        ),
    ],
)
def test_chunks_too_small_or_without_time_are_refused(
    chunking: Chunking, table: pa.Table, message: str
) -> None:
    with pytest.raises(DatasetError, match=message):
        split_chunks(table, chunking)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({}, "give one of --chunk-size, --chunks or --chunk-period"),
        ({"size": 10, "number": 2}, "got --chunk-size, --chunks"),
        ({"period": timedelta(days=1)}, "needs --timestamp-column"),
        ({"size": 0}, "--chunk-size: must be at least 1"),
        ({"number": 2, "min_rows": 0}, "--min-chunk-rows: must be at least 1"),
    ],
)
def test_chunking_settings_are_checked(settings: dict[str, object], message: str) -> None:
    with pytest.raises(DatasetError, match=message):
        Chunking(**settings)  # type: ignore[arg-type]


def test_chunks_see_a_sustained_shift_and_each_equals_its_own_comparison() -> None:
    reference = frame(20_000, 1)
    current = pa.concat_tables([frame(3_000, 2), frame(3_000, 3, shift=0.6)])
    config = MonitoringConfig(psi=DriftThresholds(warn=0.1, alert=0.25))
    baseline = build_baseline(reference, KINDS, config)
    chunks = compare_chunks(baseline, current, Chunking(size=1_500))
    assert [chunk.verdict for chunk in chunks] == ["ok", "ok", "alert", "alert"]
    assert [(chunk.start, chunk.end) for chunk in chunks][-1] == (4_500, 6_000)
    last = current.slice(4_500, 1_500)
    assert list(chunks[-1].features) == compare_frame(baseline, last).drift()
    amount = chunks[-1].features[0]
    expected = stats.ks_2samp(
        reference.column("amount").to_numpy(), last.column("amount").to_numpy()
    )
    assert amount.ks_statistic == pytest.approx(expected.statistic, abs=1e-15)
    assert amount.ks_pvalue == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-300)


def test_chunk_drift_round_trips_through_json() -> None:
    baseline = build_baseline(frame(5_000, 1), KINDS)
    times = pa.array(np.arange(576) * 600, pa.timestamp("s"))  # four whole days of 144 rows
    table = frame(576, 2).append_column("ts", times)
    chunking = Chunking(period=timedelta(days=1), timestamp_column="ts", min_rows=100)
    for chunk in compare_chunks(baseline, table, chunking):
        data = chunk.to_dict()
        assert set(data) == {"chunk", "start", "end", "rows", "features"}
        assert isinstance(data["start"], str)
        warn = {item.feature: item.warn_threshold for item in chunk.features}
        assert ChunkDrift.from_dict(data, warn) == chunk


def test_chunks_and_whole_from_one_sort_equal_each_compared_alone() -> None:
    baseline = build_baseline(frame(8_000, 1), KINDS)
    current = pa.concat_tables([frame(2_500, 2), frame(2_500, 3, shift=0.4)])
    chunking = Chunking(size=1_200, min_rows=500)
    alone = compare_chunks(baseline, current, chunking)
    whole_alone = compare_frame(baseline, current, sketches=False).drift()
    by_rows = compare_chunked(baseline, split_chunks(current, chunking))
    batches = current.to_batches(max_chunksize=700)
    streamed = compare_chunked(baseline, stream_chunks(batches, current.num_rows, chunking))
    cuts = row_cuts(current.num_rows, chunking)
    by_columns = compare_columns(baseline, current.column, current.num_rows, cuts)
    assert [chunk.rows for chunk in alone] == [1_200, 1_200, 1_200, 1_400]
    for whole, chunks in (by_rows, streamed):
        assert chunks == alone
        assert whole.drift() == whole_alone
    columns_whole, column_chunks = by_columns
    assert [chunk.drift() for chunk in column_chunks] == [list(c.features) for c in alone]
    assert columns_whole.drift() == whole_alone
    assert columns_whole.rows == current.num_rows


def test_streamed_chunks_refuse_data_shorter_than_announced() -> None:
    batches = frame(900, 1).to_batches()
    with pytest.raises(DatasetError, match="ended at row 900"):
        list(stream_chunks(batches, 1_000, Chunking(number=2, min_rows=100)))
