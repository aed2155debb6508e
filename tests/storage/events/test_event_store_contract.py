"""The EventStore contract: every implementation must pass these tests.

They use only the :class:`EventStore` protocol, through the ``event_store_factory``
fixture, which is parametrised over the implementations (see conftest.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
import pytest

from watchkeeper.errors import SchemaError
from watchkeeper.storage.events.store import EventStore

START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("table", ["transactions", "predictions", "outcomes"])
def test_rows_round_trip_through_each_table(
    event_store_factory: Any, samples: Any, table: str
) -> None:
    store = event_store_factory.open()
    rows = {
        "transactions": samples.transactions(5),
        "predictions": samples.predictions(["a", "b", "c"]),
        "outcomes": samples.outcomes(["a", "b"]),
    }[table]
    receipt = store.append(table, rows)
    store.flush()
    read = store.read(table)

    assert isinstance(store, EventStore)
    assert receipt.table == table and receipt.row_count == rows.height
    assert read.columns[: len(rows.columns)] == rows.columns
    assert read.select(rows.columns).sort("event_id").to_dicts() == rows.sort("event_id").to_dicts()
    assert read["event_date"].dtype == pl.Date


def test_outcomes_get_received_at_from_the_clock(event_store_factory: Any, samples: Any) -> None:
    store = event_store_factory.open()
    receipt = store.append("outcomes", samples.outcomes(["a"]))
    store.flush()
    assert receipt.received_at == event_store_factory.clock.now()
    assert store.read("outcomes")["received_at"].to_list() == [event_store_factory.clock.now()]


def test_range_reads_are_half_open_in_event_time(event_store_factory: Any, samples: Any) -> None:
    store = event_store_factory.open()
    store.append("transactions", samples.transactions(72))  # hourly over three days
    store.flush()

    day_two = store.read(
        "transactions", start=START + timedelta(days=1), end=START + timedelta(days=2)
    )
    assert day_two.height == 24
    assert day_two["ts"].min() == START + timedelta(days=1)
    assert day_two["ts"].max() == START + timedelta(days=1, hours=23)
    assert set(day_two["event_date"].to_list()) == {date(2026, 1, 2)}
    assert day_two["ts"].is_sorted()
    assert store.read("transactions", end=START + timedelta(hours=5)).height == 5
    assert store.read("transactions", start=START + timedelta(hours=70)).height == 2


def test_naive_range_bounds_are_utc(event_store_factory: Any, samples: Any) -> None:
    store = event_store_factory.open()
    store.append("transactions", samples.transactions(48))
    store.flush()
    assert (
        store.read("transactions", start=datetime(2026, 1, 2), end=datetime(2026, 1, 3)).height
        == 24
    )


def test_read_projects_columns(event_store_factory: Any, samples: Any) -> None:
    store = event_store_factory.open()
    store.append("transactions", samples.transactions(3))
    store.flush()
    assert store.read("transactions", columns=["amount", "event_id"]).columns == [
        "amount",
        "event_id",
    ]
    with pytest.raises(SchemaError, match=r"'transactions' has no column.*'colour'"):
        store.read("transactions", columns=["colour"])


def test_reading_an_empty_table_gives_typed_empty_frame(event_store_factory: Any) -> None:
    store = event_store_factory.open()
    empty = store.read("predictions")
    assert empty.height == 0
    assert empty.schema["score"] == pl.Float64
    assert store.table_version("predictions") is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda rows: rows.drop("card_id"), "table 'transactions': required column 'card_id'"),
        (
            lambda rows: rows.with_columns(pl.lit("lots").alias("amount")),
            "table 'transactions': column 'amount' cannot be cast from .*string.* to double",
        ),
        (
            lambda rows: rows.with_columns(pl.lit(None, pl.String).alias("merchant_id")),
            "table 'transactions': column 'merchant_id' has 3 empty value",
        ),
        (
            lambda rows: rows.with_columns(pl.lit(1).alias("colour")),
            "table 'transactions': unknown column.*'colour'",
        ),
    ],
)
def test_schema_violations_are_rejected_and_nothing_is_written(
    event_store_factory: Any, samples: Any, change: Any, message: str
) -> None:
    store = event_store_factory.open()
    with pytest.raises(SchemaError, match=message):
        store.append("transactions", change(samples.transactions(3)))
    assert store.flush().rows == 0
    assert store.read("transactions").height == 0
    assert store.table_version("transactions") is None


def test_unknown_table_is_a_schema_error(event_store_factory: Any, samples: Any) -> None:
    store = event_store_factory.open()
    with pytest.raises(SchemaError, match="unknown event table 'clicks'"):
        store.append("clicks", samples.transactions(1))
    with pytest.raises(SchemaError, match="unknown event table 'clicks'"):
        store.read("clicks")


def test_latest_outcome_wins_across_flushes(event_store_factory: Any, samples: Any) -> None:
    clock = event_store_factory.clock
    store = event_store_factory.open()
    store.append("outcomes", samples.outcomes(["a", "b"], amount=100.0))
    store.flush()
    clock.advance(timedelta(days=3))
    store.append("outcomes", samples.outcomes(["a"], outcome="reversal", amount=0.0))
    store.flush()
    clock.advance(timedelta(days=1))
    late_copy = samples.outcomes(["a"], amount=100.0, received_at=clock.now() - timedelta(days=10))
    store.append("outcomes", late_copy)  # received earlier than the reversal: it loses
    store.flush()

    outcomes = store.read("outcomes").sort("event_id")
    assert outcomes["event_id"].to_list() == ["a", "b"]
    assert outcomes["outcome"].to_list() == ["reversal", "chargeback"]
    assert outcomes["amount"].sum() == 100.0


def test_same_received_time_later_arrival_wins(event_store_factory: Any, samples: Any) -> None:
    store = event_store_factory.open()
    store.append("outcomes", samples.outcomes(["a"], amount=1.0))
    store.append("outcomes", samples.outcomes(["a"], amount=2.0))
    store.flush()
    store.append("outcomes", samples.outcomes(["a"], amount=3.0))
    store.flush()
    assert store.read("outcomes")["amount"].to_list() == [3.0]


def test_outcomes_are_never_counted_in_two_ranges(event_store_factory: Any, samples: Any) -> None:
    clock = event_store_factory.clock
    store = event_store_factory.open()
    january, february = datetime(2026, 1, 15, tzinfo=UTC), datetime(2026, 2, 15, tzinfo=UTC)
    store.append("outcomes", samples.outcomes(["a", "b"], outcome_ts=january))
    store.flush()
    clock.advance(timedelta(days=1))
    store.append("outcomes", samples.outcomes(["a"], outcome="reversal", outcome_ts=february))
    store.flush()

    in_january = store.read("outcomes", start=datetime(2026, 1, 1), end=datetime(2026, 2, 1))
    in_february = store.read("outcomes", start=datetime(2026, 2, 1), end=datetime(2026, 3, 1))
    assert in_january["event_id"].to_list() == ["b"]
    assert in_february["event_id"].to_list() == ["a"]
    assert in_february["outcome"].to_list() == ["reversal"]


def test_prediction_logged_twice_counts_once(event_store_factory: Any, samples: Any) -> None:
    store = event_store_factory.open()
    store.append("predictions", samples.predictions(["a", "b"], score=0.9))
    store.flush()
    store.append("predictions", samples.predictions(["a"], score=0.1))  # a replay of "a"
    store.append("predictions", samples.predictions(["c", "c"], score=0.2))
    store.flush()

    predictions = store.read("predictions").sort("event_id")
    assert predictions["event_id"].to_list() == ["a", "b", "c"]
    assert predictions["score"].to_list() == [0.9, 0.9, 0.2]


def test_reopening_replays_rows_left_in_the_spool(event_store_factory: Any, samples: Any) -> None:
    first = event_store_factory.open()
    first.append("transactions", samples.transactions(4))
    first.append("outcomes", samples.outcomes(["tx-1"]))
    # The first store never flushes: as if its process had died right after the appends.
    second = event_store_factory.open()
    assert second.read("transactions").height == 4
    assert second.read("outcomes")["event_id"].to_list() == ["tx-1"]


def test_table_version_moves_with_each_flush(event_store_factory: Any, samples: Any) -> None:
    store = event_store_factory.open()
    store.append("transactions", samples.transactions(2))
    store.flush()
    first = store.table_version("transactions")
    store.append("transactions", samples.transactions(2, prefix="more"))
    store.flush()
    second = store.table_version("transactions")
    assert first is not None and second is not None and second > first
    assert store.flush().rows == 0
    assert store.table_version("transactions") == second


def test_bulk_write_is_idempotent_by_load_id(event_store_factory: Any, samples: Any) -> None:
    store = event_store_factory.open()
    rows = samples.transactions(50)
    loaded = store.write_bulk("transactions", rows, load_id="january")
    again = store.write_bulk("transactions", rows, load_id="january")
    same_content = store.write_bulk("transactions", rows)
    same_content_again = store.write_bulk("transactions", rows)

    assert (loaded.rows, loaded.already_loaded) == (50, False)
    assert (again.rows, again.already_loaded) == (0, True)
    assert not same_content.already_loaded and same_content_again.already_loaded
    assert store.read("transactions").height == 50


def test_bulk_write_validates_rows(event_store_factory: Any, samples: Any) -> None:
    store = event_store_factory.open()
    with pytest.raises(SchemaError, match="required column 'ts'"):
        store.write_bulk("transactions", samples.transactions(3).drop("ts"), load_id="bad")
    assert store.table_version("transactions") is None
