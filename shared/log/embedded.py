"""The embedded event log: SQLite in WAL mode, for the single-process `tocsin up`.

Appends from concurrent callers are group-committed: whatever is waiting when a write starts
goes into one transaction, so one fsync serves many requests. A call returns only after the
transaction committed with `synchronous=FULL`, i.e. after the data is on disk.

Consumer offsets are not worth a transaction of their own: a commit waits (at most
`OFFSETS_WAIT_S`) to ride with the next append. Committing later only means that a crash
replays a few more records, whose outputs carry the same ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from shared.log import embedded_retention
from shared.log.embedded_consumer import EmbeddedConsumer
from shared.log.embedded_retention import LogFacts, TimeIndex, TopicPartition
from shared.log.embedded_tail import RecentRecords
from shared.log.embedded_writer import WriterThread
from shared.log.partitioning import partition_for
from shared.log.port import LogUnavailable, Outgoing, Record
from shared.log.sqlite_rows import insert_rows

# `records` is a rowid table: its rows (a record each, most of a kilobyte) made a WITHOUT ROWID
# table's b-tree split pages often, for twice the writer's CPU per record. Logs made before
# keep their WITHOUT ROWID table; both answer the same statements.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS topics (topic TEXT PRIMARY KEY, partitions INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    topic TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,
    key TEXT NOT NULL, value BLOB NOT NULL,
    PRIMARY KEY (topic, partition, offset)
);
CREATE TABLE IF NOT EXISTS group_offsets (
    grp TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL,
    next_offset INTEGER NOT NULL, PRIMARY KEY (grp, topic, partition)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS write_probe (id INTEGER PRIMARY KEY, filler BLOB NOT NULL);
"""

_READ_BATCH = 2000
OFFSETS_WAIT_S = 0.05
# Offsets a consumer group commits: (group, topic, partition, next offset).
OffsetRow = tuple[str, str, int, int]


@dataclass(frozen=True)
class _Write:
    """Records to append and offsets to commit, stored together in one transaction."""

    records: Sequence[Outgoing]
    offsets: Sequence[OffsetRow]
    done: asyncio.Future[None]
    lane: object | None = None  # see `queue_append`


def _fail(batch: list[_Write], error: Exception) -> None:
    for write in batch:
        if not write.done.done():
            write.done.set_exception(error)


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    # Only a new, empty file takes it (before WAL mode writes the header): pages that
    # retention frees can then be given back (`embedded_retention.release_free_pages`).
    connection.execute("PRAGMA auto_vacuum=INCREMENTAL")
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("PRAGMA busy_timeout=5000")
    return connection


class EmbeddedLog:
    """EventLog adapter over one SQLite file."""

    def __init__(self, path: Path, wall_clock: Callable[[], float] = time.time) -> None:
        self._path = path
        self._wall_clock = wall_clock  # for the time index of retention
        self._writer: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        self._write_lock = threading.Lock()
        self._read_lock = threading.Lock()
        self._partitions: dict[str, int] = {}
        self._next_offsets: dict[tuple[str, int], int] = {}
        self._pending: list[_Write] = []
        self._flushing = False
        self._failed_lanes: set[object] = set()
        self._offsets_timer: asyncio.TimerHandle | None = None
        self._appended: dict[str, asyncio.Event] = {}
        self._recent = RecentRecords()
        self._followed: set[str] = set()  # topics with consumers: their tails stay in memory
        # Why the last write failed (a full disk, an I/O error); None once a write succeeds.
        self._write_problem: str | None = None
        self._thread = WriterThread("tocsin-log-writer")
        self._time_index = TimeIndex()

    async def start(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = _connect(self._path)
        self._writer.executescript(_SCHEMA + embedded_retention.SCHEMA)
        self._reader = _connect(self._path)
        for topic, count in self._writer.execute("SELECT topic, partitions FROM topics"):
            self._partitions[topic] = count
        rows = self._writer.execute(
            "SELECT topic, partition, MAX(offset) FROM records GROUP BY topic, partition"
        )
        for topic, partition, last in rows:
            self._next_offsets[(topic, partition)] = last + 1
        for topic in sorted(self._followed):
            self._follow(topic)
        self._thread.start()

    async def close(self) -> None:
        waiting = [write.done for write in self._pending]
        self._kick()
        await asyncio.gather(*waiting, return_exceptions=True)
        await self._thread.stop()
        for connection in (self._writer, self._reader):
            if connection is not None:
                connection.close()
        self._writer = self._reader = None

    async def ensure_topics(self, partitions_by_topic: dict[str, int]) -> None:
        writer = self._require_writer()
        with self._write_lock:
            for topic, count in partitions_by_topic.items():
                writer.execute(
                    "INSERT OR IGNORE INTO topics (topic, partitions) VALUES (?, ?)", (topic, count)
                )
                self._partitions.setdefault(topic, count)
                if topic in self._followed:
                    self._follow(topic)

    def partition_count(self, topic: str) -> int:
        return self._partitions[topic]

    async def append(self, records: Sequence[Outgoing]) -> None:
        if records:
            await self._write(records, ())

    def queue_append(self, records: Sequence[Outgoing], lane: object) -> asyncio.Future[None]:
        """Queue an append now, behind every write queued before it; the future is done once
        it is committed. Appends of one `lane` (a writer that keeps several on their way) are
        committed in the order queued or not at all: once one fails, every append of the lane
        still queued fails, and so does every one queued later, until `reopen_lane` — so that
        the writer can append them again, in order, first."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        if lane in self._failed_lanes:
            future.set_exception(LogUnavailable("an earlier append of this writer failed"))
        elif records:
            self._pending.append(_Write(records, (), future, lane))
            self._kick()
        else:
            future.set_result(None)
        return future

    def reopen_lane(self, lane: object) -> None:
        """Take appends of `lane` again, after a failure (see `queue_append`)."""
        self._failed_lanes.discard(lane)

    async def _write(self, records: Sequence[Outgoing], offsets: Sequence[OffsetRow]) -> None:
        """Queue a write; concurrent writes share one transaction and one fsync."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        write = _Write(records, offsets, future)
        self._pending.append(write)
        if records:
            self._kick()
        elif self._offsets_timer is None and not self._flushing:
            self._offsets_timer = loop.call_later(OFFSETS_WAIT_S, self._kick)
        try:
            await future
        except asyncio.CancelledError:
            # Given up on (a caller's deadline): still queued, it is taken back, so a 503 that
            # says "not stored" is true; already in a transaction, it lands whole.
            self._pending = [queued for queued in self._pending if queued is not write]
            raise

    def _fail_lanes(self, batch: list[_Write], error: LogUnavailable) -> None:
        """The lanes of a failed transaction fail, with their appends queued behind it."""
        failed = {write.lane for write in batch if write.lane is not None}
        if not failed:
            return
        self._failed_lanes |= failed
        behind = [write for write in self._pending if write.lane in failed]
        self._pending = [write for write in self._pending if write.lane not in failed]
        _fail(behind, error)

    def _kick(self) -> None:
        """Start writing what is pending, unless a flush is at it already."""
        if self._offsets_timer is not None:
            self._offsets_timer.cancel()
            self._offsets_timer = None
        if self._pending and not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                try:
                    committed = await self._thread.run(functools.partial(self._write_batch, batch))
                except (sqlite3.Error, OSError, LogUnavailable) as error:
                    self._write_problem = str(error)
                    _fail(batch, LogUnavailable(str(error)))
                    self._fail_lanes(batch, LogUnavailable(str(error)))
                    continue
                except Exception as error:  # a bug, not an outage: every caller sees it
                    _fail(batch, error)
                    self._fail_lanes(batch, LogUnavailable(f"an earlier append failed: {error}"))
                    continue
                self._write_problem = None
                self._recent.add(committed)
                for write in batch:
                    if not write.done.done():
                        write.done.set_result(None)
                for topic in {record.topic for record in committed}:
                    self._signal(topic)
                if not any(write.records for write in self._pending):
                    break  # offsets only (or nothing): they wait for the next append
        finally:
            self._flushing = False
            if self._pending and self._offsets_timer is None:  # offsets only: they can wait
                loop = asyncio.get_running_loop()
                self._offsets_timer = loop.call_later(OFFSETS_WAIT_S, self._kick)

    def _write_batch(self, batch: list[_Write]) -> list[Record]:
        writer = self._require_writer()
        rows: list[tuple[str, int, int, str, bytes]] = []
        offsets = dict(self._next_offsets)
        first_offsets: dict[TopicPartition, int] = {}
        committed = [row for write in batch for row in write.offsets]
        for write in batch:
            for record in write.records:
                partition = record.partition
                if partition is None:
                    partition = partition_for(record.key, self._partitions[record.topic])
                offset = offsets.get((record.topic, partition), 0)
                offsets[(record.topic, partition)] = offset + 1
                first_offsets.setdefault((record.topic, partition), offset)
                rows.append((record.topic, partition, offset, record.key, record.value))
        with self._write_lock:
            writer.execute("BEGIN IMMEDIATE")
            try:
                insert_rows(writer, "INSERT INTO records", rows)
                insert_rows(
                    writer,
                    "INSERT OR IGNORE INTO record_times",
                    self._time_index.rows(first_offsets, self._wall_clock()),
                )
                insert_rows(
                    writer,
                    "INSERT INTO group_offsets",
                    committed,
                    "ON CONFLICT (grp, topic, partition)"
                    " DO UPDATE SET next_offset = excluded.next_offset",
                )
                writer.execute("COMMIT")
            except BaseException:
                # SQLite rolls back by itself on some errors (a full disk): ROLLBACK would then
                # fail and hide the error that says what happened.
                if writer.in_transaction:
                    writer.execute("ROLLBACK")
                raise
        self._next_offsets = offsets
        return [Record(*row) for row in rows]

    def _signal(self, topic: str) -> None:
        event = self._appended.pop(topic, None)
        if event is not None:
            event.set()

    def append_signal(self, topic: str) -> asyncio.Event:
        """An event set by the next append to `topic`; take it before reading to miss nothing."""
        return self._appended.setdefault(topic, asyncio.Event())

    async def read(self, topic: str, partition: int, start: int, end: int) -> list[Record]:
        recent = self._recent.read(topic, partition, start, end, _READ_BATCH)
        if recent:  # empty may only mean: committed, not in memory yet
            return recent
        return await asyncio.to_thread(self._read_rows, topic, partition, start, end, _READ_BATCH)

    def read_now(self, topic: str, partition: int, start: int, limit: int) -> list[Record]:
        """What is readable now; records committed a moment ago may come with the next call
        (after the append signal), never out of order."""
        recent = self._recent.read(topic, partition, start, 1 << 62, limit)
        if recent is not None:
            return recent
        return self._read_rows(topic, partition, start, 1 << 62, limit)

    def _read_rows(
        self, topic: str, partition: int, start: int, end: int, limit: int
    ) -> list[Record]:
        reader = self._reader
        if reader is None:
            raise LogUnavailable("embedded log is closed")
        with self._read_lock:
            rows = reader.execute(
                "SELECT offset, key, value FROM records WHERE topic = ? AND partition = ?"
                " AND offset >= ? AND offset < ? ORDER BY offset LIMIT ?",
                (topic, partition, start, end, limit),
            ).fetchall()
        return [Record(topic, partition, offset, key, value) for offset, key, value in rows]

    async def end_offset(self, topic: str, partition: int) -> int:
        return self.end_offset_now(topic, partition)

    def end_offset_now(self, topic: str, partition: int) -> int:
        """`end_offset`, known in memory: the offset the next record will get."""
        return self._next_offsets.get((topic, partition), 0)

    def consumer(self, topic: str, group: str) -> EmbeddedConsumer:
        self._follow(topic)
        return EmbeddedConsumer(self, topic, group)

    def tail(self, topic: str, start: Mapping[int, int] | None = None) -> EmbeddedConsumer:
        self._follow(topic)
        return EmbeddedConsumer(self, topic, group=None, start=start)

    def _follow(self, topic: str) -> None:
        """Keep the topic's new records in memory for its consumers (once its partitions
        are known: consumers are made before the log starts)."""
        self._followed.add(topic)
        for partition in range(self._partitions.get(topic, 0)):
            self._recent.follow(topic, partition, self._next_offsets.get((topic, partition), 0))

    async def ping(self) -> bool:
        """Open, and taking writes: after a failed write (a full disk), only once a probe
        write of a page commits again, so readiness follows the disk, not the last request."""
        if self._writer is None:
            return False
        if self._write_problem is None:
            return True
        try:
            await self._thread.run(self._probe_write)
        except (sqlite3.Error, OSError, LogUnavailable) as error:
            self._write_problem = str(error)
            return False
        self._write_problem = None
        return True

    def _probe_write(self) -> None:
        writer = self._require_writer()
        with self._write_lock:
            writer.execute("BEGIN IMMEDIATE")
            try:  # a page and more: a disk without room for one refuses it
                writer.execute("INSERT OR REPLACE INTO write_probe VALUES (1, zeroblob(5000))")
                writer.execute("COMMIT")
            except BaseException:
                if writer.in_transaction:
                    writer.execute("ROLLBACK")
                raise

    def load_committed(self, group: str, topic: str, partition: int) -> int:
        reader = self._reader
        if reader is None:
            raise LogUnavailable("embedded log is closed")
        with self._read_lock:
            row = reader.execute(
                "SELECT next_offset FROM group_offsets"
                " WHERE grp = ? AND topic = ? AND partition = ?",
                (group, topic, partition),
            ).fetchone()
        return int(row[0]) if row else 0

    async def store_committed(self, group: str, topic: str, next_offsets: dict[int, int]) -> None:
        """Committed offsets ride in the next group commit with whatever else is written."""
        rows = [(group, topic, partition, offset) for partition, offset in next_offsets.items()]
        await self._write((), rows)

    async def retention_facts(
        self, cutoff: float | None, state_topics: Iterable[str], manifest_key: str
    ) -> LogFacts:
        """What retention decides on (see `embedded_retention.read_facts`)."""
        reader = self._reader
        if reader is None:
            raise LogUnavailable("embedded log is closed")
        ends = dict(self._next_offsets)
        topics = tuple(state_topics)

        def read() -> LogFacts:
            with self._read_lock:
                return embedded_retention.read_facts(reader, ends, cutoff, topics, manifest_key)

        return await asyncio.to_thread(read)

    async def delete_below(self, bounds: Mapping[TopicPartition, int]) -> int:
        """Delete every record before its partition's bound, a chunk per transaction in the
        writer thread (appends go on between chunks); the last record of a partition always
        stays, so its next offset survives a restart. Returns the records deleted."""
        deleted = 0
        for where, bound in sorted(bounds.items()):
            below = min(bound, self._next_offsets.get(where, 0) - 1)
            while below > 0:
                removed = await self._thread.run(functools.partial(self._delete, where, below))
                if not removed:
                    break
                deleted += removed
        return deleted

    def _delete(self, where: TopicPartition, below: int) -> int:
        writer = self._require_writer()
        with self._write_lock:
            return embedded_retention.delete_below(writer, where, below)

    @property
    def path(self) -> Path:
        return self._path

    def file_bytes(self) -> int:
        """The size of the log on disk: the SQLite file and its write-ahead log."""
        sizes = 0
        for path in (self._path, self._path.with_name(self._path.name + "-wal")):
            with contextlib.suppress(FileNotFoundError):
                sizes += path.stat().st_size
        return sizes

    @property
    def releases_pages(self) -> bool:
        """Whether the file gives freed pages back (made with incremental auto-vacuum)."""
        return embedded_retention.releases_pages(self._require_writer())

    async def release_free_pages(self) -> int:
        """Give the pages deletes freed back to the file system, a chunk per turn of the
        writer thread (appends go on between chunks); the pages released."""
        released = 0
        while chunk := await self._thread.run(self._release_chunk):
            released += chunk
        return released

    def _release_chunk(self) -> int:
        writer = self._require_writer()
        with self._write_lock:
            return embedded_retention.release_free_pages(writer)

    def _require_writer(self) -> sqlite3.Connection:
        if self._writer is None:
            raise LogUnavailable("embedded log is closed")
        return self._writer
