"""Channels against real local receivers: an HTTP server and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from watchkeeper.alerts.channels import build_channel
from watchkeeper.alerts.channels.email import EmailChannel
from watchkeeper.alerts.channels.webhook import DeliveryError, SlackChannel, WebhookChannel
from watchkeeper.alerts.notification import AlertNotification
from watchkeeper.config import ChannelConfig

NOTE = AlertNotification(
    model="card-fraud",
    owner="Dana Reyes",
    owner_contact="dana@example.com",
    rule="score drift",
    metric="score_psi",
    feature=None,
    severity="critical",
    state="firing",
    value=0.41,
    threshold=0.25,
    window_end=datetime(2026, 6, 8, tzinfo=UTC),
    summary="score drift: score_psi is 0.41",
)


class Receiver:
    def __init__(self, status: int) -> None:
        self.status = status
        self.bodies: list[dict[str, Any]] = []


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    state = Receiver(200)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            state.bodies.append(json.loads(self.rfile.read(length)))
            self.send_response(state.status)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def test_webhook_posts_the_json_document(receiver: tuple[Receiver, str]) -> None:
    state, url = receiver
    WebhookChannel(url).deliver(NOTE)
    assert state.bodies[0]["rule"] == "score drift"
    assert state.bodies[0]["owner"] == {"name": "Dana Reyes", "contact": "dana@example.com"}
    assert state.bodies[0]["window_end"] == "2026-06-08T00:00:00+00:00"


def test_slack_gets_a_text_message(receiver: tuple[Receiver, str]) -> None:
    state, url = receiver
    build_channel(ChannelConfig(type="slack", url=url)).deliver(NOTE)
    assert set(state.bodies[0]) == {"text"}
    assert "[critical] card-fraud: score drift firing" in state.bodies[0]["text"]
    assert "Dana Reyes" in state.bodies[0]["text"]


def test_webhook_error_status_and_absent_receiver_fail_loudly(
    receiver: tuple[Receiver, str],
) -> None:
    state, url = receiver
    state.status = 503
    with pytest.raises(DeliveryError, match="answered 503"):
        WebhookChannel(url).deliver(NOTE)
    with pytest.raises(DeliveryError, match="could not be reached"):
        SlackChannel("http://127.0.0.1:1/hook", timeout_seconds=2).deliver(NOTE)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(envelope.content)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_email_through_a_local_smtp_server() -> None:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        EmailChannel("127.0.0.1", port, ("dana@example.com",), "watchkeeper@example.com").deliver(
            NOTE
        )
    finally:
        controller.stop()
    message = message_from_bytes(inbox.messages[0])
    assert message["Subject"] == "[critical] card-fraud: score drift firing"
    assert message["To"] == "dana@example.com"
    assert "score_psi is 0.41" in message.get_payload()


def test_email_to_an_absent_server_fails_loudly() -> None:
    with pytest.raises(DeliveryError, match=r"SMTP 127\.0\.0\.1:1"):
        EmailChannel(
            "127.0.0.1", 1, ("dana@example.com",), "wk@example.com", timeout_seconds=2
        ).deliver(NOTE)
