"""Keeping the read model current: tail the topics from offset 0 and fold every record.

The tailer is `ready` once it has read every partition up to the end it had when it started,
so answers never come from a half-rebuilt model. `wait_until` lets a caller wait for the
model to show something (a command's verdict) that will arrive through the log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

from pydantic import ValidationError

from services.router.projection.fold import WANTED_TYPES, project
from services.router.projection.model import IncidentProjection, RecordMeta
from shared.events import decode_envelope, unwrap
from shared.log.port import Consumer, EventLog, LogUnavailable, Record
from shared.topics import ALERTS, INCIDENTS, NOTIFICATIONS

log = logging.getLogger(__name__)
T = TypeVar("T")
READ_TOPICS = (INCIDENTS, NOTIFICATIONS, ALERTS)


async def _unused(_: frozenset[int]) -> None:
    return None


class ProjectionTailer:
    def __init__(self, event_log: EventLog, topics: Sequence[str] = READ_TOPICS) -> None:
        self.projection = IncidentProjection()
        self.ready = asyncio.Event()
        self._log = event_log
        self._topics = tuple(topics)
        self._behind: dict[tuple[str, int], int] = {}  # partition → end offset still to read
        self._changed = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        await self._measure_ends()
        consumers = [self._log.tail(topic) for topic in self._topics]
        for consumer in consumers:
            await consumer.start(_unused, _unused)
        self._check_ready()
        try:
            await asyncio.gather(*(self._follow(c, stop) for c in consumers))
        finally:
            for consumer in consumers:
                await consumer.stop()

    async def wait_until(self, found: Callable[[], T | None], timeout_s: float) -> T | None:
        """`found()` once it is not None, or None after `timeout_s`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            changed = self._changed
            result = found()
            remaining = deadline - loop.time()
            if result is not None or remaining <= 0:
                return result
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except TimeoutError:
                return found()

    async def _measure_ends(self) -> None:
        for topic in self._topics:
            for partition in range(self._log.partition_count(topic)):
                end = await self._log.end_offset(topic, partition)
                if end > 0:
                    self._behind[(topic, partition)] = end

    async def _follow(self, consumer: Consumer, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                records = await consumer.poll(max_records=500, timeout_s=0.2)
            except LogUnavailable:
                log.warning("log unavailable, retrying", extra={"reader": "read model"})
                await asyncio.sleep(1.0)
                continue
            for record in records:
                self._fold(record)
            if records:
                self._changed.set()
                self._changed = asyncio.Event()
                self._check_ready()

    def _fold(self, record: Record) -> None:
        end = self._behind.get((record.topic, record.partition))
        if end is not None and record.offset + 1 >= end:
            del self._behind[(record.topic, record.partition)]
        try:
            envelope = decode_envelope(record.value)
            if envelope.type not in WANTED_TYPES.get(record.topic, frozenset()):
                return
            event = unwrap(envelope)
        except ValidationError:
            where = {"topic": record.topic, "partition": record.partition, "offset": record.offset}
            log.warning("record skipped by the read model: not decodable", extra=where)
            return
        meta = RecordMeta(record.topic, str(envelope.event_id), envelope.occurred_at)
        project(self.projection, event, meta)

    def _check_ready(self) -> None:
        if not self._behind and not self.ready.is_set():
            self.ready.set()
            log.info("read model rebuilt", extra={"incidents": len(self.projection.incidents)})
