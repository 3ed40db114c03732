"""The dispatcher: deliver each requested page once and record the outcome on the log.

A delivery is recorded (NotificationSent/Failed) on the notifications topic before the input
offset is committed, and recovery reads the whole partition first, so a page recorded as
sent is never sent again. Each outcome is appended as soon as its delivery ends. The one window
left — killed after a receiver accepted a page, before its record was written — resends with the
same `X-Tocsin-Notification-Id`, for receivers that deduplicate.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol, cast

from services.router.metrics import RouterMetrics
from services.router.peek import peek_type
from shared.events import (
    AnyEvent,
    Envelope,
    NotificationFailed,
    NotificationRequested,
    NotificationSent,
    decode_envelope,
    deterministic_id,
    encode_envelope,
    unwrap,
    wrap,
)
from shared.events.base import Event
from shared.log.port import Outgoing, Record
from shared.runtime.processor import PartitionProcessor
from shared.topics import INCIDENTS, NOTIFICATIONS


class DeliveryReport(Protocol):
    @property
    def delivered(self) -> bool: ...

    @property
    def attempts(self) -> int: ...

    @property
    def reason(self) -> str: ...

    @property
    def channel_type(self) -> str | None:
        """The type of the channel the page went to (webhook, slack, email, console); None
        when the channel is not configured."""
        ...


class Deliverer(Protocol):
    async def deliver(self, request: NotificationRequested) -> DeliveryReport: ...


# What the dispatcher acts on; the router's other facts on its topic are skipped undecoded.
_WANTED = frozenset({"NotificationRequested", "NotificationSent", "NotificationFailed"})

# Delivered notification ids remembered per partition. A request can only come again when the
# router re-emits outputs after a crash, a few batches after the original.
DELIVERED_IDS = 100_000


class RecentIds:
    """A set that forgets its oldest members beyond `limit`, so memory stays bounded."""

    def __init__(self, limit: int) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._limit = limit

    def add(self, item: str) -> None:
        self._ids[item] = None
        if len(self._ids) > self._limit:
            self._ids.popitem(last=False)

    def __contains__(self, item: object) -> bool:
        return item in self._ids


def _wanted(record: Record) -> bool:
    kind = peek_type(record.value)
    return kind is None or kind in _WANTED  # None: not in the codec's layout, decode to see


class DispatcherProcessor(PartitionProcessor):
    wants_look_ahead = True
    # Pages of one batch are delivered concurrently, at most this many at a time.
    concurrency = 32

    def __init__(
        self,
        partition: int,
        deliverer: Deliverer,
        clock: Callable[[], datetime],
        metrics: RouterMetrics,
        record: Callable[[list[Outgoing]], Awaitable[None]],
    ) -> None:
        super().__init__(partition)
        self._deliverer = deliverer
        self._clock = clock
        self._metrics = metrics
        # Appends a delivery's outcome as soon as it is known, not at the end of the batch,
        # so a crash can resend at most the pages in flight at that instant.
        self._record_now = record
        self.done = RecentIds(DELIVERED_IDS)

    def state_types(self) -> tuple[type, ...]:
        return (RecentIds,)

    def state_to_snapshot(self) -> object:
        return self.done

    def restore_state(self, state: object) -> None:
        self.done = cast(RecentIds, state)

    def look_ahead(self, record: Record) -> None:
        if _wanted(record):
            self._note_outcome(unwrap(decode_envelope(record.value)))

    def apply(self, envelope: Envelope, event: AnyEvent, *, live: bool) -> list[Outgoing]:
        self._note_outcome(event)
        return []

    def _note_outcome(self, event: AnyEvent) -> None:
        if isinstance(event, NotificationSent | NotificationFailed):
            self.done.add(event.notification_id)

    async def handle_batch(self, records: list[Record]) -> list[Outgoing]:
        """Deliver the batch's new page requests concurrently; record every outcome."""
        wanted: dict[str, NotificationRequested] = {}
        for record in records:
            if not _wanted(record):
                continue
            envelope = self.first_sighting(record)
            if envelope is None:
                continue
            event = unwrap(envelope)
            self._note_outcome(event)
            if isinstance(event, NotificationRequested) and event.notification_id not in self.done:
                wanted.setdefault(event.notification_id, event)
        gate = asyncio.Semaphore(self.concurrency)

        async def deliver(request: NotificationRequested) -> None:
            async with gate:
                await self._record_now(await self._deliver(request))

        await asyncio.gather(*(deliver(r) for r in wanted.values()))
        return []

    async def _deliver(self, event: NotificationRequested) -> list[Outgoing]:
        started = self._clock()
        report = await self._deliverer.deliver(event)
        finished = self._clock()
        self.done.add(event.notification_id)
        self._metrics.observe_delivery(
            event.channel,
            report.channel_type,
            report.delivered,
            (finished - started).total_seconds(),
        )
        return self._record(event, report, finished)

    def _record(
        self, request: NotificationRequested, report: DeliveryReport, at: datetime
    ) -> list[Outgoing]:
        outcome: Event
        if report.delivered:
            outcome = NotificationSent(
                notification_id=request.notification_id,
                incident_id=request.incident_id,
                channel=request.channel,
                attempts=report.attempts,
                sent_at=at,
            )
        else:
            outcome = NotificationFailed(
                notification_id=request.notification_id,
                incident_id=request.incident_id,
                channel=request.channel,
                attempts=report.attempts,
                reason=report.reason,
                failed_at=at,
            )
        event_id = deterministic_id("outcome", request.notification_id)
        own = wrap(outcome, key=request.incident_id, event_id=event_id, occurred_at=at)
        for_router = wrap(outcome, key=request.domain, event_id=event_id, occurred_at=at)
        return [
            Outgoing(NOTIFICATIONS, request.incident_id, encode_envelope(own)),
            Outgoing(INCIDENTS, request.domain, encode_envelope(for_router)),
        ]
