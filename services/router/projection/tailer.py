"""Keeping the read model current: restore it from its newest snapshot (or start empty),
tail the topics from what it holds (else from offset 0) and fold every record.

The tailer is `ready` once it has folded every partition up to the end it had when it started,
so answers never come from a half-rebuilt model. It snapshots the model as it goes
(`snapshots`), tracking per partition the next offset folded. `wait_until` lets a caller wait
for the model to show something (a command's verdict) that will arrive through the log.

Records read wait in a backlog while the event loop is busy (a burst of alerts: folding them
would delay pages) and are folded when it has time to spare, when the backlog reaches
`MAX_BACKLOG`, or before anyone reads the model: `current` (what the API reads), `projection`
and `wait_until` fold the whole backlog first, so every answer includes every record read until
then.

A `RulesetActivated` folded from `tocsin.incidents` (a config reload) is handed to
`on_config`, which keeps what the API answers with besides the model (its tokens, the config's
silences).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TypeVar

from pydantic import ValidationError

from services.router.peek import peek_type
from services.router.projection import history as horizon
from services.router.projection.fold import WANTED_TYPES, project
from services.router.projection.load import ThreadLoad
from services.router.projection.model import IncidentProjection, RecordMeta
from services.router.projection.snapshots import SNAPSHOT_EVERY, ReadModelSnapshots, Restored
from shared.config.settings import DEFAULT_INCIDENT_HISTORY
from shared.events import decode_envelope, unwrap
from shared.events.base import Event
from shared.events.incidents import RulesetActivated
from shared.log.port import Consumer, EventLog, LogUnavailable, Record
from shared.runtime.log_retention import LogReader
from shared.runtime.snapshots import Positions
from shared.topics import ALERTS, INCIDENTS, NOTIFICATIONS

log = logging.getLogger(__name__)
T = TypeVar("T")
READ_TOPICS = (INCIDENTS, NOTIFICATIONS, ALERTS)
# Records waiting to be folded at most (memory: about a kilobyte each): past this the backlog
# is folded even while the loop is busy. About 15 s of a 1,000 alerts/s burst.
MAX_BACKLOG = 100_000
# Records folded between two yields to the event loop while working off the backlog.
FOLD_CHUNK = 256


async def _unused(_: frozenset[int]) -> None:
    return None


class ProjectionTailer:
    def __init__(
        self,
        event_log: EventLog,
        topics: Sequence[str] = READ_TOPICS,
        load: ThreadLoad | None = None,
        snapshot_every: int = SNAPSHOT_EVERY,
        history: timedelta = DEFAULT_INCIDENT_HISTORY,
        on_config: Callable[[RulesetActivated], None] | None = None,
    ) -> None:
        self._history = history
        self._on_config = on_config
        self._projection = IncidentProjection(history=history)
        self.ready = asyncio.Event()
        self._log = event_log
        self._topics = tuple(topics)
        self._behind: dict[tuple[str, int], int] = {}  # partition → end offset still to read
        # Partition → the next offset to fold: what the model holds (the backlog not included).
        self._folded_to: dict[tuple[str, int], int] = {}
        self.folded_records = 0  # since this start (a snapshot's records not included)
        self._restored = False
        self._changed = asyncio.Event()
        self._backlog: deque[Record] = deque()
        self._load = load or ThreadLoad()
        self._snapshots = ReadModelSnapshots(event_log, snapshot_every)

    @property
    def projection(self) -> IncidentProjection:
        """The read model, with every record read so far folded in."""
        self._catch_up()
        return self._projection

    @property
    def history(self) -> timedelta:
        """How long resolved incidents stay in the model (0: forever)."""
        return self._history

    @property
    def dropped_incidents(self) -> int | None:
        """Incidents dropped past the history by this model, or None until it is ready (the
        backlog not folded: scraping metrics folds nothing)."""
        return self._projection.dropped_total if self.ready.is_set() else None

    def log_reader(self) -> LogReader:
        """A restart reads on from the snapshot's positions (see `log_retention`)."""
        return LogReader(self._snapshots.topic, self._topics)

    @property
    def backlog_size(self) -> int:
        """Records read and waiting to be folded (not in the model, nor in its positions)."""
        return len(self._backlog)

    async def current(self) -> IncidentProjection:
        """`projection`, with a long backlog folded a chunk at a time: the loop's other work
        (alerts, pages) goes on in between, and the caller gets everything read until then."""
        while len(self._backlog) > FOLD_CHUNK:
            self._fold_chunk()
            await asyncio.sleep(0)
        return self.projection

    def _catch_up(self) -> None:
        while self._backlog:
            self._fold(self._backlog.popleft())

    def _fold_chunk(self) -> None:
        for _ in range(min(FOLD_CHUNK, len(self._backlog))):
            self._fold(self._backlog.popleft())

    async def run(self, stop: asyncio.Event) -> None:
        ends = await self._measure_ends()
        self._start_from(await self._snapshots.restore(ends), ends)
        start = self.positions()
        consumers = [self._log.tail(topic, start.get(topic)) for topic in self._topics]
        for consumer in consumers:
            await consumer.start(_unused, _unused)
        self._check_ready()
        try:
            await asyncio.gather(*(self._follow(c, stop) for c in consumers))
            await self._snapshots.save_at_stop(
                self._projection, self.positions(), self.folded_records
            )
        finally:
            await self._snapshots.close()
            for consumer in consumers:
                await consumer.stop()

    def positions(self) -> Positions:
        """Per topic and partition, the first offset the model has not folded."""
        positions: Positions = {topic: {} for topic in self._topics}
        for (topic, partition), offset in self._folded_to.items():
            positions[topic][partition] = offset
        return positions

    def _start_from(self, restored: Restored | None, ends: dict[tuple[str, int], int]) -> None:
        """Take the snapshot's model and positions, if any; wait for the rest of the log."""
        if restored is not None:
            self._projection, self._restored = restored.projection, True
            horizon.keep_history(self._projection, self._history)
        for topic, partition in ends:
            held = restored.positions.get(topic, {}) if restored is not None else {}
            self._folded_to[(topic, partition)] = held.get(partition, 0)
        self._behind = {where: end for where, end in ends.items() if end > self._folded_to[where]}

    async def wait_until(self, found: Callable[[], T | None], timeout_s: float) -> T | None:
        """`found()` once it is not None, or None after `timeout_s`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            changed = self._changed
            await self.current()
            result = found()
            remaining = deadline - loop.time()
            if result is not None or remaining <= 0:
                return result
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except TimeoutError:
                await self.current()
                return found()

    async def _measure_ends(self) -> dict[tuple[str, int], int]:
        """Every partition's end offset now: what `ready` waits to have folded."""
        ends: dict[tuple[str, int], int] = {}
        for topic in self._topics:
            for partition in range(self._log.partition_count(topic)):
                ends[(topic, partition)] = await self._log.end_offset(topic, partition)
        return ends

    async def _follow(self, consumer: Consumer, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                records = await consumer.poll(max_records=500, timeout_s=0.2)
            except LogUnavailable:
                log.warning("log unavailable, retrying", extra={"reader": "read model"})
                await asyncio.sleep(1.0)
                continue
            if records:
                self._backlog.extend(records)
                self._changed.set()
                self._changed = asyncio.Event()
            if not self.ready.is_set():
                self._catch_up()  # a rebuild: nothing is answered until it is done
                self._check_ready()
            else:
                await self._work_off_backlog(stop)
            if not self._backlog and self._snapshots.due(self.folded_records):
                self._snapshots.take(self._projection, self.positions(), self.folded_records)

    async def _work_off_backlog(self, stop: asyncio.Event) -> None:
        """Fold while the loop has time to spare, or while the backlog is over its bound; never
        past a stop (the next start folds what is left from the snapshot's positions)."""
        while (
            self._backlog
            and not stop.is_set()
            and (len(self._backlog) > MAX_BACKLOG or not self._load.busy())
        ):
            self._fold_chunk()
            await asyncio.sleep(0)

    def _fold(self, record: Record) -> None:
        where = (record.topic, record.partition)
        end = self._behind.get(where)
        if end is not None and record.offset + 1 >= end:
            del self._behind[where]
        decoded = _decoded(record)
        if decoded is not None:
            event, meta = decoded
            if isinstance(event, RulesetActivated) and self._on_config is not None:
                self._on_config(event)
            project(self._projection, event, meta)
        self._folded_to[where] = record.offset + 1
        self.folded_records += 1

    def _check_ready(self) -> None:
        if self._behind or self.ready.is_set():
            return
        self.ready.set()
        facts = {"incidents": len(self._projection.incidents), "folded": self.folded_records}
        if self._restored:
            positions = sum(len(offsets) for offsets in self.positions().values())
            log.info("read model restored from snapshot", extra={**facts, "positions": positions})
        else:
            log.info("read model rebuilt from the log", extra=facts)


def _decoded(record: Record) -> tuple[Event, RecordMeta] | None:
    """The record's event, if the read model wants it; undecodable records are skipped."""
    wanted = WANTED_TYPES.get(record.topic, frozenset())
    peeked = peek_type(record.value)
    if peeked is not None and peeked not in wanted:
        return None  # most alerts, ticks, outcomes copied for the router: not even decoded
    try:
        envelope = decode_envelope(record.value)
        if envelope.type not in wanted:
            return None
        event = unwrap(envelope)
    except ValidationError:
        where = {"topic": record.topic, "partition": record.partition, "offset": record.offset}
        log.warning("record skipped by the read model: not decodable", extra=where)
        return None
    return event, RecordMeta(record.topic, str(envelope.event_id), envelope.occurred_at)
