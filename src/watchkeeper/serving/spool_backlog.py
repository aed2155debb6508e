"""How long logged rows have waited in the spool, for ``/metrics`` and ``/readyz``.

The flusher moves the spool to Delta every 10 s; rows that have waited much longer mean it
is dead or far behind. ``/readyz`` then fails (``serving.max_backlog_age``), and
``watchkeeper_spool_oldest_age_seconds`` is there to alert on (``dashboards/alerts.yaml``).

>>> from datetime import UTC, datetime, timedelta
>>> now = datetime(2026, 1, 1, tzinfo=UTC)
>>> waiting = SpoolBacklog(1, 3, now - timedelta(minutes=6))
>>> oldest_age_seconds(waiting, now)
360.0
>>> stale_backlog(waiting, now, timedelta(minutes=5))
'the oldest logged row has waited 360 s for the flusher (serving.max_backlog_age: 300 s)'
>>> stale_backlog(SpoolBacklog(0, 0, None), now, timedelta(minutes=5)) is None
True
"""

from __future__ import annotations

from datetime import datetime, timedelta

from watchkeeper.storage.events.spool import SpoolBacklog


def oldest_age_seconds(backlog: SpoolBacklog, now: datetime) -> float:
    """How long the oldest row in ``backlog`` has waited at ``now`` (0 when none waits)."""
    oldest = backlog.oldest_created_at
    return 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())


def stale_backlog(backlog: SpoolBacklog, now: datetime, bound: timedelta) -> str | None:
    """Why the service is not ready, if the oldest row has waited longer than ``bound``."""
    age = oldest_age_seconds(backlog, now)
    if age <= bound.total_seconds():
        return None
    return (
        f"the oldest logged row has waited {age:.0f} s for the flusher "
        f"(serving.max_backlog_age: {bound.total_seconds():.0f} s)"
    )


__all__ = ["oldest_age_seconds", "stale_backlog"]
