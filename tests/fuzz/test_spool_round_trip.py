"""Whatever the event store acknowledged reaches Delta, whatever else sits in the spool.

Rows are appended through the spool's cheap path (``append_columns``, the one the service
uses), some of them with hostile strings or times; an append that returns is acknowledged.
After a flush, the spool must be empty, every acknowledged well-formed row must be in Delta
(a row the store cannot write goes aside, it never holds back the rows behind it), and a
store reopened over whatever is left must open.
"""

from __future__ import annotations

import itertools
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from tests.fuzz.strategies import odd_text

from watchkeeper.clock import EventTimeClock
from watchkeeper.errors import WatchkeeperError
from watchkeeper.storage.events.store import EventStore, open_event_store

NOW = datetime(2026, 6, 9, tzinfo=UTC)
ROUND_TRIP = settings(
    max_examples=15,
    deadline=None,
    database=None,
    derandomize=True,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=list(HealthCheck),
)

hostile_rows = st.one_of(
    st.builds(lambda text: {"outcome": text}, odd_text),
    st.builds(
        lambda moment: {"outcome_ts": moment.replace(tzinfo=UTC)},
        st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    ),
)
"""A change making an outcome row hostile: an odd ``outcome`` text or a far event time."""
rows = st.lists(st.none() | hostile_rows, min_size=1, max_size=6)
"""Appends in order: None is a well-formed row, anything else a hostile one."""


def _open(folder: Path) -> EventStore:
    return open_event_store(str(folder / "events"), folder / "events.spool", EventTimeClock(NOW))


@pytest.mark.timeout(60)
def test_acknowledged_rows_reach_delta_past_a_poisoned_row() -> None:
    numbers = itertools.count()

    @ROUND_TRIP
    @given(rows)
    @example([None, {"outcome": "\ud800"}, None])
    def round_trip(appends: list[dict[str, object] | None]) -> None:
        folder = Path(tempfile.mkdtemp(prefix="spool-fuzz-"))
        store = _open(folder)
        good: set[str] = set()
        try:
            for change in appends:
                event_id = f"o-{next(numbers)}"
                row: dict[str, object] = {
                    "event_id": event_id,
                    "outcome": "chargeback",
                    "outcome_ts": NOW - timedelta(days=1),
                    **(change or {}),
                }
                try:
                    store.append_columns("outcomes", {key: [value] for key, value in row.items()})
                except WatchkeeperError:
                    continue  # refused on append: never acknowledged
                if change is None:
                    good.add(event_id)
            store.flush()
            assert store.backlog().entries == 0
            stored = set(store.read("outcomes", columns=["event_id"])["event_id"].to_list())
            assert good <= stored, sorted(good - stored)
        finally:
            store.close()
        reopened = _open(folder)  # opening flushes what is left: it must not fail
        reopened.close()

    round_trip()
