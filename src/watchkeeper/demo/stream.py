"""The demo's stream: the case study's simulated traffic, cut into what arrives day by day.

The truth (``is_fraud``) stays here, beside the stream: the system under test never sees it;
only the chargebacks (as ``outcomes``, on the day they are received) tell it about fraud.

>>> from datetime import UTC, datetime
>>> stream = DemoStream.simulate(seed=3, per_day=200, days=40, shift_day=20)
>>> stream.shift_date.isoformat()
'2025-01-21'
>>> day = stream.transactions_between(datetime(2025, 1, 5, tzinfo=UTC), datetime(2025, 1, 6, tzinfo=UTC))
>>> "is_fraud" in day.columns, day.height > 100
(False, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

import polars as pl

from watchkeeper.simulate import simulate
from watchkeeper.simulate.presets import preset
from watchkeeper.simulate.to_event_store import chargebacks_as_outcomes

TRUTH_COLUMN = "is_fraud"


class ReplayStream(Protocol):
    """What a replay reads from a stream: its span, its shift, and per stretch of event time
    the raw events (truth removed) and the outcomes received."""

    @property
    def start(self) -> datetime:
        """The first moment of the stream."""
        ...

    @property
    def end(self) -> datetime:
        """The end of the stream (exclusive)."""
        ...

    @property
    def shift_date(self) -> date:
        """The first day of the shift."""
        ...

    def transactions_between(self, start: datetime, end: datetime) -> pl.DataFrame:
        """The raw events with event time in ``[start, end)``."""
        ...

    def outcomes_received(self, start: datetime, end: datetime) -> pl.DataFrame:
        """The outcomes received in ``[start, end)``, in the ``outcomes`` table's columns."""
        ...


@dataclass(frozen=True)
class DemoStream:
    """Transactions (with the hidden truth) and outcomes, and when the world changes."""

    transactions: pl.DataFrame
    outcomes: pl.DataFrame
    start: datetime
    end: datetime
    shift_date: date

    @classmethod
    def simulate(
        cls, *, seed: int, per_day: int, days: int | None = None, shift_day: int | None = None
    ) -> DemoStream:
        """The ``case-study`` preset (18 months stable, then the segment and the fraud shift)."""
        overrides: dict[str, object] = {"seed": seed, "per_day": per_day}
        if days is not None:
            overrides["days"] = days
        if shift_day is not None:
            overrides["segment_shift"] = {"start_day": shift_day}
            overrides["fraud_adaptation"] = {"start_day": shift_day}
        config = preset("case-study", **overrides)
        traffic = simulate(config)
        start = datetime.combine(config.start, datetime.min.time(), tzinfo=UTC)
        shift = config.segment_shift.start_day if config.segment_shift else config.days
        return cls(
            transactions=traffic.transactions,
            outcomes=chargebacks_as_outcomes(traffic.chargebacks),
            start=start,
            end=start + timedelta(days=config.days),
            shift_date=config.start + timedelta(days=shift),
        )

    def transactions_between(self, start: datetime, end: datetime) -> pl.DataFrame:
        """The raw events with event time in ``[start, end)``, truth removed."""
        return self._between(start, end).drop(TRUTH_COLUMN)

    def truth_between(self, start: datetime, end: datetime) -> pl.DataFrame:
        """Event id, time, amount and the hidden truth of the events in ``[start, end)``."""
        return self._between(start, end).select("event_id", "ts", "amount", TRUTH_COLUMN)

    def outcomes_received(self, start: datetime, end: datetime) -> pl.DataFrame:
        """The outcomes received in ``[start, end)`` (chargebacks arrive weeks later)."""
        return between(self.outcomes, "received_at", start, end)

    def _between(self, start: datetime, end: datetime) -> pl.DataFrame:
        return between(self.transactions, "ts", start, end)


def between(frame: pl.DataFrame, column: str, start: datetime, end: datetime) -> pl.DataFrame:
    """The rows of ``frame`` whose ``column`` lies in ``[start, end)``."""
    moment = pl.col(column)
    return frame.filter((moment >= start) & (moment < end))


__all__ = ["TRUTH_COLUMN", "DemoStream", "ReplayStream", "between"]
