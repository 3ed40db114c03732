"""How HTTP statuses and SMTP replies map to outcomes, and what an email page looks like."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from services.router.channels.console import ConsoleChannel
from services.router.channels.delivery import Delivered, PermanentFailure, RetryableFailure
from services.router.channels.email import build_message, classify_reply
from services.router.channels.http_post import classify_status
from services.router.channels.render import render_text
from services.router.channels.settings import EmailSettings, SlackSettings
from tests.support.sample_page import PAGE


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_2xx_is_delivered(status: int) -> None:
    assert classify_status(status) == Delivered()


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_timeouts_rate_limits_and_server_errors_are_retryable(status: int) -> None:
    assert isinstance(classify_status(status), RetryableFailure)


@pytest.mark.parametrize("status", [301, 400, 401, 403, 404, 410, 422])
def test_other_statuses_are_permanent(status: int) -> None:
    assert isinstance(classify_status(status), PermanentFailure)


def test_failure_reason_carries_status_and_a_short_single_line_body() -> None:
    outcome = classify_status(404, "no_service\n" + "x" * 500)

    assert outcome == PermanentFailure("HTTP 404: no_service " + "x" * 189)


def test_smtp_4xx_is_retryable_and_5xx_permanent() -> None:
    assert classify_reply(451, "try again later") == RetryableFailure("SMTP 451: try again later")
    assert classify_reply(550, "no such user") == PermanentFailure("SMTP 550: no such user")


def test_email_message_is_threaded_per_incident_and_keyed_by_notification() -> None:
    message = build_message(
        PAGE, "Tocsin <tocsin@example.com>", "alice@example.com", datetime(2024, 5, 1, tzinfo=UTC)
    )

    assert message["Message-ID"] == "<inc-1-step-1-alice@example.com>"
    assert message["References"] == "<incident.inc-1@example.com>"
    assert message["X-Tocsin-Notification-Id"] == "inc-1/step-1/alice"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]


def test_email_settings_need_username_and_password_together() -> None:
    with pytest.raises(ValidationError):
        EmailSettings(host="smtp.example.com", sender="tocsin@example.com", username="tocsin")


def test_slack_url_is_kept_out_of_reprs() -> None:
    settings = SlackSettings(url="https://hooks.slack.com/services/T0/B0/secret-token")

    assert "secret-token" not in repr(settings)


async def test_console_writes_the_text_rendering_framed_by_notification_id() -> None:
    stream = io.StringIO()

    outcome = await ConsoleChannel(stream).send(PAGE)

    assert outcome == Delivered()
    assert stream.getvalue() == (
        f"--- page inc-1/step-1/alice to alice ---\n{render_text(PAGE)}\n\n"
    )
