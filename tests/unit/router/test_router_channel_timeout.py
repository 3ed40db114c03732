"""A named channel's `timeout:` bounds each request to it (the HTTP channels' whole request), and
a try to it is not cut short by the dispatcher's shorter per-try timeout."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from services.router.channels.delivery import Delivered, DeliveryOutcome
from services.router.channels.settings import RetryPolicy
from services.router.config import RouterConfig
from services.router.deliverer import ChannelDeliverer
from services.router.directory import user_channel
from shared.events import NotificationRequested
from tests.support.noting_poster import NotingPoster
from tests.support.sample_page import PAGE_FIELDS

T0 = datetime(2026, 11, 28, tzinfo=UTC)


class SlowPoster(NotingPoster):
    """Notes each request's time limit, and answers (delivered) after `answers_after` seconds."""

    def __init__(self, answers_after: float = 0.0) -> None:
        super().__init__()
        self.time_limits: list[float] = []
        self._answers_after = answers_after

    async def post(
        self, url: str, body: bytes, headers: dict[str, str], time_limit: float
    ) -> DeliveryOutcome:
        self.time_limits.append(time_limit)
        await asyncio.sleep(self._answers_after)
        return Delivered()


def deliverer(
    channels: dict[str, object], poster: SlowPoster, retry: RetryPolicy
) -> ChannelDeliverer:
    return ChannelDeliverer(
        RouterConfig.model_validate({"channels": channels}),
        base_url="http://tocsin",
        link_secret=b"k",
        poster=poster,
        retry=retry,
        clock=lambda: T0,
    )


def requested(channel: str) -> NotificationRequested:
    return NotificationRequested(
        notification_id=f"page-{channel}",
        incident_id="INC-1",
        domain="d",
        target=channel,
        channel=channel,
        requested_at=T0,
        page=PAGE_FIELDS,
        reason="step due",
    )


async def test_a_webhook_and_a_slack_channel_are_posted_to_with_their_own_timeout() -> None:
    poster = SlowPoster()
    channels = {
        "hook": {"type": "webhook", "url": "http://127.0.0.1:9/h", "timeout": "2s"},
        "chat": {"type": "slack", "url": "http://127.0.0.1:9/s", "timeout": "3s"},
    }
    sender = deliverer(channels, poster, RetryPolicy())

    reports = [await sender.deliver(requested(name)) for name in ("hook", "chat")]

    assert [report.delivered for report in reports] == [True, True]
    assert poster.time_limits == [2.0, 3.0]


async def test_a_channel_timeout_longer_than_the_per_try_timeout_lets_a_slow_receiver_answer() -> (
    None
):
    # The receiver answers after 50 ms: within the channel's 1 s, past the policy's 10 ms.
    poster = SlowPoster(answers_after=0.05)
    channels = {"hook": {"type": "webhook", "url": "http://127.0.0.1:9/h", "timeout": "1s"}}
    sender = deliverer(channels, poster, RetryPolicy(max_attempts=1, timeout=0.01))

    report = await sender.deliver(requested("hook"))

    assert (report.delivered, report.attempts, poster.time_limits) == (True, 1, [1.0])


async def test_a_persons_page_shows_times_in_their_zone_and_a_channels_in_utc(
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = RouterConfig.model_validate(
        {
            "users": [
                {"name": "alice", "time_zone": "Europe/Berlin", "contacts": [{"type": "console"}]}
            ],
            "channels": {"ops": {"type": "console"}},
        }
    )
    sender = ChannelDeliverer(
        config,
        base_url="http://tocsin",
        link_secret=b"k",
        poster=SlowPoster(),
        retry=RetryPolicy(),
        clock=lambda: T0,
    )

    await sender.deliver(requested(user_channel("alice", 0)))
    alices = capsys.readouterr().out
    await sender.deliver(requested("ops"))
    channels = capsys.readouterr().out

    assert "since 2024-05-01 16:03 CEST (14:03 UTC)" in alices
    assert "since 2024-05-01 14:03 UTC" in channels
