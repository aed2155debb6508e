"""The log channel: alerts written to the ``watchkeeper.alerts`` logger."""

from __future__ import annotations

import logging

from watchkeeper.alerts.notification import AlertNotification

LOGGER = logging.getLogger("watchkeeper.alerts")
_LEVELS = {"info": logging.INFO, "warning": logging.WARNING, "critical": logging.CRITICAL}


class LogChannel:
    """Writes each notification as one log line, at the level of its severity.

    >>> from datetime import UTC, datetime
    >>> LogChannel().name
    'log'
    """

    name = "log"

    def deliver(self, notification: AlertNotification) -> None:
        """Log the notification for its owner."""
        LOGGER.log(
            _LEVELS.get(notification.severity, logging.WARNING),
            "%s — %s (owner: %s <%s>)",
            notification.title(),
            notification.summary,
            notification.owner,
            notification.owner_contact,
        )


__all__ = ["LogChannel"]
