"""Appends to Kafka (acks=all) in send cycles: every record goes straight into a record batch
of its partition, and one produce request per leader carries all that gathered meanwhile.

aiokafka's producer costs ingest more per request than normalizing ten alerts: a future per
record, a queued batch object per partition, and a sender loop woken for each new batch. Here
an append writes its records into the batches of the current cycle and waits for that cycle;
a single task sends one cycle at a time, and while its request is in flight the next cycle
fills, so concurrent appends share requests the way aiokafka's batches share them.

Order: a partition's records reach the log in the order appends put them into cycles, as a
cycle is sent only once the one before it was answered. Failure: a cycle any of whose
partitions the broker refused (or that timed out) fails as a whole, and every append in it
gets `LogUnavailable`: some of its records may be stored anyway, as with any producer, and the
caller retries (ingest answers 503; the runners retry the same records, deduplicated by id).
Nothing is retried here: a retry would hold every append of the next cycle behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Sequence
from typing import Any

from aiokafka import TopicPartition
from aiokafka.client import AIOKafkaClient
from aiokafka.errors import KafkaError, for_code
from aiokafka.protocol.produce import ProduceRequest
from aiokafka.record.default_records import DefaultRecordBatchBuilder

from shared.log.port import LogUnavailable, Outgoing

ACKS_ALL = -1
_NO_ERROR = 0


class _Cycle:
    """The record batches one produce request per leader will carry, and their outcome."""

    def __init__(self, batch_bytes: int) -> None:
        self.batch_bytes = batch_bytes
        self.batches: dict[tuple[str, int], Any] = {}  # DefaultRecordBatchBuilder, untyped
        self.counts: dict[tuple[str, int], int] = {}  # records in each batch
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # Every waiter may have given up (timed out): the failure is still retrieved.
        self.done.add_done_callback(_retrieve)

    def fill(self, where: tuple[str, int], records: Sequence[Outgoing], start: int) -> int:
        """Put `records[start:]` into the partition's batch until it is full; the index of the
        first record it did not take (`len(records)`: it took them all)."""
        batch = self.batches.get(where)
        if batch is None:
            batch = self.batches[where] = _new_batch(self.batch_bytes)
        offset = self.counts.get(where, 0)
        append = batch.append
        taken = start
        # An empty batch takes any one record, however large (as aiokafka's batches do).
        for record in records[start:]:
            if append(offset, None, record.key.encode(), record.value, []) is None:
                break
            offset += 1
            taken += 1
        self.counts[where] = offset
        return taken


class KafkaAppender:
    """Appends over `client`; `start` it before the first append, `close` it after the last."""

    def __init__(self, client: AIOKafkaClient, timeout_ms: int, batch_bytes: int) -> None:
        self._client = client
        self._timeout_ms = timeout_ms
        self._batch_bytes = batch_bytes
        self._cycles: deque[_Cycle] = deque()
        self._ready = asyncio.Event()
        self._sender: asyncio.Task[None] | None = None
        self._in_flight: _Cycle | None = None

    def start(self) -> None:
        self._sender = asyncio.create_task(self._send_cycles())

    async def close(self) -> None:
        """Send what was appended, then stop; appends still waiting then fail."""
        while self._sender is not None and not self._sender.done():
            last = self._cycles[-1] if self._cycles else self._in_flight
            if last is None:
                break
            await asyncio.wait([last.done])
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender

    def add(
        self, where: tuple[str, int], records: Sequence[Outgoing]
    ) -> list[asyncio.Future[None]]:
        """Put `records` (all of partition `where`) into cycles, in order; the outcome of every
        cycle that holds one of them (one, unless a batch filled up). No await in here."""
        if self._sender is None or self._sender.done():
            raise LogUnavailable("the Kafka log is not started")
        cycles = self._cycles
        if not cycles:
            cycles.append(_Cycle(self._batch_bytes))
        outcomes = [cycles[-1].done]
        taken = cycles[-1].fill(where, records, 0)
        while taken < len(records):  # the partition's batch is full: seal this cycle
            cycles.append(_Cycle(self._batch_bytes))
            taken = cycles[-1].fill(where, records, taken)
            outcomes.append(cycles[-1].done)
        self._ready.set()
        return outcomes

    async def _send_cycles(self) -> None:
        try:
            while True:
                await self._ready.wait()
                self._ready.clear()
                while self._cycles:
                    # Off the queue before its request goes: appends from now on start the
                    # next cycle, which fills while this one is in flight.
                    self._in_flight = cycle = self._cycles.popleft()
                    _settle(cycle, await self._send(cycle))
                    self._in_flight = None
        finally:  # stopped: nobody will send what is left
            stopping = LogUnavailable("the Kafka log is stopping")
            for left in [self._in_flight, *self._cycles]:
                if left is not None and not left.done.done():
                    left.done.set_exception(stopping)

    async def _send(self, cycle: _Cycle) -> Exception | None:
        """None once every leader stored every batch of the cycle, else what went wrong."""
        try:
            requests = await self._requests(cycle)
            answers = await asyncio.gather(
                *(self._client.send(node, request) for node, request in requests.items())
            )
        except LogUnavailable as unavailable:
            return unavailable
        except KafkaError as error:
            if getattr(error, "invalid_metadata", False):
                self._client.force_metadata_update()
            return LogUnavailable(f"Kafka did not take the write: {error!r}")
        except Exception as error:  # the cycle's appends get it; sending goes on
            return error
        for answer in answers:
            refused = _refusal(answer)
            if refused is not None:
                if getattr(refused, "invalid_metadata", False):
                    self._client.force_metadata_update()
                return LogUnavailable(f"Kafka did not acknowledge the write: {refused!r}")
        return None

    async def _requests(self, cycle: _Cycle) -> dict[int, ProduceRequest]:
        """One produce request per leader, of the cycle's batches it leads."""
        by_node: dict[int, dict[str, list[tuple[int, bytes]]]] = {}
        for (topic, partition), batch in cycle.batches.items():
            node = await self._leader(TopicPartition(topic, partition))
            by_node.setdefault(node, {}).setdefault(topic, []).append((partition, batch.build()))
        return {
            node: ProduceRequest(
                transactional_id=None,
                required_acks=ACKS_ALL,
                timeout=self._timeout_ms,
                topics=list(topics.items()),
            )
            for node, topics in by_node.items()
        }

    async def _leader(self, where: TopicPartition) -> int:
        leader = self._client.cluster.leader_for_partition(where)
        if leader is None or leader == -1:  # unknown or electing: ask once more
            await self._client.add_topic(where.topic)  # tracked from now on, if it was not
            await self._client.force_metadata_update()
            leader = self._client.cluster.leader_for_partition(where)
            if leader is None or leader == -1:
                raise LogUnavailable(f"no leader for {where.topic}[{where.partition}]")
        return int(leader)


def _new_batch(batch_bytes: int) -> Any:
    """An empty record batch of the current format (v2), uncompressed, not idempotent."""
    return DefaultRecordBatchBuilder(
        magic=2,
        compression_type=0,
        is_transactional=0,
        producer_id=-1,
        producer_epoch=-1,
        base_sequence=0,
        batch_size=batch_bytes,
    )


def _refusal(answer: Any) -> KafkaError | None:
    """The first partition error in a produce response, if any."""
    for _, partitions in answer.topics:
        for partition in partitions:
            code = partition[1]  # (partition, error_code, offset, ...) in every version
            if code != _NO_ERROR:
                error: KafkaError = for_code(code)()
                return error
    return None


def _settle(cycle: _Cycle, error: Exception | None) -> None:
    if error is None:
        cycle.done.set_result(None)
    else:
        cycle.done.set_exception(error)


def _retrieve(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()
