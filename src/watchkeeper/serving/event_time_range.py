"""The plausible range of a live event's time around the service's clock.

An event time far in the past or the future (year 1, 9999-12-31) is no mistake a live
client makes on purpose, and every job that enumerates windows between the earliest and
the latest time it sees would pay for it. The service refuses such a time at the edge, for
the event time of ``/v1/score`` and ``/v1/score/batch`` and the ``outcome_ts`` of
``/v1/outcomes``. The range is read from the service's clock at each check, so a replay
that drives an :class:`~watchkeeper.clock.EventTimeClock` moves it along.

>>> from datetime import UTC, datetime, timedelta
>>> from watchkeeper.clock import EventTimeClock
>>> clock = EventTimeClock(datetime(2026, 6, 1, tzinfo=UTC))
>>> window = TimeRange(clock, max_age=timedelta(days=120), max_future=timedelta(minutes=5))
>>> window.contains(datetime(2026, 5, 1, tzinfo=UTC))
True
>>> window.check("ts", datetime(2999, 1, 1, tzinfo=UTC))
Traceback (most recent call last):
...
watchkeeper.errors.InvalidInputError: ts: more than 5m ahead of the service's clock (got 2999-01-01T00:00:00+00:00)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from watchkeeper.clock import Clock
from watchkeeper.config.workspace_file import WorkspaceConfig
from watchkeeper.durations import format_duration
from watchkeeper.errors import InvalidInputError


@dataclass(frozen=True)
class TimeRange:
    """Times from ``max_age`` behind ``clock.now()`` to ``max_future`` ahead of it."""

    clock: Clock
    max_age: timedelta
    max_future: timedelta

    @classmethod
    def for_config(cls, config: WorkspaceConfig, clock: Clock) -> TimeRange:
        """The range ``serving.event_time`` sets (see
        :class:`~watchkeeper.config.lifecycle.EventTimeRange` for the default age)."""
        settings = config.serving.event_time
        max_age = settings.max_age
        if max_age is None:
            max_age = max(config.label.maturity_horizon, config.training.window) + settings.margin
        return cls(clock, max_age, settings.max_future)

    def contains(self, moment: datetime) -> bool:
        """Whether ``moment`` (aware) lies in the range now."""
        now = self.clock.now()
        return now - self.max_age <= moment <= now + self.max_future

    def check(self, field: str, moment: datetime) -> None:
        """Raise :class:`InvalidInputError` on ``field`` when ``moment`` lies outside."""
        now = self.clock.now()
        if moment < now - self.max_age:
            raise InvalidInputError(
                field,
                f"more than {format_duration(self.max_age)} before the service's clock "
                f"(got {moment.isoformat()})",
            )
        if moment > now + self.max_future:
            raise InvalidInputError(
                field,
                f"more than {format_duration(self.max_future)} ahead of the service's clock "
                f"(got {moment.isoformat()})",
            )


__all__ = ["TimeRange"]
