"""A tabular example's simulated stream (churn, demand, triage), cut into what arrives daily.

The events are exactly the example workspace's inputs; each outcome is received at its
``outcome_ts`` (a churned account on the day it leaves, a renewal on day 30; the units sold
the next morning; the queue that resolved a ticket when it closes). The truth of a run is
every outcome, including those that arrive after the stream ends: the system under test only
sees the ones received by its clock.

>>> from datetime import UTC, datetime
>>> stream = TabularStream.simulate("demand", seed=2, per_day=20, days=10, shift_day=5)
>>> stream.shift_date.isoformat(), stream.end.isoformat()
('2025-01-06', '2025-01-11T00:00:00+00:00')
>>> day = stream.transactions_between(datetime(2025, 1, 2, tzinfo=UTC), datetime(2025, 1, 3, tzinfo=UTC))
>>> day.height, "outcome" in day.columns
(20, False)
>>> stream.outcomes_received(datetime(2025, 1, 2, tzinfo=UTC), datetime(2025, 1, 3, tzinfo=UTC)).columns
['event_id', 'outcome', 'outcome_ts', 'received_at']
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import polars as pl

from watchkeeper.demo.stream import between
from watchkeeper.errors import ConfigError
from watchkeeper.simulate.tabular import SIMULATORS, TabularSimulation
from watchkeeper.simulate.tabular.common import START


@dataclass(frozen=True)
class TabularStream:
    """Events and their outcomes (received at ``outcome_ts``), and when the world changes."""

    events: pl.DataFrame
    outcomes: pl.DataFrame
    start: datetime
    end: datetime
    shift_date: date

    @classmethod
    def simulate(
        cls, example: str, *, seed: int, per_day: int, days: int, shift_day: int
    ) -> TabularStream:
        """``days`` days of ``per_day`` events of ``example``'s simulator, shifting on
        ``shift_day``."""
        simulator = SIMULATORS.get(example)
        if simulator is None:
            raise ConfigError(
                f"no simulated stream for the example {example!r} (known: {', '.join(SIMULATORS)})"
            )
        simulation = simulator(days=days, per_day=per_day, seed=seed, shift_day=shift_day)
        return cls.from_simulation(simulation, days)

    @classmethod
    def from_simulation(cls, simulation: TabularSimulation, days: int) -> TabularStream:
        """The stream of a simulation of ``days`` days."""
        return cls(
            events=simulation.events,
            outcomes=simulation.outcomes.with_columns(received_at=pl.col("outcome_ts")),
            start=START,
            end=START + timedelta(days=days),
            shift_date=(START + timedelta(days=simulation.shift_day)).date(),
        )

    def transactions_between(self, start: datetime, end: datetime) -> pl.DataFrame:
        """The events with event time in ``[start, end)`` (the ``transactions`` table)."""
        return between(self.events, "ts", start, end)

    def outcomes_received(self, start: datetime, end: datetime) -> pl.DataFrame:
        """The outcomes received in ``[start, end)``."""
        return between(self.outcomes, "received_at", start, end)

    def truth_between(self, start: datetime, end: datetime) -> pl.DataFrame:
        """Event id, time and outcome of every event in ``[start, end)``, whenever its
        outcome arrives."""
        return (
            self.transactions_between(start, end)
            .select("event_id", "ts")
            .join(self.outcomes.select("event_id", "outcome"), on="event_id", how="inner")
        )


__all__ = ["TabularStream"]
