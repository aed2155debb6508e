"""What the tabular example simulators share: the result, the shape checks, time and ramps.

Each example (churn, demand, triage) is one module with one ``simulate_*`` function that
returns a :class:`TabularSimulation`: the raw events (exactly the example workspace's
``features.inputs``), their outcomes, and the day its drift episode starts. Times start at
:data:`START` and are microseconds in UTC.

>>> import numpy as np
>>> ramp(np.array([0, 10, 17, 40]), shift_day=10, ramp_days=14).tolist()
[0.0, 0.0, 0.5, 1.0]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
import polars as pl

from watchkeeper.errors import SimulationError

START = datetime(2025, 1, 1, tzinfo=UTC)
"""The first simulated day, at midnight UTC."""

TIMESTAMP = pl.Datetime("us", "UTC")
"""The type of every time column: event times and outcome times."""

MICROSECONDS_PER_DAY = 86_400_000_000

RAMP_DAYS = 21
"""How long a drift episode takes to reach its full strength."""

OUTCOME_COLUMNS = ("event_id", "outcome", "outcome_ts")

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class TabularSimulation:
    """Simulated events and their outcomes, with a drift episode from ``shift_day`` on.

    ``events``: one row per event with the example workspace's declared inputs (the event id,
    the entity, the event time ``ts``). ``outcomes``: ``event_id, outcome, outcome_ts``, the
    outcome arriving after its event. ``shift_day``: the first day of the drift episode
    (counted from :data:`START`); before it the world is stable.
    """

    events: pl.DataFrame
    outcomes: pl.DataFrame
    shift_day: int
    description: str


def simulated_day(column: str = "ts") -> pl.Expr:
    """The simulated day (0 on :data:`START`) of the time in ``column``.

    >>> frame = pl.DataFrame([timestamps(day_microseconds(np.array([3])) + 5, "ts")])
    >>> frame.select(simulated_day())["day"].to_list()
    [3]
    """
    return (pl.col(column) - pl.lit(START)).dt.total_days().alias("day")


def check_shape(days: int, per_day: int, shift_day: int) -> None:
    """Refuse a simulation size whose drift episode would not be inside it.

    >>> check_shape(days=30, per_day=10, shift_day=40)
    Traceback (most recent call last):
    ...
    watchkeeper.errors.SimulationError: shift_day 40 is not inside the simulation: it must be between 1 and days - 1 (29)
    """
    if days < 2:
        raise SimulationError(f"days must be at least 2 (got {days})")
    if per_day < 1:
        raise SimulationError(f"per_day must be at least 1 (got {per_day})")
    if not 1 <= shift_day < days:
        raise SimulationError(
            f"shift_day {shift_day} is not inside the simulation: it must be between 1 and "
            f"days - 1 ({days - 1})"
        )


def ramp(day: IntArray, shift_day: int, ramp_days: int = RAMP_DAYS) -> FloatArray:
    """The strength of the drift on each ``day``: 0 before ``shift_day``, 1 after the ramp."""
    return np.clip((day - shift_day) / ramp_days, 0.0, 1.0).astype(np.float64)


def day_microseconds(day: IntArray) -> IntArray:
    """Microseconds since the epoch of midnight UTC on each simulated ``day``.

    >>> int(day_microseconds(np.array([0]))[0]) == int(START.timestamp()) * 1_000_000
    True
    """
    start = int(START.timestamp()) * 1_000_000
    return (start + day.astype(np.int64) * MICROSECONDS_PER_DAY).astype(np.int64)


def days_to_microseconds(days: FloatArray) -> IntArray:
    """A duration in (fractional) days as whole microseconds.

    >>> days_to_microseconds(np.array([0.5])).tolist()
    [43200000000]
    """
    return np.round(days * MICROSECONDS_PER_DAY).astype(np.int64)


def timestamps(microseconds: IntArray, name: str) -> pl.Series:
    """A UTC time column from microseconds since the epoch.

    >>> timestamps(day_microseconds(np.array([1])), "ts").to_list()[0].isoformat()
    '2025-01-02T00:00:00+00:00'
    """
    return pl.Series(name, microseconds, dtype=pl.Int64).cast(TIMESTAMP)


def event_ids(prefix: str, count: int) -> pl.Series:
    """Event ids ``prefix-00000000``, ``prefix-00000001``, ... in event order.

    >>> event_ids("t", 2).to_list()
    ['t-00000000', 't-00000001']
    """
    numbers = pl.Series("event_id", np.arange(count, dtype=np.int64)).cast(pl.String)
    return (prefix + "-" + numbers.str.zfill(8)).alias("event_id")


def labels(names: tuple[str, ...], codes: IntArray, name: str) -> pl.Series:
    """A string column naming each code: ``names[code]``.

    >>> labels(("a", "b"), np.array([1, 0, 1]), "x").to_list()
    ['b', 'a', 'b']
    """
    return pl.Series(name, np.asarray(names, dtype=object)[codes], dtype=pl.String)


def assemble(
    events: pl.DataFrame,
    outcomes: pl.DataFrame,
    *,
    prefix: str,
    columns: tuple[str, ...],
    shift_day: int,
    description: str,
) -> TabularSimulation:
    """Sort the events by time, number them in that order and build the simulation.

    ``events`` and ``outcomes`` come row for row (the outcome of event ``i`` in row ``i``);
    ``events`` holds ``ts`` and ``columns`` less ``event_id``, ``outcomes`` holds
    ``outcome`` and ``outcome_ts``. The events keep ``columns`` in that order.
    """
    order = np.argsort(events["ts"].dt.epoch("us").to_numpy(), kind="stable")
    ids = event_ids(prefix, events.height)
    return TabularSimulation(
        events=events[order].with_columns(ids).select(columns),
        outcomes=outcomes[order].with_columns(ids).select(OUTCOME_COLUMNS),
        shift_day=shift_day,
        description=description,
    )


__all__ = [
    "MICROSECONDS_PER_DAY",
    "OUTCOME_COLUMNS",
    "RAMP_DAYS",
    "START",
    "TIMESTAMP",
    "FloatArray",
    "IntArray",
    "TabularSimulation",
    "assemble",
    "check_shape",
    "day_microseconds",
    "days_to_microseconds",
    "event_ids",
    "labels",
    "ramp",
    "simulated_day",
    "timestamps",
]
