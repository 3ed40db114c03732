"""Retention on the embedded log: records older than the retention are deleted once every
reader's snapshot is past them, old snapshots go once a newer one is complete, a partition's
last record stays (so offsets go on after a restart) and readers read on from what is left."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from shared.log.embedded import EmbeddedLog
from shared.log.port import Outgoing
from shared.runtime.log_retention import LogReader, LogRetention
from shared.runtime.runner import PartitionedRunner
from shared.runtime.snapshots import SnapshotStore, state_topic
from tests.contract import test_runner_snapshots as snapshots_test
from tests.support.manual_clock import ManualClock

ALERTS, PAYLOADS, GROUP = "alerts", "payloads", "tocsin-corr"
CORRELATOR = LogReader(state_topic(GROUP), (ALERTS,), GROUP)
FORMAT = "tally-v1"


@pytest.fixture
async def clock_and_log(tmp_path: Path) -> AsyncIterator[tuple[ManualClock, EmbeddedLog]]:
    clock = ManualClock()
    log = EmbeddedLog(tmp_path / "tocsin.sqlite", wall_clock=clock)
    await log.start()
    await log.ensure_topics({ALERTS: 1, PAYLOADS: 1, state_topic(GROUP): 1})
    yield clock, log
    await log.close()


async def _append(log: EmbeddedLog, topic: str, count: int) -> None:
    await log.append([Outgoing(topic, f"k{i}", b"v", 0) for i in range(count)])


async def _offsets(log: EmbeddedLog, topic: str) -> list[int]:
    end = await log.end_offset(topic, 0)
    return [record.offset for record in await log.read(topic, 0, 0, end)]


def _retention(
    log: EmbeddedLog,
    clock: ManualClock,
    *readers: LogReader,
    retention: timedelta | None = timedelta(seconds=50),
    history: tuple[str, ...] = (ALERTS, PAYLOADS),
    registry: CollectorRegistry | None = None,
) -> LogRetention:
    registry = registry or CollectorRegistry()
    return LogRetention(log, retention, history, readers, registry, wall_clock=clock)


async def _history(clock: ManualClock, log: EmbeddedLog) -> None:
    """Records 0-99 appended at t=0, 100-199 at t=1000, 200-209 at t=2000 (both topics): the
    time index holds a row per write, each further apart than its interval."""
    for at, count in ((0.0, 100), (1000.0, 100), (2000.0, 10)):
        clock.now = at
        await _append(log, ALERTS, count)
        await _append(log, PAYLOADS, count)


async def test_records_go_once_older_than_the_retention_and_past_every_snapshot(
    clock_and_log: tuple[ManualClock, EmbeddedLog],
) -> None:
    clock, log = clock_and_log
    await _history(clock, log)
    await log.store_committed(GROUP, ALERTS, {0: 180})
    await SnapshotStore(log, GROUP).write(0, 150, b"state", FORMAT)  # the commit rides along
    # cutoff 2010: the time index says records 0-199 were appended by t=2000
    clock.now = 2060.0
    retention = _retention(log, clock, CORRELATOR)

    deleted = await retention.prune_once()

    assert (await _offsets(log, PAYLOADS))[0] == 200  # nobody reads them: retention alone
    assert (await _offsets(log, ALERTS))[0] == 150  # the snapshot still needs 150 onwards
    assert deleted == 200 + 150


async def test_a_reader_without_a_snapshot_keeps_its_input(
    clock_and_log: tuple[ManualClock, EmbeddedLog],
) -> None:
    clock, log = clock_and_log
    await _history(clock, log)
    clock.now = 5000.0
    await _retention(log, clock, CORRELATOR).prune_once()
    assert (await _offsets(log, ALERTS))[0] == 0
    # the time index knows records before 200 are old; the last write's wait for the next
    assert (await _offsets(log, PAYLOADS))[0] == 200


async def test_a_partitions_last_record_always_stays(
    clock_and_log: tuple[ManualClock, EmbeddedLog],
) -> None:
    clock, log = clock_and_log
    await _history(clock, log)
    assert await log.delete_below({(PAYLOADS, 0): 10_000}) == 209
    assert await _offsets(log, PAYLOADS) == [209]


async def test_offsets_go_on_after_a_restart_when_old_records_are_gone(
    tmp_path: Path, clock_and_log: tuple[ManualClock, EmbeddedLog]
) -> None:
    clock, log = clock_and_log
    await _history(clock, log)
    await log.delete_below({(PAYLOADS, 0): 10_000})
    await log.close()

    reopened = EmbeddedLog(tmp_path / "tocsin.sqlite")
    await reopened.start()
    try:
        assert await reopened.end_offset(PAYLOADS, 0) == 210
        await _append(reopened, PAYLOADS, 2)
        assert await _offsets(reopened, PAYLOADS) == [209, 210, 211]
        # a reader from offset 0 reads on from the first record left
        assert [r.offset for r in await reopened.read(PAYLOADS, 0, 0, 1 << 62)] == [209, 210, 211]
    finally:
        await reopened.close()
        await log.start()  # the fixture closes it


async def test_older_snapshots_go_and_the_newest_still_loads(
    clock_and_log: tuple[ManualClock, EmbeddedLog],
) -> None:
    clock, log = clock_and_log
    store = SnapshotStore(log, GROUP)
    for input_offset in (10, 20, 30):
        await store.write(0, input_offset, f"state at {input_offset}".encode() * 1000, FORMAT)
    topic = state_topic(GROUP)
    before = await _offsets(log, topic)

    await _retention(log, clock, CORRELATOR).prune_once()

    after = await _offsets(log, topic)
    assert len(after) == len(before) // 3  # one snapshot's chunks and manifest of three
    newest = await store.latest(0, FORMAT)
    assert newest is not None
    assert (newest.input_offset, newest.data) == (30, b"state at 30" * 1000)


async def test_pruned_records_are_counted_by_topic(
    clock_and_log: tuple[ManualClock, EmbeddedLog],
) -> None:
    clock, log = clock_and_log
    await _history(clock, log)
    clock.now = 2060.0
    registry = CollectorRegistry()
    await _retention(log, clock, registry=registry).prune_once()
    for topic in (ALERTS, PAYLOADS):
        pruned = registry.get_sample_value("tocsin_log_records_pruned_total", {"topic": topic})
        assert pruned == 200


async def test_without_a_retention_history_stays(
    clock_and_log: tuple[ManualClock, EmbeddedLog],
) -> None:
    clock, log = clock_and_log
    await _history(clock, log)
    clock.now = 10_000.0
    assert await _retention(log, clock, retention=None).prune_once() == 0
    assert len(await _offsets(log, PAYLOADS)) == 210


async def test_a_runner_recovers_its_whole_state_after_retention_pruned_its_input(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a runner that folded 30 inputs appended at t=0 and t=1000, snapshotted at its stop,
    clock = ManualClock()
    log = EmbeddedLog(tmp_path / "runner.sqlite", wall_clock=clock)
    await log.start()
    await log.ensure_topics({snapshots_test.INPUTS: 1})
    await snapshots_test._append_inputs(log, 0, 20)
    clock.now = 1000.0
    await snapshots_test._append_inputs(log, 20, 10)
    first = await _run_tally(log, snapshots_test.GROUP, 30)
    reader = first.log_reader

    # when retention runs long after, with that runner as the input's reader,
    clock.now = 10_000.0
    retention = _retention(
        log, clock, reader, retention=timedelta(seconds=1), history=(snapshots_test.INPUTS,)
    )
    assert await retention.prune_once() == 20  # the time index knows 0-19 are old

    # then a restarted runner has every input's state from its snapshot, replaying nothing,
    again = await _run_tally(log, snapshots_test.GROUP, 30)
    assert again.processor.keys == [f"k{i}" for i in range(30)]
    assert again.processor.replayed == 0

    # and one whose snapshot is unusable (its chunks gone) folds what is left and says so.
    await log.delete_below({(state_topic(snapshots_test.GROUP), 0): 1 << 30})
    with caplog.at_level("WARNING"):
        rebuilt = await _run_tally(log, snapshots_test.GROUP, 30)
    assert rebuilt.processor.keys == [f"k{i}" for i in range(20, 30)]
    assert "state rebuilt without the input retention removed" in caplog.text
    await log.close()


@dataclass
class _Ran:
    processor: snapshots_test.Tally
    log_reader: LogReader


async def _run_tally(log: EmbeddedLog, group: str, end: int) -> _Ran:
    runner = PartitionedRunner(
        log,
        topic=snapshots_test.INPUTS,
        group=group,
        factory=snapshots_test.Tally,
        clock=lambda: snapshots_test.AT,
        snapshot_every=1_000_000,
    )
    stop = asyncio.Event()
    running = asyncio.create_task(runner.run(stop))
    for _ in range(1_000):
        if (
            0 in runner.processors
            and await log.consumer(snapshots_test.INPUTS, group).committed(0) >= end
        ):
            break
        await asyncio.sleep(0.02)
    processor = runner.processors[0]
    stop.set()
    await running
    assert isinstance(processor, snapshots_test.Tally)
    return _Ran(processor, runner.log_reader())


async def _large_history(clock: ManualClock, log: EmbeddedLog) -> None:
    """2,000 payloads of 10 kB at t=0, then 10 at t=1000."""
    for at, count in ((0.0, 2000), (1000.0, 10)):
        clock.now = at
        for start in range(0, count, 500):
            records = [
                Outgoing(PAYLOADS, f"k{i}", bytes(10_000), 0)
                for i in range(start, min(count, start + 500))
            ]
            await log.append(records)


async def test_the_file_shrinks_once_pruned_records_are_gone(tmp_path: Path) -> None:
    # Given a new log holding 20 MB of old payloads and a few recent ones,
    clock = ManualClock()
    log = EmbeddedLog(tmp_path / "shrinks.sqlite", wall_clock=clock)
    await log.start()
    await log.ensure_topics({PAYLOADS: 1})
    await _large_history(clock, log)
    registry = CollectorRegistry()
    retention = _retention(log, clock, history=(PAYLOADS,), registry=registry)
    assert registry.get_sample_value("tocsin_log_file_bytes") == log.file_bytes()
    await log.close()
    full = (tmp_path / "shrinks.sqlite").stat().st_size
    assert full > 20_000_000

    # when retention deletes the old ones,
    await log.start()
    clock.now = 1060.0
    assert await retention.prune_once() == 2000
    assert log.releases_pages
    await log.close()  # the last connection checkpoints the write-ahead log into the file

    # then the file gives their space back, and keeps the recent payloads.
    assert (tmp_path / "shrinks.sqlite").stat().st_size < full // 5
    await log.start()
    assert len(await _offsets(log, PAYLOADS)) == 10
    await log.close()


async def test_a_file_made_without_incremental_vacuum_is_pruned_and_keeps_its_size(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a log file made before files gave space back (no auto-vacuum),
    path = tmp_path / "old.sqlite"
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE placeholder (a)")
    clock = ManualClock()
    log = EmbeddedLog(path, wall_clock=clock)
    await log.start()
    await log.ensure_topics({PAYLOADS: 1})
    await _large_history(clock, log)

    # when retention deletes the old payloads,
    clock.now = 1060.0
    assert not log.releases_pages
    assert await _retention(log, clock, history=(PAYLOADS,)).prune_once() == 2000

    # then the recent ones stay, and the freed space stays in the file, for reuse,
    assert await log.release_free_pages() == 0
    assert len(await _offsets(log, PAYLOADS)) == 10
    # and the runner says so at its start, with how to let the file shrink.
    stopped = asyncio.Event()
    stopped.set()
    with caplog.at_level(logging.WARNING, logger="shared.runtime.log_retention"):
        await _retention(log, clock).run(stopped)
    assert f"sqlite3 {path} 'PRAGMA auto_vacuum=INCREMENTAL; VACUUM;'" in caplog.text
    await log.close()
    assert path.stat().st_size > 20_000_000
