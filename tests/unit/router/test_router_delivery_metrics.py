"""Deliveries are counted by the channel (a named channel's name), its kind (a person's contact
or a named channel), its type from the config (webhook, slack, email, console) and the outcome."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from prometheus_client import CollectorRegistry

from services.router.channels.delivery import Delivered, DeliveryOutcome, PermanentFailure
from services.router.channels.settings import RetryPolicy
from services.router.config import RouterConfig
from services.router.deliverer import ChannelDeliverer
from services.router.dispatcher import DispatcherProcessor
from services.router.metrics import RouterMetrics
from services.router.service import router_runners
from shared.events import NotificationRequested, deterministic_id, encode_envelope, wrap
from shared.log.embedded import EmbeddedLog
from shared.log.port import Outgoing, Record
from tests.support.noting_poster import NotingPoster
from tests.support.sample_page import PAGE_FIELDS

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
SLACK_URL = "https://hooks.slack.example/services/T0/B0/alice"
WEBHOOK_URL = "https://pager.example/hooks/alice"
OPS_HOOK_URL = "https://ops.example/hooks/tocsin"
CONFIG = RouterConfig.model_validate(
    {
        "channels": {
            "ops-console": {"type": "console"},
            "ops-hook": {"type": "webhook", "url": OPS_HOOK_URL},
            "old-hook": {"type": "webhook", "url": WEBHOOK_URL},
        },
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
    """The HTTP receivers: Slack and the ops hook accept every page, alice's webhook (also
    the `old-hook` channel's) is gone (410)."""
    return Delivered() if url in (SLACK_URL, OPS_HOOK_URL) else PermanentFailure("HTTP 410 Gone")


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
        self,
        kind: str,
        channel_type: str,
        outcome: str,
        notification: str = "page",
        channel: str = "",
    ) -> float:
        labels = {**_labels(channel, kind, channel_type, notification), "outcome": outcome}
        return self.registry.get_sample_value("tocsin_router_notifications_total", labels) or 0.0

    def timed(
        self, kind: str, channel_type: str, notification: str = "page", channel: str = ""
    ) -> float:
        labels = _labels(channel, kind, channel_type, notification)
        value = self.registry.get_sample_value("tocsin_router_delivery_seconds_count", labels)
        return value or 0.0


def _labels(channel: str, kind: str, channel_type: str, notification: str) -> dict[str, str]:
    return {
        "channel": channel,
        "channel_kind": kind,
        "channel_type": channel_type,
        "notification": notification,
    }


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
    assert h.deliveries("named", "console", "delivered", channel="ops-console") == 1
    assert h.timed("named", "console", channel="ops-console") == 1


async def test_a_page_to_a_channel_not_configured_is_a_failure_of_unknown_type() -> None:
    h = Harness()
    await h.dispatch(requested("n1", "gone-channel"))
    assert h.poster.posted == []
    assert h.deliveries("named", "unknown", "failed", channel="gone-channel") == 1


async def test_of_two_webhook_channels_the_failing_one_is_named() -> None:
    h = Harness()
    await h.dispatch(requested("n1", "ops-hook"), requested("n2", "old-hook"))
    assert h.deliveries("named", "webhook", "delivered", channel="ops-hook") == 1
    assert h.deliveries("named", "webhook", "failed", channel="ops-hook") == 0
    assert h.deliveries("named", "webhook", "failed", channel="old-hook") == 1
    assert h.timed("named", "webhook", channel="old-hook") == 1


async def test_updates_are_counted_apart_from_pages() -> None:
    h = Harness()
    await h.dispatch(requested("n1", "ops-console"), requested("n2", "ops-console", "resolved"))
    named = {"channel": "ops-console"}
    assert h.deliveries("named", "console", "delivered", **named) == 1
    assert h.deliveries("named", "console", "delivered", notification="update", **named) == 1
    assert h.timed("named", "console", notification="update", **named) == 1


def test_every_configured_channel_and_contact_type_has_its_delivery_series_from_the_start(
    tmp_path: Path,
) -> None:
    # An alert on their increase then sees the first failure after a restart, which a series
    # made at its first delivery (back at its old value) would hide.
    registry = CollectorRegistry()
    log = EmbeddedLog(tmp_path / "log.sqlite")

    router_runners(CONFIG, log, registry, lambda: T0, Harness().dispatcher.deliverer)

    def failed(channel: str, kind: str, kind_type: str) -> float | None:
        labels = {"channel": channel, "channel_kind": kind, "channel_type": kind_type}
        labels |= {"notification": "page", "outcome": "failed"}
        return registry.get_sample_value("tocsin_router_notifications_total", labels)

    assert failed("ops-hook", "named", "webhook") == 0
    assert failed("ops-console", "named", "console") == 0
    assert failed("", "user", "slack") == failed("", "user", "webhook") == 0
    assert failed("", "user", "email") is None  # nobody has an email contact
