"""One contract for every EventLog backend: the embedded SQLite log and Kafka."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from shared.log.embedded import EmbeddedLog
from shared.log.kafka import KafkaLog
from shared.log.port import Consumer, EventLog, Outgoing, Record

LogFactory = Callable[[], EventLog]


@pytest.fixture(params=["embedded", "kafka"])
def make_log(request: pytest.FixtureRequest, tmp_path: Path) -> LogFactory:
    if request.param == "embedded":
        return lambda: EmbeddedLog(tmp_path / "log.sqlite")
    bootstrap: str = request.getfixturevalue("kafka")
    return lambda: KafkaLog(bootstrap)


@pytest.fixture
def topic() -> str:
    return f"contract-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def event_log(make_log: LogFactory, topic: str) -> AsyncIterator[EventLog]:
    log = make_log()
    await log.start()
    await log.ensure_topics({topic: 4})
    yield log
    await log.close()


async def _noop(_: frozenset[int]) -> None:
    return None


async def _drain(consumer: Consumer, expected: int, timeout_s: float = 20.0) -> list[Record]:
    got: list[Record] = []
    deadline = asyncio.get_running_loop().time() + timeout_s
    while len(got) < expected and asyncio.get_running_loop().time() < deadline:
        got.extend(await consumer.poll(max_records=500, timeout_s=0.2))
    return got


def _records(topic: str, keys: list[str], per_key: int) -> list[Outgoing]:
    return [Outgoing(topic, k, f"{k}:{i}".encode()) for i in range(per_key) for k in keys]


async def test_topics_are_created_once_and_keep_their_partition_count(
    event_log: EventLog, topic: str
) -> None:
    await event_log.ensure_topics({topic: 8})
    assert event_log.partition_count(topic) == 4


async def test_records_of_one_key_are_read_back_in_append_order(
    event_log: EventLog, topic: str
) -> None:
    await event_log.append(_records(topic, ["a", "b", "c"], per_key=20))
    consumer = event_log.consumer(topic, "readers")
    await consumer.start(_noop, _noop)
    got = await _drain(consumer, 60)
    await consumer.stop()
    for key in ("a", "b", "c"):
        values = [r.value.decode() for r in got if r.key == key]
        assert values == [f"{key}:{i}" for i in range(20)]
        assert len({r.partition for r in got if r.key == key}) == 1


async def test_a_large_append_keeps_each_keys_order_across_batches_and_small_appends(
    event_log: EventLog, topic: str
) -> None:
    # Given one append larger than a producer batch (1 MB) for a partition, while small
    # appends of other keys run concurrently,
    filler = b"x" * 40_000
    large = [Outgoing(topic, k, f"{k}:{i}:".encode() + filler) for i in range(40) for k in "ab"]
    small = [event_log.append([Outgoing(topic, f"s{i}", b"small")]) for i in range(20)]

    await asyncio.gather(event_log.append(large), *small)

    # then every record is stored, and each key's records are read back in append order.
    consumer = event_log.consumer(topic, "large-readers")
    await consumer.start(_noop, _noop)
    got = await _drain(consumer, 100)
    await consumer.stop()
    assert len(got) == 100
    for key in "ab":
        values = [r.value.split(b":")[1] for r in got if r.key == key]
        assert values == [str(i).encode() for i in range(40)]


# Per key, records of one append: few (an ingest request's alerts) or many (a batch).
PER_KEY = pytest.mark.parametrize("per_key", [3, 12], ids=["few", "many"])


@PER_KEY
async def test_concurrent_appends_are_each_stored_once_and_keep_their_order(
    event_log: EventLog, topic: str, per_key: int
) -> None:
    # Given 40 appends of records on the same three keys, all at once (as ingest's requests
    # come, sharing the producer's batches),
    size = 3 * per_key
    appends = [
        [Outgoing(topic, f"k{i % 3}", f"{n}:{i}".encode()) for i in range(size)] for n in range(40)
    ]

    await asyncio.gather(*(event_log.append(records) for records in appends))

    # then every record is stored exactly once, and each append's records of a key are read
    # back in the order it gave them.
    consumer = event_log.consumer(topic, "concurrent-readers")
    await consumer.start(_noop, _noop)
    got = await _drain(consumer, 40 * size)
    await consumer.stop()
    assert sorted(r.value for r in got) == sorted(r.value for a in appends for r in a)
    for n in range(40):
        for key in ("k0", "k1", "k2"):
            mine = [r.value for r in got if r.key == key and r.value.startswith(f"{n}:".encode())]
            assert mine == [r.value for r in appends[n] if r.key == key]


@PER_KEY
async def test_an_append_given_up_does_not_fail_the_appends_beside_it(
    event_log: EventLog, topic: str, per_key: int
) -> None:
    # Given an append that is cancelled (its request timed out) while another append of the
    # same partition runs beside it,
    abandoned = [Outgoing(topic, "k", b"abandoned")] * per_key
    abandoning = asyncio.create_task(event_log.append(abandoned))
    await asyncio.sleep(0)  # it has started: its records may share a batch with the next
    kept = asyncio.create_task(event_log.append([Outgoing(topic, "k", b"kept")] * per_key))
    abandoning.cancel()

    # then the other append is still acknowledged and stored.
    await asyncio.wait_for(kept, timeout=15)
    consumer = event_log.consumer(topic, "abandon-readers")
    await consumer.start(_noop, _noop)
    got = await _drain(consumer, per_key, timeout_s=5)
    got += await _drain(consumer, per_key, timeout_s=1)  # the abandoned ones may be stored too
    await consumer.stop()
    assert [r.value for r in got].count(b"kept") == per_key


async def test_a_restarted_group_member_resumes_after_the_committed_offset(
    make_log: LogFactory, event_log: EventLog, topic: str
) -> None:
    await event_log.append(_records(topic, ["k"], per_key=10))
    first = event_log.consumer(topic, "resumers")
    await first.start(_noop, _noop)
    got = await _drain(first, 10)
    partition = got[0].partition
    await first.commit({partition: got[5].offset + 1})
    await first.stop()

    reopened = make_log()
    await reopened.start()
    await reopened.ensure_topics({topic: 4})
    second = reopened.consumer(topic, "resumers")
    await second.start(_noop, _noop)
    assert await second.committed(partition) == got[5].offset + 1
    rest = await _drain(second, 4)
    await second.stop()
    await reopened.close()
    assert [r.value for r in rest] == [f"k:{i}".encode() for i in range(6, 10)]


async def test_read_returns_the_requested_offset_range_and_end_offset_is_next_offset(
    event_log: EventLog, topic: str
) -> None:
    await event_log.append([Outgoing(topic, "x", str(i).encode(), partition=2) for i in range(7)])
    assert await event_log.end_offset(topic, 2) == 7
    window = await event_log.read(topic, 2, 2, 5)
    assert [(r.offset, r.value) for r in window] == [(2, b"2"), (3, b"3"), (4, b"4")]


async def test_ping_reports_a_reachable_backend(event_log: EventLog) -> None:
    assert await event_log.ping() is True


async def test_embedded_log_keeps_acknowledged_records_across_restart(tmp_path: Path) -> None:
    path = tmp_path / "durable.sqlite"
    log = EmbeddedLog(path)
    await log.start()
    await log.ensure_topics({"t": 2})
    await asyncio.gather(*(log.append([Outgoing("t", f"k{i}", b"v")]) for i in range(50)))
    await log.close()

    reopened = EmbeddedLog(path)
    await reopened.start()
    total = sum([await reopened.end_offset("t", p) for p in range(2)])
    await reopened.append([Outgoing("t", "k0", b"after")])
    await reopened.close()
    assert total == 50


@pytest.mark.kafka
async def test_two_kafka_consumers_in_one_group_split_the_partitions(kafka: str) -> None:
    topic = f"split-{uuid.uuid4().hex[:8]}"
    log = KafkaLog(kafka)
    await log.start()
    await log.ensure_topics({topic: 4})
    await log.append(_records(topic, [f"k{i}" for i in range(16)], per_key=5))
    first, second = log.consumer(topic, "splitters"), log.consumer(topic, "splitters")
    await first.start(_noop, _noop)
    await second.start(_noop, _noop)
    got: dict[int, list[Record]] = {1: [], 2: []}
    deadline = asyncio.get_running_loop().time() + 30
    while len(got[1]) + len(got[2]) < 80 and asyncio.get_running_loop().time() < deadline:
        got[1].extend(await first.poll(500, 0.2))
        got[2].extend(await second.poll(500, 0.2))
    owned = (first.assignment(), second.assignment())
    await first.stop()
    await second.stop()
    await log.close()
    assert owned[0] and owned[1] and not owned[0] & owned[1]
    assert owned[0] | owned[1] == frozenset(range(4))
    assert len(got[1]) + len(got[2]) == 80
    assert {r.partition for r in got[1]} <= owned[0]


async def test_a_tail_reads_every_partition_from_the_start_outside_any_group(
    event_log: EventLog, topic: str
) -> None:
    await event_log.append(_records(topic, [f"k{i}" for i in range(8)], per_key=3))
    assigned: list[frozenset[int]] = []

    async def remember(partitions: frozenset[int]) -> None:
        assigned.append(partitions)

    tail = event_log.tail(topic)
    await tail.start(remember, _noop)
    got = await _drain(tail, 24)
    await tail.commit({0: 1})
    committed = await tail.committed(0)
    await tail.stop()
    assert assigned == [frozenset(range(4))]
    assert sorted(r.value for r in got) == sorted(
        f"k{i}:{n}".encode() for i in range(8) for n in range(3)
    )
    assert committed == 0


async def test_a_tail_reads_each_partition_from_the_offset_it_is_given(
    event_log: EventLog, topic: str
) -> None:
    # Given six records in partition 0 appended at once (Kafka stores them in one batch), six
    # in partition 1 appended one by one, and six in partition 2,
    await event_log.append([Outgoing(topic, "k", f"0:{i}".encode(), partition=0) for i in range(6)])
    for i in range(6):
        await event_log.append([Outgoing(topic, "k", f"1:{i}".encode(), partition=1)])
    await event_log.append([Outgoing(topic, "k", f"2:{i}".encode(), partition=2) for i in range(6)])

    # when a tail starts partition 0 at offset 4 (inside that batch), partition 1 at its end,
    # and is given no offset for partitions 2 and 3,
    tail = event_log.tail(topic, start={0: 4, 1: 6})
    await tail.start(_noop, _noop)
    got = await _drain(tail, 2 + 6)
    await event_log.append([Outgoing(topic, "k", b"1:6", partition=1)])
    got += await _drain(tail, 1, timeout_s=10)
    got += await _drain(tail, 1, timeout_s=1)  # nothing else comes
    await tail.stop()

    # then it reads partition 0 from 4, partition 1 only what came after its start, and
    # partition 2 from offset 0.
    read = sorted((r.partition, r.offset, r.value) for r in got)
    assert read == [
        (0, 4, b"0:4"),
        (0, 5, b"0:5"),
        (1, 6, b"1:6"),
        *[(2, i, f"2:{i}".encode()) for i in range(6)],
    ]


async def test_an_embedded_tail_from_before_the_first_kept_record_reads_from_that_record(
    tmp_path: Path,
) -> None:
    # Given a partition whose records before offset 6 were deleted by retention,
    path = tmp_path / "pruned.sqlite"
    log = EmbeddedLog(path)
    await log.start()
    await log.ensure_topics({"t": 1})
    await log.append([Outgoing("t", "k", str(i).encode(), partition=0) for i in range(10)])
    await log.close()
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("DELETE FROM records WHERE topic = 't' AND offset < 6")

    # when a tail starts it at offset 2,
    reopened = EmbeddedLog(path)
    await reopened.start()
    tail = reopened.tail("t", start={0: 2})
    await tail.start(_noop, _noop)
    got = await _drain(tail, 4)
    got += await _drain(tail, 1, timeout_s=0.5)
    await tail.stop()
    await reopened.close()

    # then it reads from the first record kept, as Kafka's `earliest` reset does.
    assert [r.offset for r in got] == [6, 7, 8, 9]
