"""The partitioned runner over the embedded log: outputs are durable before inputs commit,
and a partition's state covers every input before the first one it handles; the processor is
told when it does, input or not (to resume work left unfinished)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.events import (
    AnyEvent,
    Envelope,
    TickOccurred,
    decode_event,
    deterministic_id,
    encode_envelope,
    wrap,
)
from shared.log.embedded import EmbeddedLog
from shared.log.embedded_consumer import EmbeddedConsumer
from shared.log.port import Outgoing, PartitionsCallback, Record
from shared.runtime.processor import PartitionProcessor
from shared.runtime.runner import PartitionedRunner
from tests.support.background_work import RecordsLater

INPUTS, OUTPUTS, GROUP = "in", "out", "echoes"
AT = datetime(2026, 11, 27, 6, 50, tzinfo=UTC)


class Echo(PartitionProcessor):
    """One output per input, with an id derived from the input's."""

    def apply(self, envelope: Envelope, event: AnyEvent, *, live: bool) -> list[Outgoing]:
        out_id = deterministic_id(envelope.event_id, "echo")
        out = wrap(event, key=envelope.key, event_id=out_id, occurred_at=envelope.occurred_at)
        return [Outgoing(OUTPUTS, envelope.key, encode_envelope(out))]


class RefusingLog(EmbeddedLog):
    """Fails the first `refusals` transactions holding outputs, as a disk briefly failing."""

    def __init__(self, path: Path, refusals: int) -> None:
        super().__init__(path)
        self.refusals = refusals

    def _write_batch(self, batch: Any) -> list[Record]:
        if self.refusals and any(r.topic == OUTPUTS for w in batch for r in w.records):
            self.refusals -= 1
            raise sqlite3.OperationalError("disk I/O error (for the test)")
        return super()._write_batch(batch)


class Folding(Echo):
    """Also remembers every input folded into its state, replayed or handled."""

    folded: list[AnyEvent] = []

    def apply(self, envelope: Envelope, event: AnyEvent, *, live: bool) -> list[Outgoing]:
        self.folded.append(event)
        return super().apply(envelope, event, live=live)


class Resuming(Echo):
    """Notes how many inputs each partition's state had folded when told it was recovered."""

    recovered_after: dict[int, int] = {}
    all_recovered = asyncio.Event()

    def __init__(self, partition: int) -> None:
        super().__init__(partition)
        self._folded = 0

    def apply(self, envelope: Envelope, event: AnyEvent, *, live: bool) -> list[Outgoing]:
        self._folded += 1
        return super().apply(envelope, event, live=live)

    def recovered(self) -> None:
        Resuming.recovered_after[self.partition] = self._folded
        if len(Resuming.recovered_after) == 2:
            Resuming.all_recovered.set()


class StaleCommitReader(EmbeddedConsumer):
    """Starts at the committed offset, but reads back an older one afterwards: as when a
    commit lands between the consumer's assignment and the runner's recovery."""

    def __init__(self, log: EmbeddedLog, topic: str, group: str, stale: int) -> None:
        super().__init__(log, topic, group)
        self._stale: int | None = None
        self._stale_value = stale

    async def start(self, on_assigned: PartitionsCallback, on_revoked: PartitionsCallback) -> None:
        await super().start(on_assigned, on_revoked)
        self._stale = self._stale_value

    async def committed(self, partition: int) -> int:
        if self._stale is not None:
            return self._stale
        return await super().committed(partition)


class RacingLog(EmbeddedLog):
    def consumer(self, topic: str, group: str) -> EmbeddedConsumer:
        return StaleCommitReader(self, topic, group, stale=10)


async def _ends(log: EmbeddedLog, topic: str) -> list[int]:
    return [await log.end_offset(topic, p) for p in range(2)]


async def test_outputs_the_log_refused_are_appended_again_before_their_inputs_commit(
    tmp_path: Path,
) -> None:
    # Given 30 inputs and a log that refuses the runner's first two appends of outputs,
    log = RefusingLog(tmp_path / "log.sqlite", refusals=2)
    await log.start()
    await log.ensure_topics({INPUTS: 2, OUTPUTS: 2})
    inputs = [
        wrap(TickOccurred(at=AT), key=f"k{i % 5}", event_id=deterministic_id(i), occurred_at=AT)
        for i in range(30)
    ]
    await log.append([Outgoing(INPUTS, e.key, encode_envelope(e)) for e in inputs])
    runner = PartitionedRunner(log, topic=INPUTS, group=GROUP, factory=Echo, clock=lambda: AT)

    # when the runner runs until every input has its output,
    stop = asyncio.Event()
    running = asyncio.create_task(runner.run(stop))
    async with asyncio.timeout(20):
        while True:
            appended = log.append_signal(OUTPUTS)
            if sum(await _ends(log, OUTPUTS)) == 30:
                break
            await appended.wait()
    stop.set()
    await running

    # then each input's output is on the log exactly once, and every input is committed.
    outputs = [
        decode_event(r.value).event_id
        for p in range(2)
        for r in await log.read(OUTPUTS, p, 0, 1 << 30)
    ]
    assert log.refusals == 0
    assert sorted(outputs) == sorted(deterministic_id(e.event_id, "echo") for e in inputs)
    consumer = log.consumer(INPUTS, GROUP)
    assert isinstance(consumer, EmbeddedConsumer)
    assert [await consumer.committed(p) for p in range(2)] == await _ends(log, INPUTS)
    await log.close()


async def test_inputs_between_a_stale_committed_offset_and_the_consumer_are_folded_silently(
    tmp_path: Path,
) -> None:
    # Given 30 inputs on one partition, 20 of them committed, and a recovery that reads 10,
    log = RacingLog(tmp_path / "log.sqlite")
    await log.start()
    await log.ensure_topics({INPUTS: 1, OUTPUTS: 1})
    inputs = [
        wrap(TickOccurred(at=AT), key="k", event_id=deterministic_id(i), occurred_at=AT)
        for i in range(30)
    ]
    await log.append([Outgoing(INPUTS, e.key, encode_envelope(e)) for e in inputs])
    await log.store_committed(GROUP, INPUTS, {0: 20})
    Folding.folded = []
    runner = PartitionedRunner(log, topic=INPUTS, group=GROUP, factory=Folding, clock=lambda: AT)

    # when the runner handles what the consumer gives it (inputs 20 to 29),
    stop = asyncio.Event()
    running = asyncio.create_task(runner.run(stop))
    async with asyncio.timeout(20):
        while True:
            appended = log.append_signal(OUTPUTS)
            if await log.end_offset(OUTPUTS, 0) == 10:
                break
            await appended.wait()
    stop.set()
    await running

    # then the state saw all 30 inputs, once each, and only the last 10 had outputs.
    assert len(Folding.folded) == 30
    outputs = [decode_event(r.value).event_id for r in await log.read(OUTPUTS, 0, 0, 1 << 30)]
    assert outputs == [deterministic_id(e.event_id, "echo") for e in inputs[20:]]
    await log.close()


async def test_a_recovered_partition_is_told_so_once_its_state_covers_its_committed_inputs(
    tmp_path: Path,
) -> None:
    # Given 30 inputs on two partitions, all committed, and no input coming,
    log = EmbeddedLog(tmp_path / "log.sqlite")
    await log.start()
    await log.ensure_topics({INPUTS: 2, OUTPUTS: 2})
    inputs = [
        wrap(TickOccurred(at=AT), key=f"k{i % 5}", event_id=deterministic_id(i), occurred_at=AT)
        for i in range(30)
    ]
    await log.append([Outgoing(INPUTS, e.key, encode_envelope(e)) for e in inputs])
    await log.store_committed(GROUP, INPUTS, dict(enumerate(await _ends(log, INPUTS))))
    Resuming.recovered_after, Resuming.all_recovered = {}, asyncio.Event()
    runner = PartitionedRunner(log, topic=INPUTS, group=GROUP, factory=Resuming, clock=lambda: AT)

    # when the runner starts,
    stop = asyncio.Event()
    running = asyncio.create_task(runner.run(stop))
    async with asyncio.timeout(20):
        await Resuming.all_recovered.wait()
    stop.set()
    await running

    # then each partition was told it was recovered, its state covering its 30 inputs.
    assert sorted(Resuming.recovered_after) == [0, 1]
    assert Resuming.recovered_after == dict(enumerate(await _ends(log, INPUTS)))
    assert sum(await _ends(log, OUTPUTS)) == 0  # none handled again
    await log.close()


async def test_a_clean_stop_waits_for_the_processors_background_work_to_be_recorded(
    tmp_path: Path,
) -> None:
    # Given a processor whose outputs are recorded half a second after it handled the input,
    log = EmbeddedLog(tmp_path / "log.sqlite")
    await log.start()
    await log.ensure_topics({INPUTS: 1, OUTPUTS: 1})
    RecordsLater.log, RecordsLater.topic, RecordsLater.handled = log, OUTPUTS, asyncio.Event()
    runner = PartitionedRunner(
        log, topic=INPUTS, group=GROUP, factory=RecordsLater, clock=lambda: AT
    )
    stop = asyncio.Event()
    running = asyncio.create_task(runner.run(stop))
    await runner.ready.wait()
    tick = wrap(TickOccurred(at=AT), key="k", event_id=deterministic_id(1), occurred_at=AT)
    await log.append([Outgoing(INPUTS, "k", encode_envelope(tick))])
    await asyncio.wait_for(RecordsLater.handled.wait(), 20)

    # when the runner is stopped while that work runs,
    stop.set()
    await asyncio.wait_for(running, 20)

    # then the stop waited for it: its output is on the log.
    assert await log.end_offset(OUTPUTS, 0) == 1
    await log.close()


class FewAtATime(EmbeddedConsumer):
    """Hands out 3 records per poll, a few milliseconds apart: a runner then has many
    batches, one after the other, while earlier ones are being written."""

    async def poll(self, max_records: int, timeout_s: float) -> list[Record]:
        await asyncio.sleep(0.005)
        return await super().poll(3, timeout_s)


class SlowRefusingLog(RefusingLog):
    """Also takes a while over each transaction of outputs (a busy disk), so that a runner's
    appends overlap; notes how many of its appends were on their way at once."""

    def __init__(self, path: Path, refusals: int) -> None:
        super().__init__(path, refusals)
        self.on_their_way: set[asyncio.Future[None]] = set()
        self.most_at_once = 0

    def _write_batch(self, batch: Any) -> list[Record]:
        if any(r.topic == OUTPUTS for w in batch for r in w.records):
            time.sleep(0.02)
        return super()._write_batch(batch)

    def consumer(self, topic: str, group: str) -> EmbeddedConsumer:
        return FewAtATime(self, topic, group)

    def queue_append(self, records: Sequence[Outgoing], lane: object) -> asyncio.Future[None]:
        written = super().queue_append(records, lane)
        self.on_their_way.add(written)
        written.add_done_callback(self.on_their_way.discard)
        self.most_at_once = max(self.most_at_once, len(self.on_their_way))
        return written


async def test_appends_overlap_yet_outputs_keep_input_order_through_failed_transactions(
    tmp_path: Path,
) -> None:
    # Given a runner whose output transactions are slow and the first of them fails,
    log = SlowRefusingLog(tmp_path / "log.sqlite", refusals=0)
    await log.start()
    await log.ensure_topics({INPUTS: 2, OUTPUTS: 2})
    runner = PartitionedRunner(log, topic=INPUTS, group=GROUP, factory=Echo, clock=lambda: AT)
    stop = asyncio.Event()
    running = asyncio.create_task(runner.run(stop))
    await runner.ready.wait()

    # when 90 inputs come, and the runner reads them 3 at a time,
    inputs = [
        wrap(TickOccurred(at=AT), key=f"k{i % 5}", event_id=deterministic_id(i), occurred_at=AT)
        for i in range(90)
    ]
    await log.append([Outgoing(INPUTS, e.key, encode_envelope(e)) for e in inputs])
    log.refusals = 1
    async with asyncio.timeout(20):
        while True:
            appended = log.append_signal(OUTPUTS)
            if sum(await _ends(log, OUTPUTS)) == 90:
                break
            await appended.wait()
    stop.set()
    await running

    # then batches' appends were on their way together, the failures were retried, and every
    # partition holds each input's output once, in the order of its inputs.
    assert log.most_at_once >= 2
    assert log.refusals == 0
    for partition in range(2):
        ins = [
            decode_event(r.value).event_id for r in await log.read(INPUTS, partition, 0, 1 << 30)
        ]
        outs = [
            decode_event(r.value).event_id for r in await log.read(OUTPUTS, partition, 0, 1 << 30)
        ]
        assert outs == [deterministic_id(event_id, "echo") for event_id in ins]
    await log.close()


class HeldCommitsLog(EmbeddedLog):
    """Holds the runner's offset commits until `release`, as a log slow to take them."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.release = asyncio.Event()
        self.commits: list[dict[int, int]] = []

    async def store_committed(self, group: str, topic: str, next_offsets: dict[int, int]) -> None:
        if group == GROUP:
            await self.release.wait()
            self.commits.append(dict(next_offsets))
        await super().store_committed(group, topic, next_offsets)


async def test_commits_queued_behind_a_slow_one_are_made_as_one(tmp_path: Path) -> None:
    # Given a runner handling 20 inputs one batch each while its first commit is held
    log = HeldCommitsLog(tmp_path / "log.sqlite")
    await log.start()
    await log.ensure_topics({INPUTS: 1, OUTPUTS: 1})
    runner = PartitionedRunner(log, topic=INPUTS, group=GROUP, factory=Echo, clock=lambda: AT)
    stop = asyncio.Event()
    running = asyncio.create_task(runner.run(stop))
    for i in range(20):
        event = wrap(TickOccurred(at=AT), key="k", event_id=deterministic_id(i), occurred_at=AT)
        await log.append([Outgoing(INPUTS, "k", encode_envelope(event))])
        async with asyncio.timeout(10):
            while True:
                appended = log.append_signal(OUTPUTS)
                if (await _ends(log, OUTPUTS))[0] == i + 1:
                    break
                await appended.wait()

    # When the log takes commits again and the runner stops
    log.release.set()
    stop.set()
    await running

    # Then the commits queued behind the held one were made as one, of the newest offset (one
    # write each made a stop wait 50 ms per batch handled: 18 s after a burst of pages)
    assert log.commits[-1] == {0: 20}
    assert len(log.commits) <= 3, log.commits
    await log.close()
