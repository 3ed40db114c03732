"""Webhook and Slack channels against a real local HTTP server that answers 429 with
Retry-After, accepts and then stalls, refuses Slack blocks, or closes the connection."""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator
from email.utils import formatdate

import orjson
import pytest

from services.router.channels.delivery import Delivered, RetryableFailure
from services.router.channels.http_post import JsonPoster
from services.router.channels.retry import deliver_with_retry
from services.router.channels.settings import RetryPolicy, SlackSettings, WebhookSettings
from services.router.channels.slack import SlackChannel
from services.router.channels.webhook import WebhookChannel
from tests.support.sample_page import PAGE
from tests.support.scripted_http import FakeSleep, Reply, scripted


@pytest.fixture
async def poster() -> AsyncIterator[JsonPoster]:
    client = JsonPoster()
    yield client
    await client.close()


def webhook(url: str, poster: JsonPoster, timeout: float = 5.0) -> WebhookChannel:
    return WebhookChannel(WebhookSettings(url=url, secret="s", timeout=timeout), poster)


async def test_429_with_retry_after_seconds_is_retryable_and_carries_the_wait(
    poster: JsonPoster,
) -> None:
    server = await scripted([Reply(429, b"rate_limited", (("Retry-After", "7"),))])
    try:
        outcome = await webhook(server.url, poster).send(PAGE)
    finally:
        await server.stop()

    assert outcome == RetryableFailure("HTTP 429: rate_limited", retry_after=7.0)


async def test_503_with_retry_after_as_an_http_date_is_read_as_seconds_from_now(
    poster: JsonPoster,
) -> None:
    later = formatdate(time.time() + 30, usegmt=True)
    server = await scripted([Reply(503, b"", (("Retry-After", later),))])
    try:
        outcome = await webhook(server.url, poster).send(PAGE)
    finally:
        await server.stop()

    assert isinstance(outcome, RetryableFailure)
    assert outcome.retry_after is not None
    assert 25 <= outcome.retry_after <= 30


async def test_retries_wait_at_least_retry_after_but_never_beyond_max_delay(
    poster: JsonPoster,
) -> None:
    limited = (("Retry-After", "3"),)
    server = await scripted(
        [
            Reply(429, b"", limited),
            Reply(429, b"", (("Retry-After", "86400"),)),
            Reply(200, b"ok"),
        ]
    )
    sleep = FakeSleep()
    policy = RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=10.0)
    try:
        result = await deliver_with_retry(
            webhook(server.url, poster), PAGE, policy, sleep, random.Random(1)
        )
    finally:
        await server.stop()

    assert result.delivered
    assert result.attempts == 3
    assert sleep.delays == [3.0, 10.0]


async def test_2xx_whose_body_never_comes_is_delivered_not_timed_out_and_resent(
    poster: JsonPoster,
) -> None:
    server = await scripted([Reply(200, stall_body=True)])
    policy = RetryPolicy(max_attempts=3, timeout=1.0)
    try:
        result = await deliver_with_retry(
            webhook(server.url, poster, timeout=0.5), PAGE, policy, FakeSleep(), random.Random(1)
        )
    finally:
        await server.stop()

    assert result.outcome == Delivered()
    assert len(server.bodies) == 1


async def test_connection_closed_without_an_answer_is_retried_then_delivered(
    poster: JsonPoster,
) -> None:
    server = await scripted([Reply(0, close=True), Reply(200)])
    sleep = FakeSleep()
    try:
        result = await deliver_with_retry(
            webhook(server.url, poster), PAGE, RetryPolicy(), sleep, random.Random(1)
        )
    finally:
        await server.stop()

    assert result.delivered
    assert result.failures == ("connection failed: closed before an answer",)
    assert len(server.bodies) == 2


async def test_400_is_permanent_and_sent_once(poster: JsonPoster) -> None:
    server = await scripted([Reply(400, b"bad request")])
    try:
        result = await deliver_with_retry(
            webhook(server.url, poster), PAGE, RetryPolicy(), FakeSleep(), random.Random(1)
        )
    finally:
        await server.stop()

    assert not result.delivered
    assert len(server.bodies) == 1


@pytest.mark.parametrize("refusal", [b"invalid_blocks", b"msg_blocks_too_long"])
async def test_slack_refusing_the_blocks_gets_the_page_as_text_with_its_links(
    poster: JsonPoster, refusal: bytes
) -> None:
    server = await scripted([Reply(400, refusal), Reply(200, b"ok")])
    channel = SlackChannel(SlackSettings(url=server.url, timeout=5), poster)
    try:
        outcome = await channel.send(PAGE)
    finally:
        await server.stop()

    assert outcome == Delivered()
    first, second = (orjson.loads(body) for body in server.bodies)
    assert "blocks" in first
    assert set(second) == {"text"}
    assert second["text"].startswith("[P2] Checkout degraded\n")
    assert f"Acknowledge: {PAGE.ack_url}" in second["text"]
    assert f"Open incident: {PAGE.incident_url}" in second["text"]


async def test_slack_other_4xx_is_not_resent_as_text(poster: JsonPoster) -> None:
    server = await scripted([Reply(404, b"no_service"), Reply(200, b"ok")])
    channel = SlackChannel(SlackSettings(url=server.url, timeout=5), poster)
    try:
        outcome = await channel.send(PAGE)
    finally:
        await server.stop()

    assert not isinstance(outcome, Delivered)
    assert len(server.bodies) == 1
