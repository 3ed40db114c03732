"""A Kafka consumer: a group member that tells its owner about partition moves, or a tail
of every partition from the offsets its owner gives (read models)."""

from __future__ import annotations

from collections.abc import Mapping

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
    def __init__(
        self,
        bootstrap: str,
        topic: str,
        group: str | None,
        partitions: int = 0,
        start: Mapping[int, int] | None = None,
    ) -> None:
        """With `group` None: read all `partitions`, each from its offset in `start` (0 when
        it has none), commit nothing."""
        self._topic = topic
        self._bootstrap = bootstrap
        self._group = group
        self._partitions = partitions
        self._start = dict(start or {})
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
            await self._read_from_start()
            await on_assigned(frozenset(range(self._partitions)))
            return
        self._consumer.subscribe([self._topic], listener=_Listener(on_assigned, on_revoked))

    async def _read_from_start(self) -> None:
        """Own every partition, each positioned at its start offset. An offset the broker no
        longer holds is out of range: the `earliest` reset then reads from the first record
        retention kept."""
        owned = [TopicPartition(self._topic, p) for p in range(self._partitions)]
        self._consumer.assign(owned)
        from_zero = [tp for tp in owned if self._start.get(tp.partition, 0) <= 0]
        if from_zero:
            await self._consumer.seek_to_beginning(*from_zero)
        for tp in owned:
            offset = self._start.get(tp.partition, 0)
            if offset > 0:
                self._consumer.seek(tp, offset)

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

    def end_seen(self, partition: int) -> int | None:
        if self._started is None or partition not in self.assignment():
            return None  # aiokafka asserts on a partition it does not own
        highwater = self._started.highwater(TopicPartition(self._topic, partition))
        return int(highwater) if highwater is not None else None

    async def stop(self) -> None:
        if self._started is not None:
            await self._started.stop()
