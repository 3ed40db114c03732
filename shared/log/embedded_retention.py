"""What the embedded log knows for retention, and the deletes retention makes, in SQL.

A time index (`record_times`) says when records were appended: at most one row per partition
every `TIME_INDEX_EVERY_S`, written in the append's transaction, so it costs nothing per
record. A row (offset o, time t) means every record before o was appended no later than t.
Deciding what may go (readers' snapshots and offsets) is `shared/runtime/log_retention.py`'s
job; this module only reads the facts and deletes below the bounds it is given.

Deleted records leave free pages, which SQLite reuses but does not give back: files made with
incremental auto-vacuum (every file since it is set on creation, see `embedded.py`) release
them to the file system afterwards, a chunk at a time, so a log whose retention or snapshots
deleted much shrinks (at the next WAL checkpoint) instead of staying at its largest.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import orjson

# Retention is as precise as this; rows cost little even when history is kept forever.
TIME_INDEX_EVERY_S = 600.0
# Rows deleted per transaction: appends wait behind a delete, so each stays short.
DELETE_CHUNK = 5_000
# Free pages given back per turn of the writer thread (4 MB of 4 KB pages, about 15 ms here).
RELEASE_CHUNK = 1_000
INCREMENTAL = 2  # `PRAGMA auto_vacuum`'s value for incremental

SCHEMA = """
CREATE TABLE IF NOT EXISTS record_times (
    topic TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,
    appended_at REAL NOT NULL, PRIMARY KEY (topic, partition, offset)
) WITHOUT ROWID;
"""

TopicPartition = tuple[str, int]
Manifest = tuple[int, dict[str, object]]  # a snapshot manifest's offset and its fields


@dataclass(frozen=True)
class LogFacts:
    """What retention decides on, read in one go."""

    ends: Mapping[TopicPartition, int]  # the next offset of every partition holding records
    # Per partition: every record before this offset was appended before the cutoff.
    aged_out: Mapping[TopicPartition, int]
    committed: Mapping[str, Mapping[TopicPartition, int]]  # group → its committed next offsets
    # The newest snapshot manifest of each partition of the state topics asked about.
    manifests: Mapping[TopicPartition, Manifest] = field(default_factory=dict)


def read_facts(
    connection: sqlite3.Connection,
    ends: Mapping[TopicPartition, int],
    cutoff: float | None,
    state_topics: Iterable[str],
    manifest_key: str,
) -> LogFacts:
    """The facts as of now; `cutoff` None: no record is old enough to go."""
    aged_out: dict[TopicPartition, int] = {}
    if cutoff is not None:
        rows = connection.execute(
            "SELECT topic, partition, MAX(offset) FROM record_times"
            " WHERE appended_at <= ? GROUP BY topic, partition",
            (cutoff,),
        )
        aged_out = {(topic, partition): offset for topic, partition, offset in rows}
    committed: dict[str, dict[TopicPartition, int]] = {}
    for group, topic, partition, offset in connection.execute(
        "SELECT grp, topic, partition, next_offset FROM group_offsets"
    ):
        committed.setdefault(group, {})[(topic, partition)] = offset
    manifests: dict[TopicPartition, Manifest] = {}
    for topic in state_topics:
        for (held, partition), _ in ends.items():
            if held == topic and (
                found := _newest_manifest(connection, topic, partition, manifest_key)
            ):
                manifests[(topic, partition)] = found
    return LogFacts(dict(ends), aged_out, committed, manifests)


def _newest_manifest(
    connection: sqlite3.Connection, topic: str, partition: int, manifest_key: str
) -> Manifest | None:
    row = connection.execute(
        "SELECT offset, value FROM records WHERE topic = ? AND partition = ? AND key = ?"
        " ORDER BY offset DESC LIMIT 1",
        (topic, partition, manifest_key),
    ).fetchone()
    if row is None:
        return None
    try:
        fields = orjson.loads(row[1])
    except orjson.JSONDecodeError:
        return None
    return (int(row[0]), fields) if isinstance(fields, dict) else None


def delete_below(connection: sqlite3.Connection, where: TopicPartition, below: int) -> int:
    """Delete the partition's oldest records before `below`, at most `DELETE_CHUNK` offsets
    of them, with their time index rows, in one transaction; returns the records deleted
    (0 once none is left before `below`)."""
    topic, partition = where
    first = connection.execute(
        "SELECT MIN(offset) FROM records WHERE topic = ? AND partition = ?", (topic, partition)
    ).fetchone()[0]
    if first is None or first >= below:
        return 0
    upto = min(below, first + DELETE_CHUNK)
    connection.execute("BEGIN IMMEDIATE")
    try:
        deleted = connection.execute(
            "DELETE FROM records WHERE topic = ? AND partition = ? AND offset < ?",
            (topic, partition, upto),
        ).rowcount
        connection.execute(
            "DELETE FROM record_times WHERE topic = ? AND partition = ? AND offset < ?",
            (topic, partition, upto),
        )
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return int(deleted)


class TimeIndex:
    """Which partitions are due a time index row, kept by the writer thread."""

    def __init__(self) -> None:
        self._indexed_at: dict[TopicPartition, float] = {}

    def rows(
        self, first_offsets: Mapping[TopicPartition, int], now: float
    ) -> list[tuple[str, int, int, float]]:
        """Rows for the partitions just written whose last row is `TIME_INDEX_EVERY_S` old:
        (topic, partition, the batch's first offset there, now)."""
        due: list[tuple[str, int, int, float]] = []
        for where, offset in first_offsets.items():
            if now - self._indexed_at.get(where, float("-inf")) >= TIME_INDEX_EVERY_S:
                self._indexed_at[where] = now
                due.append((where[0], where[1], offset, now))
        return due


def releases_pages(connection: sqlite3.Connection) -> bool:
    """Whether the file was made with incremental auto-vacuum (older files only reuse pages)."""
    return int(connection.execute("PRAGMA auto_vacuum").fetchone()[0]) == INCREMENTAL


def release_free_pages(connection: sqlite3.Connection) -> int:
    """Give at most `RELEASE_CHUNK` free pages back to the file system; the pages released
    (0 once none is free, or on a file without incremental auto-vacuum, where the pragma
    does nothing)."""
    free = int(connection.execute("PRAGMA freelist_count").fetchone()[0])
    if not free:
        return 0
    # Stepped to the end by `executescript`: `execute` would free only the first page.
    connection.executescript(f"PRAGMA incremental_vacuum({RELEASE_CHUNK});")
    return free - int(connection.execute("PRAGMA freelist_count").fetchone()[0])
