"""A Kafka consumer-group member that tells its owner about partition moves."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError

from shared.log.port import LogUnavailable, PartitionsCallback, Record


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, on_assigned: PartitionsCallback, on_revoked: PartitionsCallback) -> None:
        self._on_assigned = on_assigned
        self._on_revoked = on_revoked

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self._on_revoked(frozenset(tp.partition for tp in revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        await self._on_assigned(frozenset(tp.partition for tp in assigned))


class KafkaConsumer:
    def __init__(self, bootstrap: str, topic: str, group: str | None, partitions: int = 0) -> None:
        """With `group` None: read all `partitions` from offset 0, commit nothing."""
        self._topic = topic
        self._bootstrap = bootstrap
        self._group = group
        self._partitions = partitions
        self._started: AIOKafkaConsumer | None = None

    @property
    def _consumer(self) -> AIOKafkaConsumer:
        # aiokafka binds to the running loop at construction, so it is built in `start`.
        if self._started is None:
            raise LogUnavailable("consumer is not started")
        return self._started

    async def start(self, on_assigned: PartitionsCallback, on_revoked: PartitionsCallback) -> None:
        self._started = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=self._group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=10_000,
            heartbeat_interval_ms=1_000,
            max_poll_interval_ms=300_000,
            # Pages wait on every hop: do not let an idle fetch sit on the broker for long.
            fetch_max_wait_ms=50,
        )
        try:
            await self._consumer.start()
        except KafkaError as error:
            raise LogUnavailable(f"cannot join consumer group: {error}") from error
        if self._group is None:
            owned = [TopicPartition(self._topic, p) for p in range(self._partitions)]
            self._consumer.assign(owned)
            await self._consumer.seek_to_beginning(*owned)
            await on_assigned(frozenset(range(self._partitions)))
            return
        self._consumer.subscribe([self._topic], listener=_Listener(on_assigned, on_revoked))

    async def poll(self, max_records: int, timeout_s: float) -> list[Record]:
        batches = await self._consumer.getmany(
            timeout_ms=int(timeout_s * 1000), max_records=max_records
        )
        return [
            Record(self._topic, tp.partition, m.offset, (m.key or b"").decode(), m.value)
            for tp, messages in sorted(batches.items(), key=lambda item: item[0].partition)
            for m in messages
        ]

    async def commit(self, next_offsets: dict[int, int]) -> None:
        if self._group is None:
            return
        try:
            await self._consumer.commit(
                {TopicPartition(self._topic, p): offset for p, offset in next_offsets.items()}
            )
        except KafkaError as error:
            raise LogUnavailable(f"commit refused: {error}") from error

    async def committed(self, partition: int) -> int:
        if self._group is None:
            return 0
        offset = await self._consumer.committed(TopicPartition(self._topic, partition))
        return int(offset) if offset is not None else 0

    def assignment(self) -> frozenset[int]:
        if self._started is None:
            return frozenset()
        return frozenset(tp.partition for tp in self._started.assignment())

    async def stop(self) -> None:
        if self._started is not None:
            await self._started.stop()
