"""Webhook channels: a generic JSON POST, and the Slack-compatible ``{"text": ...}`` form.

>>> WebhookChannel("https://hooks.example.com/watchkeeper").name
'webhook:https://hooks.example.com/watchkeeper'
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from watchkeeper.alerts.notification import AlertNotification


class DeliveryError(Exception):
    """A channel could not deliver; the message says what the receiver answered."""


class WebhookChannel:
    """POSTs the notification's JSON document to a URL; any non-2xx answer is a failure."""

    def __init__(self, url: str, timeout_seconds: float = 10.0) -> None:
        self.url = url
        self.timeout_seconds = timeout_seconds

    @property
    def name(self) -> str:
        """``webhook:`` and the URL."""
        return f"webhook:{self.url}"

    def payload(self, notification: AlertNotification) -> dict[str, Any]:
        """The document sent."""
        return notification.as_json()

    def deliver(self, notification: AlertNotification) -> None:
        """POST the payload; raise :class:`DeliveryError` on a refused or failed request."""
        body = json.dumps(self.payload(notification)).encode("utf-8")
        request = urllib.request.Request(
            self.url,
            data=body,
            headers={"Content-Type": "application/json", "User-Agent": "watchkeeper"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            raise DeliveryError(f"{self.url} answered {error.code} {error.reason}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise DeliveryError(f"{self.url} could not be reached: {reason}") from None
        if not 200 <= status < 300:
            raise DeliveryError(f"{self.url} answered {status}")


class SlackChannel(WebhookChannel):
    """A Slack-compatible incoming webhook (also Mattermost, Rocket.Chat): ``{"text": ...}``."""

    @property
    def name(self) -> str:
        """``slack:`` and the URL."""
        return f"slack:{self.url}"

    def payload(self, notification: AlertNotification) -> dict[str, Any]:
        """A text message naming the owner, the alert and the evidence."""
        return {
            "text": (
                f"*{notification.title()}*\n{notification.summary}\n"
                f"owner: {notification.owner} ({notification.owner_contact})"
            )
        }


__all__ = ["DeliveryError", "SlackChannel", "WebhookChannel"]
