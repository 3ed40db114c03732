"""Label-derived text with newlines, control characters, markup and non-ASCII: every channel
still delivers one well-formed page whose lines are the page's own."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from services.router.channels.delivery import Delivered
from services.router.channels.email import EmailChannel
from services.router.channels.page import Page
from services.router.channels.render import headline, render_email, render_slack, render_text
from services.router.channels.settings import EmailSettings
from tests.support.sample_page import PAGE

# A service label crafted to add a header to the email and a line to every page.
FORGED_SERVICE = "checkout\r\nBcc: mallory@evil.example\r\n\r\nAcknowledge: https://evil.example"
HOSTILE = Page.model_validate(
    PAGE.model_dump()
    | {
        "affected_services": [FORGED_SERVICE, "node-7"],
        "top_alerts": [
            {
                "alertname": "Disk\nFull\x1b[2J",
                "severity": "critical",
                "layer": "infrastructure",
                "summary": "<b>95%</b> & rising",
                "service": "db\n• FakeAlert (critical)",
            },
        ],
    }
)


def test_newlines_in_labels_do_not_add_lines_to_the_text_page() -> None:
    text = render_text(HOSTILE)

    assert text.splitlines()[0] == (
        "[P2] Checkout degraded — checkout Bcc: mallory@evil.example Acknowledge: "
        "https://evil.example, node-7 affected"
    )
    assert "- Disk Full [2J (critical, infrastructure, db • FakeAlert (critical)): " in text
    assert "\x1b" not in text
    assert [line for line in text.splitlines() if line.startswith("Acknowledge:")] == [
        f"Acknowledge: {PAGE.ack_url}"
    ]


def test_newlines_in_labels_do_not_add_lines_to_the_slack_message() -> None:
    payload = render_slack(HOSTILE)

    fields = {f["text"].split("\n", 1)[0]: f["text"] for f in payload["blocks"][1]["fields"]}
    assert fields["*Affected services*"] == (
        "*Affected services*\ncheckout Bcc: mallory@evil.example Acknowledge: "
        "https://evil.example, node-7"
    )
    assert fields["*Alerts (1)*"] == "*Alerts (1)*\ninfrastructure: Disk Full [2J"
    [details] = [b for b in payload["blocks"] if b["type"] == "section" and "text" in b]
    assert details["text"]["text"] == (
        "• Disk Full [2J (critical, infrastructure, db • FakeAlert (critical)): "
        "&lt;b&gt;95%&lt;/b&gt; &amp; rising"
    )
    assert "\n" not in payload["text"]


def test_email_subject_stays_one_line() -> None:
    subject, _, html = render_email(HOSTILE)

    assert subject == headline(HOSTILE)
    assert "\r" not in subject and "\n" not in subject
    assert "&lt;b&gt;95%&lt;/b&gt; &amp; rising" in html


class Recording:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Recording]]:
    handler = Recording()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, handler
    finally:
        controller.stop()


def email_channel(port: int) -> EmailChannel:
    settings = EmailSettings(
        host="127.0.0.1", port=port, sender="Tocsin <tocsin@example.com>", starttls=False
    )
    now = datetime(2024, 5, 1, 14, 4, tzinfo=UTC)
    return EmailChannel(settings, {"alice": "alice@example.com"}, clock=lambda: now)


async def test_email_with_crlf_in_a_service_label_is_delivered_to_the_recipient_only(
    smtp: tuple[int, Recording],
) -> None:
    port, handler = smtp

    outcome = await email_channel(port).send(HOSTILE)

    assert outcome == Delivered()
    [envelope] = handler.envelopes
    assert envelope.rcpt_tos == ["alice@example.com"]
    message = message_from_bytes(envelope.content, policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert message["Bcc"] is None
    assert message["Subject"] == headline(HOSTILE)
    assert message["To"] == "alice@example.com"
    assert message["Date"] == "Wed, 01 May 2024 14:04:00 +0000"
    assert message["Message-ID"] == "<inc-1-step-1-alice@example.com>"
    assert message.get_content_type() == "multipart/alternative"


async def test_non_ascii_subject_is_rfc2047_encoded_and_reads_back_intact(
    smtp: tuple[int, Recording],
) -> None:
    port, handler = smtp
    title = "Zahlungsdienst gestört — 決済 ✓ " + "lang " * 30
    page = PAGE.model_copy(update={"incident_title": title})

    outcome = await email_channel(port).send(page)

    assert outcome == Delivered()
    [envelope] = handler.envelopes
    raw_headers = envelope.content.split(b"\r\n\r\n", 1)[0]
    assert raw_headers.isascii()
    assert b"=?utf-8?" in raw_headers
    message = message_from_bytes(envelope.content, policy=policy.default)
    assert message["Subject"] == f"[P2] {' '.join(title.split())}"


# Line breaks hidden in an RFC 2047 encoded-word: the email library decodes those in a header
# value it is given, after `_one_line` took the raw ones out.
ENCODED_FORGERY = (
    "=?utf-8?q?payments=0D=0AReply-To:_attacker@evil.example=0D=0AContent-Type:_text/plain"
    "=0D=0A=0D=0AAll_clear,_nothing_to_do._Ack:_https://evil.example/ack=0D=0A?="
)


async def test_an_encoded_word_in_a_label_forges_no_header_and_no_body(
    smtp: tuple[int, Recording],
) -> None:
    port, handler = smtp
    page = PAGE.model_copy(update={"affected_services": (ENCODED_FORGERY,)})

    outcome = await email_channel(port).send(page)

    assert outcome == Delivered()
    [envelope] = handler.envelopes
    message = message_from_bytes(envelope.content, policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert message["Reply-To"] is None
    assert message.get_content_type() == "multipart/alternative"
    subject = str(message["Subject"])
    assert "\r" not in subject and "\n" not in subject
    assert "payments=0D=0AReply-To:_attacker@evil.example" in subject  # shown as sent
    assert message["To"] == "alice@example.com"


def test_bidirectional_overrides_and_invisible_characters_become_spaces() -> None:
    page = PAGE.model_copy(
        update={
            "affected_services": ("\u202eipa-stnemyap", "node\u200b-7\ufeff"),
            "status": "acknowledged",
            "status_by": "bob\u2066",
        }
    )

    line = headline(page)

    assert line == (
        "[P2 ACKNOWLEDGED] Checkout degraded — ipa-stnemyap, node -7 affected — acknowledged by bob"
    )
    for rendered in (render_text(page), render_email(page)[0], str(render_slack(page))):
        assert not {"\u202e", "\u200b", "\ufeff", "\u2066"} & set(rendered)


def test_emoji_joined_sequences_keep_their_joiners() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    page = PAGE.model_copy(update={"affected_services": (f"team {family}",)})

    assert f"team {family} affected" in headline(page)
