"""A consumer of the embedded log. One process owns every partition, so there is no rebalance.

A group member reads each partition from its committed offset; a tail (no group) from the
offset its owner gave (`start`, else 0). Reads select offsets at or after the position, so a
position before the first record retention kept reads from that record.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING

from shared.log.port import PartitionsCallback, Record

if TYPE_CHECKING:
    from shared.log.embedded import EmbeddedLog


class EmbeddedConsumer:
    def __init__(
        self,
        log: EmbeddedLog,
        topic: str,
        group: str | None,
        start: Mapping[int, int] | None = None,
    ) -> None:
        self._log = log
        self._topic = topic
        self._group = group
        self._start = dict(start or {})  # of a tail: partition → first offset to read
        self._positions: dict[int, int] = {}

    async def start(self, on_assigned: PartitionsCallback, on_revoked: PartitionsCallback) -> None:
        partitions = frozenset(range(self._log.partition_count(self._topic)))
        for partition in partitions:
            if self._group is None:
                self._positions[partition] = self._start.get(partition, 0)
            else:
                self._positions[partition] = await self.committed(partition)
        await on_assigned(partitions)

    async def poll(self, max_records: int, timeout_s: float) -> list[Record]:
        appended = self._log.append_signal(self._topic)
        records = self._read_available(max_records)
        if records:
            return records
        try:
            async with asyncio.timeout(timeout_s):  # no task per wait, unlike `wait_for`
                await appended.wait()
        except TimeoutError:
            return []
        return self._read_available(max_records)

    def _read_available(self, max_records: int) -> list[Record]:
        records: list[Record] = []
        for partition, position in self._positions.items():
            batch = self._log.read_now(self._topic, partition, position, max_records)
            if batch:
                self._positions[partition] = batch[-1].offset + 1
                records.extend(batch)
        return records

    async def commit(self, next_offsets: dict[int, int]) -> None:
        if self._group is not None:
            await self._log.store_committed(self._group, self._topic, next_offsets)

    async def committed(self, partition: int) -> int:
        if self._group is None:
            return 0
        return self._log.load_committed(self._group, self._topic, partition)

    def assignment(self) -> frozenset[int]:
        return frozenset(self._positions)

    def end_seen(self, partition: int) -> int | None:
        return self._log.end_offset_now(self._topic, partition)

    async def stop(self) -> None:
        self._positions.clear()
