"""The Kafka event log adapter (aiokafka). acks=all; Tocsin picks partitions itself.

Appends go through `KafkaAppender` (`kafka_appender.py`) over aiokafka's client, reads through
aiokafka's consumer, consumer groups through `KafkaConsumer` (`kafka_consumer.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.client import AIOKafkaClient
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from shared.log.kafka_appender import KafkaAppender
from shared.log.kafka_consumer import KafkaConsumer
from shared.log.partitioning import partition_for
from shared.log.port import LogUnavailable, Outgoing, Record

_READ_BATCH = 2000
# Record keys whose partitions are remembered, at most.
_REMEMBERED_KEYS = 4096
# Bytes of one partition's record batch in one request, at most (Kafka's default limit of a
# batch is 1 MB; snapshots are cut into records of 512 KiB to fit).
_BATCH_BYTES = 1 << 20


class KafkaLog:
    """EventLog adapter over a Kafka-protocol broker."""

    def __init__(self, bootstrap: str, *, request_timeout_ms: int = 10_000) -> None:
        self._bootstrap = bootstrap
        self._request_timeout_ms = request_timeout_ms
        self._client: AIOKafkaClient | None = None
        self._appender: KafkaAppender | None = None
        self._reader: AIOKafkaConsumer | None = None
        self._reader_lock = asyncio.Lock()
        self._partitions: dict[str, int] = {}
        self._partition_of: dict[tuple[str, str], int] = {}

    async def start(self) -> None:
        self._client = AIOKafkaClient(
            bootstrap_servers=self._bootstrap, request_timeout_ms=self._request_timeout_ms
        )
        # Reads jump between partitions and offsets, and a new position waits for a fetch in
        # flight: with the default wait (500 ms) a read after one that reached the end of its
        # partition would cost that long.
        self._reader = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            enable_auto_commit=False,
            group_id=None,
            fetch_max_wait_ms=10,
        )
        try:
            await self._client.bootstrap()
            await self._reader.start()
        except KafkaError as error:
            raise LogUnavailable(f"cannot reach Kafka at {self._bootstrap}: {error}") from error
        self._appender = KafkaAppender(self._client, self._request_timeout_ms, _BATCH_BYTES)
        self._appender.start()

    async def close(self) -> None:
        if self._appender is not None:
            await self._appender.close()
        if self._client is not None:
            await self._client.close()
        if self._reader is not None:
            await self._reader.stop()

    async def ensure_topics(self, partitions_by_topic: dict[str, int]) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap)
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            missing = [
                NewTopic(topic, count, 1)
                for topic, count in partitions_by_topic.items()
                if topic not in existing
            ]
            # Another instance may create a topic between our list and our create.
            if missing:
                with contextlib.suppress(TopicAlreadyExistsError):
                    await admin.create_topics(missing)
        finally:
            await admin.close()
        for topic in partitions_by_topic:
            self._partitions[topic] = await self._discover_partitions(topic)
        self._partition_of.clear()  # a topic's partition count may have changed

    async def _discover_partitions(self, topic: str) -> int:
        client = self._require_client()
        for _ in range(50):
            await client.add_topic(topic)  # tracked from now on, so its metadata is kept
            found = client.cluster.partitions_for_topic(topic)
            if found:
                return len(found)
            await asyncio.sleep(0.1)
            await client.force_metadata_update()
        raise LogUnavailable(f"topic {topic} has no partitions in the broker's metadata")

    def partition_count(self, topic: str) -> int:
        return self._partitions[topic]

    async def append(self, records: Sequence[Outgoing]) -> None:
        appender = self._require_appender()
        by_partition: dict[tuple[str, int], list[Outgoing]] = {}
        for record in records:
            where = (record.topic, self._partition(record))
            group = by_partition.get(where)
            if group is None:
                by_partition[where] = [record]
            else:
                group.append(record)
        acks: set[asyncio.Future[None]] = set()
        for where, group in by_partition.items():
            acks.update(appender.add(where, group))
        if not acks:
            return
        # Waiting never cancels a send cycle: other appends share it.
        done, _ = await asyncio.wait(acks)
        for ack in done:
            ack.result()  # LogUnavailable if the cycle failed

    def _partition(self, record: Outgoing) -> int:
        """The record's partition; remembered by key, as hashing costs more than a lookup and
        keys repeat (correlation domains, integrations)."""
        if record.partition is not None:
            return record.partition
        where = (record.topic, record.key)
        found = self._partition_of.get(where)
        if found is None:
            if len(self._partition_of) >= _REMEMBERED_KEYS:  # keys come from senders' labels
                self._partition_of.clear()
            found = partition_for(record.key, self._partitions[record.topic])
            self._partition_of[where] = found
        return found

    async def read(self, topic: str, partition: int, start: int, end: int) -> list[Record]:
        return await self._fetch(topic, partition, start, end, wait_ms=2000)

    async def _fetch(
        self, topic: str, partition: int, start: int, end: int, *, wait_ms: int
    ) -> list[Record]:
        reader = self._require_reader()
        source = TopicPartition(topic, partition)
        async with self._reader_lock:
            reader.assign([source])
            reader.seek(source, start)
            batches = await reader.getmany(source, timeout_ms=wait_ms, max_records=_READ_BATCH)
            reader.assign([])  # no fetching between reads (they are rare, the wait is short)
        return [
            Record(topic, partition, message.offset, (message.key or b"").decode(), message.value)
            for message in batches.get(source, [])
            if message.offset < end
        ]

    async def end_offset(self, topic: str, partition: int) -> int:
        reader = self._require_reader()
        source = TopicPartition(topic, partition)
        async with self._reader_lock:
            offsets = await reader.end_offsets([source])
        # Tansu reports the last batch's base offset + 1 as its end; read on to the true end.
        end = int(offsets[source])
        while end > 0 and (
            batch := await self._fetch(topic, partition, end - 1, 1 << 62, wait_ms=2000)
        ):
            if batch[-1].offset + 1 <= end:
                break
            end = batch[-1].offset + 1
        return end

    def consumer(self, topic: str, group: str) -> KafkaConsumer:
        return KafkaConsumer(self._bootstrap, topic, group)

    def tail(self, topic: str) -> KafkaConsumer:
        return KafkaConsumer(
            self._bootstrap, topic, group=None, partitions=self._partitions.get(topic, 0)
        )

    async def ping(self) -> bool:
        client = self._require_client()
        try:
            return bool(await asyncio.wait_for(client.fetch_all_metadata(), 3.0))
        except (KafkaError, TimeoutError, OSError):
            return False

    def _require_client(self) -> AIOKafkaClient:
        if self._client is None:
            raise LogUnavailable("Kafka log is not started")
        return self._client

    def _require_appender(self) -> KafkaAppender:
        if self._appender is None:
            raise LogUnavailable("Kafka log is not started")
        return self._appender

    def _require_reader(self) -> AIOKafkaConsumer:
        if self._reader is None:
            raise LogUnavailable("Kafka log is not started")
        return self._reader
