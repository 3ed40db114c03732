"""The latest committed records of each followed partition, kept in memory.

Live consumers of `tocsin up` read what was appended a moment ago: serving those reads from
memory spares a SQLite query per partition and poll. Records enter only after their
transaction committed, so nothing is read that a crash could take back; a read from before
what memory holds (recovery, a consumer far behind) goes to SQLite.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.log.port import Record

# Records kept per partition: several batches of the busiest consumer (500 records a poll).
RECENT_PER_PARTITION = 2048


class _Tail:
    __slots__ = ("base", "records")

    def __init__(self, base: int) -> None:
        self.base = base  # offset of records[0], or of the next record when empty
        self.records: list[Record] = []

    @property
    def end(self) -> int:
        return self.base + len(self.records)


class RecentRecords:
    def __init__(self, per_partition: int = RECENT_PER_PARTITION) -> None:
        self._per_partition = per_partition
        self._tails: dict[tuple[str, int], _Tail] = {}

    def follow(self, topic: str, partition: int, next_offset: int) -> None:
        """Keep records of the partition from `next_offset` (the next to be committed) on."""
        self._tails.setdefault((topic, partition), _Tail(next_offset))

    def add(self, committed: Iterable[Record]) -> None:
        """Records just committed, in offset order within each partition."""
        for record in committed:
            tail = self._tails.get((record.topic, record.partition))
            if tail is None or record.offset < tail.end:
                continue  # not followed, or already held (followed after it was written)
            if record.offset > tail.end:  # cannot happen while every commit passes here
                tail.base, tail.records = record.offset, []
            tail.records.append(record)
            if len(tail.records) > 2 * self._per_partition:
                drop = len(tail.records) - self._per_partition
                del tail.records[:drop]
                tail.base += drop

    def read(
        self, topic: str, partition: int, start: int, end: int, limit: int
    ) -> list[Record] | None:
        """Records with start <= offset < end (at most `limit`), or None when memory does not
        reach back to `start`."""
        tail = self._tails.get((topic, partition))
        if tail is None or start < tail.base:
            return None
        first = start - tail.base
        return tail.records[first : first + max(0, min(limit, end - start))]
