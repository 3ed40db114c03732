"""Snapshots of the read model, so a start folds only the log written after the newest one
instead of the whole history (minutes of 503 for months of alerts).

A snapshot is the pickled projection, and in its manifest the `positions` it covers: per
topic and partition, the first offset the projection has not folded (records the tailer read
but keeps in its backlog are not folded, so not covered). Retention keeps every record at or
after them, so a position never claims more than was folded.

One is taken once `every` records were folded since the last, while no backlog waits, and
while taking them stays under `TIME_SHARE` of the time. The projection is pickled by a forked
child (`fork_pickle`): pickling 5,000 resolved incidents takes most of a second, which would
hold the event loop, the alerts' path, while the fork holds it for milliseconds. Compressing
and writing happen off the loop too, one write at a time. A clean stop takes one more, within
`STOP_SNAPSHOT_S`, pickled in place (nothing waits on the loop any more).

The state format is the fingerprint of the projection's shape (`state_shape`): a snapshot
from code whose read-model classes differ is not read, the model is rebuilt from the log, as
it is when a snapshot is damaged or claims positions past the log's end (a log reset).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass

from services.router.projection.fold import WANTED_TYPES
from services.router.projection.model import IncidentProjection
from shared.events import ALL_EVENTS
from shared.log.port import EventLog, LogUnavailable
from shared.runtime.fork_pickle import ChildFailed, PickledInChild, child_pickling
from shared.runtime.snapshots import Positions, SnapshotStore
from shared.runtime.state_pickle import dump_state, load_state
from shared.runtime.state_shape import shape_fingerprint
from shared.runtime.time_allowance import TimeAllowance

log = logging.getLogger(__name__)

# Snapshots go to partition 0 of `tocsin.readmodel.state` (see `state_topic`).
STATE_GROUP, STATE_PARTITION = "tocsin-readmodel", 0
# Records folded between two snapshots, at least: 4 to 6 s of folding a busy history.
SNAPSHOT_EVERY = 20_000
# The share of the time snapshots may hold the event loop, and the most they may take at once.
TIME_SHARE = 0.05
TIME_BURST_S = 2.0
# How long a stop may spend on its snapshot.
STOP_SNAPSHOT_S = 5.0

Ends = Mapping[tuple[str, int], int]  # (topic, partition) → the log's end offset


class UnreadableSnapshot(ValueError):
    """Snapshot bytes that are not a pickled projection."""


@dataclass(frozen=True)
class Restored:
    projection: IncidentProjection
    positions: Positions


def dump_projection(projection: IncidentProjection) -> bytes:
    return dump_state(projection)


def load_projection(data: bytes) -> IncidentProjection:
    state = load_state(data)
    if not isinstance(state, IncidentProjection):
        raise UnreadableSnapshot(f"a {type(state).__name__}, not an IncidentProjection")
    return state


@functools.cache
def read_model_format() -> str:
    """The projection's classes, and every event class that may wait in it for its incident."""
    wanted = frozenset().union(*WANTED_TYPES.values())
    events = tuple(event for event in ALL_EVENTS if event.__name__ in wanted)
    return shape_fingerprint((IncidentProjection, *events), (dump_projection, load_projection))


def _ahead_of(positions: Positions, ends: Ends) -> tuple[str, int] | None:
    """The first partition read by this tailer whose position is past the log's end."""
    topics = {topic for topic, _ in ends}
    for topic, offsets in positions.items():
        for partition, offset in offsets.items():
            if topic in topics and offset > ends.get((topic, partition), 0):
                return topic, partition
    return None


class ReadModelSnapshots:
    def __init__(self, event_log: EventLog, every: int = SNAPSHOT_EVERY) -> None:
        self._log = event_log
        self._store = SnapshotStore(event_log, STATE_GROUP)
        self._every = every
        self._time = TimeAllowance(TIME_SHARE, TIME_BURST_S)
        self._format = ""  # known once `restore` has run
        self._covered = 0  # records folded (since the start) that the newest snapshot holds
        self._writing: asyncio.Task[None] | None = None

    @property
    def topic(self) -> str:
        return self._store.topic

    async def restore(self, ends: Ends) -> Restored | None:
        """The newest usable snapshot, or None (the reason logged): rebuild from the log."""
        await self._log.ensure_topics({self.topic: 1})
        self._format = await asyncio.to_thread(read_model_format)
        where = {"topic": self.topic, "partition": STATE_PARTITION}
        if await self._store.newest_manifest(STATE_PARTITION) is None:
            log.info("no read model snapshot", extra=where)
            return None
        snapshot = await self._store.latest(STATE_PARTITION, self._format)
        if snapshot is None:
            return None  # `latest` said why
        if snapshot.positions is None:
            log.warning("read model snapshot without positions; not used", extra=where)
            return None
        ahead = _ahead_of(snapshot.positions, ends)
        if ahead is not None:
            log.warning("read model snapshot ahead of the log; not used", extra={"at": ahead})
            return None
        try:
            projection = await asyncio.to_thread(load_projection, snapshot.data)
        except Exception:  # an unreadable snapshot costs a rebuild, never the read model
            log.warning("read model snapshot unreadable; not used", extra=where, exc_info=True)
            return None
        return Restored(projection, snapshot.positions)

    def due(self, folded: int) -> bool:
        """Whether a snapshot should be taken now, `folded` records after the start."""
        if folded - self._covered < self._every or not self._format:
            return False
        if self._writing is not None and not self._writing.done():
            return False  # one write at a time
        if child_pickling():
            return False  # another snapshot's child is still at it
        return self._time.available()

    def take(self, projection: IncidentProjection, positions: Positions, folded: int) -> None:
        """Snapshot the projection as it is now (it holds exactly `positions`): a forked child
        pickles it while the loop goes on (a large model takes seconds), then it is written."""
        started = time.perf_counter()
        pickling = PickledInChild(projection, dump_projection)
        self._time.spend(time.perf_counter() - started)
        self._writing = asyncio.create_task(self._pickled_then_written(pickling, positions, folded))

    async def _pickled_then_written(
        self, pickling: PickledInChild[IncidentProjection], positions: Positions, folded: int
    ) -> None:
        try:
            data = await pickling.bytes()
        except ChildFailed:
            log.warning("read model snapshot not taken", exc_info=True)
            return
        await self._write(data, positions, folded)

    async def save_at_stop(
        self, projection: IncidentProjection, positions: Positions, folded: int
    ) -> None:
        """After a clean stop: a snapshot of what was folded since the last one, if any."""
        try:
            async with asyncio.timeout(STOP_SNAPSHOT_S):
                if self._writing is not None:
                    await self._writing
                if folded > self._covered and self._format:
                    await self._write(dump_projection(projection), positions, folded)
        except TimeoutError:
            log.warning("read model snapshot at stop not written in time")

    async def close(self) -> None:
        """Give the write in progress `STOP_SNAPSHOT_S` to end, then cancel it: the log is
        about to close."""
        if self._writing is not None:
            await asyncio.wait({self._writing}, timeout=STOP_SNAPSHOT_S)
            self._writing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writing

    async def _write(self, data: bytes, positions: Positions, folded: int) -> None:
        try:
            size = await self._store.write(
                STATE_PARTITION, None, data, self._format, positions=positions
            )
        except LogUnavailable:
            log.warning("read model snapshot not written", extra={"topic": self.topic})
            return
        self._covered = max(self._covered, folded)
        log.info("read model snapshot written", extra={"bytes": size, "folded": folded})
