"""Rows the event store cannot write are set aside as dead letters and never hold back the
others; errors of the storage itself keep every row in the spool."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from watchkeeper.clock import EventTimeClock
from watchkeeper.errors import StoreUnavailableError
from watchkeeper.storage.events import flush_batch
from watchkeeper.storage.events.column_payload import encode_columns, parse_column_payload
from watchkeeper.storage.events.delta_events import DeltaEventStore
from watchkeeper.storage.events.spool import Spool
from watchkeeper.storage.events.store import TableFlush
from watchkeeper.storage.events.tables import event_table

START = datetime(2026, 3, 1, tzinfo=UTC)
POISON = "card-\ud800"  # a lone surrogate: valid in JSON, not encodable as UTF-8


def predictions(*event_ids: str) -> dict[str, list[Any]]:
    count = len(event_ids)
    return {
        "event_id": list(event_ids),
        "ts": [START - timedelta(minutes=1)] * count,
        "entity": ["card-1"] * count,
        "model_version": [1] * count,
        "route": ["champion"] * count,
        "score": [0.25] * count,
        "decision": [False] * count,
        "latency_ms": [1.5] * count,
        "raw_input": ["{}"] * count,
        "features": ["{}"] * count,
    }


def open_store(folder: Path, **options: Any) -> DeltaEventStore:
    return DeltaEventStore(
        str(folder / "events"), folder / "events.spool", EventTimeClock(START), **options
    )


def stored_ids(store: DeltaEventStore, table: str = "predictions") -> list[str]:
    return sorted(store.read(table, columns=["event_id"])["event_id"].to_list())


def test_a_poison_row_is_set_aside_and_every_other_row_is_committed(
    tmp_path: Path, samples: Any
) -> None:
    store = open_store(tmp_path)
    store.automatic_flush = False
    store.append_columns("predictions", predictions("p-0", POISON, "p-1"))  # one grouped entry
    store.append_columns("predictions", predictions("p-2"))
    store.append("transactions", samples.transactions(3))
    result = store.flush()
    assert result.dead_letter_rows == 1
    assert result.rows == 6
    assert stored_ids(store) == ["p-0", "p-1", "p-2"]
    assert store.read("transactions").height == 3
    backlog = store.backlog()
    assert (backlog.entries, backlog.rows, backlog.dead_letter_rows) == (0, 0, 1)
    (letter,) = store.dead_letters()
    assert (letter.table, letter.entry_id, letter.first_row, letter.row_count) == (
        "predictions",
        1,
        1,
        1,
    )
    assert letter.reason.startswith("column 'event_id': UnicodeEncodeError")
    store.append_columns("predictions", predictions("p-3"))  # later rows flow as before
    assert store.flush().rows == 1
    store.close()

    with open_store(tmp_path) as reopened:
        assert reopened.flushed_at_open().rows == 0
        assert stored_ids(reopened) == ["p-0", "p-1", "p-2", "p-3"]
        assert len(reopened.dead_letters()) == 1


def test_opening_never_fails_on_a_poison_row_left_in_the_spool(tmp_path: Path) -> None:
    definition = event_table("predictions")
    spool = Spool(tmp_path / "events.spool", owner=str((tmp_path / "events").resolve()))
    for ids in (("p-0",), (POISON,), ("p-1", "p-2")):
        count, payload = encode_columns(definition, predictions(*ids), received_at=START)
        spool.append_payload("predictions", count, payload, START)
    spool.close()

    with open_store(tmp_path) as store:  # the open flushes what the spool holds
        at_open = store.flushed_at_open()
        assert (at_open.rows, at_open.dead_letter_rows) == (3, 1)
        assert store.flushed_at_open().rows == 0  # reported once
        assert stored_ids(store) == ["p-0", "p-1", "p-2"]
        assert store.backlog().entries == 0
        (letter,) = store.dead_letters()
        assert (letter.entry_id, letter.first_row) == (2, 0)


def test_an_entry_that_cannot_be_read_is_set_aside_whole_with_its_bytes(
    tmp_path: Path, samples: Any
) -> None:
    store = open_store(tmp_path)
    store.automatic_flush = False
    store.append("transactions", samples.transactions(2))
    store.append("transactions", samples.transactions(2, prefix="b"))
    with sqlite3.connect(tmp_path / "events.spool") as connection:
        connection.execute("UPDATE entries SET payload = x'00ff00ff' WHERE entry_id = 1")
    result = store.flush()
    assert (result.rows, result.dead_letter_rows) == (2, 2)
    assert stored_ids(store, "transactions") == ["b-0", "b-1"]
    (letter,) = store.dead_letters()
    assert (letter.entry_id, letter.row_count, letter.payload_bytes) == (1, 2, 4)
    assert "entry 1 is corrupt" in letter.reason
    store.close()


def test_text_that_is_not_utf8_in_an_arrow_entry_never_reaches_delta(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    store.automatic_flush = False
    rows = predictions("p-0", "p-1", "p-2")
    ids = pa.array([b"p-0", b"\xff\xfe", b"p-2"]).view(pa.string())  # bytes as they came
    table = pa.table({**rows, "event_id": ids})
    store.append("predictions", table)
    assert store.flush().dead_letter_rows == 1
    assert stored_ids(store) == ["p-0", "p-2"]
    (letter,) = store.dead_letters()
    assert (letter.entry_id, letter.first_row) == (1, 1)
    assert "UTF8" in letter.reason
    store.close()


def test_an_unreachable_table_keeps_every_row_in_the_spool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(tmp_path)
    store.automatic_flush = False
    store.append_columns("predictions", predictions("p-0", "p-1"))

    def unreachable(*arguments: Any, **options: Any) -> int:
        raise StoreUnavailableError("table predictions: connection refused")

    with monkeypatch.context() as patched:
        patched.setattr(store._tables, "commit", unreachable)
        with pytest.raises(StoreUnavailableError):
            store.flush()
    assert store.backlog().rows == 2
    assert store.dead_letters() == []
    assert store.flush().rows == 2
    store.close()


def test_a_crash_after_setting_rows_aside_neither_loses_nor_repeats_them(tmp_path: Path) -> None:
    def crash(flushed: TableFlush) -> None:
        raise KeyboardInterrupt("the process dies here")

    crashing = open_store(tmp_path, after_commit=crash)
    crashing.automatic_flush = False
    crashing.append_columns("predictions", predictions("p-0", POISON))
    with pytest.raises(KeyboardInterrupt):
        crashing.flush()

    with open_store(tmp_path) as recovered:
        assert stored_ids(recovered) == ["p-0"]
        assert recovered.table_version("predictions") == 1  # committed once
        assert len(recovered.dead_letters()) == 1
        assert recovered.backlog().entries == 0


def test_a_batch_with_no_writable_row_commits_nothing_and_drains(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        store.automatic_flush = False
        store.append_columns("predictions", predictions(POISON, POISON + "2"))
        result = store.flush()
        assert (result.commits, result.dead_letter_rows) == ((), 2)
        assert store.table_version("predictions") is None
        assert store.backlog().entries == 0


def test_a_refused_events_text_is_kept_with_a_replacement_character(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        store.append_columns(
            "rejections",
            {
                "rejection_id": ["r-1"],
                "ts": [START],
                "event_id": [POISON],
                "reason": ["wrong_type"],
                "field": ["card_id"],
                "detail": [f"expected a string (got {POISON!r})"],
                "source": ["score"],
            },
        )
        assert store.flush().dead_letter_rows == 0
        (row,) = store.read("rejections").to_dicts()
        assert row["event_id"] == "card-\ufffd"
        assert store.dead_letters() == []


def test_a_set_aside_row_is_a_spool_payload_that_reads_back(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        store.append_columns("predictions", predictions("p-0", POISON))
        store.flush()
    with sqlite3.connect(tmp_path / "events.spool") as connection:
        (payload,) = connection.execute("SELECT payload FROM dead_letters").fetchone()
    document = parse_column_payload(payload)
    assert document["columns"]["event_id"] == [POISON]


def test_an_entry_whose_every_row_fails_costs_a_bounded_number_of_tries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(flush_batch, "MAX_CUTS_PER_ENTRY", 3)
    with open_store(tmp_path) as store:
        store.automatic_flush = False
        store.append_columns("predictions", predictions(*(f"{POISON}{n}" for n in range(64))))
        assert store.flush().dead_letter_rows == 64
        letters = store.dead_letters()
        assert len(letters) < 10
        assert sorted((letter.first_row, letter.row_count) for letter in letters)[0][0] == 0
        assert sum(letter.row_count for letter in letters) == 64
