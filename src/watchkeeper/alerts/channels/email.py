"""The e-mail channel: plain SMTP to the configured recipients."""

from __future__ import annotations

import json
import smtplib
from email.message import EmailMessage

from watchkeeper.alerts.channels.webhook import DeliveryError
from watchkeeper.alerts.notification import AlertNotification


class EmailChannel:
    """Sends each notification as a plain-text e-mail.

    >>> EmailChannel("127.0.0.1", 25, ("dana@example.com",), "wk@example.com").name
    'email:dana@example.com'
    """

    def __init__(
        self,
        host: str,
        port: int,
        recipients: tuple[str, ...],
        sender: str,
        timeout_seconds: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.recipients = recipients
        self.sender = sender
        self.timeout_seconds = timeout_seconds

    @property
    def name(self) -> str:
        """``email:`` and the recipients."""
        return "email:" + ",".join(self.recipients)

    def message(self, notification: AlertNotification) -> EmailMessage:
        """The e-mail sent for ``notification``."""
        message = EmailMessage()
        message["Subject"] = notification.title()
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message.set_content(
            f"{notification.summary}\n\nowner: {notification.owner} <{notification.owner_contact}>\n"
            f"evidence:\n{json.dumps(notification.as_json(), indent=2)}\n"
        )
        return message

    def deliver(self, notification: AlertNotification) -> None:
        """Send over SMTP; raise :class:`DeliveryError` if the server refuses or is absent."""
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_seconds) as client:
                client.send_message(self.message(notification))
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"SMTP {self.host}:{self.port}: {error}") from None


__all__ = ["EmailChannel"]
