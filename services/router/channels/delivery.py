"""The sender contract every channel implements, and the values a delivery ends in.

A failed delivery is an expected outcome, not an exception: channels return one of three
outcome values and `deliver_with_retry` decides what to do with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from services.router.channels.page import Page


@dataclass(frozen=True, slots=True)
class Delivered:
    """The receiver accepted the page."""


@dataclass(frozen=True, slots=True)
class RetryableFailure:
    """A transient failure (5xx, timeout, connection refused, SMTP 4xx): try again later.
    `retry_after`: seconds the receiver asked us to wait (HTTP `Retry-After`), if it did."""

    reason: str
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class PermanentFailure:
    """Retrying cannot help (4xx, SMTP 5xx, bad config): give up and fall back."""

    reason: str


DeliveryOutcome = Delivered | RetryableFailure | PermanentFailure


class Channel(Protocol):
    """Sends one page once. Must not raise for delivery failures; returns an outcome."""

    async def send(self, page: Page) -> DeliveryOutcome: ...


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """How a delivery with retries ended: the final outcome and why each attempt failed."""

    outcome: DeliveryOutcome
    attempts: int
    failures: tuple[str, ...]

    @property
    def delivered(self) -> bool:
        return isinstance(self.outcome, Delivered)
