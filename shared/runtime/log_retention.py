"""Retention of the embedded log: history older than the retention goes, unless a reader still
needs it to recover; old snapshots go once a newer one is complete.

A record may be deleted only when every reader of its partition has a snapshot past it: a
consumer group folds its input from its newest snapshot's `input_offset` up to its committed
offset, and the read model from its snapshot's `positions`. A reader without a snapshot
(yet) keeps its whole input. Topics nobody reads live (the posted payloads, which export and
back-testing read) are kept for the retention alone. Of a state topic, the chunks and
manifests before the newest manifest's first chunk are superseded whatever their age.

`prune_bounds` decides, purely; `LogRetention` runs it every few minutes in `tocsin up`.
Kafka has its own retention (`retention.ms` of each topic), set on the broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol, runtime_checkable

from prometheus_client import CollectorRegistry, Counter, Gauge

from shared.log.embedded import EmbeddedLog
from shared.log.embedded_retention import LogFacts, TopicPartition
from shared.runtime.snapshots import MANIFEST

log = logging.getLogger(__name__)

# Seconds between two prunes, and before the first at most (readers recover and commit first).
PRUNE_EVERY_S = 300.0
FIRST_PRUNE_AFTER_S = 60.0


@dataclass(frozen=True)
class LogReader:
    """A reader of the log and where its recovery starts from.

    `group` set: a consumer group of `topics[0]`, whose snapshot of input partition p is in
    partition p of `state_topic` with its `input_offset`. `group` None: a reader of every
    partition of `topics` outside any group (a read model), whose snapshot is in partition 0
    of `state_topic` with `positions` ({topic: {partition: next offset}})."""

    state_topic: str
    topics: tuple[str, ...]
    group: str | None = None


@runtime_checkable
class ReadsTheLog(Protocol):
    """A runner that reads the log says so, so retention keeps what it needs."""

    def log_reader(self) -> LogReader: ...


def prune_bounds(
    facts: LogFacts, history_topics: Iterable[str], readers: Iterable[LogReader]
) -> dict[TopicPartition, int]:
    """Per partition, the offset every record before which may be deleted (those above 0)."""
    history = frozenset(history_topics)
    readers = tuple(readers)
    state_topics = {reader.state_topic for reader in readers}
    bounds: dict[TopicPartition, int] = {}
    for where in facts.ends:
        topic = where[0]
        if topic in history:
            needed = [facts.aged_out.get(where, 0)]
            needed += [
                _needed_by(reader, where, facts) for reader in readers if topic in reader.topics
            ]
            bound = min(needed)
        elif topic in state_topics:
            bound = _superseded(facts.manifests.get(where))
        else:
            continue  # a topic of no known kind: left alone
        if bound > 0:
            bounds[where] = bound
    return bounds


def _needed_by(reader: LogReader, where: TopicPartition, facts: LogFacts) -> int:
    """The first offset of `where` that `reader` may need to recover."""
    topic, partition = where
    if reader.group is not None:
        manifest = facts.manifests.get((reader.state_topic, partition))
        committed = facts.committed.get(reader.group, {}).get(where, 0)
        snapshot_offset = _int(manifest[1].get("input_offset")) if manifest else 0
        return min(committed, snapshot_offset)
    manifest = facts.manifests.get((reader.state_topic, 0))
    positions = manifest[1].get("positions") if manifest else None
    if not isinstance(positions, dict):
        return 0
    of_topic = positions.get(topic)
    return _int(of_topic.get(str(partition))) if isinstance(of_topic, dict) else 0


def _superseded(manifest: tuple[int, Mapping[str, object]] | None) -> int:
    """The first chunk of the newest snapshot: everything before it is an older snapshot."""
    if manifest is None:
        return 0
    offset, fields = manifest
    return max(0, offset - _int(fields.get("chunks")))


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


class LogRetention:
    """Prunes the embedded log every `PRUNE_EVERY_S`; a runner of `tocsin up`."""

    def __init__(
        self,
        event_log: EmbeddedLog,
        retention: timedelta | None,
        history_topics: Iterable[str],
        readers: Iterable[LogReader],
        registry: CollectorRegistry,
        every_s: float = PRUNE_EVERY_S,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._log = event_log
        self._every_s = every_s
        self._retention = retention
        self._history = tuple(history_topics)
        self._readers = tuple(readers)
        self._wall_clock = wall_clock
        self._pruned = Counter(
            "tocsin_log_records_pruned",
            "Records the embedded log's retention deleted, by topic",
            ["topic"],
            registry=registry,
        )
        Gauge(
            "tocsin_log_file_bytes",
            "Size of the embedded log on disk (the SQLite file and its write-ahead log)",
            registry=registry,
        ).set_function(event_log.file_bytes)

    async def prune_once(self) -> int:
        """Delete what may go now; returns the records deleted."""
        cutoff = None
        if self._retention is not None:
            cutoff = self._wall_clock() - self._retention.total_seconds()
        state_topics = {reader.state_topic for reader in self._readers}
        facts = await self._log.retention_facts(cutoff, state_topics, MANIFEST)
        bounds = prune_bounds(facts, self._history, self._readers)
        deleted = 0
        for where, bound in bounds.items():
            removed = await self._log.delete_below({where: bound})
            if removed:
                self._pruned.labels(where[0]).inc(removed)
                deleted += removed
        released = await self._log.release_free_pages()
        if deleted or released:
            log.info(
                "log pruned",
                extra={"records": deleted, "partitions": len(bounds), "pages_released": released},
            )
        return deleted

    async def run(self, stop: asyncio.Event) -> None:
        if not self._log.releases_pages:
            log.warning(
                "the embedded log file was made before it gave freed space back: pruned"
                " records leave space that is reused, but the file does not shrink. To let it"
                " shrink, stop Tocsin once and run: sqlite3 %s 'PRAGMA"
                " auto_vacuum=INCREMENTAL; VACUUM;'",
                self._log.path,
            )
        wait_s = min(FIRST_PRUNE_AFTER_S, self._every_s)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait_s)
                return
            try:
                await self.prune_once()
            except Exception:  # retention must never stop the process; the next round retries
                log.exception("log pruning failed")
            wait_s = self._every_s
