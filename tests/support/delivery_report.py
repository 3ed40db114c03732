"""What a stand-in deliverer reports to the dispatcher (see `dispatcher.DeliveryReport`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Report:
    delivered: bool = True
    attempts: int = 1
    reason: str = ""
    channel_type: str | None = "webhook"
