"""`KafkaLog.end_offset` on Tansu, which reports the last batch's base offset + 1 as the end:
it reads on to the true end, and a fetch there that comes back empty for a moment (right after
heavy writes) is looked at again rather than taken as the end."""

from __future__ import annotations

from typing import Any

import pytest
from aiokafka import TopicPartition

from shared.log.kafka import KafkaLog
from shared.log.port import Record

TOPIC = "tocsin.alerts"


class Reader:
    """Stands for the log's aiokafka reader: only its reported end is read."""

    def __init__(self, reported_end: int) -> None:
        self.reported_end = reported_end

    async def end_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        return {tp: self.reported_end for tp in partitions}


def _log(reported_end: int, fetches: list[list[int]], monkeypatch: pytest.MonkeyPatch) -> KafkaLog:
    """A log whose fetches answer the offsets in `fetches`, one list per fetch, then none."""
    log = KafkaLog("127.0.0.1:9")
    log._reader = Reader(reported_end)  # type: ignore[assignment]
    answers = iter(fetches)

    async def fetch(topic: str, partition: int, start: int, end: int, **_: Any) -> list[Record]:
        offsets = next(answers, [])
        return [Record(topic, partition, o, "k", b"{}") for o in offsets if o >= start]

    monkeypatch.setattr(log, "_fetch", fetch)
    return log


async def test_the_end_is_read_on_past_the_reported_base_offset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log = _log(101, [list(range(100, 150)), [149]], monkeypatch)
    assert await log.end_offset(TOPIC, 0) == 150


async def test_an_empty_fetch_at_the_reported_end_is_looked_at_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log = _log(101, [[], [], list(range(100, 150)), [149]], monkeypatch)
    assert await log.end_offset(TOPIC, 0) == 150


async def test_a_partition_that_stays_empty_ends_where_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert await _log(0, [], monkeypatch).end_offset(TOPIC, 0) == 0
    assert await _log(7, [], monkeypatch).end_offset(TOPIC, 0) == 7
