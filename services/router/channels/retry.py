"""Delivery with bounded retries: per-attempt timeout, exponential backoff, full jitter.

Full jitter (a uniform delay between zero and the exponential ceiling) spreads the retries
of many pages failing at once — e.g. a receiver that just came back — instead of having
them hammer it in lockstep. `sleep` and `rand` are injected so tests run without waiting
and with exact delays.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable

from services.router.channels.delivery import (
    Channel,
    Delivered,
    DeliveryOutcome,
    DeliveryResult,
    PermanentFailure,
    RetryableFailure,
)
from services.router.channels.page import Page
from services.router.channels.settings import RetryPolicy

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
# Beyond this the ceiling is max_delay anyway; the cap keeps 2**n from overflowing a float.
_MAX_EXPONENT = 32


def backoff_delay(failed_attempts: int, policy: RetryPolicy, rand: random.Random) -> float:
    """Seconds to wait after `failed_attempts` (>= 1) failures: uniform in
    [0, min(max_delay, base_delay * 2 ** (failed_attempts - 1))]."""
    exponent = min(failed_attempts - 1, _MAX_EXPONENT)
    ceiling = min(policy.max_delay, policy.base_delay * 2**exponent)
    return rand.uniform(0.0, ceiling)


async def deliver_with_retry(
    channel: Channel,
    page: Page,
    policy: RetryPolicy,
    sleep: Sleep,
    rand: random.Random,
) -> DeliveryResult:
    """Send until delivered, a permanent failure, or `policy.max_attempts` attempts.

    Never raises for delivery failures: the result says how it ended and why each attempt
    failed. Cancellation still propagates, so a shutting-down router is not held up.
    """
    failures: list[str] = []
    for attempt in range(1, policy.max_attempts + 1):
        outcome = await _attempt(channel, page, policy)
        match outcome:
            case Delivered():
                return DeliveryResult(outcome, attempt, tuple(failures))
            case PermanentFailure(reason):
                failures.append(reason)
                _log_failure(page, attempt, outcome)
                return DeliveryResult(outcome, attempt, tuple(failures))
            case RetryableFailure(reason):
                failures.append(reason)
                _log_failure(page, attempt, outcome)
                if attempt < policy.max_attempts:
                    await sleep(_delay_after(outcome, attempt, policy, rand))
    return DeliveryResult(outcome, policy.max_attempts, tuple(failures))


def _delay_after(
    outcome: RetryableFailure, attempt: int, policy: RetryPolicy, rand: random.Random
) -> float:
    """The backoff, but no sooner than the receiver's `Retry-After` (e.g. Slack's 429):
    retrying earlier only earns another refusal. Capped at `max_delay`, as a delivery holds
    a slot of its channel: a receiver cannot make us wait longer than our own policy."""
    delay = backoff_delay(attempt, policy, rand)
    if outcome.retry_after is None:
        return delay
    return max(delay, min(outcome.retry_after, policy.max_delay))


async def _attempt(channel: Channel, page: Page, policy: RetryPolicy) -> DeliveryOutcome:
    # `timeout` rather than `wait_for`: no task of its own per attempt (one per page).
    try:
        async with asyncio.timeout(policy.timeout):
            return await channel.send(page)
    except TimeoutError:
        return RetryableFailure(f"attempt timed out after {policy.timeout:g}s")
    except Exception as exc:
        # A channel must return outcomes; if one raises anyway (a bug), end this delivery
        # so the router falls back to the next escalation step rather than losing the page.
        log.exception("channel raised", extra={"notification_id": page.notification_id})
        return PermanentFailure(f"channel error: {type(exc).__name__}")


def _log_failure(page: Page, attempt: int, outcome: RetryableFailure | PermanentFailure) -> None:
    log.warning(
        "delivery attempt failed",
        extra={
            "notification_id": page.notification_id,
            "attempt": attempt,
            "retryable": isinstance(outcome, RetryableFailure),
            "reason": outcome.reason,
        },
    )
