"""The Kafka event log adapter (aiokafka). acks=all; Tocsin picks partitions itself."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from shared.log.kafka_consumer import KafkaConsumer
from shared.log.partitioning import partition_for
from shared.log.port import LogUnavailable, Outgoing, Record

_READ_BATCH = 2000
# From this many records for one partition in one append (a runner's batch of outputs),
# they go in batches of their own: far cheaper than a send() and a future per record.
_OWN_BATCH_FROM = 32


class KafkaLog:
    """EventLog adapter over a Kafka-protocol broker."""

    def __init__(self, bootstrap: str, *, request_timeout_ms: int = 10_000) -> None:
        self._bootstrap = bootstrap
        self._request_timeout_ms = request_timeout_ms
        self._producer: AIOKafkaProducer | None = None
        self._reader: AIOKafkaConsumer | None = None
        self._reader_lock = asyncio.Lock()
        self._partitions: dict[str, int] = {}

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            acks="all",
            linger_ms=1,
            request_timeout_ms=self._request_timeout_ms,
            max_batch_size=1 << 20,
            max_request_size=8 << 20,
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
            await self._producer.start()
            await self._reader.start()
        except KafkaError as error:
            raise LogUnavailable(f"cannot reach Kafka at {self._bootstrap}: {error}") from error

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
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

    async def _discover_partitions(self, topic: str) -> int:
        producer = self._require_producer()
        for _ in range(50):
            found = await producer.partitions_for(topic)
            if found:
                return len(found)
            await asyncio.sleep(0.1)
        raise LogUnavailable(f"topic {topic} has no partitions in the broker's metadata")

    def partition_count(self, topic: str) -> int:
        return self._partitions[topic]

    async def append(self, records: Sequence[Outgoing]) -> None:
        producer = self._require_producer()
        by_partition: dict[tuple[str, int], list[Outgoing]] = {}
        for record in records:
            partition = record.partition
            if partition is None:
                partition = partition_for(record.key, self._partitions[record.topic])
            by_partition.setdefault((record.topic, partition), []).append(record)
        try:
            futures: list[asyncio.Future[object]] = []
            for (topic, partition), group in by_partition.items():
                if len(group) >= _OWN_BATCH_FROM:
                    futures += await _send_as_batches(producer, topic, partition, group)
                    continue
                # Few records: send() merges them, in the producer's accumulator, with
                # those of concurrent appends (ingest's requests) into shared batches.
                # A batch of their own per append would leave one small batch per
                # partition per round trip: concurrent appends then time out.
                for record in group:
                    key = record.key.encode()
                    futures.append(
                        await producer.send(topic, record.value, key=key, partition=partition)
                    )
            await asyncio.gather(*futures)
        except KafkaError as error:
            raise LogUnavailable(f"Kafka did not acknowledge the write: {error}") from error

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
        producer = self._require_producer()
        try:
            return bool(await asyncio.wait_for(producer.client.fetch_all_metadata(), 3.0))
        except (KafkaError, TimeoutError, OSError):
            return False

    def _require_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise LogUnavailable("Kafka log is not started")
        return self._producer

    def _require_reader(self) -> AIOKafkaConsumer:
        if self._reader is None:
            raise LogUnavailable("Kafka log is not started")
        return self._reader


async def _send_as_batches(
    producer: AIOKafkaProducer, topic: str, partition: int, records: list[Outgoing]
) -> list[asyncio.Future[object]]:
    """Queue `records` in order, in as few producer batches as fit; one future per batch."""
    futures: list[asyncio.Future[object]] = []
    batch = producer.create_batch()
    for record in records:
        key = record.key.encode()
        if batch.append(key=key, value=record.value, timestamp=None) is not None:
            continue
        futures.append(await producer.send_batch(batch, topic, partition=partition))
        batch = producer.create_batch()
        # An empty batch takes any one record, however large.
        batch.append(key=key, value=record.value, timestamp=None)
    futures.append(await producer.send_batch(batch, topic, partition=partition))
    return futures
