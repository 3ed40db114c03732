"""The router's metrics bundle."""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter, Histogram

from shared.events import EscalationStepFired, NobodyPaged, NotificationRequested
from shared.events.base import Event
from shared.metrics import LATENCY_BUCKETS


class RouterMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requested = Counter(
            "tocsin_router_notifications_requested_total",
            "Pages requested by escalation steps",
            ["channel_kind"],
            registry=registry,
        )
        self.escalations = Counter(
            "tocsin_router_escalation_steps_total", "Escalation steps fired", registry=registry
        )
        self.nobody_paged = Counter(
            "tocsin_router_nobody_paged_total",
            "Incidents or steps whose routing reached nobody",
            registry=registry,
        )
        self.deliveries = Counter(
            "tocsin_router_notifications_total",
            "Notification deliveries by channel kind and outcome",
            ["channel_kind", "outcome"],
            registry=registry,
        )
        self.delivery_seconds = Histogram(
            "tocsin_router_delivery_seconds",
            "Time to deliver one notification, retries included",
            ["channel_kind"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    def observe(self, decided: Sequence[Event]) -> None:
        for event in decided:
            if isinstance(event, NotificationRequested):
                self.requested.labels(channel_kind=channel_kind(event.channel)).inc()
            elif isinstance(event, EscalationStepFired):
                self.escalations.inc()
            elif isinstance(event, NobodyPaged):
                self.nobody_paged.inc()


def channel_kind(channel: str) -> str:
    """A small fixed label set: user contacts collapse to `user`, named channels stay named."""
    return "user" if channel.startswith("user/") else "named"
