"""The Kafka event log adapter (aiokafka). acks=all; Tocsin picks partitions itself."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from shared.log.kafka_consumer import KafkaConsumer
from shared.log.partitioning import partition_for
from shared.log.port import LogUnavailable, Outgoing, Record

_READ_BATCH = 2000
# Empty fetches at the reported end before `end_offset` takes it as the true end.
_EMPTY_END_FETCHES = 5


class KafkaLog:
    """EventLog adapter over a Kafka-protocol broker."""

    def __init__(self, bootstrap: str, *, request_timeout_ms: int = 10_000) -> None:
        self._bootstrap = bootstrap
        self._request_timeout_ms = request_timeout_ms
        self._producer: AIOKafkaProducer | None = None
        self._reader: AIOKafkaConsumer | None = None
        self._reader_lock = asyncio.Lock()
        self._partitions: dict[str, int] = {}
        self._batches = FillingBatches()

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            acks="all",
            # No lingering: the producer has one request in flight to a broker at a time, and
            # what is appended meanwhile waits for it and goes in the next, so load batches
            # anyway. Measured on ingest at ten alerts a request: less CPU, more alerts/s.
            linger_ms=0,
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
            await self._stop_clients()  # else each is reported unclosed as the process exits
            raise LogUnavailable(f"cannot reach Kafka at {self._bootstrap}: {error}") from error

    async def close(self) -> None:
        await self._batches.submitted()
        await self._stop_clients()

    async def _stop_clients(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
        if self._reader is not None:
            await self._reader.stop()

    async def ensure_topics(self, partitions_by_topic: dict[str, int]) -> None:
        async with self._admin() as admin:
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
        for topic in partitions_by_topic:
            self._partitions[topic] = await self._discover_partitions(topic)

    async def learn_topics(self, topics: Iterable[str]) -> None:
        """Learn the partitions of those of `topics` the cluster has, creating none: a command
        that only reads leaves no topic behind. `partition_count` of a missing one raises
        `KeyError`, as on an embedded log that never had it."""
        async with self._admin() as admin:
            existing = set(await admin.list_topics())
        for topic in topics:
            if topic in existing:
                self._partitions[topic] = await self._discover_partitions(topic)

    @contextlib.asynccontextmanager
    async def _admin(self) -> AsyncIterator[AIOKafkaAdminClient]:
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap)
        await admin.start()
        try:
            yield admin
        finally:
            await admin.close()

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
        acks: list[asyncio.Future[None]] = []
        try:
            for where, group in by_partition.items():
                acks += self._batches.add(producer, where, group)
        except KafkaError as error:
            raise LogUnavailable(f"Kafka did not take the write: {error}") from error
        if acks:
            # Waiting never cancels a batch: other appends share it.
            done, _ = await asyncio.wait(acks)
            for ack in done:
                try:
                    ack.result()
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
        # A fetch of a record the end says exists may come back empty for a moment after the
        # write was acknowledged: look again, or the end falls short of that batch.
        end, empty = int(offsets[source]), 0
        while end > 0 and empty < _EMPTY_END_FETCHES:
            wait_ms = 2000 if empty == 0 else 200
            batch = await self._fetch(topic, partition, end - 1, 1 << 62, wait_ms=wait_ms)
            if not batch:
                empty += 1
                continue
            if batch[-1].offset + 1 <= end:
                break
            end, empty = batch[-1].offset + 1, 0
        return end

    def consumer(self, topic: str, group: str) -> KafkaConsumer:
        return KafkaConsumer(self._bootstrap, topic, group)

    def tail(self, topic: str, start: Mapping[int, int] | None = None) -> KafkaConsumer:
        partitions = self._partitions.get(topic, 0)
        return KafkaConsumer(self._bootstrap, topic, group=None, partitions=partitions, start=start)

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


class _Filling(NamedTuple):
    """A partition's batch that appends are filling, and its acknowledgement (acks=all)."""

    batch: Any  # aiokafka's BatchBuilder (aiokafka has no type hints)
    acked: asyncio.Future[None]


class FillingBatches:
    """Appends write their records straight into the producer batch each partition is filling,
    so concurrent appends (ingest's requests) share batches as `send()` would merge them, but
    without a `send()` and a future per record: at ten alerts a request, ingest spends a tenth
    less CPU than with `send()`, and no more at one. An append waits for the acknowledgement of
    every batch that holds one of its records.

    A batch stays open while the producer holds it queued or lingering; the producer closes it
    when its sender takes it. A record it refuses (taken, or full) starts the next batch.
    Batches are queued in the order they were started, so a partition's records reach the log
    in append order.
    """

    def __init__(self) -> None:
        self._filling: dict[tuple[str, int], _Filling] = {}
        self._queue_order: dict[tuple[str, int], asyncio.Lock] = {}
        self._submitting: set[asyncio.Task[None]] = set()

    def add(
        self, producer: AIOKafkaProducer, where: tuple[str, int], records: list[Outgoing]
    ) -> list[asyncio.Future[None]]:
        """Put `records` (all of partition `where`) into batches; the batches' acknowledgements.

        No await in here: nothing else can take or fill a batch meanwhile.
        """
        acks: list[asyncio.Future[None]] = []
        filling = self._filling.get(where)
        for record in records:
            if filling is None or not _append(filling.batch, record):
                filling = self._start(producer, where, record)
            if not acks or acks[-1] is not filling.acked:
                acks.append(filling.acked)
        return acks

    async def submitted(self) -> None:
        """Wait until every started batch is written or failed (before the producer stops)."""
        await asyncio.gather(*self._submitting, return_exceptions=True)

    def _start(
        self, producer: AIOKafkaProducer, where: tuple[str, int], first: Outgoing
    ) -> _Filling:
        filling = _Filling(producer.create_batch(), asyncio.get_running_loop().create_future())
        _append(filling.batch, first)  # an empty batch takes any one record, however large
        # Everyone waiting may have timed out: the failure is still retrieved.
        filling.acked.add_done_callback(_retrieve)
        self._filling[where] = filling
        # Handed over by a task of its own, not by the append that started it: that append
        # may time out, and other appends have records in this batch too.
        order = self._queue_order.setdefault(where, asyncio.Lock())
        task = asyncio.create_task(self._submit(producer, where, filling, order))
        self._submitting.add(task)
        task.add_done_callback(self._submitting.discard)
        return filling

    async def _submit(
        self,
        producer: AIOKafkaProducer,
        where: tuple[str, int],
        filling: _Filling,
        order: asyncio.Lock,
    ) -> None:
        topic, partition = where
        try:
            # The producer queues one batch per partition at a time, waiting for the one
            # before to be taken; the lock (first come, first served) keeps the start order.
            async with order:
                delivered = await producer.send_batch(filling.batch, topic, partition=partition)
            await delivered
        except KafkaError as error:
            self._end(where, filling, LogUnavailable(f"Kafka did not take the write: {error}"))
        except asyncio.CancelledError:
            self._end(where, filling, LogUnavailable("the Kafka log is stopping"))
            raise
        except Exception as error:  # e.g. a partition missing from the metadata
            self._end(where, filling, error)
        else:
            self._end(where, filling, None)

    def _end(self, where: tuple[str, int], filling: _Filling, error: Exception | None) -> None:
        """Answer the batch's appends; a batch that failed takes no more records."""
        filling.batch.close()
        if self._filling.get(where) is filling:
            del self._filling[where]
        if error is None:
            filling.acked.set_result(None)
        else:
            filling.acked.set_exception(error)


def _append(batch: Any, record: Outgoing) -> bool:
    """False if the batch refuses the record: the sender took it, or it is full."""
    return batch.append(key=record.key.encode(), value=record.value, timestamp=None) is not None


def _retrieve(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()
