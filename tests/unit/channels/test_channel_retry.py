"""Retrying delivery: bounded attempts, full-jitter backoff, stop on permanent failure."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence

from services.router.channels.delivery import (
    Delivered,
    DeliveryOutcome,
    PermanentFailure,
    RetryableFailure,
)
from services.router.channels.page import Page
from services.router.channels.retry import backoff_delay, deliver_with_retry
from services.router.channels.settings import RetryPolicy
from tests.support.sample_page import PAGE
from tests.support.scripted_http import FakeSleep


class ScriptedChannel:
    """Returns the scripted outcomes in order; "hang" never completes."""

    def __init__(self, script: Sequence[DeliveryOutcome | str]) -> None:
        self._script = list(script)
        self.calls = 0

    async def send(self, page: Page) -> DeliveryOutcome:
        step = self._script[self.calls]
        self.calls += 1
        if isinstance(step, str):
            await asyncio.Event().wait()
            raise AssertionError("unreachable")
        return step


class BrokenChannel:
    async def send(self, page: Page) -> DeliveryOutcome:
        raise KeyError("bug")


def test_backoff_ceiling_doubles_up_to_max_delay() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0)

    class Top(random.Random):
        def random(self) -> float:
            return 1.0  # the top of the jitter range, to observe the ceiling

    assert [backoff_delay(n, policy, Top()) for n in (1, 2, 3, 4, 2000)] == [1, 2, 4, 5, 5]


async def test_retryable_failures_back_off_with_seeded_full_jitter_until_delivered() -> None:
    channel = ScriptedChannel([RetryableFailure("HTTP 503")] * 4 + [Delivered()])
    sleep = FakeSleep()

    result = await deliver_with_retry(channel, PAGE, RetryPolicy(), sleep, random.Random(7))

    assert result.delivered
    assert result.attempts == 5
    assert result.failures == ("HTTP 503",) * 4
    # Random(7).uniform(0, c) for ceilings 1, 2, 4, 8 seconds.
    assert sleep.delays == [
        0.32383276483316237,
        0.30169834784900385,
        2.603737892159415,
        0.5794902933403421,
    ]


async def test_gives_up_after_max_attempts_without_sleeping_after_the_last() -> None:
    channel = ScriptedChannel([RetryableFailure("HTTP 500")] * 10)
    sleep = FakeSleep()
    policy = RetryPolicy(max_attempts=3)

    result = await deliver_with_retry(channel, PAGE, policy, sleep, random.Random(7))

    assert result.outcome == RetryableFailure("HTTP 500")
    assert result.attempts == 3
    assert channel.calls == 3
    assert len(sleep.delays) == 2


async def test_permanent_failure_stops_at_once() -> None:
    channel = ScriptedChannel([RetryableFailure("HTTP 502"), PermanentFailure("HTTP 404")])
    sleep = FakeSleep()

    result = await deliver_with_retry(channel, PAGE, RetryPolicy(), sleep, random.Random(7))

    assert result.outcome == PermanentFailure("HTTP 404")
    assert result.attempts == 2
    assert result.failures == ("HTTP 502", "HTTP 404")
    assert len(sleep.delays) == 1


async def test_an_attempt_that_hangs_times_out_as_retryable() -> None:
    channel = ScriptedChannel(["hang", Delivered()])
    policy = RetryPolicy(timeout=0.01)

    result = await deliver_with_retry(channel, PAGE, policy, FakeSleep(), random.Random(7))

    assert result.delivered
    assert result.failures == ("attempt timed out after 0.01s",)


async def test_a_channel_that_raises_ends_delivery_as_permanent_failure() -> None:
    result = await deliver_with_retry(
        BrokenChannel(), PAGE, RetryPolicy(), FakeSleep(), random.Random(7)
    )

    assert result.outcome == PermanentFailure("channel error: KeyError")
    assert result.attempts == 1
