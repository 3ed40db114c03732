"""Webhook and Slack channels against a real HTTP/1.1 server on 127.0.0.1."""

from __future__ import annotations

import random
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import orjson
import pytest

from services.router.channels.delivery import Delivered, PermanentFailure, RetryableFailure
from services.router.channels.http_post import JsonPoster
from services.router.channels.page import Page
from services.router.channels.render import render_slack, render_webhook
from services.router.channels.retry import deliver_with_retry
from services.router.channels.settings import RetryPolicy, SlackSettings, WebhookSettings
from services.router.channels.signing import verify
from services.router.channels.slack import SlackChannel
from services.router.channels.webhook import WebhookChannel
from tests.support.scripted_http import HANG, FakeSleep, Reply, scripted

SECRET = "whsec_integration"
NOW = 1714572180
PAGE = Page(
    notification_id="inc-7/step-1/alice",
    incident_id="inc-7",
    incident_title="Checkout degraded",
    status="triggered",
    priority="P1",
    impact="checkout conversion down",
    affected_services=["payments-api"],
    probable_cause="NodeDown on node-7 (infrastructure)",
    alert_count=3,
    first_alert_at=datetime(2024, 5, 1, 14, 3, tzinfo=UTC),
    opened_at=datetime(2024, 5, 1, 14, 5, tzinfo=UTC),
    escalation_step=1,
    target="alice",
    incident_url="https://tocsin.example/i/inc-7",
    ack_url="https://tocsin.example/a/inc-7?sig=1",
    resolve_url="https://tocsin.example/r/inc-7?sig=2",
)


@pytest.fixture
async def client() -> AsyncIterator[JsonPoster]:
    poster = JsonPoster()
    yield poster
    await poster.close()


def webhook(url: str, client: JsonPoster, timeout: float = 5.0) -> WebhookChannel:
    settings = WebhookSettings(url=url, secret=SECRET, timeout=timeout)
    return WebhookChannel(settings, client, clock=lambda: float(NOW))


async def test_webhook_posts_signed_json_the_receiver_can_verify(
    client: JsonPoster,
) -> None:
    server = await scripted([Reply(200, b"")], "/hooks/tocsin")
    try:
        outcome = await webhook(server.url, client).send(PAGE)
    finally:
        await server.stop()

    assert outcome == Delivered()
    [request] = server.received
    assert (request.method, request.path) == ("POST", "/hooks/tocsin")
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-tocsin-notification-id"] == "inc-7/step-1/alice"
    timestamp = int(request.headers["x-tocsin-timestamp"])
    signature = request.headers["x-tocsin-signature"]
    assert verify(SECRET.encode(), timestamp, request.body, signature, now=NOW + 5)
    assert orjson.loads(request.body) == render_webhook(PAGE)


async def test_webhook_failing_twice_with_500_is_delivered_on_the_third_attempt(
    client: JsonPoster,
) -> None:
    server = await scripted([Reply(500, b"boom"), Reply(500, b"boom"), Reply(200)], "/hooks/tocsin")
    sleep = FakeSleep()
    try:
        result = await deliver_with_retry(
            webhook(server.url, client), PAGE, RetryPolicy(), sleep, random.Random(1)
        )
    finally:
        await server.stop()

    assert result.delivered
    assert result.attempts == 3
    assert result.failures == ("HTTP 500: boom", "HTTP 500: boom")
    assert len(sleep.delays) == 2
    # Every attempt carries the same idempotency key, so the receiver can deduplicate.
    assert {r.headers["x-tocsin-notification-id"] for r in server.received} == {
        PAGE.notification_id
    }


async def test_webhook_that_hangs_times_out_as_retryable(client: JsonPoster) -> None:
    server = await scripted([HANG], "/hooks/tocsin")
    try:
        outcome = await webhook(server.url, client, timeout=0.2).send(PAGE)
    finally:
        await server.stop()

    assert outcome == RetryableFailure("timed out")


async def test_retry_policy_timeout_bounds_an_attempt_the_channel_would_wait_out(
    client: JsonPoster,
) -> None:
    server = await scripted([HANG], "/hooks/tocsin")
    policy = RetryPolicy(max_attempts=2, timeout=0.2)
    try:
        result = await deliver_with_retry(
            webhook(server.url, client, timeout=30), PAGE, policy, FakeSleep(), random.Random(1)
        )
    finally:
        await server.stop()

    assert result.outcome == RetryableFailure("attempt timed out after 0.2s")
    assert result.attempts == 2


async def test_webhook_404_is_permanent_and_not_retried(client: JsonPoster) -> None:
    server = await scripted([Reply(404, b"no such hook")], "/hooks/tocsin")
    try:
        result = await deliver_with_retry(
            webhook(server.url, client), PAGE, RetryPolicy(), FakeSleep(), random.Random(1)
        )
    finally:
        await server.stop()

    assert result.outcome == PermanentFailure("HTTP 404: no such hook")
    assert len(server.received) == 1


async def test_webhook_to_a_closed_port_is_retryable(client: JsonPoster) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port any more.
    outcome = await webhook(f"http://127.0.0.1:{port}/", client).send(PAGE)

    assert outcome == RetryableFailure("connection failed: could not connect")


async def test_slack_receives_block_kit_and_ok_is_delivered(client: JsonPoster) -> None:
    server = await scripted([Reply(200, b"ok")], "/hooks/tocsin")
    channel = SlackChannel(SlackSettings(url=server.url, timeout=5), client)
    try:
        outcome = await channel.send(PAGE)
    finally:
        await server.stop()

    assert outcome == Delivered()
    [request] = server.received
    assert request.headers["content-type"] == "application/json"
    payload = orjson.loads(request.body)
    assert payload == render_slack(PAGE)
    assert payload["blocks"][-1]["type"] == "actions"


async def test_slack_no_service_is_permanent(client: JsonPoster) -> None:
    server = await scripted([Reply(404, b"no_service")], "/hooks/tocsin")
    channel = SlackChannel(SlackSettings(url=server.url, timeout=5), client)
    try:
        outcome = await channel.send(PAGE)
    finally:
        await server.stop()

    assert outcome == PermanentFailure("HTTP 404: no_service")
