"""The partitioned runner across a rebalance and a stop: a partition this member loses and later
gets back is rebuilt from the log then, never continued from state it held before; a stop cuts
a batch that does not end, leaving its inputs to be handled again.

aiokafka may let the poll loop see the old assignment after the revoke callback ran and before
the new one is set; the runner must not keep state recovered in that gap."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared.events import (
    AnyEvent,
    Envelope,
    TickOccurred,
    deterministic_id,
    encode_envelope,
    wrap,
)
from shared.log.embedded import EmbeddedLog
from shared.log.embedded_consumer import EmbeddedConsumer
from shared.log.port import Outgoing, PartitionsCallback, Record
from shared.runtime import runner as runner_module
from shared.runtime.processor import PartitionProcessor
from shared.runtime.runner import PartitionedRunner
from tests.support.background_work import RecordsLater

INPUTS, GROUP, OUTCOMES = "in", "counters", "outcomes"
AT = datetime(2026, 11, 27, 6, 50, tzinfo=UTC)


class Counter(PartitionProcessor):
    """State: how many inputs of its partition it has folded, replayed or live."""

    def __init__(self, partition: int) -> None:
        super().__init__(partition)
        self.folded = 0

    def apply(self, envelope: Envelope, event: AnyEvent, *, live: bool) -> list[Outgoing]:
        self.folded += 1
        return []


class Member(EmbeddedConsumer):
    """An embedded consumer whose assignment the test moves, as a group coordinator would."""

    def __init__(self, log: EmbeddedLog) -> None:
        super().__init__(log, INPUTS, GROUP)
        self.view: frozenset[int] = frozenset({0, 1})
        self.on_assigned: PartitionsCallback | None = None
        self.on_revoked: PartitionsCallback | None = None
        # While set, `committed` waits for it, as aiokafka's waits out a rebalance.
        self.rebalancing: asyncio.Event | None = None

    async def start(self, on_assigned: PartitionsCallback, on_revoked: PartitionsCallback) -> None:
        self.on_assigned, self.on_revoked = on_assigned, on_revoked
        await self.move_to(self.view)

    async def move_to(self, partitions: frozenset[int]) -> None:
        self.view = partitions
        self._positions = {p: await self.committed(p) for p in partitions}

    def assignment(self) -> frozenset[int]:
        return self.view

    async def committed(self, partition: int) -> int:
        if self.rebalancing is not None:
            await self.rebalancing.wait()
        return await super().committed(partition)

    def end_seen(self, partition: int) -> int | None:
        assert partition in self.view, "Partition is not assigned"  # as aiokafka's highwater
        return super().end_seen(partition)


class MemberLog(EmbeddedLog):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.member = Member(self)

    def consumer(self, topic: str, group: str) -> EmbeddedConsumer:
        return self.member


async def _inputs(log: EmbeddedLog, partition: int, first: int, count: int) -> None:
    events = [
        wrap(TickOccurred(at=AT), key="k", event_id=deterministic_id(partition, i), occurred_at=AT)
        for i in range(first, first + count)
    ]
    await log.append([Outgoing(INPUTS, e.key, encode_envelope(e), partition) for e in events])


async def _until(check: Callable[[], Awaitable[bool]]) -> None:
    """Offsets are committed in the background: look every 20 ms, for at most 10 s."""
    for _ in range(500):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("not reached within 10 s")


async def test_a_partition_lost_in_a_rebalance_and_won_back_is_rebuilt_from_the_log(
    tmp_path: Path,
) -> None:
    log = MemberLog(tmp_path / "log.sqlite")
    await log.start()
    await log.ensure_topics({INPUTS: 2})
    await _inputs(log, 0, 0, 10)
    await _inputs(log, 1, 0, 10)
    runner = PartitionedRunner(log, topic=INPUTS, group=GROUP, factory=Counter, clock=lambda: AT)
    stop = asyncio.Event()
    running = asyncio.create_task(runner.run(stop))
    member = log.member

    async def committed(partition: int, offset: int) -> bool:
        return await member.committed(partition) == offset

    await _until(lambda: committed(1, 10))

    # A rebalance: partitions revoked, the poll loop still sees the old assignment for a while
    # (and recovers both), then this member is given partition 0 only.
    assert member.on_revoked is not None and member.on_assigned is not None
    await member.on_revoked(frozenset({0, 1}))
    await asyncio.sleep(0.3)
    await member.on_assigned(frozenset({0}))
    await member.move_to(frozenset({0}))

    # Meanwhile another member handles five more inputs of partition 1 and commits them.
    await _inputs(log, 1, 10, 5)
    await log.store_committed(GROUP, INPUTS, {1: 15})

    # Partition 1 comes back, with five more inputs after the other member's commit.
    await member.on_assigned(frozenset({0, 1}))
    await member.move_to(frozenset({0, 1}))
    await _inputs(log, 1, 15, 5)
    await _until(lambda: committed(1, 20))
    stop.set()
    await running

    counter = runner.processors[1]
    assert isinstance(counter, Counter)
    assert counter.folded == 20  # 15 replayed from the log, 5 live; stale state would say 15
    await log.close()


async def test_a_member_left_fewer_partitions_by_a_rebalance_keeps_running_on_those_it_owns(
    tmp_path: Path,
) -> None:
    """Another member joins: this one's recovery, started on the old assignment, waits out the
    rebalance; the partitions it no longer owns must not be recovered, nor their lag read
    (aiokafka asserts on them: the process stopped at every scale-out)."""
    log = MemberLog(tmp_path / "log.sqlite")
    await log.start()
    await log.ensure_topics({INPUTS: 2})
    await _inputs(log, 0, 0, 10)
    await _inputs(log, 1, 0, 10)
    runner = PartitionedRunner(log, topic=INPUTS, group=GROUP, factory=Counter, clock=lambda: AT)
    stop = asyncio.Event()
    running = asyncio.create_task(runner.run(stop))
    member = log.member
    await _until(lambda: _committed(member, 1, 10))

    assert member.on_revoked is not None and member.on_assigned is not None
    member.rebalancing = asyncio.Event()
    await member.on_revoked(frozenset({0, 1}))
    await asyncio.sleep(0.3)  # the poll loop sees {0, 1} still, and waits in `committed`
    await member.on_assigned(frozenset({0}))
    member.view = frozenset({0})
    member.rebalancing.set()
    member.rebalancing = None
    await member.move_to(frozenset({0}))
    await _inputs(log, 0, 10, 5)
    await _until(lambda: _committed(member, 0, 15))

    assert not running.done(), running.exception()
    assert set(runner.processors) == {0}
    assert set(runner.lag()) == {0}
    stop.set()
    await running
    await log.close()


async def _committed(member: Member, partition: int, offset: int) -> bool:
    return await member.committed(partition) == offset


class Hanging(PartitionProcessor):
    """Never finishes a batch, as a dispatcher retrying a dead endpoint with backoff."""

    async def handle_batch(self, records: list[Record]) -> list[Outgoing]:
        await asyncio.Event().wait()
        return []

    def apply(self, envelope: Envelope, event: AnyEvent, *, live: bool) -> list[Outgoing]:
        return []


async def test_a_stop_cuts_a_batch_that_does_not_end_and_leaves_its_inputs_uncommitted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner_module, "STOP_GRACE_S", 0.2)
    log = EmbeddedLog(tmp_path / "log.sqlite")
    await log.start()
    await log.ensure_topics({INPUTS: 2})
    await _inputs(log, 0, 0, 3)
    runner = PartitionedRunner(log, topic=INPUTS, group=GROUP, factory=Hanging, clock=lambda: AT)
    stop = asyncio.Event()
    running = asyncio.create_task(runner.run(stop))
    await _until(lambda: _has_processor(runner, 0))
    await asyncio.sleep(0.1)  # the batch is being handled, and hangs

    stop.set()
    async with asyncio.timeout(5):
        await running

    assert await log.consumer(INPUTS, GROUP).committed(0) == 0  # handled again after a restart
    await log.close()


async def _has_processor(runner: PartitionedRunner, partition: int) -> bool:
    return partition in runner.processors


async def test_a_revoked_partition_is_handed_over_once_its_background_work_is_recorded(
    tmp_path: Path,
) -> None:
    # Given a member whose processor records an input's outcome half a second after handling it,
    log = MemberLog(tmp_path / "log.sqlite")
    await log.start()
    await log.ensure_topics({INPUTS: 2, OUTCOMES: 2})
    RecordsLater.log, RecordsLater.topic, RecordsLater.handled = log, OUTCOMES, asyncio.Event()
    runner = PartitionedRunner(
        log, topic=INPUTS, group=GROUP, factory=RecordsLater, clock=lambda: AT
    )
    stop = asyncio.Event()
    running = asyncio.create_task(runner.run(stop))
    await runner.ready.wait()
    await _inputs(log, 1, 0, 1)
    await asyncio.wait_for(RecordsLater.handled.wait(), 10)

    # when a rebalance takes its partitions while that work runs,
    member = log.member
    assert member.on_revoked is not None
    await asyncio.wait_for(member.on_revoked(frozenset({0, 1})), 10)

    # then the revoke returned only once the outcome was on the log, for the next owner to see.
    assert await log.end_offset(OUTCOMES, 1) == 1
    stop.set()
    await running
    await log.close()
