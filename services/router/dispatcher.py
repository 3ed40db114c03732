"""The dispatcher: deliver each requested page once and record the outcome on the log.

A delivery is recorded (NotificationSent/Failed) on the notifications topic before the input
offset is committed, and recovery reads the whole partition first, so a page recorded as
sent is never sent again. Each outcome is appended as soon as its delivery ends. The one window
left — killed after a receiver accepted a page, before its record was written — resends with the
same `X-Tocsin-Notification-Id`, for receivers that deduplicate.

Channels and contacts (URLs, addresses, secrets) come from the config: the one the process
started with, then each `RulesetActivated` on the partition (a rule reload writes one to every
partition of `tocsin.notifications` before the router's input, so no page to a contact it adds
comes before it). From that point of the log, pages go through a deliverer built from that
config (once per version); one older than the running config (activated before the process
started, or before the one taken) changes nothing. The active config is in the snapshots.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol, cast

from services.router.metrics import RouterMetrics
from services.router.peek import peek_type
from services.router.rulesets import ConfigBook
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
from shared.events.incidents import RulesetActivated
from shared.log.port import Outgoing, Record
from shared.runtime.processor import PartitionProcessor
from shared.topics import INCIDENTS, NOTIFICATIONS

log = logging.getLogger(__name__)


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
_WANTED = frozenset(
    {"NotificationRequested", "NotificationSent", "NotificationFailed", "RulesetActivated"}
)

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
        deliverers: ConfigBook[Deliverer] | None = None,
        startup: RulesetActivated | None = None,
    ) -> None:
        """`deliverer`: of the config the process started with (`startup`, None: unknown);
        `deliverers` builds one for each config activated on the log (None: ignore them)."""
        super().__init__(partition)
        self._deliverer = deliverer
        self._deliverers = deliverers
        self._active: RulesetActivated | None = None  # taken from the log; None: the startup's
        # When the running config was activated: older activations change nothing.
        self._activated_at = startup.activated_at if startup is not None else None
        self._clock = clock
        self._metrics = metrics
        # Appends a delivery's outcome as soon as it is known, not at the end of the batch,
        # so a crash can resend at most the pages in flight at that instant.
        self._record_now = record
        self.done = RecentIds(DELIVERED_IDS)

    def state_types(self) -> tuple[type, ...]:
        return (RecentIds, RulesetActivated)

    def state_to_snapshot(self) -> object:
        return (self.done, self._active, self._activated_at)

    def restore_state(self, state: object) -> None:
        kept = cast(tuple[RecentIds, RulesetActivated | None, datetime | None], state)
        self.done, active, activated_at = kept
        if active is not None:
            self._switch(active)
        if activated_at is not None and not self._superseded(activated_at):
            self._activated_at = activated_at

    @property
    def deliverer(self) -> Deliverer:
        """What pages requested from here on go through."""
        return self._deliverer

    def look_ahead(self, record: Record) -> None:
        if _wanted(record):
            self._note_outcome(unwrap(decode_envelope(record.value)))

    def apply(self, envelope: Envelope, event: AnyEvent, *, live: bool) -> list[Outgoing]:
        self._note_outcome(event)
        if isinstance(event, RulesetActivated):
            self._switch(event)
        return []

    def _superseded(self, activated_at: datetime) -> bool:
        return self._activated_at is not None and activated_at < self._activated_at

    def _switch(self, event: RulesetActivated) -> None:
        """Deliver through this config from here on, unless an activation newer than it runs."""
        if self._deliverers is None or self._superseded(event.activated_at):
            return
        self._activated_at = event.activated_at
        built = self._deliverers.built_for(event)
        if isinstance(built, str):
            extra = {"version": event.version, "partition": self.partition, "problem": built}
            log.error("dispatcher config rejected", extra=extra)
            return
        self._deliverer, self._active = built, event

    def _note_outcome(self, event: AnyEvent) -> None:
        if isinstance(event, NotificationSent | NotificationFailed):
            self.done.add(event.notification_id)

    async def handle_batch(self, records: list[Record]) -> list[Outgoing]:
        """Deliver the batch's new page requests concurrently; record every outcome."""
        # Each request goes through the config active at its point of the log.
        wanted: dict[str, tuple[NotificationRequested, Deliverer]] = {}
        for record in records:
            if not _wanted(record):
                continue
            envelope = self.first_sighting(record)
            if envelope is None:
                continue
            event = unwrap(envelope)
            self.apply(envelope, event, live=True)
            if isinstance(event, NotificationRequested) and event.notification_id not in self.done:
                wanted.setdefault(event.notification_id, (event, self._deliverer))
        gate = asyncio.Semaphore(self.concurrency)

        async def deliver(request: NotificationRequested, deliverer: Deliverer) -> None:
            async with gate:
                await self._record_now(await self._deliver(request, deliverer))

        await asyncio.gather(*(deliver(*wanted_one) for wanted_one in wanted.values()))
        return []

    async def _deliver(self, event: NotificationRequested, deliverer: Deliverer) -> list[Outgoing]:
        started = self._clock()
        report = await deliverer.deliver(event)
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
