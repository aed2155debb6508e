"""The ``rejections`` table: the contract the service appends to and the monitor reads."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pytest

from watchkeeper.errors import SchemaError
from watchkeeper.storage.events.delta_events import DeltaEventStore
from watchkeeper.storage.events.tables import REJECTIONS, event_table

MOMENT = datetime(2026, 1, 5, 12, tzinfo=UTC)


def rejections(count: int, *, reason: str = "missing_field") -> pa.Table:
    return pa.table(
        {
            "rejection_id": [f"r-{index}" for index in range(count)],
            "ts": pa.array([MOMENT] * count, pa.timestamp("us", tz="UTC")),
            "event_id": ["tx-1"] * count,  # the same event refused several times
            "reason": [reason] * count,
            "field": ["amount"] * count,
            "detail": ["amount: field required"] * count,
            "source": ["score"] * count,
        }
    )


def test_the_definition_keeps_the_agreed_columns() -> None:
    definition = event_table("rejections")
    assert definition is REJECTIONS
    assert definition.time_column == "ts"
    assert definition.required_columns == ("rejection_id", "reason", "source")  # ts: see below
    assert [field.name for field in definition.schema if field.nullable] == [
        "event_id",
        "field",
        "detail",
    ]


def test_distinct_rejections_of_one_event_are_all_kept(delta_store: DeltaEventStore) -> None:
    delta_store.append("rejections", rejections(3))
    delta_store.flush()
    stored = delta_store.read("rejections", start=datetime(2026, 1, 5), end=datetime(2026, 1, 6))
    assert stored.height == 3
    assert stored["event_date"].cast(str).to_list() == ["2026-01-05"] * 3


def test_a_rejection_without_a_reason_is_refused(delta_store: DeltaEventStore) -> None:
    with pytest.raises(SchemaError, match="reason"):
        delta_store.append("rejections", rejections(1).drop_columns(["reason"]))


def test_a_rejection_without_a_time_is_dated_by_the_store_clock(
    delta_store: DeltaEventStore,
) -> None:
    undated = rejections(2).set_column(
        1, "ts", pa.array([MOMENT, None], pa.timestamp("us", tz="UTC"))
    )
    receipt = delta_store.append("rejections", undated)
    delta_store.flush()
    stored = delta_store.read("rejections").sort("rejection_id")
    assert stored["ts"].to_list() == [MOMENT, receipt.received_at]
