"""Email channel: sends the page as multipart/alternative (plain text + HTML) over SMTP.

The recipient is looked up from the page's target in an injected address book. The
Message-ID derives from the notification id, so a mail system that sees a redelivery can
recognise it, and every page of one incident references the same thread id so mail
clients group them. SMTP 4xx replies and connection trouble are retryable; 5xx replies,
unknown recipients and unsupported server features (e.g. no STARTTLS) are permanent.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

import aiosmtplib

from services.router.channels.delivery import (
    Delivered,
    DeliveryOutcome,
    PermanentFailure,
    RetryableFailure,
)
from services.router.channels.page import Page
from services.router.channels.render import render_email
from services.router.channels.settings import EmailSettings
from services.router.channels.signing import NOTIFICATION_ID_HEADER

_UNSAFE_ID_CHARS = re.compile(r"[^A-Za-z0-9._-]")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class EmailChannel:
    """Sends pages through one SMTP relay; `addresses` maps a target to an email address."""

    def __init__(
        self,
        settings: EmailSettings,
        addresses: Mapping[str, str],
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._settings = settings
        self._addresses = addresses
        self._clock = clock

    async def send(self, page: Page) -> DeliveryOutcome:
        recipient = self._addresses.get(page.target)
        if recipient is None:
            return PermanentFailure(f"no email address for {page.target}")
        message = build_message(page, self._settings.sender, recipient, self._clock())
        settings = self._settings
        password = settings.password.get_secret_value() if settings.password else None
        client = aiosmtplib.SMTP(
            hostname=settings.host,
            port=settings.port,
            username=settings.username,
            password=password,
            start_tls=settings.starttls,
            timeout=settings.timeout,
        )
        try:
            await client.connect()
            try:
                await client.send_message(message)
            except BaseException:
                client.close()
                raise
            _quit_later(client)  # accepted (250 after DATA): delivered, whenever QUIT ends
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients[0]
            return classify_reply(refused.code, refused.message)
        except aiosmtplib.SMTPResponseException as exc:
            return classify_reply(exc.code, exc.message)
        except OSError as exc:  # refused, disconnected, timed out: the SMTP ones included
            return RetryableFailure(f"SMTP connection failed: {type(exc).__name__}")
        except aiosmtplib.SMTPException as exc:
            # What is left is the server lacking something we asked for: configuration.
            return PermanentFailure(f"SMTP not possible: {exc}")
        return Delivered()


# Sessions saying QUIT after their message was accepted (kept until done: tasks are weak).
_QUITTING: set[asyncio.Task[None]] = set()


def _quit_later(client: aiosmtplib.SMTP) -> None:
    """QUIT outside the delivery: the message is accepted already, and a server slow to
    answer QUIT must not make the attempt time out, and the page be sent again."""
    task = asyncio.get_running_loop().create_task(_quit(client))
    _QUITTING.add(task)
    task.add_done_callback(_QUITTING.discard)


async def _quit(client: aiosmtplib.SMTP) -> None:
    try:
        await client.quit()
    except (aiosmtplib.SMTPException, OSError):
        client.close()


def build_message(page: Page, sender: str, recipient: str, now: datetime) -> EmailMessage:
    """The MIME message for one page: text part first, so HTML-capable clients prefer HTML."""
    subject, text, html = render_email(page)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "tocsin.invalid"
    thread = f"<incident.{_id_part(page.incident_id)}@{domain}>"
    message = EmailMessage()
    message["Subject"] = _inert_encoded_words(subject)
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = format_datetime(now)
    message["Message-ID"] = f"<{_id_part(page.notification_id)}@{domain}>"
    message["In-Reply-To"] = thread
    message["References"] = thread
    # RFC 3834: tells auto-responders (out-of-office) not to reply to pages.
    message["Auto-Submitted"] = "auto-generated"
    message[NOTIFICATION_ID_HEADER] = page.notification_id
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def _inert_encoded_words(text: str) -> str:
    """`text` without RFC 2047 encoded-words: the email library decodes `=?utf-8?q?…?=` in a
    header value it is given, so one in an alert's text would bring back the line breaks
    `_one_line` took out, and forge headers (a Reply-To) or a body. A space after `=` keeps
    the text readable and the header one line."""
    return text.replace("=?", "= ?")


def classify_reply(code: int, text: str) -> DeliveryOutcome:
    """SMTP reply codes: 4xx is transient by definition (RFC 5321), 5xx permanent."""
    reason = f"SMTP {code}: {' '.join(text.split())}"
    if 400 <= code < 500:
        return RetryableFailure(reason)
    return PermanentFailure(reason)


def _id_part(value: str) -> str:
    return _UNSAFE_ID_CHARS.sub("-", value)
