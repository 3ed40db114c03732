"""The dispatcher delivers each requested page once, whatever else its topic carries."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import CollectorRegistry

from services.router.dispatcher import DispatcherProcessor
from services.router.metrics import RouterMetrics
from shared.events import (
    EscalationStepFired,
    NotificationRequested,
    NotificationSent,
    deterministic_id,
    encode_envelope,
    wrap,
)
from shared.events.base import Event
from shared.log.port import Outgoing, Record
from tests.support.delivery_report import Report

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


class Recorder:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def deliver(self, request: NotificationRequested) -> Report:
        self.sent.append(request.notification_id)
        return Report()


def requested(notification_id: str) -> NotificationRequested:
    return NotificationRequested(
        notification_id=notification_id,
        incident_id="INC-1",
        domain="d",
        target="hook",
        channel="hook",
        requested_at=T0,
        page={"incident_title": "NodeDown"},
        reason="step due",
    )


def records(*events: Event) -> list[Record]:
    return [
        Record("tocsin.notifications", 0, offset, "INC-1", encode_envelope(envelope))
        for offset, event in enumerate(events)
        for envelope in [
            wrap(event, key="INC-1", event_id=deterministic_id(offset), occurred_at=T0)
        ]
    ]


async def _ignore(_: list[Outgoing]) -> None:
    return None


def dispatcher(deliverer: Recorder) -> DispatcherProcessor:
    metrics = RouterMetrics(CollectorRegistry())
    return DispatcherProcessor(0, deliverer, lambda: T0, metrics, _ignore)


async def test_pages_requested_among_other_facts_are_each_delivered_once() -> None:
    deliverer = Recorder()
    fired = EscalationStepFired(
        incident_id="INC-1",
        policy="p",
        step=0,
        repeat=0,
        generation=0,
        at=T0,
        targets=["channel:hook"],
        reason="step due",
    )
    batch = records(fired, requested("n1"), requested("n2"), requested("n1"))
    processor = dispatcher(deliverer)
    await processor.handle_batch(batch)
    await processor.settled()
    assert deliverer.sent == ["n1", "n2"]


async def test_a_page_recorded_as_sent_past_the_committed_offset_is_not_sent_again() -> None:
    deliverer = Recorder()
    processor = dispatcher(deliverer)
    sent = NotificationSent(
        notification_id="n1", incident_id="INC-1", channel="hook", attempts=1, sent_at=T0
    )
    for record in records(sent):
        processor.look_ahead(record)
    await processor.handle_batch(records(requested("n1"), requested("n2")))
    await processor.settled()
    assert deliverer.sent == ["n2"]
