"""The dispatcher: deliver each requested page once and record the outcome on the log.

Each page is delivered on its own, started as soon as its request is read: a batch is folded
at once, never waiting for its deliveries, so a receiver that hangs (4 tries of 10 s) holds up
no other page — at most `per_channel` deliveries to one channel run at once, `concurrency` in
all. Each outcome (NotificationSent/Failed) is appended to the notifications topic as soon as
its delivery ends. Requests without an outcome yet are part of the state (and its snapshots),
and recovery reads the whole partition first (past the committed offset too), so after a
restart every page with no outcome on the log is delivered, and a page recorded as sent is never
sent again. The one window left — killed after a receiver accepted a page, before its record was
written — resends with the same `X-Tocsin-Notification-Id`, for receivers that deduplicate.

Channels and contacts (URLs, addresses, secrets) come from the config: the one the process
started with, then each `RulesetActivated` on the partition (a rule reload writes one to every
partition of `tocsin.notifications` before the router's input, so no page to a contact it adds
comes before it). From that point of the log, pages go through a deliverer built from that
config (once per version); one older than the running config (activated before the process
started, or before the one taken) changes nothing. The active config is in the snapshots.
"""

from __future__ import annotations

import asyncio
import functools
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
from shared.events.incidents import RulesetActivated, superseded
from shared.log.port import LogUnavailable, Outgoing, Record
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
# A request on the log, with the config it goes through (None: the one the process started with).
Pending = tuple[NotificationRequested, RulesetActivated | None]


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
    # Deliveries of a partition running at once, and to one channel: a channel that hangs holds
    # at most half the slots, so pages to the others go on.
    concurrency = 32
    per_channel = 16

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
        self._deliverer = self._startup_deliverer = deliverer
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
        # Requests read whose outcome is not recorded yet, in log order: pages on their way.
        self.pending: dict[str, Pending] = {}
        self._running: dict[str, asyncio.Task[None]] = {}
        # The partition is being handed over (or the process stops) and the grace ran out:
        # deliveries not begun are left to the next owner, failures too (see `abandon`).
        self._abandoned = False
        self._gate = asyncio.Semaphore(self.concurrency)
        self._channel_gates: dict[str, asyncio.Semaphore] = {}

    def state_types(self) -> tuple[type, ...]:
        return (RecentIds, RulesetActivated, NotificationRequested)

    def state_to_snapshot(self) -> object:
        return (self.done, self._active, self._activated_at, self.pending)

    def restore_state(self, state: object) -> None:
        kept = cast(
            tuple[RecentIds, RulesetActivated | None, datetime | None, dict[str, Pending]], state
        )
        self.done, active, activated_at, self.pending = kept
        if active is not None:
            self._switch(active)
        if activated_at is not None and not superseded(activated_at, self._activated_at):
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
        elif isinstance(event, NotificationRequested) and event.notification_id not in self.done:
            self.pending.setdefault(event.notification_id, (event, self._active))
        return []

    def recovered(self) -> None:
        """Deliver the pages that were on their way when the partition's last owner stopped."""
        for notification_id in list(self.pending):
            self._start(notification_id)

    def _switch(self, event: RulesetActivated) -> None:
        """Deliver through this config from here on, unless an activation newer than it runs."""
        if self._deliverers is None or superseded(event.activated_at, self._activated_at):
            return
        self._activated_at = event.activated_at
        built = self._deliverers.built_for(event)
        if isinstance(built, str):
            extra = {"version": event.version, "partition": self.partition, "problem": built}
            log.error("dispatcher config rejected", extra=extra)
            self._metrics.dispatcher_config_rejected.inc()
            return
        self._deliverer, self._active = built, event

    def _note_outcome(self, event: AnyEvent) -> None:
        if isinstance(event, NotificationSent | NotificationFailed):
            self.done.add(event.notification_id)
            self.pending.pop(event.notification_id, None)

    async def handle_batch(self, records: list[Record]) -> list[Outgoing]:
        """Fold the batch and start delivering its new page requests; nothing waits for them
        (see `settled`): each outcome is recorded as soon as its delivery ends."""
        for record in records:
            if not _wanted(record):
                continue
            envelope = self.first_sighting(record)
            if envelope is None:
                continue
            event = unwrap(envelope)
            self.apply(envelope, event, live=True)
            if isinstance(event, NotificationRequested):
                self._start(event.notification_id)
        return []

    async def drain(self) -> None:
        await self.settled()

    def abandon(self) -> None:
        """The grace for the deliveries on their way ran out: those still waiting for a slot
        do not begin (the partition's next owner, or the restart, sends them), and a delivery
        ending in failure from here on is not recorded (the stop or hand-over may be why; the
        next owner tries again). A page delivered is still recorded."""
        self._abandoned = True

    async def settled(self) -> None:
        """Return once every delivery started has ended and its outcome is recorded."""
        while self._running:
            await asyncio.wait(list(self._running.values()))

    def _start(self, notification_id: str) -> None:
        """Deliver a pending page, unless its delivery runs already."""
        if notification_id in self._running or notification_id not in self.pending:
            return
        if self._abandoned:
            return
        request, activation = self.pending[notification_id]
        task = asyncio.create_task(self._deliver_once(request, self._deliverer_of(activation)))
        task.add_done_callback(functools.partial(_log_unexpected, notification_id))
        self._running[notification_id] = task

    def _deliverer_of(self, activation: RulesetActivated | None) -> Deliverer:
        if activation is None or self._deliverers is None:
            return self._startup_deliverer
        built = self._deliverers.built_for(activation)  # taken once, so not a problem text
        return self._startup_deliverer if isinstance(built, str) else built

    def _channel_gate(self, channel: str) -> asyncio.Semaphore:
        gate = self._channel_gates.get(channel)
        if gate is None:
            gate = self._channel_gates[channel] = asyncio.Semaphore(self.per_channel)
        return gate

    async def _deliver_once(self, request: NotificationRequested, deliverer: Deliverer) -> None:
        """Deliver, then record the outcome; only then is the page done. A request read again
        meanwhile (the router re-emitting it) finds the delivery running and starts none."""
        try:
            async with self._channel_gate(request.channel), self._gate:
                if self._abandoned:
                    return  # not begun: the next owner sends it
                report = await self._deliver(request, deliverer)
            if self._abandoned and not report.delivered:
                return  # perhaps cut off by the stop: the next owner tries again
            outcome = self._record(request, report, self._clock())
            await self._record_durably(request.notification_id, outcome)
            self.done.add(request.notification_id)
            self.pending.pop(request.notification_id, None)
        finally:
            self._running.pop(request.notification_id, None)

    async def _record_durably(self, notification_id: str, outcome: list[Outgoing]) -> None:
        """Append, trying again while the log refuses it: the page went out (or was given up
        on), and sending it again after a restart is worse than waiting for the log."""
        delay_s = 0.1
        while True:
            try:
                await self._record_now(outcome)
                return
            except LogUnavailable:
                extra = {"partition": self.partition, "notification_id": notification_id}
                log.warning("delivery outcome not recorded, retrying", extra=extra)
            await asyncio.sleep(delay_s)
            delay_s = min(delay_s * 2, 5.0)

    async def _deliver(self, event: NotificationRequested, deliverer: Deliverer) -> DeliveryReport:
        started = self._clock()
        report = await deliverer.deliver(event)
        seconds = (self._clock() - started).total_seconds()
        self._metrics.observe_delivery(event, report.channel_type, report.delivered, seconds)
        return report

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


def _log_unexpected(notification_id: str, task: asyncio.Task[None]) -> None:
    """A delivery that raised (a bug: deliverers report failures) leaves its page pending: it
    is delivered again after a restart."""
    if not task.cancelled() and task.exception() is not None:
        extra = {"notification_id": notification_id}
        log.error("delivery ended without an outcome", exc_info=task.exception(), extra=extra)
