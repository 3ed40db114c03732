"""Samples taken while Tocsin runs: resident memory per process, consumer lag per group.

Lag of a group = sum over the partitions of its input topic of (log end offset - committed
next offset). On the embedded log both come from the SQLite file (read-only connection); on
Kafka from the broker (`KafkaLog.end_offset`, and the group's committed offsets through the
admin client).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path
from typing import Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from shared.log.kafka import KafkaLog
from shared.log.port import LogUnavailable
from shared.topics import ALERTS, INCIDENTS, NOTIFICATIONS

GROUPS: dict[str, str] = {
    "tocsin-correlator": ALERTS,
    "tocsin-router": INCIDENTS,
    "tocsin-dispatcher": NOTIFICATIONS,
}


def rss_mb(pid: int) -> float | None:
    """VmRSS of a process in MiB, from /proc/PID/status; None once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def cpu_s(pid: int) -> float | None:
    """User + system CPU seconds a process used so far, from /proc/PID/stat."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class LagProbe(Protocol):
    async def sample(self) -> dict[str, int]:
        """Lag per consumer group (a group that committed nothing lags by the whole topic)."""
        ...

    async def close(self) -> None: ...


class EmbeddedLag:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._connection: sqlite3.Connection | None = None

    async def sample(self) -> dict[str, int]:
        return await asyncio.to_thread(self._sample)

    def _sample(self) -> dict[str, int]:
        if self._connection is None:
            uri = f"file:{self._path}?mode=ro"
            self._connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self._connection.execute("PRAGMA busy_timeout=5000")
        db = self._connection
        partitions = dict(db.execute("SELECT topic, partitions FROM topics").fetchall())
        lags: dict[str, int] = {}
        for group, topic in GROUPS.items():
            committed = dict(
                db.execute(
                    "SELECT partition, next_offset FROM group_offsets WHERE grp = ? AND topic = ?",
                    (group, topic),
                ).fetchall()
            )
            lag = 0
            for partition in range(partitions.get(topic, 0)):
                (last,) = db.execute(
                    "SELECT MAX(offset) FROM records WHERE topic = ? AND partition = ?",
                    (topic, partition),
                ).fetchone()
                end = 0 if last is None else int(last) + 1
                lag += max(0, end - int(committed.get(partition, 0)))
            lags[group] = lag
        return lags

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class KafkaLag:
    """Committed offsets are read by one consumer per group that never subscribes, so it never
    joins the group (aiokafka's admin client speaks an OffsetFetch version Tansu garbles)."""

    def __init__(self, bootstrap: str, partitions: int) -> None:
        self._bootstrap = bootstrap
        self._partitions = partitions
        self._log = KafkaLog(bootstrap)
        self._readers: dict[str, AIOKafkaConsumer] = {}

    async def _start(self) -> None:
        await self._log.start()
        for group in GROUPS:
            reader = AIOKafkaConsumer(
                bootstrap_servers=self._bootstrap, group_id=group, enable_auto_commit=False
            )
            await reader.start()
            self._readers[group] = reader

    async def sample(self) -> dict[str, int]:
        if not self._readers:
            await self._start()
        lags: dict[str, int] = {}
        for group, topic in GROUPS.items():
            lag = 0
            for partition in range(self._partitions):
                end = await self._log.end_offset(topic, partition)
                committed = await self._readers[group].committed(TopicPartition(topic, partition))
                lag += max(0, end - (committed or 0))
            lags[group] = lag
        return lags

    async def close(self) -> None:
        for reader in self._readers.values():
            await reader.stop()
        self._readers.clear()
        await self._log.close()


async def sample_lag(probe: LagProbe) -> dict[str, int] | None:
    """One lag sample, or None when the backend did not answer this time."""
    try:
        return await asyncio.wait_for(probe.sample(), 20.0)
    except (TimeoutError, sqlite3.Error, KafkaError, LogUnavailable, OSError):
        return None
