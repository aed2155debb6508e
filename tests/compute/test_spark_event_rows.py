"""Spark reads an event table from the files of its current Delta version, as the store reads it.

The table is partitioned by day and has many versions: appends in several flushes (with
replayed events and corrected outcomes), a compaction whose replaced files stay on disk (no
vacuum), a delete that rewrites files, and appends after both. A reader of the folder rather
than of the version's file list would count rows twice or see deleted ones; Spark's rows must
equal the store's read (same rows, same order, same types) for whole tables and ranges.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import pytest
from deltalake import DeltaTable
from polars.testing import assert_frame_equal

from watchkeeper.clock import EventTimeClock
from watchkeeper.compute.delta_files import in_hive_folders, read_table_files
from watchkeeper.compute.spark_events import polars_schema, spark_event_rows
from watchkeeper.compute.spark_session import collect_arrow
from watchkeeper.storage.events.delta_events import DeltaEventStore
from watchkeeper.storage.events.delta_file_list import DataFile, TableFiles
from watchkeeper.storage.events.tables import event_table

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark

DAY0 = datetime(2026, 1, 1, tzinfo=UTC)
ARRIVAL = "__arrival"


def _transactions(first: int, count: int, hours: int = 5) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "event_id": [f"tx-{index:04d}" for index in range(first, first + count)],
            # whole hours: many events share a timestamp, ties are broken by the key
            "ts": [DAY0 + timedelta(hours=(index * hours) % 240) for index in range(count)],
            "card_id": [f"card-{index % 7}" for index in range(count)],
            "merchant_id": ["m"] * count,
            "merchant_category": ["grocery"] * count,
            "amount": [float(first + index) for index in range(count)],
            "country": ["FR"] * count,
            "channel": ["web"] * count,
        }
    )


def _outcomes(ids: list[int], outcome: str, hours: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "event_id": [f"tx-{index:04d}" for index in ids],
            "outcome": [outcome] * len(ids),
            "outcome_ts": [DAY0 + timedelta(hours=(index * 7) % 200) for index in ids],
        }
    ).with_columns(amount=pl.lit(None, dtype=pl.Float64))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DeltaEventStore]:
    clock = EventTimeClock(DAY0 + timedelta(days=20))
    opened = DeltaEventStore(str(tmp_path / "events"), tmp_path / "spool.db", clock)
    opened.append("transactions", _transactions(0, 120))
    opened.append("outcomes", _outcomes(list(range(0, 60, 3)), "chargeback", 7))
    opened.flush()
    clock.advance(timedelta(hours=1))
    # a replay of the first events (the first arrival wins) and corrected outcomes (the latest)
    opened.append("transactions", _transactions(100, 60).with_columns(amount=pl.lit(-1.0)))
    opened.append("outcomes", _outcomes(list(range(0, 30, 3)), "reversal", 9))
    opened.flush()
    opened.compact("transactions")
    opened.compact("outcomes")
    clock.advance(timedelta(hours=1))
    opened.append("transactions", _transactions(160, 50, hours=3))
    opened.append("outcomes", _outcomes(list(range(1, 40, 4)), "chargeback", 11))
    opened.flush()
    DeltaTable(f"{opened.root}/transactions").delete("amount >= 190.0 AND amount < 200.0")
    clock.advance(timedelta(hours=1))
    opened.append("transactions", _transactions(300, 40, hours=11))
    opened.append("outcomes", _outcomes(list(range(0, 12, 3)), "chargeback", 5))
    opened.flush()
    yield opened
    opened.close()


def _spark_rows(
    spark: SparkSession, store: DeltaEventStore, table: str, **read: object
) -> pl.DataFrame:
    definition = event_table(table)
    rows = spark_event_rows(spark, store, definition, arrival=ARRIVAL, **read)  # type: ignore[arg-type]
    collected = pl.from_arrow(collect_arrow(rows))
    assert isinstance(collected, pl.DataFrame)
    ordered = collected.sort(ARRIVAL)
    assert ordered[ARRIVAL].n_unique() == ordered.height
    kept = ordered.drop(ARRIVAL)
    return kept.cast(dict(polars_schema(definition, kept.columns)))


def test_spark_reads_the_current_version_as_the_store_does(
    spark: SparkSession, store: DeltaEventStore
) -> None:
    for table in ("transactions", "outcomes"):
        on_disk = list(Path(store.root, table).rglob("*.parquet"))
        listed = store.data_files(table)
        assert listed is not None and len(on_disk) > len(listed.files)  # compacted files stay
        assert listed.partition_columns == ("event_date",)
    assert store.table_version("transactions") == 6  # create, 2 appends, compact, 1, delete, 1
    whole = store.read("transactions")
    replayed = whole.filter(pl.col("event_id").is_between(pl.lit("tx-0100"), pl.lit("tx-0119")))
    assert replayed.height == 20 and (replayed["amount"] >= 100.0).all()  # first arrivals won
    assert whole.filter(pl.col("amount").is_between(190.0, 199.0)).height == 0  # deleted
    assert_frame_equal(_spark_rows(spark, store, "transactions"), whole, check_exact=True)

    outcomes = store.read("outcomes")
    assert set(outcomes["outcome"]) == {"chargeback", "reversal"}
    assert_frame_equal(_spark_rows(spark, store, "outcomes"), outcomes, check_exact=True)

    ranges = [
        (DAY0 + timedelta(days=2), DAY0 + timedelta(days=5, hours=3)),
        (None, DAY0 + timedelta(days=1)),
        (DAY0 + timedelta(days=8), None),
    ]
    for start, end in ranges:
        for table, columns in (
            ("transactions", ["event_id", "ts", "amount", "event_date"]),
            ("outcomes", ["event_id", "outcome", "received_at"]),
        ):
            expected = store.read(table, start, end, columns)
            assert expected.height > 0, (table, start, end)
            actual = _spark_rows(spark, store, table, start=start, end=end, columns=columns)
            assert_frame_equal(actual, expected, check_exact=True)


def test_a_table_without_commits_reads_empty(spark: SparkSession, tmp_path: Path) -> None:
    clock = EventTimeClock(DAY0)
    with DeltaEventStore(str(tmp_path / "events"), tmp_path / "spool.db", clock) as empty:
        rows = _spark_rows(spark, empty, "outcomes", columns=["event_id", "received_at"])
        assert_frame_equal(rows, empty.read("outcomes", columns=["event_id", "received_at"]))


def test_files_outside_hive_folders_get_their_partition_values_from_the_log(
    spark: SparkSession, store: DeltaEventStore, tmp_path: Path
) -> None:
    """Another writer's layout (random prefixes, no ``event_date=`` folders): each group of
    files is read with the log's values as literals, the same rows as the Hive-folder read."""
    listed = store.data_files("transactions")
    assert listed is not None and in_hive_folders(listed)
    moved = []
    for number, file in enumerate(listed.files):
        target = tmp_path / "flat" / f"{number % 3:02x}" / f"part-{number}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(file.uri.removeprefix("file://"), target)
        moved.append(DataFile(str(target), file.partition_values))
    flat = replace(listed, table_uri=str(tmp_path / "flat"), files=tuple(moved))
    assert not in_hive_folders(flat)
    columns = ["event_id", "ts", "event_date", "arrival_sequence"]

    def rows(files: TableFiles) -> pl.DataFrame:
        frame = pl.from_arrow(collect_arrow(read_table_files(spark, files, None, columns)))
        assert isinstance(frame, pl.DataFrame)
        return frame.sort("arrival_sequence", "event_id")

    expected = rows(listed)
    assert expected["event_date"].null_count() == 0
    assert_frame_equal(rows(flat), expected, check_exact=True)
