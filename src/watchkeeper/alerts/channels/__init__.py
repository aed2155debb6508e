"""Alert channels: where notifications go. Each is one small class with ``deliver``.

>>> channel = build_channel(ChannelConfig(type="log"))
>>> channel.name
'log'
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from watchkeeper.alerts.notification import AlertNotification
from watchkeeper.config import ChannelConfig


@runtime_checkable
class AlertChannel(Protocol):
    """Delivers a notification, or raises an exception saying why it could not."""

    @property
    def name(self) -> str:
        """A short label for delivery records, such as ``webhook:https://hooks/...``."""
        ...

    def deliver(self, notification: AlertNotification) -> None:
        """Send ``notification``; raise on failure (the caller retries and records)."""
        ...


def build_channel(config: ChannelConfig, timeout_seconds: float = 10.0) -> AlertChannel:
    """The channel a workspace's ``alerts.channels`` entry describes (imported lazily)."""
    if config.type == "log":
        from watchkeeper.alerts.channels.log import LogChannel

        return LogChannel()
    if config.type in ("webhook", "slack"):
        from watchkeeper.alerts.channels.webhook import SlackChannel, WebhookChannel

        assert config.url is not None  # the config schema requires it
        kind = SlackChannel if config.type == "slack" else WebhookChannel
        return kind(config.url, timeout_seconds=timeout_seconds)
    if config.type == "email":
        from watchkeeper.alerts.channels.email import EmailChannel

        assert config.smtp_host is not None
        return EmailChannel(
            host=config.smtp_host,
            port=config.smtp_port,
            recipients=tuple(config.to),
            sender=config.sender or "watchkeeper@localhost",
            timeout_seconds=timeout_seconds,
        )
    from watchkeeper.alerts.channels.prometheus import PrometheusChannel

    return PrometheusChannel()


__all__ = ["AlertChannel", "build_channel"]
