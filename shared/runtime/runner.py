"""Consume a topic in a group, fold each partition, append outputs, then commit.

Commit order: outputs are appended (durably) before the input offset is committed, so a
crash at any point replays inputs whose outputs may already exist; outputs carry
deterministic ids and consumers drop the duplicates. An append the log refuses is retried
with the same records until it is durable: the inputs behind it have changed the state
already, so moving on would lose their outputs once a later offset is committed.

One batch's outputs are being appended while the next batch is decided: the broker stores
them meanwhile. Appends still happen one after the other, in batch order, and each batch's
offsets are committed only after its own append.

Recovery starts from a partition's newest snapshot, when its processor keeps them, and folds
the input after it (`snapshot_keeper`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime

from shared.events import TickOccurred, deterministic_id, encode_envelope, wrap
from shared.events.inputs import TICK_KEY
from shared.log.port import EventLog, LogUnavailable, OrderedAppends, Outgoing, Record
from shared.runtime.log_retention import LogReader
from shared.runtime.processor import PartitionProcessor
from shared.runtime.snapshot_keeper import PendingSnapshots, SnapshotKeeper
from shared.runtime.snapshots import SNAPSHOT_EVERY

log = logging.getLogger(__name__)
# How long a step in progress may run on once a stop is asked (SIGTERM) before it is cancelled.
STOP_GRACE_S = 5.0

Clock = Callable[[], datetime]
ProcessorFactory = Callable[[int], PartitionProcessor]


class PartitionedRunner:
    def __init__(
        self,
        event_log: EventLog,
        *,
        topic: str,
        group: str,
        factory: ProcessorFactory,
        clock: Clock,
        tick_interval_s: float = 0.1,
        snapshot_every: int = SNAPSHOT_EVERY,
    ) -> None:
        self._log = event_log
        self._topic = topic
        self._group = group
        self._factory = factory
        self._clock = clock
        self._tick_interval_s = tick_interval_s
        self._consumer = event_log.consumer(topic, group)
        self._processors: dict[int, PartitionProcessor] = {}
        # Partitions whose revoke callback is running: the consumer still lists them as
        # assigned (aiokafka sets the new assignment after the callback), but they are going.
        self._revoking: frozenset[int] = frozenset()
        # Per partition: the offset of the first record its processor's state has not seen.
        self._folded: dict[int, int] = {}
        # Per partition: the offset last committed by this runner.
        self._committed: dict[int, int] = {}
        # Per partition being recovered: the next offset to fold, and the end it folds to.
        self._rebuilding: dict[int, tuple[int, int]] = {}
        self._cut_short = False  # a stop cancelled a step: states may be past their offsets
        self._last_tick: dict[int, float] = {}
        # Per partition: when (by `clock`) a step last found nothing left to fold.
        self._caught_up_at: dict[int, datetime] = {}
        self._commit_task: asyncio.Task[bool] | None = None
        self._uncommitted: dict[int, int] = {}  # see `_commit_later`
        self._appending: asyncio.Task[bool] | None = None
        # A log that commits appends in the order queued lets batches' appends overlap.
        self._ordered = event_log if isinstance(event_log, OrderedAppends) else None
        self._retrying = False  # an overlapping append failed: append one at a time again
        self._stop = asyncio.Event()
        self.ready = asyncio.Event()
        self.stopped = asyncio.Event()  # once `run` has ended, its background work drained
        self._snapshots = SnapshotKeeper(event_log, topic, group, snapshot_every)

    @property
    def processors(self) -> dict[int, PartitionProcessor]:
        return self._processors

    @property
    def group(self) -> str:
        return self._group

    @property
    def topic(self) -> str:
        return self._topic

    def lag(self) -> dict[int, int]:
        """Per partition this member owns: records on the log it has not folded yet (as far as
        the consumer has seen the partition's end), also while a restart or a rebalance
        rebuilds the partition's state (from its snapshot on)."""
        lag = self._live_lag()
        owned = self._consumer.assignment()
        for partition, (folded, rebuilt_to) in self._rebuilding.items():
            if partition in owned:
                end = max(self._consumer.end_seen(partition) or 0, rebuilt_to)
                lag[partition] = max(0, end - folded)
        return lag

    @property
    def rebuilding(self) -> frozenset[int]:
        """Partitions whose state is being rebuilt: what the processors hold is partial."""
        return frozenset(self._rebuilding)

    def _live_lag(self) -> dict[int, int]:
        lag: dict[int, int] = {}
        owned = self._consumer.assignment()
        for partition, folded in self._folded.items():
            if partition not in owned:
                continue  # being handed over: its new owner reports it (aiokafka asserts)
            end = self._consumer.end_seen(partition)
            if end is not None:
                lag[partition] = max(0, end - folded)
        return lag

    def caught_up_at(self) -> dict[int, datetime]:
        """Per partition this member owns: when a step last found nothing left to fold (lag
        0), by the runner's clock. Records waiting now came after it."""
        return dict(self._caught_up_at)

    def log_reader(self) -> LogReader:
        """Recovery reads the input from a partition's snapshot (see `log_retention`)."""
        return LogReader(self._snapshots.topic, (self._topic,), self._group)

    async def run(self, stop: asyncio.Event) -> None:
        self._stop = stop
        partitions = self._log.partition_count(self._topic)
        await self._log.ensure_topics({self._snapshots.topic: partitions})
        await self._consumer.start(self._on_assigned, self._on_revoked)
        self.ready.set()
        try:
            await self._poll_until_stopped(stop)
        finally:
            try:
                await self._wind_down()
            finally:
                self.stopped.set()

    async def _wind_down(self) -> None:
        """After the poll loop: outputs, background work, commits and the last snapshots."""
        await self._appended()
        if not self._cut_short:
            await self._drain(self._processors.values())
        if self._commit_task is not None:
            await asyncio.gather(self._commit_task, return_exceptions=True)
        await self._snapshots.saved()
        if not self._cut_short:
            await self._snapshots.save_at_stop(self._processors, self._committed, self._folded)
        await self._consumer.stop()

    async def _drain(self, processors: Iterable[PartitionProcessor]) -> None:
        """Give the processors' background work `STOP_GRACE_S` to end (see `drain`); what is
        not done then is left to the restart (or the partition's next owner), which does it
        again under the same ids (`abandon`: what had not begun does not begin here)."""
        leaving = list(processors)
        if not leaving:
            return
        try:
            async with asyncio.timeout(STOP_GRACE_S):
                await asyncio.gather(*(processor.drain() for processor in leaving))
        except TimeoutError:
            log.warning("stopping with background work unfinished", extra={"topic": self._topic})
            for processor in leaving:
                processor.abandon()

    async def _poll_until_stopped(self, stop: asyncio.Event) -> None:
        """The poll loop; once a stop is asked, the step in progress gets `STOP_GRACE_S` more
        and is then cancelled.

        A step can take long (an append the log refuses, retried until it is stored). Cutting
        it short loses nothing: its inputs are not committed, so they are handled again after
        the restart, and outputs carry deterministic ids (the dispatcher records each delivery
        as soon as it ends)."""
        polling = asyncio.ensure_future(self._poll(stop))
        stopped = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait((polling, stopped), return_when=asyncio.FIRST_COMPLETED)
            if not polling.done():
                done, _ = await asyncio.wait((polling,), timeout=STOP_GRACE_S)
                if not done:
                    log.warning("stopping mid-batch", extra={"topic": self._topic})
                    self._cut_short = True
                    polling.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await polling
                    return
            polling.result()  # raises what the loop raised
        finally:
            stopped.cancel()
            polling.cancel()  # no-op once done; needed if this coroutine is cancelled itself

    async def _poll(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self._step()
            except LogUnavailable:
                log.warning("log unavailable, retrying", extra={"topic": self._topic})
                await asyncio.sleep(1.0)

    def _owned(self) -> frozenset[int]:
        """The partitions this member owns: assigned, and not being handed over."""
        return frozenset(self._consumer.assignment()) - self._revoking

    async def _step(self) -> None:
        assigned = self._owned()
        self._forget(self._processors.keys() - assigned)
        for partition in sorted(assigned - self._processors.keys()):
            # A recovery waits (for the committed offset) through a rebalance, after which
            # this member may own fewer partitions than the assignment read above.
            if partition in self._owned():
                await self._recover(partition)
        self._forget(self._processors.keys() - self._owned())
        records = await self._consumer.poll(max_records=500, timeout_s=0.2)
        if records:
            await self._process(records)
        self._note_caught_up()
        await self._write_due_ticks()

    def _note_caught_up(self) -> None:
        now = self._clock()
        for partition, left in self._live_lag().items():
            if left == 0:
                self._caught_up_at[partition] = now

    async def _process(self, records: list[Record]) -> None:
        by_partition: dict[int, list[Record]] = {}
        for record in records:
            by_partition.setdefault(record.partition, []).append(record)
        outgoing: list[Outgoing] = []
        next_offsets: dict[int, int] = {}
        for partition, batch in by_partition.items():
            processor = self._processors.get(partition)
            if processor is None:
                if partition not in self._owned():
                    continue  # revoked while the batch was in flight; its new owner replays it
                processor = await self._recover(partition)
                if partition not in self._owned():
                    self._forget([partition])  # revoked while it was being recovered
                    continue
            await self._catch_up(processor, partition, batch[0].offset)
            outgoing.extend(await processor.handle_batch(batch))
            next_offsets[partition] = self._folded[partition] = batch[-1].offset + 1
            self._snapshots.folded(partition, len(batch), sum(len(r.value) for r in batch))
        snapshots = self._snapshots.take_due(self._processors, list(next_offsets))
        if self._ordered is not None and not self._retrying:
            # Queued behind the previous batch's append, not after it: the outputs reach the
            # log a transaction sooner (each hop between services waited for one more).
            written = self._ordered.queue_append(outgoing, lane=self)
            self._appending = asyncio.create_task(
                self._confirm(written, outgoing, next_offsets, snapshots, self._appending)
            )
            return
        await self._appended()
        self._appending = asyncio.create_task(
            self._append_then_commit(outgoing, next_offsets, snapshots)
        )

    async def _appended(self) -> None:
        """Wait for the previous batches' appends (and so keep appends in batch order)."""
        if self._appending is not None:
            appending, self._appending = self._appending, None
            await appending

    async def _append_then_commit(
        self,
        outgoing: list[Outgoing],
        next_offsets: dict[int, int],
        snapshots: PendingSnapshots | None,
    ) -> bool:
        """Append, then commit; False (nothing committed) if stopped before the append."""
        if not await self._append_durably(outgoing):
            return False  # stopping: the inputs stay uncommitted and are handled again
        self._retrying = False  # appended after every earlier batch: they may overlap again
        self._committed_after(next_offsets, snapshots)
        return True

    async def _confirm(
        self,
        written: asyncio.Future[None],
        outgoing: list[Outgoing],
        next_offsets: dict[int, int],
        snapshots: PendingSnapshots | None,
        previous: asyncio.Task[bool] | None,
    ) -> bool:
        """Commit a batch whose append was queued (`_process`) once it and every earlier
        batch's are on the log. Should one fail, the log fails every later append of this
        runner too (`OrderedAppends`): they are then appended again one after the other, in
        order, and new batches wait for them, so outputs stay in input order."""
        durable = await previous if previous is not None else True
        try:
            await written
        except LogUnavailable:
            self._retrying = True
            if durable:
                assert self._ordered is not None
                self._ordered.reopen_lane(self)
                durable = await self._append_durably(outgoing)
        if not durable:  # stopping: these inputs, like an earlier batch's, are handled again
            return False
        self._committed_after(next_offsets, snapshots)
        return True

    def _committed_after(
        self, next_offsets: dict[int, int], snapshots: PendingSnapshots | None
    ) -> None:
        if next_offsets:
            commit = self._commit_later(next_offsets)
            if snapshots is not None:
                self._snapshots.save_after(commit, snapshots, next_offsets)

    async def _append_durably(self, outgoing: list[Outgoing]) -> bool:
        """Append, retrying the same records while the log refuses them; False if the runner
        is stopped first. Records appended twice carry the same ids: consumers drop them."""
        delay_s = 0.1
        while True:
            try:
                await self._log.append(outgoing)
                return True
            except LogUnavailable:
                if self._stop.is_set():
                    return False
                log.warning(
                    "append refused; retrying the same records",
                    extra={"topic": self._topic, "records": len(outgoing)},
                )
            await asyncio.sleep(delay_s)
            delay_s = min(delay_s * 2, 5.0)

    def _commit_later(self, next_offsets: dict[int, int]) -> asyncio.Task[bool]:
        """Commit without holding up the next batch: its outputs are durable already, and a
        commit lost in a crash only means records handled again (their outputs have the same
        ids). Commits are chained so a newer offset is never overwritten by an older one."""
        previous = self._commit_task
        # Offsets whose outputs are durable, newest per partition: a commit takes every one
        # there when its turn comes, so a chain of commits queued behind a slow one (hundreds
        # at a stop, each an offsets-only write) is done in a write or two, not one each.
        self._uncommitted.update(next_offsets)

        async def commit() -> bool:
            if previous is not None:
                await asyncio.gather(previous, return_exceptions=True)
            offsets, self._uncommitted = self._uncommitted, {}
            if not offsets:
                return True  # an earlier commit in the chain took these offsets along
            try:
                await self._consumer.commit(offsets)
                self._committed.update(offsets)
            except LogUnavailable:
                for partition, offset in offsets.items():  # unless newer ones came meanwhile
                    self._uncommitted.setdefault(partition, offset)
                log.warning(
                    "commit failed; records will be handled again",
                    extra={"topic": self._topic, "offsets": offsets},
                )
                return False
            return True

        self._commit_task = asyncio.create_task(commit())
        return self._commit_task

    async def _write_due_ticks(self) -> None:
        now = self._clock()
        ticks: list[Outgoing] = []
        for partition, processor in self._processors.items():
            due = processor.next_due()
            if due is None or due > now:
                continue
            if time.monotonic() - self._last_tick.get(partition, 0.0) < self._tick_interval_s:
                continue
            self._last_tick[partition] = time.monotonic()
            ticks.append(self._tick(partition, now))
        if ticks:
            await self._appended()  # outputs of inputs before the tick go first, as ever
            await self._log.append(ticks)

    def _tick(self, partition: int, now: datetime) -> Outgoing:
        event_id = deterministic_id("tick", self._topic, partition, now.isoformat())
        envelope = wrap(TickOccurred(at=now), key=TICK_KEY, event_id=event_id, occurred_at=now)
        return Outgoing(self._topic, TICK_KEY, encode_envelope(envelope), partition=partition)

    async def _on_assigned(self, partitions: frozenset[int]) -> None:
        # Recovery happens in the poll loop, not here: the consumer may already fetch records
        # of these partitions while this callback runs. During a rebalance the poll loop may
        # still see the old assignment and recover partitions this member is about to lose;
        # their state must go, or a later reassignment would find it stale and skip recovery.
        self._forget(self._processors.keys() - partitions)
        log.info(
            "partitions assigned", extra={"topic": self._topic, "partitions": sorted(partitions)}
        )

    async def _recover(self, partition: int) -> PartitionProcessor:
        """Rebuild a newly owned partition's state from the log before handling its records.

        The consumer returns records from the committed offset on, so replaying everything
        before it (silently), from the newest snapshot on when there is one, and then handling
        them continues where the last owner stopped.
        """
        committed = await self._consumer.committed(partition)
        self._rebuilding[partition] = (0, committed)
        try:
            processor, start = await self._snapshots.restored(self._factory, partition, committed)
            self._rebuilding[partition] = (start, committed)
            size = await self._rebuild(processor.replay, partition, start, committed)
            self._snapshots.folded(partition, committed - start, size)
            if processor.wants_look_ahead:
                end = await self._log.end_offset(self._topic, partition)
                await self._rebuild(processor.look_ahead, partition, committed, end)
        finally:
            self._rebuilding.pop(partition, None)
        self._processors[partition] = processor
        self._folded[partition] = self._committed[partition] = committed
        log.info(
            "partition recovered",
            extra={
                "topic": self._topic,
                "partition": partition,
                "snapshot_offset": start,
                "replayed": committed - start,
            },
        )
        if partition in self._owned():
            # Not when a rebalance took it meanwhile: its caller forgets it, and its new owner
            # resumes what was on its way.
            processor.recovered()
            pinned = processor.at_recovery(committed)
            if pinned:
                await self._append_durably(pinned)
        return processor

    async def _catch_up(self, processor: PartitionProcessor, partition: int, offset: int) -> None:
        """Fold, silently, records between the recovered state and the consumer's position.

        The consumer takes its position from the committed offset when the partition is
        assigned, and `_recover` reads it a moment later: a commit of this process landing in
        between leaves the consumer past the state. Records below a committed offset have
        their outputs on the log already, so they are folded as a replay folds them."""
        start = self._folded.get(partition, offset)
        while start < offset:
            records = await self._log.read(self._topic, partition, start, offset)
            if not records:
                break  # offsets without records (e.g. a transaction's markers)
            for record in records:
                processor.replay(record)
            start = records[-1].offset + 1
        if offset > self._folded.get(partition, offset):
            log.info(
                "partition caught up to the consumer",
                extra={"topic": self._topic, "partition": partition, "offset": offset},
            )

    async def _rebuild(
        self, fold: Callable[[Record], None], partition: int, start: int, end: int
    ) -> int:
        """Fold records from `start` to `end`; returns their size in bytes."""
        offset, size = start, 0
        while offset < end:
            batch = await self._log.read(self._topic, partition, offset, end)
            if not batch:
                raise LogUnavailable(f"{self._topic}[{partition}] ends before offset {end}")
            if offset == start and batch[0].offset > start:
                # Retention took the oldest input: what came before is not in the state.
                gone = {"topic": self._topic, "partition": partition, "first": batch[0].offset}
                log.warning("state rebuilt without the input retention removed", extra=gone)
            for record in batch:
                fold(record)
                size += len(record.value)
            offset = batch[-1].offset + 1
            rebuilding = self._rebuilding.get(partition)
            if rebuilding is not None and rebuilding[1] == end:  # the replay, not a look-ahead
                self._rebuilding[partition] = (offset, end)
        return size

    async def _on_revoked(self, partitions: frozenset[int]) -> None:
        """Hand the partitions over once their background work is recorded (the rebalance
        waits for this callback): the next owner then finds the outcomes of the pages this
        member had on their way, rather than sending them too."""
        leaving = [self._processors[p] for p in partitions if p in self._processors]
        self._revoking |= partitions
        self._forget(partitions)
        try:
            await self._drain(leaving)
        finally:
            self._revoking -= partitions

    def _forget(self, partitions: Iterable[int]) -> None:
        for partition in list(partitions):
            self._processors.pop(partition, None)
            self._last_tick.pop(partition, None)
            self._caught_up_at.pop(partition, None)
            self._folded.pop(partition, None)
            self._committed.pop(partition, None)
            self._uncommitted.pop(partition, None)
            self._snapshots.forget(partition)
