"""Consumer lag in records: what a group's member has not folded of the partitions it owns, as
far as it has seen their end; on both backends, and exposed as
`tocsin_consumer_lag_records{group, topic, partition}`."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from prometheus_client import CollectorRegistry

from shared.events import TickOccurred, deterministic_id, encode_envelope, wrap
from shared.log.embedded import EmbeddedLog
from shared.log.port import Consumer, EventLog, Outgoing, PartitionsCallback, Record
from shared.runtime.lag_metrics import ConsumerLagCollector
from shared.runtime.runner import PartitionedRunner
from tests.contract.test_runner_snapshots import AT, Tally


class GatedConsumer:
    """A consumer whose polls wait while the gate is closed (the member is busy elsewhere)."""

    def __init__(self, inner: Consumer, gate: asyncio.Event) -> None:
        self._inner, self._gate = inner, gate

    async def start(self, on_assigned: PartitionsCallback, on_revoked: PartitionsCallback) -> None:
        await self._inner.start(on_assigned, on_revoked)

    async def poll(self, max_records: int, timeout_s: float) -> list[Record]:
        if not self._gate.is_set():
            await asyncio.sleep(timeout_s)
            return []
        return await self._inner.poll(max_records, timeout_s)

    async def commit(self, next_offsets: dict[int, int]) -> None:
        await self._inner.commit(next_offsets)

    async def committed(self, partition: int) -> int:
        return await self._inner.committed(partition)

    def assignment(self) -> frozenset[int]:
        return self._inner.assignment()

    def end_seen(self, partition: int) -> int | None:
        return self._inner.end_seen(partition)

    async def stop(self) -> None:
        await self._inner.stop()


async def _until(condition: object, what: str) -> None:
    for _ in range(1_500):
        if callable(condition) and await condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"not within 30 s: {what}")


def _runner(log: EventLog, topic: str, group: str) -> PartitionedRunner:
    return PartitionedRunner(log, topic=topic, group=group, factory=Tally, clock=lambda: AT)


async def test_a_member_that_caught_up_has_no_lag_and_says_so(state_log: EventLog) -> None:
    event_log, topic, group = state_log, f"in-{uuid.uuid4().hex[:8]}", "lagging"
    await event_log.ensure_topics({topic: 1})
    await _append_inputs_to(event_log, topic, 25)
    runner = _runner(event_log, topic, group)
    registry = CollectorRegistry()
    registry.register(ConsumerLagCollector([runner]))
    stop = asyncio.Event()
    running = asyncio.create_task(runner.run(stop))

    async def folded_all() -> bool:
        processor = runner.processors.get(0)
        return isinstance(processor, Tally) and len(processor.keys) == 25

    await _until(folded_all, "folded all 25")
    labels = {"group": group, "topic": topic, "partition": "0"}
    assert runner.lag() == {0: 0}
    assert registry.get_sample_value("tocsin_consumer_lag_records", labels) == 0
    assert runner.caught_up_at() == {0: AT}  # by the runner's clock
    stop.set()
    await running


async def test_records_appended_while_a_member_is_busy_are_its_lag(tmp_path: Path) -> None:
    log = EmbeddedLog(tmp_path / "log.sqlite")
    await log.start()
    topic, group = "in", "lagging"
    await log.ensure_topics({topic: 1})
    gate = asyncio.Event()
    gate.set()
    runner = _runner(_GatedLog(log, gate), topic, group)
    stop = asyncio.Event()
    running = asyncio.create_task(runner.run(stop))
    await _append_inputs_to(log, topic, 25)

    async def folded_all() -> bool:
        return runner.lag() == {0: 0} and await log.consumer(topic, group).committed(0) >= 25

    await _until(folded_all, "folded the first 25")
    gate.clear()
    await asyncio.sleep(0.3)  # a poll in progress ends
    await _append_inputs_to(log, topic, 10, first=25)
    assert runner.lag() == {0: 10}
    assert runner.caught_up_at() == {0: AT}  # when it last had nothing left, not since
    gate.set()

    async def caught_up() -> bool:
        return runner.lag() == {0: 0}

    await _until(caught_up, "caught up again")
    stop.set()
    await running
    await log.close()


class _GatedLog:
    """`log`, whose group consumers wait at the gate."""

    def __init__(self, log: EmbeddedLog, gate: asyncio.Event) -> None:
        self._log, self._gate = log, gate

    def consumer(self, topic: str, group: str) -> Consumer:
        return GatedConsumer(self._log.consumer(topic, group), self._gate)

    def __getattr__(self, name: str) -> object:
        return getattr(self._log, name)


async def _append_inputs_to(log: EventLog, topic: str, count: int, first: int = 0) -> None:
    inputs = [
        wrap(TickOccurred(at=AT), key=f"k{i}", event_id=deterministic_id(topic, i), occurred_at=AT)
        for i in range(first, first + count)
    ]
    await log.append([Outgoing(topic, e.key, encode_envelope(e), 0) for e in inputs])


async def test_a_partition_being_rebuilt_reports_what_it_has_left_to_fold(tmp_path: Path) -> None:
    """A restart replays the log up to the committed offset before any live record: that
    replay is lag too (the rule `TocsinConsumerLagging` is meant to catch it)."""
    log = EmbeddedLog(tmp_path / "log.sqlite")
    await log.start()
    topic, group = "in", "rebuilding"
    await log.ensure_topics({topic: 1})
    await _append_inputs_to(log, topic, 30)
    await log.consumer(topic, group).commit({0: 30})  # handled by an earlier run
    gate = asyncio.Event()
    slow = _SlowReplayLog(log, gate)
    runner = _runner(slow, topic, group)
    stop = asyncio.Event()
    running = asyncio.create_task(runner.run(stop))

    async def halfway() -> bool:
        return slow.reads == 2

    await _until(halfway, "the replay's second read")
    assert runner.rebuilding == frozenset({0})
    assert runner.lag() == {0: 20}
    gate.set()

    async def recovered() -> bool:
        return runner.lag() == {0: 0} and not runner.rebuilding

    await _until(recovered, "recovered")
    stop.set()
    await running
    await log.close()


class _SlowReplayLog(_GatedLog):
    """`log`, whose reads return 10 records at a time and, from the second on, wait at the
    gate."""

    def __init__(self, log: EmbeddedLog, gate: asyncio.Event) -> None:
        super().__init__(log, gate)
        self._inner_log, self._replay_gate = log, gate
        self.reads = 0

    def consumer(self, topic: str, group: str) -> Consumer:
        return self._inner_log.consumer(topic, group)

    async def read(self, topic: str, partition: int, start: int, end: int) -> list[Record]:
        self.reads += 1
        if self.reads > 1:
            await self._replay_gate.wait()
        return await self._inner_log.read(topic, partition, start, min(end, start + 10))
