"""A processor that records each input's outcome half a second after handling it, in the
background, as the dispatcher records a delivery once its receiver answered; `drain` waits
for what is still running."""

from __future__ import annotations

import asyncio

from shared.events import AnyEvent, Envelope
from shared.log.port import EventLog, Outgoing, Record
from shared.runtime.processor import PartitionProcessor


class RecordsLater(PartitionProcessor):
    """Set `log` and `topic` (where outcomes go: a copy of the input) before a runner makes
    one; `handled` is set once any input was handled."""

    log: EventLog
    topic: str
    handled: asyncio.Event
    delay_s = 0.5

    def __init__(self, partition: int) -> None:
        super().__init__(partition)
        self._running: set[asyncio.Task[None]] = set()

    def apply(self, envelope: Envelope, event: AnyEvent, *, live: bool) -> list[Outgoing]:
        return []

    async def handle_batch(self, records: list[Record]) -> list[Outgoing]:
        for record in records:
            task = asyncio.create_task(self._outcome_later(record))
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        RecordsLater.handled.set()
        return []

    async def _outcome_later(self, record: Record) -> None:
        await asyncio.sleep(self.delay_s)
        outcome = Outgoing(RecordsLater.topic, record.key, record.value, record.partition)
        await RecordsLater.log.append([outcome])

    async def drain(self) -> None:
        while self._running:
            await asyncio.wait(list(self._running))
