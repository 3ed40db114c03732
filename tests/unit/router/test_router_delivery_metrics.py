"""Deliveries are counted by the channel's kind (a person's contact or a named channel), its
type from the config (webhook, slack, email, console) and the outcome."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import CollectorRegistry

from services.router.channels.delivery import Delivered, DeliveryOutcome, PermanentFailure
from services.router.channels.settings import RetryPolicy
from services.router.config import RouterConfig
from services.router.deliverer import ChannelDeliverer
from services.router.dispatcher import DispatcherProcessor
from services.router.metrics import RouterMetrics
from shared.events import NotificationRequested, deterministic_id, encode_envelope, wrap
from shared.log.port import Outgoing, Record
from tests.support.noting_poster import NotingPoster
from tests.support.sample_page import PAGE_FIELDS

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
SLACK_URL = "https://hooks.slack.example/services/T0/B0/alice"
WEBHOOK_URL = "https://pager.example/hooks/alice"
CONFIG = RouterConfig.model_validate(
    {
        "channels": {"ops-console": {"type": "console"}},
        "users": [
            {
                "name": "alice",
                "contacts": [
                    {"type": "slack", "url": SLACK_URL},
                    {"type": "webhook", "url": WEBHOOK_URL},
                ],
            }
        ],
    }
)


def receiver_answers(url: str) -> DeliveryOutcome:
    """The HTTP receivers: Slack accepts every page, alice's webhook is gone (410)."""
    return Delivered() if url == SLACK_URL else PermanentFailure("HTTP 410 Gone")


def requested(
    notification_id: str, channel: str, status: str = "triggered"
) -> NotificationRequested:
    return NotificationRequested(
        notification_id=notification_id,
        incident_id="INC-1",
        domain="d",
        target="alice",
        channel=channel,
        requested_at=T0,
        page={**PAGE_FIELDS, "status": status},
        reason="step due",
    )


async def _ignore(_: list[Outgoing]) -> None:
    return None


class Harness:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.poster = NotingPoster(receiver_answers)
        deliverer = ChannelDeliverer(
            CONFIG,
            base_url="https://tocsin.example",
            link_secret=b"secret",
            poster=self.poster,
            retry=RetryPolicy(max_attempts=1),
            clock=lambda: T0,
        )
        metrics = RouterMetrics(self.registry)
        self.dispatcher = DispatcherProcessor(0, deliverer, lambda: T0, metrics, _ignore)

    async def dispatch(self, *requests: NotificationRequested) -> None:
        records = [
            Record("tocsin.notifications", 0, offset, "INC-1", encode_envelope(envelope))
            for offset, request in enumerate(requests)
            for envelope in [
                wrap(request, key="INC-1", event_id=deterministic_id(offset), occurred_at=T0)
            ]
        ]
        await self.dispatcher.handle_batch(records)
        await self.dispatcher.settled()

    def deliveries(
        self, kind: str, channel_type: str, outcome: str, notification: str = "page"
    ) -> float:
        labels = {
            "channel_kind": kind,
            "channel_type": channel_type,
            "notification": notification,
            "outcome": outcome,
        }
        return self.registry.get_sample_value("tocsin_router_notifications_total", labels) or 0.0

    def timed(self, kind: str, channel_type: str, notification: str = "page") -> float:
        labels = {"channel_kind": kind, "channel_type": channel_type, "notification": notification}
        value = self.registry.get_sample_value("tocsin_router_delivery_seconds_count", labels)
        return value or 0.0


async def test_slack_and_webhook_contacts_are_counted_under_their_own_channel_types() -> None:
    h = Harness()
    await h.dispatch(requested("n1", "user/alice/0"), requested("n2", "user/alice/1"))
    assert sorted(h.poster.posted) == sorted([SLACK_URL, WEBHOOK_URL])
    assert h.deliveries("user", "slack", "delivered") == 1
    assert h.deliveries("user", "slack", "failed") == 0
    assert h.deliveries("user", "webhook", "failed") == 1
    assert h.deliveries("user", "webhook", "delivered") == 0
    assert h.timed("user", "slack") == 1
    assert h.timed("user", "webhook") == 1


async def test_a_named_channel_is_counted_with_its_type() -> None:
    h = Harness()
    await h.dispatch(requested("n1", "ops-console"))
    assert h.deliveries("named", "console", "delivered") == 1


async def test_a_page_to_a_channel_not_configured_is_a_failure_of_unknown_type() -> None:
    h = Harness()
    await h.dispatch(requested("n1", "gone-channel"))
    assert h.poster.posted == []
    assert h.deliveries("named", "unknown", "failed") == 1


async def test_updates_are_counted_apart_from_pages() -> None:
    h = Harness()
    await h.dispatch(requested("n1", "ops-console"), requested("n2", "ops-console", "resolved"))
    assert h.deliveries("named", "console", "delivered") == 1
    assert h.deliveries("named", "console", "delivered", notification="update") == 1
    assert h.timed("named", "console", notification="update") == 1
