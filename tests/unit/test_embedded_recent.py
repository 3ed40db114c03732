"""The embedded log keeps its latest committed records in memory for live consumers; reads
from before what memory holds go to SQLite, so consumers see every record, in order."""

from __future__ import annotations

import asyncio
from pathlib import Path

from shared.log.embedded import EmbeddedLog
from shared.log.embedded_tail import RecentRecords
from shared.log.port import Outgoing, Record


def records(start: int, count: int, partition: int = 0) -> list[Record]:
    return [Record("t", partition, o, "k", b"%d" % o) for o in range(start, start + count)]


def test_reads_from_the_followed_offset_on_come_from_memory() -> None:
    recent = RecentRecords(per_partition=4)
    recent.follow("t", 0, 10)
    recent.add(records(10, 3))
    assert recent.read("t", 0, 11, 100, 10) == records(11, 2)
    assert recent.read("t", 0, 13, 100, 10) == []  # nothing newer yet
    assert recent.read("t", 0, 9, 100, 10) is None  # before memory: ask SQLite
    assert recent.read("t", 1, 0, 100, 10) is None  # a partition nobody follows


def test_memory_keeps_the_latest_records_of_each_partition() -> None:
    recent = RecentRecords(per_partition=4)
    recent.follow("t", 0, 0)
    recent.add(records(0, 9))
    assert recent.read("t", 0, 0, 100, 10) is None
    assert recent.read("t", 0, 5, 100, 10) == records(5, 4)
    assert recent.read("t", 0, 5, 7, 10) == records(5, 2)


def test_records_already_held_or_after_a_gap_never_leave_holes() -> None:
    recent = RecentRecords(per_partition=4)
    recent.follow("t", 0, 2)
    recent.add(records(0, 4))  # 0 and 1 were committed before it was followed
    assert recent.read("t", 0, 2, 100, 10) == records(2, 2)
    recent.add(records(6, 1))
    assert recent.read("t", 0, 4, 100, 10) is None
    assert recent.read("t", 0, 6, 100, 10) == records(6, 1)


async def _noop(_: frozenset[int]) -> None:
    return None


async def test_a_consumer_reads_everything_whether_from_memory_or_sqlite(tmp_path: Path) -> None:
    log = EmbeddedLog(tmp_path / "log.sqlite")
    early = log.consumer("t", "readers")  # consumers are made before the log starts
    await log.start()
    await log.ensure_topics({"t": 1})
    await log.append([Outgoing("t", "k", b"%d" % n) for n in range(5000)])
    late = log.tail("t")
    for consumer in (early, late):
        await consumer.start(_noop, _noop)
    await log.append([Outgoing("t", "k", b"%d" % n) for n in range(5000, 5010)])
    for consumer in (early, late):
        got: list[Record] = []
        while batch := await consumer.poll(max_records=700, timeout_s=0.05):
            got += batch
        assert [r.offset for r in got] == list(range(5010))
        assert [r.value for r in got] == [b"%d" % n for n in range(5010)]
    await log.close()


async def test_committed_offsets_ride_with_the_next_append(tmp_path: Path) -> None:
    log = EmbeddedLog(tmp_path / "log.sqlite")
    await log.start()
    await log.ensure_topics({"t": 1})
    committing = asyncio.create_task(log.store_committed("g", "t", {0: 7}))
    await asyncio.sleep(0)  # the commit is queued, waiting for company
    await log.append([Outgoing("t", "k", b"v")])
    assert log.load_committed("g", "t", 0) == 7  # written in the append's transaction
    await committing
    await log.store_committed("g", "t", {0: 8})  # alone: written after a short wait
    assert log.load_committed("g", "t", 0) == 8
    await log.close()
