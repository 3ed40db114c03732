"""A receiver that hangs holds up no other page: the dispatcher folds its input without
waiting for deliveries, runs each on its own (at most `per_channel` to one channel) and records
each outcome as it ends. Pages still on their way when the process stops are delivered after it
restarts, from a snapshot or the log; none is delivered twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry

from services.router.dispatcher import DispatcherProcessor
from services.router.metrics import RouterMetrics
from shared.events import (
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
from shared.topics import NOTIFICATIONS
from tests.support.delivery_report import Report

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
WAIT_S = 5.0  # only so a broken dispatcher fails the test instead of hanging it


class Receivers:
    """Every channel answers at once, but `stuck`, which answers only once released."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.released = asyncio.Event()

    async def deliver(self, request: NotificationRequested) -> Report:
        if request.channel == "stuck":
            await self.released.wait()
        self.sent.append(request.notification_id)
        return Report()


class Dispatcher:
    """A dispatcher of partition 0, its input (offsets go on across batches) and what it
    recorded on its own topic."""

    def __init__(self, receivers: Receivers) -> None:
        self.recorded: list[Event] = []
        self._more_recorded = asyncio.Event()
        self.offset = 0
        self.processor = DispatcherProcessor(
            0, receivers, lambda: T0, RouterMetrics(CollectorRegistry()), self._record
        )

    async def _record(self, outgoing: list[Outgoing]) -> None:
        own = [o for o in outgoing if o.topic == NOTIFICATIONS]
        self.recorded += [unwrap(decode_envelope(o.value)) for o in own]
        self._more_recorded.set()

    async def until_sent(self, *notification_ids: str) -> None:
        """Until the outcome of each of them is recorded as sent."""
        while not set(notification_ids) <= set(self.sent()):
            self._more_recorded.clear()
            await asyncio.wait_for(self._more_recorded.wait(), WAIT_S)

    def records(self, *events: Event) -> list[Record]:
        batch = []
        for event in events:
            envelope = wrap(
                event, key="INC-1", event_id=deterministic_id(self.offset), occurred_at=T0
            )
            batch.append(Record(NOTIFICATIONS, 0, self.offset, "INC-1", encode_envelope(envelope)))
            self.offset += 1
        return batch

    async def handle(self, records: list[Record]) -> None:
        """Handle a batch: at once, whatever its deliveries do."""
        await asyncio.wait_for(self.processor.handle_batch(records), WAIT_S)

    def sent(self) -> list[str]:
        return [e.notification_id for e in self.recorded if isinstance(e, NotificationSent)]


def requested(notification_id: str, channel: str) -> NotificationRequested:
    return NotificationRequested(
        notification_id=notification_id,
        incident_id="INC-1",
        domain="d",
        target=channel,
        channel=channel,
        requested_at=T0,
        page={"incident_title": "NodeDown"},
        reason="step due",
    )


def sent(notification_id: str, channel: str) -> NotificationSent:
    return NotificationSent(
        notification_id=notification_id,
        incident_id="INC-1",
        channel=channel,
        attempts=1,
        sent_at=T0,
    )


async def test_a_page_to_another_channel_goes_out_while_a_receiver_hangs() -> None:
    receivers = Receivers()
    dispatcher = Dispatcher(receivers)
    # More pages to the hanging receiver than the partition runs at once.
    stuck = [requested(f"stuck-{n}", "stuck") for n in range(DispatcherProcessor.concurrency + 8)]

    await dispatcher.handle(dispatcher.records(*stuck))
    await dispatcher.handle(dispatcher.records(requested("other", "hook")))
    await dispatcher.until_sent("other")

    assert dispatcher.sent() == ["other"]
    receivers.released.set()
    await asyncio.wait_for(dispatcher.processor.settled(), WAIT_S)
    assert sorted(dispatcher.sent()) == sorted(["other", *(r.notification_id for r in stuck)])


async def test_a_request_read_again_while_its_page_is_on_its_way_is_not_sent_twice() -> None:
    receivers = Receivers()
    dispatcher = Dispatcher(receivers)
    await dispatcher.handle(dispatcher.records(requested("n1", "stuck")))

    # the router re-emits the request (its outputs again after a restart)
    await dispatcher.handle(dispatcher.records(requested("n1", "stuck")))
    receivers.released.set()
    await asyncio.wait_for(dispatcher.processor.settled(), WAIT_S)

    assert (receivers.sent, dispatcher.sent()) == (["n1"], ["n1"])


async def test_a_page_on_its_way_at_a_stop_is_delivered_after_a_restart_from_its_snapshot() -> None:
    before = Dispatcher(Receivers())
    history = [requested("n1", "stuck"), requested("n2", "hook")]
    await before.handle(before.records(*history))
    await before.until_sent("n2")
    snapshot = before.processor.snapshot()  # taken with n1 on its way; then the process stops
    assert snapshot is not None

    receivers = Receivers()
    receivers.released.set()
    after = Dispatcher(receivers)
    after.processor.restore(snapshot)
    after.processor.recovered()
    await asyncio.wait_for(after.processor.settled(), WAIT_S)

    assert (receivers.sent, after.sent()) == (["n1"], ["n1"])


async def test_pages_without_an_outcome_on_the_log_are_delivered_after_a_restart() -> None:
    live = Dispatcher(Receivers())
    log = live.records(
        requested("n1", "stuck"), requested("n2", "hook"), sent("n2", "hook"), requested("n3", "a")
    )
    committed = 2  # the outcome of n2 was recorded past the committed offset

    receivers = Receivers()
    receivers.released.set()
    restarted = Dispatcher(receivers)
    for record in log[:committed]:
        restarted.processor.replay(record)
    for record in log[committed:]:
        restarted.processor.look_ahead(record)
    restarted.processor.recovered()
    await restarted.handle(log[committed:])  # handled again from the commit
    await asyncio.wait_for(restarted.processor.settled(), WAIT_S)

    assert sorted(receivers.sent) == ["n1", "n3"]
