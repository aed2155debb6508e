"""Kept file columns: range reads equal a fresh Delta dataset's, within a memory budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.storage.events.delta_tables import (
    ApplicationTransaction,
    DeltaEventTables,
    time_filter,
)
from watchkeeper.storage.events.file_columns import ENTRY_BYTES, FileColumns
from watchkeeper.storage.events.rows import conform_rows, with_arrival_sequence
from watchkeeper.storage.events.tables import EVENT_DATE_COLUMN, EVENT_TABLES

TRANSACTIONS = EVENT_TABLES["transactions"]
START = datetime(2026, 3, 1, tzinfo=UTC)
COLUMNS = ["event_id", "ts", "amount", EVENT_DATE_COLUMN]


def committed_days(root: Path, samples: Any, days: int) -> DeltaEventTables:
    """A transactions table of ``days`` daily commits of 30 rows (every 48 minutes)."""
    tables = DeltaEventTables(str(root))
    for day in range(days):
        frame = samples.transactions(
            30, start=START + timedelta(days=day), step=timedelta(minutes=48), prefix=f"d{day}"
        )
        rows = conform_rows(TRANSACTIONS, frame, START + timedelta(days=day + 1))
        tables.commit(
            TRANSACTIONS, with_arrival_sequence(rows, day), ApplicationTransaction("t", day + 1)
        )
    return tables


def reference(root: Path, start: datetime | None, end: datetime | None) -> pa.Table:
    """The same rows through deltalake's own dataset, opened afresh."""
    from deltalake import DeltaTable

    dataset = DeltaTable(f"{root}/transactions").to_pyarrow_dataset()
    return dataset.to_table(columns=COLUMNS, filter=time_filter("ts", start, end))


def canonical(table: pa.Table) -> list[tuple[Any, ...]]:
    return sorted(zip(*(table.column(name).to_pylist() for name in COLUMNS), strict=True))


def test_range_reads_equal_a_fresh_delta_dataset(tmp_path: Path, samples: Any) -> None:
    tables = committed_days(tmp_path, samples, days=6)  # one store: its kept columns reused

    @settings(max_examples=40, deadline=None)
    @given(
        start_hour=st.none() | st.integers(-30, 7 * 24 + 30),
        length_hours=st.none() | st.integers(0, 5 * 24),
    )
    def check(start_hour: int | None, length_hours: int | None) -> None:
        start = None if start_hour is None else START + timedelta(hours=start_hour)
        end = None if length_hours is None else (start or START) + timedelta(hours=length_hours)
        read = tables.range_columns("transactions", COLUMNS, "ts", start, end)
        assert read is not None
        expected = reference(tmp_path, start, end)
        assert canonical(read) == canonical(expected)
        assert [field.type for field in read.schema] == [field.type for field in expected.schema]

    check()


def test_a_range_read_without_its_time_column_still_keeps_to_the_range(
    tmp_path: Path, samples: Any
) -> None:
    tables = committed_days(tmp_path, samples, days=3)
    start, end = START + timedelta(hours=30), START + timedelta(hours=40)
    read = tables.range_columns("transactions", ["event_id"], "ts", start, end)
    assert read is not None and read.column_names == ["event_id"]
    expected = reference(tmp_path, start, end)
    assert sorted(read.column("event_id").to_pylist()) == sorted(
        expected.column("event_id").to_pylist()
    )
    assert 0 < read.num_rows < 30  # ten hours of a day's 30 rows, every 48 minutes
    whole = tables.whole_columns("transactions", ["event_id"])
    assert whole is not None and whole.num_rows == 90


def test_each_file_is_opened_once_for_ranges_that_overlap(tmp_path: Path, samples: Any) -> None:
    tables = committed_days(tmp_path, samples, days=5)
    kept = tables._file_columns
    week = tables.range_columns("transactions", COLUMNS, "ts", START, START + timedelta(days=5))
    assert week is not None and week.num_rows == 150
    assert kept.reads == 5
    middle = tables.range_columns(
        "transactions",
        ["event_id", "ts"],
        "ts",
        START + timedelta(days=1),
        START + timedelta(days=3),
    )
    assert middle is not None and middle.num_rows == 60
    assert kept.reads == 5  # pruned to two days, both kept
    tables.range_columns("transactions", ["card_id", "ts"], "ts", START, START + timedelta(days=1))
    assert kept.reads == 6  # a column not kept yet: that day's file once more


def test_the_budget_evicts_the_least_recently_used_columns(tmp_path: Path) -> None:
    schema = pa.schema([("x", pa.int64())])
    paths = []
    for index in range(3):
        path = str(tmp_path / f"part-{index}.parquet")
        pq.write_table(pa.table({"x": list(range(1_000))}, schema=schema), path)
        paths.append(path)
    # two files' column of 1,000 int64, with the column's and the row count's entries
    kept = FileColumns(budget_bytes=2 * (8_000 + 2 * ENTRY_BYTES))
    for path in paths:
        assert kept.read(path, ["x"], schema, {}).num_rows == 1_000
    assert kept.reads == 3 and kept.kept_bytes <= kept.budget_bytes
    kept.read(paths[2], ["x"], schema, {})
    assert kept.reads == 3  # the newest is kept
    kept.read(paths[0], ["x"], schema, {})
    assert kept.reads == 4  # the oldest was evicted: read again
    tiny = FileColumns(budget_bytes=100)  # a column larger than the budget is never kept
    tiny.read(paths[0], ["x"], schema, {})
    tiny.read(paths[0], ["x"], schema, {})
    assert tiny.reads == 2 and tiny.kept_bytes <= tiny.budget_bytes
    counts = FileColumns(budget_bytes=2 * ENTRY_BYTES)  # entries without data count too
    with_day = schema.append(pa.field("day", pa.int64()))
    for path in [*paths, paths[2], paths[0]]:  # row counts only: two of them fit
        assert counts.read(path, ["day"], with_day, {"day": 1}).num_rows == 1_000
    assert counts.reads == 4 and counts.kept_bytes <= counts.budget_bytes


def test_a_column_the_file_lacks_is_left_out_and_types_follow_the_table(tmp_path: Path) -> None:
    path = str(tmp_path / "old.parquet")
    pq.write_table(pa.table({"x": pa.array([1, 2], pa.int32())}), path)
    schema = pa.schema([("x", pa.int64()), ("added_later", pa.string())])
    kept = FileColumns()
    read = kept.read(path, ["x", "added_later"], schema, {})
    assert read.column_names == ["x"] and read.schema.field("x").type == pa.int64()
    assert kept.read(path, ["added_later"], schema, {}).num_columns == 0
    assert kept.reads == 1
