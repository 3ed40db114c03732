"""Email channel against a real aiosmtpd SMTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from services.router.channels.delivery import Delivered, PermanentFailure, RetryableFailure
from services.router.channels.email import EmailChannel
from services.router.channels.page import Page
from services.router.channels.retry import deliver_with_retry
from services.router.channels.settings import EmailSettings, RetryPolicy

ADDRESSES = {"alice": "alice@example.com"}
PAGE = Page(
    notification_id="inc-9/step-1/alice",
    incident_id="inc-9",
    incident_title="Checkout degraded",
    status="triggered",
    priority="P1",
    impact="checkout conversion down",
    affected_services=["payments-api"],
    alert_count=1,
    first_alert_at=datetime(2024, 5, 1, 14, 3, tzinfo=UTC),
    opened_at=datetime(2024, 5, 1, 14, 5, tzinfo=UTC),
    top_alerts=[
        {
            "alertname": "HighErrorRate",
            "severity": "error",
            "layer": "application",
            "summary": "5xx at 12% <script>alert(1)</script>",
            "service": "payments-api",
        }
    ],
    escalation_step=1,
    target="alice",
    incident_url="https://tocsin.example/i/inc-9",
    ack_url="https://tocsin.example/a/inc-9?sig=1",
    resolve_url="https://tocsin.example/r/inc-9?sig=2",
)


class RecordingHandler:
    """Accepts mail, or refuses every recipient with `rcpt_reply` when given."""

    def __init__(self, rcpt_reply: str | None = None) -> None:
        self.rcpt_reply = rcpt_reply
        self.envelopes: list[Any] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.rcpt_reply is not None:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def only_tocsin(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data == (b"tocsin", b"s3cret")
    return AuthResult(success=ok, handled=False)  # unhandled: aiosmtpd replies 535


def start_smtp(handler: RecordingHandler, **smtp: Any) -> Iterator[int]:
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **smtp)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def handler() -> RecordingHandler:
    return RecordingHandler()


@pytest.fixture
def smtp_port(handler: RecordingHandler) -> Iterator[int]:
    yield from start_smtp(handler)


def channel(port: int, **overrides: Any) -> EmailChannel:
    fields: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "sender": "Tocsin <tocsin@example.com>",
        "starttls": False,
        "timeout": 5,
    }
    return EmailChannel(EmailSettings(**(fields | overrides)), ADDRESSES)


async def test_page_arrives_with_plain_text_and_escaped_html_parts(
    smtp_port: int, handler: RecordingHandler
) -> None:
    outcome = await channel(smtp_port).send(PAGE)

    assert outcome == Delivered()
    [envelope] = handler.envelopes
    assert envelope.mail_from == "tocsin@example.com"
    assert envelope.rcpt_tos == ["alice@example.com"]
    message = message_from_bytes(envelope.content, policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert message["Subject"] == "[P1] checkout conversion down — payments-api affected"
    assert message.get_content_type() == "multipart/alternative"
    text_part, html_part = message.iter_parts()
    assert isinstance(text_part, EmailMessage)
    assert isinstance(html_part, EmailMessage)
    assert text_part.get_content_type() == "text/plain"
    assert text_part.get_content().startswith("[P1] checkout conversion down")
    assert html_part.get_content_type() == "text/html"
    assert "&lt;script&gt;" in html_part.get_content()
    assert "<script>" not in html_part.get_content()


async def test_recipient_refused_with_550_is_permanent(
    smtp_port: int, handler: RecordingHandler
) -> None:
    handler.rcpt_reply = "550 5.1.1 no such user"

    outcome = await channel(smtp_port).send(PAGE)

    assert outcome == PermanentFailure("SMTP 550: 5.1.1 no such user")


async def test_recipient_deferred_with_451_is_retryable(
    smtp_port: int, handler: RecordingHandler
) -> None:
    handler.rcpt_reply = "451 4.3.0 try again later"

    outcome = await channel(smtp_port).send(PAGE)

    assert outcome == RetryableFailure("SMTP 451: 4.3.0 try again later")


async def test_unreachable_server_is_retryable() -> None:
    outcome = await channel(free_port()).send(PAGE)

    assert isinstance(outcome, RetryableFailure)
    assert outcome.reason.startswith("SMTP connection failed: ")


async def test_required_starttls_the_server_lacks_is_permanent(smtp_port: int) -> None:
    outcome = await channel(smtp_port, starttls=True).send(PAGE)

    assert isinstance(outcome, PermanentFailure)
    assert "STARTTLS" in outcome.reason


async def test_target_without_address_is_permanent_and_sends_nothing(
    smtp_port: int, handler: RecordingHandler
) -> None:
    outcome = await channel(smtp_port).send(PAGE.model_copy(update={"target": "bob"}))

    assert outcome == PermanentFailure("no email address for bob")
    assert handler.envelopes == []


async def test_credentials_are_used_and_wrong_ones_are_permanent() -> None:
    handler = RecordingHandler()
    for port in start_smtp(handler, authenticator=only_tocsin, auth_require_tls=False):
        good = await channel(port, username="tocsin", password="s3cret").send(PAGE)
        bad = await channel(port, username="tocsin", password="wrong").send(PAGE)

    assert good == Delivered()
    assert isinstance(bad, PermanentFailure)
    assert bad.reason.startswith("SMTP 535")
    assert len(handler.envelopes) == 1


class SlowToQuit(RecordingHandler):
    """Accepts mail at once and answers QUIT only after `quit_after_s`."""

    def __init__(self, quit_after_s: float) -> None:
        super().__init__()
        self.quit_after_s = quit_after_s

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.quit_after_s)
        return "221 Bye"


async def test_a_page_accepted_by_a_server_slow_to_answer_quit_is_delivered_once() -> None:
    # The attempt's time limit (0.5 s here) covers the sending, not the goodbye: cut at QUIT,
    # an accepted page was retried (sent again) and finally recorded as failed.
    slow = SlowToQuit(quit_after_s=1.5)
    for port in start_smtp(slow):
        retry = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05, timeout=0.5)
        email = channel(port, timeout=0.5)

        result = await deliver_with_retry(email, PAGE, retry, asyncio.sleep, random.Random(1))

        assert (result.outcome, result.attempts) == (Delivered(), 1)
        await asyncio.sleep(1.6)  # the QUIT answered meanwhile
        assert len(slow.envelopes) == 1
