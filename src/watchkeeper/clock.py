"""Clocks: where every component gets "now" from.

No module reads the wall clock directly. Production code receives a :class:`WallClock`;
replays, simulations and tests receive an :class:`EventTimeClock` that only moves when the
data (or the test) moves it. All times are timezone-aware UTC datetimes.

>>> from datetime import UTC, datetime, timedelta
>>> clock = EventTimeClock(datetime(2026, 2, 1, tzinfo=UTC))
>>> clock.now().isoformat()
'2026-02-01T00:00:00+00:00'
>>> clock.advance(timedelta(days=2)).date().isoformat()
'2026-02-03'
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """Anything that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime:
        """Return the current time (timezone-aware, UTC)."""
        ...


def as_utc(moment: datetime) -> datetime:
    """Return ``moment`` as an aware UTC datetime; a naive one is taken to be UTC already.

    >>> as_utc(datetime(2026, 1, 1, 12)).isoformat()
    '2026-01-01T12:00:00+00:00'
    """
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def utc_from_iso(text: str) -> datetime:
    """An ISO date or date-time as an aware UTC datetime: the one time-zone rule of the
    package (a date is its midnight, a time without a zone is UTC). Raises ``ValueError`` on
    text that is not ISO; :func:`parse_instant` turns that into a user's error.

    >>> utc_from_iso("2026-06-01T12:00").isoformat(), utc_from_iso("2026-06-01T14:00+02:00").hour
    ('2026-06-01T12:00:00+00:00', 12)
    """
    return as_utc(datetime.fromisoformat(text.strip()))


def parse_instant(option: str, text: str) -> datetime:
    """A moment a user typed for ``option``: an ISO date or date-time, the one rule of every
    command: a date is its midnight, a time without a zone is UTC, the result is in UTC.

    >>> parse_instant("--until", "2026-06-01")
    datetime.datetime(2026, 6, 1, 0, 0, tzinfo=datetime.timezone.utc)
    >>> parse_instant("--as-of", "2025-07-01T12:30+02:00").isoformat()
    '2025-07-01T10:30:00+00:00'
    >>> parse_instant("--start", "soon")
    Traceback (most recent call last):
    ...
    watchkeeper.errors.ConfigError: --start: 'soon' is not an ISO date or date-time; write 2026-07-01 or 2026-07-01T12:00
    """
    from watchkeeper.errors import ConfigError

    try:
        return utc_from_iso(text)
    except ValueError:
        raise ConfigError(
            f"{option}: {text!r} is not an ISO date or date-time; write 2026-07-01 or "
            "2026-07-01T12:00"
        ) from None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def to_epoch_microseconds(moment: datetime) -> int:
    """Microseconds since 1970-01-01 UTC (a naive ``moment`` is taken to be UTC).

    >>> to_epoch_microseconds(datetime(1970, 1, 1, 0, 0, 1))
    1000000
    """
    return (as_utc(moment) - _EPOCH) // _MICROSECOND


def from_epoch_microseconds(value: int) -> datetime:
    """The UTC time ``value`` microseconds after 1970-01-01.

    >>> from_epoch_microseconds(1_000_000).isoformat()
    '1970-01-01T00:00:01+00:00'
    """
    return _EPOCH + timedelta(microseconds=value)


class WallClock:
    """The real time of the machine, for production processes.

    >>> WallClock().now().tzinfo is UTC
    True
    """

    def now(self) -> datetime:
        """Return the machine's current time in UTC."""
        return datetime.now(UTC)


class EventTimeClock:
    """A clock that moves only when told: the time of the data being replayed.

    It never goes backwards: :meth:`advance_to` an earlier moment leaves it where it is,
    so out-of-order events cannot rewind a replay. Safe to share between threads.

    >>> clock = EventTimeClock(datetime(2026, 3, 1, tzinfo=UTC))
    >>> clock.advance_to(datetime(2026, 2, 1, tzinfo=UTC)).month
    3
    """

    def __init__(self, start: datetime) -> None:
        self._now = as_utc(start)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Return the latest event time seen."""
        with self._lock:
            return self._now

    def advance_to(self, moment: datetime) -> datetime:
        """Move to ``moment`` if it is later than now; return the (possibly unchanged) now."""
        moment = as_utc(moment)
        with self._lock:
            if moment > self._now:
                self._now = moment
            return self._now

    def advance(self, step: timedelta) -> datetime:
        """Move forward by ``step`` (which must not be negative) and return the new now."""
        if step < timedelta(0):
            raise ValueError(f"an event-time clock cannot go back: step {step} is negative")
        with self._lock:
            self._now = self._now + step
            return self._now


__all__ = [
    "Clock",
    "EventTimeClock",
    "WallClock",
    "as_utc",
    "from_epoch_microseconds",
    "to_epoch_microseconds",
]
