"""Kafka send cycles, against a stand-in for aiokafka's client: what the broker refuses fails
the appends of that cycle only; a full batch moves the rest of an append to the next cycle,
sent after it; appends made while a cycle is in flight share the next request."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from shared.log.kafka_appender import KafkaAppender
from shared.log.port import LogUnavailable, Outgoing

TOPIC = "t"
NOT_LEADER = 6  # Kafka's NOT_LEADER_OR_FOLLOWER


class _Cluster:
    def __init__(self) -> None:
        self.known = True  # whether the metadata names the leader

    def leader_for_partition(self, _: Any) -> int | None:
        return 1 if self.known else None


class _Answer:
    def __init__(self, topics: list[tuple[str, list[tuple[int, int]]]]) -> None:
        self.topics = topics


class _Client:
    """Answers each produce request with `codes` (or no error), after `gate` opens."""

    def __init__(self) -> None:
        self.cluster = _Cluster()
        self.requests: list[Any] = []
        self.codes: list[int] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.metadata_updates = 0
        self.learns_leader = True  # whether a metadata update names an unknown leader

    async def send(self, node: int, request: Any) -> _Answer:
        self.requests.append(request)
        await self.gate.wait()
        code = self.codes.pop(0) if self.codes else 0
        return _Answer([(topic, [(p, code) for p, _ in parts]) for topic, parts in request._topics])

    def add_topic(self, _: str) -> asyncio.Future[bool]:
        self.cluster.known = self.cluster.known or self.learns_leader
        return self.force_metadata_update()

    def force_metadata_update(self) -> asyncio.Future[bool]:
        self.metadata_updates += 1
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        done.set_result(True)
        return done


async def _append(appender: KafkaAppender, partition: int, values: list[bytes]) -> None:
    records = [Outgoing(TOPIC, "k", value) for value in values]
    done, _ = await asyncio.wait(appender.add((TOPIC, partition), records))
    for outcome in done:
        outcome.result()


async def test_a_refused_cycle_fails_its_appends_and_the_next_cycle_is_sent() -> None:
    client = _Client()
    client.codes = [NOT_LEADER]
    appender = KafkaAppender(client, 1000, 1 << 20)
    appender.start()

    with pytest.raises(LogUnavailable):
        await _append(appender, 0, [b"refused"])
    await _append(appender, 0, [b"stored"])

    assert len(client.requests) == 2
    assert client.metadata_updates == 1  # a leader error refreshes the metadata
    await appender.close()


async def test_appends_made_while_a_cycle_is_in_flight_share_the_next_request() -> None:
    client = _Client()
    appender = KafkaAppender(client, 1000, 1 << 20)
    appender.start()
    client.gate.clear()
    first = asyncio.create_task(_append(appender, 0, [b"first"]))
    await asyncio.sleep(0.01)  # its cycle is in flight, held at the broker

    others = [asyncio.create_task(_append(appender, p % 2, [b"x"])) for p in range(5)]
    await asyncio.sleep(0.01)
    client.gate.set()
    await asyncio.gather(first, *others)

    assert len(client.requests) == 2  # one for the first, one for the five beside it
    assert len(client.requests[1]._topics[0][1]) == 2  # both partitions in one request
    await appender.close()


async def test_an_append_larger_than_a_batch_goes_on_in_the_next_cycle() -> None:
    client = _Client()
    appender = KafkaAppender(client, 1000, 4096)
    appender.start()

    await _append(appender, 0, [bytes(1500)] * 5)

    assert len(client.requests) >= 2  # in order: a cycle is sent once the one before it is done
    await appender.close()


async def test_an_append_after_close_is_refused() -> None:
    appender = KafkaAppender(_Client(), 1000, 1 << 20)
    appender.start()
    await appender.close()

    with pytest.raises(LogUnavailable):
        appender.add((TOPIC, 0), [Outgoing(TOPIC, "k", b"late")])


@pytest.mark.parametrize("learns", [True, False], ids=["found", "none"])
async def test_a_partition_without_a_known_leader_is_looked_up_once_more(learns: bool) -> None:
    client = _Client()
    client.cluster.known = False
    client.learns_leader = learns
    appender = KafkaAppender(client, 1000, 1 << 20)
    appender.start()

    if learns:
        await _append(appender, 0, [b"stored"])
        assert len(client.requests) == 1
    else:
        with pytest.raises(LogUnavailable, match="no leader"):
            await _append(appender, 0, [b"lost"])
        assert client.requests == []
    await appender.close()
