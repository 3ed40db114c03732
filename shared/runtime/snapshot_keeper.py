"""When a runner snapshots its partitions, and how it recovers one from its newest snapshot.

A snapshot is taken once a partition has folded `every` input records and at least as many
input bytes as its last snapshot took (so their storage stays a bounded share of the input),
and while the time spent taking snapshots stays under `TIME_SHARE` of the runner's time. A
forked child pickles the states (`fork_pickle`): pickling holds a loop about 60 µs per open
alert, the fork only milliseconds. It is taken between batches (the states then match the
offsets the batch commits) and written once those offsets are committed.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import time
from collections.abc import Callable

from shared.log.port import EventLog, LogUnavailable
from shared.runtime.fork_pickle import ChildFailed, PickledInChild, child_pickling
from shared.runtime.processor import PartitionProcessor
from shared.runtime.snapshots import SnapshotStore
from shared.runtime.time_allowance import TimeAllowance

log = logging.getLogger(__name__)

ProcessorFactory = Callable[[int], PartitionProcessor]
# Due partitions' snapshots being pickled by a child (see `_snapshots_of`).
PendingSnapshots = PickledInChild[dict[int, PartitionProcessor]]
_FRAME = struct.Struct("<QQ")  # partition, snapshot length
# How long a stop may spend writing the partitions' snapshots.
STOP_SNAPSHOT_S = 5.0
# The share of the runner's time snapshots may take, and the most they may take at once.
TIME_SHARE = 0.05
TIME_BURST_S = 2.0


class SnapshotKeeper:
    def __init__(self, event_log: EventLog, topic: str, group: str, every: int) -> None:
        self._topic = topic
        self._store = SnapshotStore(event_log, group)
        self._every = every
        # Per partition: input records and bytes folded since its last snapshot, and the
        # compressed size of that snapshot.
        self._unsaved: dict[int, tuple[int, int]] = {}
        self._saved_bytes: dict[int, int] = {}
        self._saving: asyncio.Task[None] | None = None
        self._format: str | None = None  # of the processors' state, the same for every one
        self._time = TimeAllowance(TIME_SHARE, TIME_BURST_S)

    @property
    def topic(self) -> str:
        return self._store.topic

    def folded(self, partition: int, records: int, size: int) -> None:
        before = self._unsaved.get(partition, (0, 0))
        self._unsaved[partition] = (before[0] + records, before[1] + size)

    def forget(self, partition: int) -> None:
        self._unsaved.pop(partition, None)

    def take_due(
        self, processors: dict[int, PartitionProcessor], partitions: list[int]
    ) -> PendingSnapshots | None:
        """Snapshots of those partitions that are due one, of their states as they are now:
        a forked child pickles them (60 µs per open alert would hold the loop for seconds)."""
        if self._saving is not None and not self._saving.done():
            return None  # one write at a time; the partitions stay due
        if child_pickling():
            return None  # another snapshot's child is still at it: the partitions stay due
        if not self._time.available():
            return None  # the partitions stay due
        due: dict[int, PartitionProcessor] = {}
        for partition in partitions:
            records, size = self._unsaved.get(partition, (0, 0))
            if records < self._every or size < self._saved_bytes.get(partition, 0):
                continue
            processor = processors[partition]
            if processor.state_to_snapshot() is None:
                continue  # keeps no snapshots
            due[partition] = processor
            self._format_of(processor)  # known before `_save` writes it
            self._unsaved[partition] = (0, 0)
        if not due:
            return None
        started = time.perf_counter()
        pending = PickledInChild(due, _snapshots_of)
        self._time.spend(time.perf_counter() - started)
        return pending

    def save_after(
        self, commit: asyncio.Task[bool], snapshots: PendingSnapshots, offsets: dict[int, int]
    ) -> None:
        """Write the snapshots once `commit` (of the offsets they cover) has succeeded: a
        snapshot ahead of the committed offset would be refused at recovery."""
        self._saving = asyncio.create_task(self._save(commit, snapshots, offsets))

    async def _save(
        self, commit: asyncio.Task[bool], pending: PendingSnapshots, offsets: dict[int, int]
    ) -> None:
        try:
            snapshots = _unframed(await pending.bytes())
        except ChildFailed:
            log.warning("snapshots not taken", extra={"topic": self._topic}, exc_info=True)
            return
        if not await commit or self._format is None:
            return
        for partition, data in snapshots.items():
            try:
                size = await self._store.write(partition, offsets[partition], data, self._format)
            except LogUnavailable:
                log.warning("snapshot not written", extra={"topic": self._topic})
                return
            self._saved_bytes[partition] = size
            log.info(
                "snapshot written",
                extra={"topic": self._topic, "partition": partition, "bytes": size},
            )

    async def save_at_stop(
        self,
        processors: dict[int, PartitionProcessor],
        committed: dict[int, int],
        folded: dict[int, int],
    ) -> None:
        """At a clean stop, snapshot each partition that folded input since its last snapshot
        and whose state is exactly its committed offset, so the next start replays nothing.
        Bounded by `STOP_SNAPSHOT_S`: a slow log costs only a longer replay later."""
        due = [
            partition
            for partition, processor in processors.items()
            if self._unsaved.get(partition, (0, 0))[0]
            and committed.get(partition) == folded.get(partition)
        ]
        try:
            async with asyncio.timeout(STOP_SNAPSHOT_S):
                for partition in due:
                    data = processors[partition].snapshot()
                    if data is None:
                        continue
                    state_format = self._format_of(processors[partition])
                    await self._store.write(partition, committed[partition], data, state_format)
                    log.info("snapshot written at stop", extra=self._where(partition))
        except (TimeoutError, LogUnavailable):
            log.warning("snapshots at stop not all written", extra={"topic": self._topic})

    def _where(self, partition: int) -> dict[str, object]:
        return {"topic": self._topic, "partition": partition}

    def _format_of(self, processor: PartitionProcessor) -> str:
        """The processors' state format, worked out once (it reads the source of classes)."""
        if self._format is None:
            self._format = processor.snapshot_format()
        return self._format

    async def saved(self) -> None:
        """Wait for the snapshot being written, if any."""
        if self._saving is not None:
            await asyncio.gather(self._saving, return_exceptions=True)

    async def restored(
        self, factory: ProcessorFactory, partition: int, committed: int
    ) -> tuple[PartitionProcessor, int]:
        """A new processor, with the newest usable snapshot's state if there is one, and the
        input offset to fold from."""
        processor = factory(partition)
        if processor.state_to_snapshot() is None:
            return processor, 0
        snapshot = await self._store.latest(partition, self._format_of(processor))
        if snapshot is None or snapshot.input_offset is None or snapshot.input_offset > committed:
            return processor, 0
        try:
            processor.restore(snapshot.data)
        except Exception:  # an unreadable snapshot costs a full rebuild, never the state
            log.warning("snapshot unreadable; rebuilding from the input", exc_info=True)
            return factory(partition), 0
        return processor, snapshot.input_offset


def _snapshots_of(processors: dict[int, PartitionProcessor]) -> bytes:
    """In the pickling child: each processor's snapshot, framed as partition, length, bytes."""
    framed = bytearray()
    for partition, processor in processors.items():
        data = processor.snapshot()
        if data is not None:
            framed += _FRAME.pack(partition, len(data)) + data
    return bytes(framed)


def _unframed(framed: bytes) -> dict[int, bytes]:
    snapshots: dict[int, bytes] = {}
    at = 0
    while at < len(framed):
        partition, size = _FRAME.unpack_from(framed, at)
        at += _FRAME.size
        snapshots[partition] = framed[at : at + size]
        at += size
    return snapshots
