"""Plain-column appends: checked as strictly as Arrow appends, stored alike, flushed in bulk."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from watchkeeper.clock import EventTimeClock
from watchkeeper.errors import SchemaError
from watchkeeper.storage.events.column_payload import encode_columns
from watchkeeper.storage.events.delta_events import DeltaEventStore
from watchkeeper.storage.events.spool import Spool
from watchkeeper.storage.events.tables import event_table

START = datetime(2026, 3, 1, tzinfo=UTC)
PREDICTIONS = event_table("predictions")


def prediction(index: int, **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "event_id": f"e{index}",
        "ts": START + timedelta(minutes=index),
        "entity": f"c{index % 3}",
        "model_version": 1,
        "route": "champion",
        "score": index / 10,
        "decision": index % 2 == 0,
        "latency_ms": 1.25,
        "raw_input": "{}",
        "features": '{"amount": 1.0}',
    }
    row.update(changes)
    return row


def as_columns(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    return {name: [row[name] for row in rows] for name in rows[0]}


def open_store(folder: Path) -> DeltaEventStore:
    return DeltaEventStore(str(folder / "events"), folder / "spool", EventTimeClock(START))


ROW = st.fixed_dictionaries(
    {
        "entity": st.text(min_size=1, max_size=5),
        "score": st.floats(0, 1),
        "decision": st.booleans(),
        "latency_ms": st.none() | st.floats(0, 1e4),
        "model_version": st.integers(0, 2**40),
        "minutes": st.integers(0, 60 * 24 * 3),
        "naive": st.booleans(),
        "raw_input": st.text(max_size=20),
    }
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(ROW, min_size=1, max_size=12))
def test_column_appends_read_back_as_arrow_appends_do(
    tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, Any]]
) -> None:
    built = []
    for index, row in enumerate(rows):
        moment = START + timedelta(minutes=row["minutes"])
        built.append(
            prediction(
                index,
                ts=moment.replace(tzinfo=None) if row["naive"] else moment,
                entity=row["entity"],
                score=row["score"],
                decision=row["decision"],
                latency_ms=row["latency_ms"],
                model_version=row["model_version"],
                raw_input=row["raw_input"],
            )
        )
    folder = tmp_path_factory.mktemp("pair")
    with open_store(folder / "columns") as by_columns, open_store(folder / "arrow") as by_arrow:
        half = len(built) // 2 or 1  # two entries: one flush conforms them together
        for part in (built[:half], built[half:]):
            if part:
                by_columns.append_columns("predictions", as_columns(part))
                by_arrow.append(
                    "predictions",
                    pa.Table.from_pylist(
                        [
                            {**row, "ts": row["ts"].replace(tzinfo=UTC)}
                            if row["ts"].tzinfo is None
                            else row
                            for row in part
                        ],
                        schema=PREDICTIONS.schema,
                    ),
                )
        by_columns.flush()
        by_arrow.flush()
        assert_frame_equal(by_columns.read("predictions"), by_arrow.read("predictions"))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"model_version": "1"}, "column 'model_version' holds str at row 1, expected int64"),
        ({"model_version": True}, "column 'model_version' holds bool at row 1, expected int64"),
        ({"score": "0.5"}, "column 'score' holds str at row 1, expected double"),
        ({"decision": 1}, "column 'decision' holds int at row 1, expected bool"),
        ({"ts": "2026-03-01"}, "column 'ts' holds str at row 1"),
        ({"event_id": None}, "column 'event_id' is empty at row 1 but is required"),
        ({"colour": "red"}, "unknown column(s) 'colour'"),
    ],
)
def test_a_bad_value_is_refused_by_column_and_row(changes: dict[str, Any], message: str) -> None:
    rows = [prediction(0), prediction(1, **changes)]
    columns = as_columns(rows) if "colour" not in changes else {**as_columns(rows)}
    if "colour" in changes:
        columns["colour"] = ["red", "red"]
    with pytest.raises(SchemaError, match=r"^table 'predictions': ") as refused:
        encode_columns(PREDICTIONS, columns, received_at=START)
    assert message in str(refused.value)


def test_missing_required_columns_and_unequal_lengths_are_refused() -> None:
    columns = as_columns([prediction(0)])
    with pytest.raises(SchemaError, match="required column 'score'"):
        encode_columns(
            PREDICTIONS, {k: v for k, v in columns.items() if k != "score"}, received_at=START
        )
    with pytest.raises(SchemaError, match=r"unequal length \[1, 2\]"):
        encode_columns(PREDICTIONS, {**columns, "score": [0.1, 0.2]}, received_at=START)


def test_a_refused_column_append_writes_nothing(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        with pytest.raises(SchemaError):
            store.append_columns("predictions", as_columns([prediction(0, score="high")]))
        assert store.flush().commits == ()


def test_first_arrival_wins_across_column_and_arrow_entries(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        store.append_columns("predictions", as_columns([prediction(1, score=0.1)]))
        store.append(
            "predictions", pa.Table.from_pylist([prediction(1, score=0.9)], PREDICTIONS.schema)
        )
        store.append_columns("predictions", as_columns([prediction(2, score=0.2)]))
        store.flush()
        stored = store.read("predictions")
    assert stored.select("event_id", "score").rows() == [("e1", 0.1), ("e2", 0.2)]


def test_received_time_of_a_column_append_is_the_clock_time(tmp_path: Path) -> None:
    """Outcomes carry a received-time column: left out, it is the store clock's time."""
    outcome_ts = START + timedelta(hours=1)
    with open_store(tmp_path) as store:
        store.append_columns(
            "outcomes",
            {"event_id": ["e1"], "outcome": ["chargeback"], "outcome_ts": [outcome_ts]},
        )
        store.flush()
        stored = store.read("outcomes")
    assert stored["received_at"].to_list() == [START]
    assert stored["outcome_ts"].dt.convert_time_zone("UTC").to_list() == [outcome_ts]


def test_timestamps_in_other_zones_are_stored_as_the_same_instant(tmp_path: Path) -> None:
    paris = START.astimezone(timezone(timedelta(hours=1)))
    with open_store(tmp_path) as store:
        store.append_columns("predictions", as_columns([prediction(0, ts=paris)]))
        store.flush()
        stored = store.read("predictions")
    assert stored["ts"].to_list() == [START]
    assert stored.schema["ts"] == pl.Datetime("us", "UTC")


def test_a_format_1_spool_is_read_and_marked_format_2(tmp_path: Path) -> None:
    path = tmp_path / "spool"
    spool = Spool(path, owner="store")
    spool.append("outcomes", pa.table({"event_id": ["e1"]}), created_at=START)
    spool.close()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE spool_identity SET value = '1' WHERE key = 'format'")
    reopened = Spool(path, owner="store")
    assert [entry.rows.num_rows for entry in reopened.take("outcomes", 0, 10)] == [1]
    reopened.close()
    with sqlite3.connect(path) as connection:
        found = connection.execute("SELECT value FROM spool_identity WHERE key = 'format'")
        assert found.fetchone() == ("2",)
