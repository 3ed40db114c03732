"""Snapshots of partition state: recovery starts from the newest one and folds only the input
after it, ending in the state a full rebuild gives; a snapshot written by other code, or ahead
of the committed offset, is not used. The snapshot store keeps snapshots larger than a record
and ignores unfinished or damaged writes, on both backends."""

from __future__ import annotations

import asyncio
import os
import uuid
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import orjson
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
from shared.log.port import EventLog, Outgoing, Record
from shared.runtime import runner as runner_module
from shared.runtime import snapshot_keeper
from shared.runtime.processor import PartitionProcessor
from shared.runtime.runner import PartitionedRunner
from shared.runtime.snapshots import CHUNK, CHUNK_BYTES, MANIFEST, SnapshotStore
from shared.runtime.state_pickle import dump_state

INPUTS, GROUP = "in", "tallies"
AT = datetime(2026, 11, 27, 6, 50, tzinfo=UTC)


class Tally(PartitionProcessor):
    """State: the key of every input folded, in order. `replayed` (not state) counts the
    inputs folded at recovery."""

    def __init__(self, partition: int) -> None:
        super().__init__(partition)
        self.keys: list[str] = []
        self.replayed = 0

    def replay(self, record: Record) -> None:
        self.replayed += 1
        super().replay(record)

    def apply(self, envelope: Envelope, event: AnyEvent, *, live: bool) -> list[Outgoing]:
        self.keys.append(envelope.key)
        return []

    def state_to_snapshot(self) -> object:
        return self.keys

    def restore_state(self, state: object) -> None:
        assert isinstance(state, list)
        self.keys = state


async def _append_inputs(log: EventLog, first: int, count: int) -> None:
    inputs = [
        wrap(TickOccurred(at=AT), key=f"k{i}", event_id=deterministic_id(i), occurred_at=AT)
        for i in range(first, first + count)
    ]
    await log.append([Outgoing(INPUTS, e.key, encode_envelope(e), 0) for e in inputs])


async def _until_committed(log: EmbeddedLog, end: int, runner: PartitionedRunner) -> None:
    """Until the runner holds partition 0 and has committed it up to `end` (20 s at most)."""
    for _ in range(1_000):
        if 0 in runner.processors and await log.consumer(INPUTS, GROUP).committed(0) >= end:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"partition 0 not committed up to {end} within 20 s")


async def _run_until_committed(log: EmbeddedLog, end: int, every: int) -> Tally:
    """Run a runner until partition 0 is committed up to `end`; its processor afterwards."""
    runner = PartitionedRunner(
        log, topic=INPUTS, group=GROUP, factory=Tally, clock=lambda: AT, snapshot_every=every
    )
    stop = asyncio.Event()
    running = asyncio.create_task(runner.run(stop))
    await _until_committed(log, end, runner)
    processor = runner.processors[0]
    stop.set()
    await running
    assert isinstance(processor, Tally)
    return processor


async def _embedded(tmp_path: Path) -> EmbeddedLog:
    log = EmbeddedLog(tmp_path / "log.sqlite")
    await log.start()
    await log.ensure_topics({INPUTS: 1})
    return log


async def test_recovery_starts_from_the_newest_snapshot_and_folds_only_the_input_after_it(
    tmp_path: Path,
) -> None:
    # Given a runner that handled 25 inputs and snapshots every 10, then 5 more inputs,
    log = await _embedded(tmp_path)
    await _append_inputs(log, 0, 25)
    await _run_until_committed(log, 25, every=10)
    await _append_inputs(log, 25, 5)

    # when a new runner recovers the partition and handles the rest,
    restarted = await _run_until_committed(log, 30, every=10)

    # then it folded none of the input the snapshot covers, and its state is every input's.
    assert restarted.replayed == 0
    assert restarted.keys == [f"k{i}" for i in range(30)]
    await log.close()


async def test_a_clean_stop_snapshots_what_was_folded_so_the_next_start_replays_nothing(
    tmp_path: Path,
) -> None:
    # Given a runner that handled 25 inputs, far fewer than its snapshot interval, and stopped,
    log = await _embedded(tmp_path)
    await _append_inputs(log, 0, 25)
    await _run_until_committed(log, 25, every=1_000_000)

    # when a new runner recovers the partition,
    restarted = await _run_until_committed(log, 25, every=1_000_000)

    # then it starts from the snapshot taken at the stop.
    assert restarted.replayed == 0
    assert restarted.keys == [f"k{i}" for i in range(25)]
    await log.close()


async def _manifests(log: EmbeddedLog) -> int:
    store = SnapshotStore(log, GROUP)
    records = await log.read(store.topic, 0, 0, 1 << 30)
    return sum(record.key == MANIFEST for record in records)


async def test_periodic_snapshots_wait_while_their_time_allowance_is_spent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a runner whose snapshots may take no time at all, handling two batches of inputs
    # each past its snapshot interval,
    monkeypatch.setattr(snapshot_keeper, "TIME_BURST_S", 0.0)
    monkeypatch.setattr(snapshot_keeper, "TIME_SHARE", 0.0)
    log = await _embedded(tmp_path)
    runner = PartitionedRunner(
        log, topic=INPUTS, group=GROUP, factory=Tally, clock=lambda: AT, snapshot_every=10
    )
    stop = asyncio.Event()
    running = asyncio.create_task(runner.run(stop))
    for first in (0, 25):
        await _append_inputs(log, first, 25)
        await _until_committed(log, first + 25, runner)

    # when it stops,
    stop.set()
    await running

    # then the only snapshot is the one a clean stop writes.
    assert await _manifests(log) == 1
    await log.close()


class Hanging(Tally):
    """Handles the first five inputs; in a later batch folds the first input, then hangs."""

    async def handle_batch(self, records: list[Record]) -> list[Outgoing]:
        if records[0].offset < 5:
            return await super().handle_batch(records)
        await self.handle(records[0])
        await asyncio.Event().wait()
        return []


async def test_a_stop_that_cuts_a_batch_short_writes_no_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a runner that handled and committed 5 inputs, then got stuck in the next batch
    # with its first input already folded into its state,
    monkeypatch.setattr(runner_module, "STOP_GRACE_S", 0.2)
    log = await _embedded(tmp_path)
    await _append_inputs(log, 0, 5)
    runner = PartitionedRunner(log, topic=INPUTS, group=GROUP, factory=Hanging, clock=lambda: AT)
    stop = asyncio.Event()
    running = asyncio.create_task(runner.run(stop))
    await _until_committed(log, 5, runner)
    await _append_inputs(log, 5, 5)
    for _ in range(250):
        processor = runner.processors.get(0)
        if isinstance(processor, Hanging) and len(processor.keys) == 6:
            break
        await asyncio.sleep(0.02)

    # when it is stopped,
    stop.set()
    async with asyncio.timeout(5):
        await running

    # then no snapshot holds that state: it is past every committed offset.
    store = SnapshotStore(log, GROUP)
    assert await store.latest(0, Hanging(0).snapshot_format()) is None
    await log.close()


async def test_a_partition_without_a_usable_snapshot_is_rebuilt_from_the_whole_input(
    tmp_path: Path,
) -> None:
    # Given 25 handled inputs, and newest snapshots that are unusable: one of another state
    # format, then one of this format claiming input past the committed offset,
    log = await _embedded(tmp_path)
    await _append_inputs(log, 0, 25)
    await _run_until_committed(log, 25, every=1_000_000)
    bogus = dump_state(({}, ["bogus"]))
    store = SnapshotStore(log, GROUP)
    await store.write(0, 25, bogus, "another state format")
    await store.write(0, 26, bogus, Tally(0).snapshot_format())

    # when a new runner recovers the partition,
    restarted = await _run_until_committed(log, 25, every=1_000_000)

    # then it folded the whole input, and nothing of either snapshot.
    assert restarted.replayed == 25
    assert restarted.keys == [f"k{i}" for i in range(25)]
    await log.close()


LogFactory = Callable[[], EventLog]


def _store(log: EventLog) -> SnapshotStore:
    return SnapshotStore(log, f"snapshots-{uuid.uuid4().hex[:8]}")


async def test_a_snapshot_larger_than_a_record_comes_back_whole(state_log: EventLog) -> None:
    store = _store(state_log)
    await state_log.ensure_topics({store.topic: 2})
    data = os.urandom(3 * CHUNK_BYTES + 17)  # incompressible: four chunk records

    await store.write(1, 4_321, data, "f1")
    found = await store.latest(1, "f1")

    assert found is not None
    assert (found.input_offset, found.data) == (4_321, data)
    assert await store.latest(0, "f1") is None
    assert await store.latest(1, "f2") is None


async def test_an_unfinished_write_leaves_the_previous_snapshot_in_use(
    state_log: EventLog,
) -> None:
    # Given a complete snapshot, then the chunks of one whose manifest never got written,
    store = _store(state_log)
    await state_log.ensure_topics({store.topic: 1})
    await store.write(0, 100, b"complete", "f1")
    await state_log.append([Outgoing(store.topic, CHUNK, b"half", 0)] * 3)

    # then the complete one is the newest there is.
    found = await store.latest(0, "f1")
    assert found is not None
    assert (found.input_offset, found.data) == (100, b"complete")


async def test_a_snapshot_whose_chunks_do_not_match_its_manifest_is_not_used(
    state_log: EventLog,
) -> None:
    # Given a manifest naming a digest its chunk does not have,
    store = _store(state_log)
    await state_log.ensure_topics({store.topic: 1})
    await store.write(0, 100, b"complete", "f1")
    last = (await state_log.read(store.topic, 0, 1, 2))[0]
    manifest = orjson.loads(last.value)
    manifest["sha256"] = "0" * 64
    await state_log.append(
        [
            Outgoing(store.topic, CHUNK, b"not what was hashed", 0),
            Outgoing(store.topic, MANIFEST, orjson.dumps(manifest), 0),
        ]
    )

    # then there is no snapshot to use.
    assert await store.latest(0, "f1") is None


async def test_a_read_model_snapshot_names_the_positions_it_covers(state_log: EventLog) -> None:
    # Given a snapshot of a read model that folded topic a up to offsets 12 and 0 of its two
    # partitions, and topic b up to offset 3,
    store = _store(state_log)
    await state_log.ensure_topics({store.topic: 1})
    positions = {"a": {0: 12, 1: 0}, "b": {0: 3}}
    await store.write(0, None, b"model", "f1", positions=positions)

    # then the snapshot gives them back, and its manifest holds them as retention reads them:
    # partitions as strings, no input offset.
    found = await store.latest(0, "f1")
    assert found is not None
    assert (found.input_offset, found.data, found.positions) == (None, b"model", positions)
    newest = await store.newest_manifest(0)
    assert newest is not None
    assert newest[1]["positions"] == {"a": {"0": 12, "1": 0}, "b": {"0": 3}}
    assert "input_offset" not in newest[1]


async def test_a_processor_snapshot_keeps_its_input_offset_and_names_no_positions(
    state_log: EventLog,
) -> None:
    store = _store(state_log)
    await state_log.ensure_topics({store.topic: 1})
    await store.write(0, 100, b"state", "f1")

    found = await store.latest(0, "f1")
    newest = await store.newest_manifest(0)

    assert found is not None and (found.input_offset, found.positions) == (100, None)
    assert newest is not None
    assert sorted(newest[1]) == [
        "chunk_key",
        "chunks",
        "format",
        "input_offset",
        "sha256",
        "state",
    ]


async def test_snapshots_whose_records_interleave_are_each_found_whole(
    state_log: EventLog,
) -> None:
    # Given two writers appending snapshots to one partition at once (router replicas on
    # Kafka snapshot their read models to the same partition), so their chunks interleave,
    store = _store(state_log)
    await state_log.ensure_topics({store.topic: 1})
    first_data, second_data = os.urandom(2 * CHUNK_BYTES + 5), os.urandom(2 * CHUNK_BYTES + 9)
    first = store.records(0, zlib.compress(first_data), None, "f1", {"a": {0: 10}})
    second = store.records(0, zlib.compress(second_data), None, "f1", {"a": {0: 11}})
    interleaved = [record for pair in zip(first[:-1], second[:-1], strict=True) for record in pair]
    await state_log.append([*interleaved, second[-1]])

    # then the manifest written last names a snapshot that is read back whole,
    found = await store.latest(0, "f1")
    assert found is not None and (found.data, found.positions) == (second_data, {"a": {0: 11}})

    # and so does the other writer's, once its manifest comes last.
    await state_log.append([first[-1]])
    found = await store.latest(0, "f1")
    assert found is not None and (found.data, found.positions) == (first_data, {"a": {0: 10}})


async def test_a_snapshot_whose_positions_are_not_offsets_is_not_used(tmp_path: Path) -> None:
    # Given a complete snapshot whose manifest names a partition that is not a number,
    log = await _embedded(tmp_path)
    store = _store(log)
    await log.ensure_topics({store.topic: 1})
    await store.write(0, None, b"model", "f1", positions={"a": {0: 1}})
    [chunk, manifest_record] = await log.read(store.topic, 0, 0, 2)
    manifest = orjson.loads(manifest_record.value)
    manifest["positions"] = {"a": {"zero": 1}}
    await log.append(
        [
            Outgoing(store.topic, CHUNK, chunk.value, 0),
            Outgoing(store.topic, MANIFEST, orjson.dumps(manifest), 0),
        ]
    )

    # then there is no snapshot to use.
    assert await store.latest(0, "f1") is None
    await log.close()
