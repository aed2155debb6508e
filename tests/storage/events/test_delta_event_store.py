"""What the Delta implementation adds to the contract: pruning, exactly-once bookkeeping
in the Delta log, thresholds, housekeeping, bulk streams, and its error messages."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pytest
from deltalake import DeltaTable

from watchkeeper.clock import EventTimeClock
from watchkeeper.errors import SchemaError, StorageError, StoreUnavailableError
from watchkeeper.storage.events.delta_events import DeltaEventStore
from watchkeeper.storage.events.store import EventTableMaintenance, TableFlush, open_event_store
from watchkeeper.storage.events.tables import EVENT_TABLES, TIMESTAMP, EventTableDefinition

START = datetime(2026, 1, 1, tzinfo=UTC)


def raw_rows(store: DeltaEventStore, table: str) -> pl.DataFrame:
    """Every stored row, without the store's deduplication."""
    frame = pl.from_arrow(DeltaTable(f"{store.root}/{table}").to_pyarrow_table())
    assert isinstance(frame, pl.DataFrame)
    return frame


def commit_infos(store: DeltaEventStore, table: str) -> list[dict[str, Any]]:
    log = Path(store.root) / table / "_delta_log"
    infos = []
    for path in sorted(log.glob("*.json")):
        for line in path.read_text().splitlines():
            action = json.loads(line)
            if "commitInfo" in action:
                infos.append(action["commitInfo"] | {"version": int(path.stem)})
    return infos


def test_a_day_read_opens_only_that_day(delta_store: DeltaEventStore, samples: Any) -> None:
    delta_store.append("transactions", samples.transactions(96))  # four days, hourly
    delta_store.flush()
    day = (START + timedelta(days=2), START + timedelta(days=3))

    day_files = delta_store.file_uris("transactions", *day)
    assert len(delta_store.file_uris("transactions")) == 4
    assert len(day_files) == 1 and "event_date=2026-01-03" in day_files[0]
    for path in delta_store.file_uris("transactions"):
        if path not in day_files:
            Path(path).unlink()  # a read that scanned other days would now fail
    assert delta_store.read("transactions", *day).height == 24
    with pytest.raises(OSError):
        delta_store.read("transactions")


def test_files_are_skipped_by_event_time_within_a_day(
    delta_store: DeltaEventStore, samples: Any
) -> None:
    delta_store.append("transactions", samples.transactions(6, prefix="morning"))
    delta_store.flush()
    delta_store.append(
        "transactions", samples.transactions(6, start=START + timedelta(hours=12), prefix="evening")
    )
    delta_store.flush()
    evening = delta_store.file_uris(
        "transactions", START + timedelta(hours=12), START + timedelta(days=1)
    )
    assert len(delta_store.file_uris("transactions")) == 2
    assert len(evening) == 1


def test_each_commit_records_its_spool_entries(delta_store: DeltaEventStore, samples: Any) -> None:
    first = delta_store.append("transactions", samples.transactions(2))
    second = delta_store.append("transactions", samples.transactions(3, prefix="b"))
    result = delta_store.flush()

    assert result.commits == (
        TableFlush(
            "transactions",
            first.spool_entry_id,
            second.spool_entry_id,
            2,
            5,
            result.commits[0].table_version,
        ),
    )
    info = commit_infos(delta_store, "transactions")[-1]
    assert info["watchkeeper.spool_id"] == delta_store.spool_id
    assert (info["watchkeeper.first_spool_entry"], info["watchkeeper.last_spool_entry"]) == (
        str(first.spool_entry_id),
        str(second.spool_entry_id),
    )
    table = DeltaTable(f"{delta_store.root}/transactions")
    assert (
        table.transaction_version(f"watchkeeper-spool-{delta_store.spool_id}")
        == second.spool_entry_id
    )


def test_a_crash_between_commit_and_cleanup_does_not_duplicate(
    tmp_path: Path, clock: EventTimeClock, samples: Any
) -> None:
    def crash(flushed: TableFlush) -> None:
        raise KeyboardInterrupt("the process dies here")

    crashing = DeltaEventStore(
        str(tmp_path / "events"), tmp_path / "spool", clock, after_commit=crash
    )
    crashing.append("transactions", samples.transactions(10))
    with pytest.raises(KeyboardInterrupt):
        crashing.flush()
    version = crashing.table_version("transactions")

    with DeltaEventStore(str(tmp_path / "events"), tmp_path / "spool", clock) as recovered:
        assert recovered.table_version("transactions") == version  # nothing written again
        assert raw_rows(recovered, "transactions")["event_id"].n_unique() == 10
        assert raw_rows(recovered, "transactions").height == 10
        assert recovered.flush().recovered_spool_entries == 0


def test_an_append_flushes_past_the_row_threshold(
    tmp_path: Path, clock: EventTimeClock, samples: Any
) -> None:
    with DeltaEventStore(
        str(tmp_path / "e"), tmp_path / "s", clock, flush_threshold_rows=10
    ) as store:
        store.append("transactions", samples.transactions(6))
        assert store.table_version("transactions") is None
        store.append("transactions", samples.transactions(6, prefix="b"))
        assert store.read("transactions").height == 12


def test_rows_appended_during_a_flush_wait_for_the_next_one(
    tmp_path: Path, clock: EventTimeClock, samples: Any
) -> None:
    late: list[int] = []

    def append_meanwhile(flushed: TableFlush) -> None:
        if not late:  # another worker appends while this flush commits
            late.append(
                store.append("transactions", samples.transactions(2, prefix="late")).row_count
            )

    with DeltaEventStore(
        str(tmp_path / "e"), tmp_path / "s", clock, after_commit=append_meanwhile
    ) as store:
        store.append("transactions", samples.transactions(3))
        result = store.flush()
        assert [commit.rows for commit in result.commits] == [3]
        assert store.read("transactions").height == 3
        assert store.flush().commits[0].rows == 2
        assert store.read("transactions").height == 5


def test_an_append_never_flushes_when_another_process_flushes(
    tmp_path: Path, clock: EventTimeClock, samples: Any
) -> None:
    with DeltaEventStore(
        str(tmp_path / "e"), tmp_path / "s", clock, flush_threshold_rows=10
    ) as store:
        store.automatic_flush = False
        store.append("transactions", samples.transactions(6))
        store.append("transactions", samples.transactions(6, prefix="b"))
        clock.advance(timedelta(hours=2))
        store.append("transactions", samples.transactions(1, prefix="c"))
        assert store.table_version("transactions") is None
        store.flush()
        assert store.read("transactions").height == 13


def test_an_append_flushes_when_the_oldest_row_waited_long_enough(
    tmp_path: Path, clock: EventTimeClock, samples: Any
) -> None:
    threshold = timedelta(minutes=5)
    with DeltaEventStore(
        str(tmp_path / "e"), tmp_path / "s", clock, flush_threshold_age=threshold
    ) as store:
        store.append("transactions", samples.transactions(1))
        clock.advance(timedelta(minutes=4))
        store.append("transactions", samples.transactions(1, prefix="b"))
        assert store.table_version("transactions") is None
        clock.advance(timedelta(minutes=1))
        store.append("transactions", samples.transactions(1, prefix="c"))
        assert store.read("transactions").height == 3


def test_large_flushes_are_cut_into_several_commits(
    tmp_path: Path, clock: EventTimeClock, samples: Any
) -> None:
    with DeltaEventStore(str(tmp_path / "e"), tmp_path / "s", clock, commit_batch_rows=5) as store:
        for batch in range(4):
            store.append("transactions", samples.transactions(3, prefix=f"b{batch}"))
        result = store.flush()
        assert [commit.rows for commit in result.commits] == [3, 3, 3, 3]
        assert store.read("transactions").height == 12


def test_compaction_vacuum_and_file_listing(delta_store: DeltaEventStore, samples: Any) -> None:
    assert isinstance(delta_store, EventTableMaintenance)
    for batch in range(5):
        delta_store.append("transactions", samples.transactions(4, prefix=f"b{batch}"))
        delta_store.flush()
    assert len(delta_store.file_uris("transactions")) == 5

    compaction = delta_store.compact("transactions")
    assert (compaction.files_added, compaction.files_removed) == (1, 5)
    assert len(delta_store.file_uris("transactions")) == 1
    assert delta_store.read("transactions").height == 20
    vacuum = delta_store.vacuum("transactions", retention=timedelta(0))
    assert len(vacuum.removed_files) == 5
    assert delta_store.read("transactions").height == 20


def test_bulk_load_from_a_stream(delta_store: DeltaEventStore, samples: Any) -> None:
    batches = [samples.transactions(100, prefix=f"b{index}").to_arrow() for index in range(3)]
    reader = pa.RecordBatchReader.from_batches(
        batches[0].schema, [b for t in batches for b in t.to_batches()]
    )
    result = delta_store.write_bulk("transactions", reader, load_id="import-1")
    assert (result.rows, result.already_loaded) == (300, False)
    stored = raw_rows(delta_store, "transactions")
    assert stored["arrival_sequence"].sort().to_list() == list(range(300))

    with pytest.raises(StorageError, match="from a stream needs a load_id"):
        delta_store.write_bulk(
            "transactions", pa.RecordBatchReader.from_batches(batches[0].schema, [])
        )


def test_a_bad_batch_aborts_a_bulk_stream(delta_store: DeltaEventStore, samples: Any) -> None:
    good = samples.transactions(10).to_arrow()
    bad = (
        samples.transactions(10, prefix="bad")
        .with_columns(pl.lit(None, pl.String).alias("card_id"))
        .to_arrow()
    )
    reader = pa.RecordBatchReader.from_batches(good.schema, [*good.to_batches(), *bad.to_batches()])
    with pytest.raises(SchemaError, match="'card_id' has 10 empty value"):
        delta_store.write_bulk("transactions", reader, load_id="import-2")
    assert raw_rows(delta_store, "transactions").height == 0  # only the empty table was created


def test_json_columns_accept_structs(delta_store: DeltaEventStore, samples: Any) -> None:
    rows = samples.predictions(["a"]).with_columns(pl.struct(amount=pl.lit(12.5)).alias("features"))
    delta_store.append("predictions", rows)
    delta_store.flush()
    assert json.loads(delta_store.read("predictions")["features"][0]) == {"amount": 12.5}


def test_a_column_added_to_a_definition_evolves_the_table(
    tmp_path: Path, clock: EventTimeClock, samples: Any
) -> None:
    with DeltaEventStore(str(tmp_path / "e"), tmp_path / "s", clock) as old:
        old.append("predictions", samples.predictions(["a"]))
    predictions = EVENT_TABLES["predictions"]
    evolved = EventTableDefinition(
        name="predictions",
        schema=predictions.schema.append(pa.field("explanation", pa.string())),
        time_column="ts",
        key_columns=("event_id",),
        duplicate_policy=predictions.duplicate_policy,
    )
    tables = {**EVENT_TABLES, "predictions": evolved}
    with DeltaEventStore(str(tmp_path / "e"), tmp_path / "s", clock, tables=tables) as new:
        assert new.read("predictions")["explanation"].to_list() == [None]
        new.append(
            "predictions",
            samples.predictions(["b"]).with_columns(pl.lit("why").alias("explanation")),
        )
        new.flush()
        assert new.read("predictions").sort("event_id")["explanation"].to_list() == [None, "why"]


def test_timestamps_are_stored_as_utc_microseconds(
    delta_store: DeltaEventStore, samples: Any
) -> None:
    rows = samples.transactions(1).with_columns(
        pl.col("ts").dt.replace_time_zone(None).dt.cast_time_unit("ns")
        + pl.duration(nanoseconds=700)
    )
    delta_store.append("transactions", rows)
    delta_store.flush()
    schema = DeltaTable(f"{delta_store.root}/transactions").schema().to_arrow()
    assert pa.schema(schema).field("ts").type == TIMESTAMP
    assert delta_store.read("transactions")["ts"].to_list() == [START]


def test_a_closed_store_refuses_work(delta_store: DeltaEventStore) -> None:
    delta_store.close()
    delta_store.close()
    with pytest.raises(StorageError, match="is closed"):
        delta_store.read("transactions")


def test_a_root_that_cannot_be_created_is_named(tmp_path: Path, clock: EventTimeClock) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError, match=f"cannot create the event store root {blocker}/events"):
        open_event_store(str(blocker / "events"), tmp_path / "spool", clock)


def test_an_unreachable_object_store_is_named(
    tmp_path: Path, clock: EventTimeClock, samples: Any
) -> None:
    options = {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_ALLOW_HTTP": "true",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "max_retries": "0",
    }
    with pytest.raises(StoreUnavailableError, match="s3://nowhere/events/transactions"):
        store = open_event_store("s3://nowhere/events", tmp_path / "spool", clock, options)
        store.read("transactions")


def test_whole_outcome_reads_open_only_new_files_and_stay_right_after_compaction(
    delta_store: DeltaEventStore, samples: Any
) -> None:
    from datetime import timedelta as days

    for batch in range(3):
        delta_store.append(
            "outcomes", samples.outcomes([f"tx-{batch}"], outcome_ts=START + days(batch))
        )
        delta_store.flush()
    assert delta_store.read("outcomes")["event_id"].to_list() == ["tx-0", "tx-1", "tx-2"]
    kept = delta_store._tables._file_columns
    assert kept.reads == 3  # each file opened once
    delta_store.read("outcomes")
    assert kept.reads == 3  # and not again
    # a correction of tx-0 arrives later: the latest arrival wins in whole and ranged reads
    delta_store.append(
        "outcomes", samples.outcomes(["tx-0"], outcome="refund", outcome_ts=START + days(5))
    )
    delta_store.flush()
    whole = delta_store.read("outcomes")
    assert kept.reads == 4  # the new file only
    assert whole.filter(event_id="tx-0")["outcome"].to_list() == ["refund"]
    assert delta_store.read("outcomes", START, START + days(1)).height == 0
    before = set(delta_store.file_uris("outcomes"))
    delta_store.compact("outcomes")
    after = delta_store.read("outcomes")
    assert after.sort("event_id").equals(whole.sort("event_id"))
    assert kept.reads == 4 + len(set(delta_store.file_uris("outcomes")) - before)


def test_a_flush_gives_the_spools_space_back(
    tmp_path: Path, clock: EventTimeClock, samples: Any
) -> None:
    spool = tmp_path / "spool"
    with DeltaEventStore(str(tmp_path / "events"), spool, clock) as store:
        store.automatic_flush = False
        huge = "x" * 1_000_000  # a million-character field, as a careless client sends
        for index in range(24):
            rows = samples.predictions([f"huge-{index}-{huge}"])
            store.append("predictions", rows)
        assert spool.stat().st_size + Path(f"{spool}-wal").stat().st_size > 20_000_000
        assert store.flush().rows == 24
        files = [spool, Path(f"{spool}-wal")]
        assert sum(path.stat().st_size for path in files if path.exists()) < 10_000_000


def test_a_whole_table_read_of_outcomes_has_its_partition_dates(
    delta_store: DeltaEventStore, samples: Any
) -> None:
    """The partition column lives in the log, not in the files: the whole-table read of a
    latest-arrival table (which opens the files itself) takes it from the log."""
    for day in range(3):
        delta_store.append(
            "outcomes", samples.outcomes([f"tx-{day}"], outcome_ts=START + timedelta(days=day))
        )
        delta_store.flush()
    rows = delta_store.read("outcomes")
    assert rows["event_date"].to_list() == [
        (START + timedelta(days=day)).date() for day in range(3)
    ]
    listed = delta_store.data_files("outcomes")
    assert listed is not None and listed.version == delta_store.table_version("outcomes")
    assert sorted(str(file.partition_values["event_date"]) for file in listed.files) == [
        str((START + timedelta(days=day)).date()) for day in range(3)
    ]
