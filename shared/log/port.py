"""The event log port: what every service needs from Kafka or the embedded log."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class Record:
    """A record read from the log."""

    topic: str
    partition: int
    offset: int
    key: str
    value: bytes


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A record to append. `partition` None means: chosen from the key."""

    topic: str
    key: str
    value: bytes
    partition: int | None = None


class LogUnavailable(Exception):
    """The log could not durably take or give records right now; callers may retry."""


# Called with the partitions newly assigned to (or revoked from) this consumer.
PartitionsCallback = Callable[[frozenset[int]], Awaitable[None]]


class Consumer(Protocol):
    """One member of a consumer group on one topic. At-least-once: commit after processing."""

    async def start(self, on_assigned: PartitionsCallback, on_revoked: PartitionsCallback) -> None:
        """Join the group. The callbacks run before records of changed partitions are polled."""

    async def poll(self, max_records: int, timeout_s: float) -> list[Record]: ...

    async def commit(self, next_offsets: dict[int, int]) -> None:
        """Record, per partition, the offset of the next record to process."""

    async def committed(self, partition: int) -> int:
        """The committed next offset of a partition (0 when none)."""

    def assignment(self) -> frozenset[int]: ...

    def end_seen(self, partition: int) -> int | None:
        """The partition's end offset as last seen, without a request (Kafka: the high
        watermark of the last fetch); None while unknown."""

    async def stop(self) -> None: ...


class EventLog(Protocol):
    """Durable, partitioned, append-only log."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def ensure_topics(self, partitions_by_topic: dict[str, int]) -> None:
        """Create missing topics; existing ones are left as they are."""

    def partition_count(self, topic: str) -> int: ...

    async def append(self, records: Sequence[Outgoing]) -> None:
        """Return only once every record is durably stored; raise LogUnavailable otherwise."""

    async def read(self, topic: str, partition: int, start: int, end: int) -> list[Record]:
        """Records with start <= offset < end, in offset order (at most a bounded batch)."""

    async def end_offset(self, topic: str, partition: int) -> int:
        """The offset the next appended record of the partition will get."""

    def consumer(self, topic: str, group: str) -> Consumer: ...

    def tail(self, topic: str, start: Mapping[int, int] | None = None) -> Consumer:
        """A reader of every partition outside any group (for read models), each partition
        from its offset in `start` (from 0 when it has none). An offset before the partition's
        first retained record reads from that record, as Kafka's `earliest` reset does.
        It commits nothing; `committed` is always 0."""
        ...

    async def ping(self) -> bool:
        """True when the backend answers (readiness)."""


@runtime_checkable
class OrderedAppends(Protocol):
    """A log that queues an append when it is called and commits a writer's appends in that
    order (the embedded log): a writer may then keep several on their way."""

    def queue_append(self, records: Sequence[Outgoing], lane: object) -> asyncio.Future[None]:
        """Committed in the order queued, or failed: once an append of `lane` fails, every
        later one of the lane fails until `reopen_lane`."""
        ...

    def reopen_lane(self, lane: object) -> None: ...
