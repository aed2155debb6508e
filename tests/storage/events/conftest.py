"""Fixtures for the event store tests: sample rows, clocks, and the store implementations.

``event_store_factory`` is parametrised over every :class:`EventStore` implementation, so
the contract tests run against each one; only the Delta store exists so far.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from watchkeeper.clock import EventTimeClock
from watchkeeper.storage.events.delta_events import DeltaEventStore
from watchkeeper.storage.events.store import EventStore

START = datetime(2026, 1, 1, tzinfo=UTC)


class EventSamples:
    """Builders of valid rows for each event table."""

    def transactions(
        self,
        count: int,
        *,
        start: datetime = START,
        step: timedelta = timedelta(hours=1),
        prefix: str = "tx",
    ) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "event_id": [f"{prefix}-{index}" for index in range(count)],
                "ts": [start + step * index for index in range(count)],
                "card_id": [f"card-{index % 7}" for index in range(count)],
                "merchant_id": [f"merchant-{index % 5}" for index in range(count)],
                "merchant_category": [
                    "grocery" if index % 2 else "travel" for index in range(count)
                ],
                "amount": [10.0 + index for index in range(count)],
                "country": ["FR"] * count,
                "channel": ["web"] * count,
                "device_id": [f"device-{index}" for index in range(count)],
                "is_fraud": [index % 10 == 0 for index in range(count)],
            }
        )

    def predictions(
        self,
        event_ids: list[str],
        *,
        ts: datetime = START,
        score: float = 0.5,
        model_version: int = 1,
    ) -> pl.DataFrame:
        count = len(event_ids)
        return pl.DataFrame(
            {
                "event_id": event_ids,
                "ts": [ts] * count,
                "entity": [f"card-{index}" for index in range(count)],
                "model_version": [model_version] * count,
                "route": ["champion"] * count,
                "score": [score] * count,
                "decision": [score > 0.8] * count,
                "latency_ms": [3.5] * count,
                "raw_input": ['{"amount": 12.5}'] * count,
                "features": ['{"amount_log": 2.5}'] * count,
            }
        )

    def outcomes(
        self,
        event_ids: list[str],
        *,
        outcome: str = "chargeback",
        outcome_ts: datetime = START,
        amount: float = 100.0,
        received_at: datetime | None = None,
    ) -> pl.DataFrame:
        count = len(event_ids)
        frame = pl.DataFrame(
            {
                "event_id": event_ids,
                "outcome": [outcome] * count,
                "outcome_ts": [outcome_ts] * count,
                "amount": [amount] * count,
            }
        )
        if received_at is not None:
            frame = frame.with_columns(pl.lit(received_at).alias("received_at"))
        return frame


@pytest.fixture
def samples() -> EventSamples:
    return EventSamples()


@pytest.fixture
def clock() -> EventTimeClock:
    return EventTimeClock(datetime(2026, 3, 1, tzinfo=UTC))


@dataclass
class StoreFactory:
    """Opens stores of one implementation at one location; closes them all at teardown."""

    name: str
    opener: Callable[[EventTimeClock], EventStore]
    clock: EventTimeClock
    opened: list[EventStore] = field(default_factory=list)

    def open(self) -> EventStore:
        store = self.opener(self.clock)
        self.opened.append(store)
        return store


def _delta_opener(folder: Path) -> Callable[[EventTimeClock], EventStore]:
    def open_store(clock: EventTimeClock) -> EventStore:
        return DeltaEventStore(str(folder / "events"), folder / "events.spool", clock)

    return open_store


IMPLEMENTATIONS: dict[str, Callable[[Path], Callable[[EventTimeClock], EventStore]]] = {
    "delta": _delta_opener,
}


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def event_store_factory(
    request: pytest.FixtureRequest, tmp_path: Path, clock: EventTimeClock
) -> Iterator[StoreFactory]:
    factory = StoreFactory(request.param, IMPLEMENTATIONS[request.param](tmp_path), clock)
    yield factory
    for store in factory.opened:
        store.close()


@pytest.fixture
def delta_store(tmp_path: Path, clock: EventTimeClock) -> Iterator[DeltaEventStore]:
    store = DeltaEventStore(str(tmp_path / "events"), tmp_path / "events.spool", clock)
    yield store
    store.close()
