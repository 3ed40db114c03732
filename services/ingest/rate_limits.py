"""Per-integration rate limits: a token bucket each, counting alerts, at the HTTP edge.

A bucket holds up to `burst` tokens and refills at `alerts_per_second`. A request takes one
token per event it would append (an alert, an acknowledge, a change event), at least one: its
body is appended too. A request that does not fit is refused whole and leaves the tokens as
they were; one larger than the whole bucket could never fit, and is told so.

The buckets live in this process. With `processes` > 1 (`tocsin ingest --workers N`, each
worker its own buckets) each bucket refills at its share of the rate, so together they allow
the configured rate, but holds the whole burst: a batch that fits the configured burst must
never be refused as one that could never fit, whichever worker it reaches. The price: a sender
whose connections land on several workers may burst up to N times `burst` at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from services.ingest.config import IntegrationConfig, RateLimitConfig

# Float rounding: a refill of exactly the missing tokens must let the request through.
_EPSILON = 1e-9


@dataclass(frozen=True, slots=True)
class Throttled:
    """Not now: the request's alerts fit in `retry_after_s` seconds (rounded up, at least 1)."""

    retry_after_s: int


@dataclass(frozen=True, slots=True)
class OverBurst:
    """Never: the request carries more alerts than the bucket holds when full."""

    burst: int


Refusal = Throttled | OverBurst


class TokenBucket:
    """`capacity` tokens, full at `now`, refilled at `rate` per second of the caller's clock."""

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError("a bucket needs a positive rate and room for one token")
        self.rate = rate
        self.capacity = capacity
        self._tokens = capacity
        self._at = now

    def available(self, now: float) -> float:
        """The tokens a request could take at `now`."""
        self._refill(now)
        return self._tokens

    def take(self, count: int, now: float) -> Refusal | None:
        """Take `count` tokens at `now`: None if taken, else why not (nothing taken)."""
        if count > self.capacity + _EPSILON:
            return OverBurst(math.floor(self.capacity + _EPSILON))
        self._refill(now)
        if count <= self._tokens + _EPSILON:
            self._tokens = max(0.0, self._tokens - count)
            return None
        wait = (count - self._tokens) / self.rate
        return Throttled(max(1, math.ceil(wait - _EPSILON)))

    def give_back(self, count: int) -> None:
        """Return `count` tokens taken for a request the log then did not store."""
        self._tokens = min(self.capacity, self._tokens + count)

    def _refill(self, now: float) -> None:
        if now > self._at:
            self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
            self._at = now


class RateLimits:
    """A bucket per integration that has a `rate_limit`; the others are never limited."""

    def __init__(
        self,
        integrations: Iterable[IntegrationConfig],
        monotonic: Callable[[], float],
        processes: int = 1,
    ) -> None:
        if processes < 1:
            raise ValueError("processes must be at least 1")
        # A clock read is fine here: in-memory state at the HTTP edge, deciding nothing logged.
        self._monotonic = monotonic
        now = monotonic()
        self._buckets = {
            integration.name: _bucket(integration.rate_limit, processes, now)
            for integration in integrations
            if integration.rate_limit is not None
        }

    def take(self, integration: str, events: int) -> Refusal | None:
        """Admit a request of `integration` carrying `events` events, or refuse it whole."""
        bucket = self._buckets.get(integration)
        if bucket is None:
            return None
        return bucket.take(max(1, events), self._monotonic())

    def give_back(self, integration: str, events: int) -> None:
        """Undo `take` for a request the log did not store: the sender's retry must not find
        its budget spent by an outage of ours."""
        bucket = self._buckets.get(integration)
        if bucket is not None:
            bucket.give_back(max(1, events))


def _bucket(limit: RateLimitConfig, processes: int, now: float) -> TokenBucket:
    """This process's share of `limit`'s rate, with its whole burst."""
    return TokenBucket(limit.alerts_per_second / processes, float(limit.burst), now)
