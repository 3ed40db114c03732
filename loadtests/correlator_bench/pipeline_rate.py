"""The live Kafka pipeline against the raw consumer, on one broker in one run.

1. `tocsin.alerts` is filled with N `AlertReceived` records, encoded and keyed as ingest
   writes them (alerts of a storm whose times lie a day ahead, so no timer comes due by the
   wall clock and the live run writes no ticks; timers due by the storm's own times are
   decided by the inputs after them, live as offline);
2. raw: a plain aiokafka consumer reads every record and parses it with orjson;
3. pipeline: `tocsin correlator --kafka` starts (one process, or several in one consumer
   group), and the clock runs until `tocsin.incidents` holds as many records as the engine
   decides for those inputs (computed offline, per partition, as the live processor keys its
   state).
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from services.cli.config_bundle import TocsinConfig
from services.cli.replay_input import OrderedInput
from services.cli.replay_normalize import PayloadNormalizer, Skipped
from services.correlator.domain.engine import step
from services.correlator.domain.state import CorrelatorState
from services.correlator.grouping import build_policy
from shared.alerts import Alert
from shared.events import AlertReceived, deterministic_id, encode_envelope, wrap
from shared.log.kafka import KafkaLog
from shared.log.partitioning import partition_for
from shared.log.port import Outgoing
from shared.topics import ALERTS, ALL_TOPICS, INCIDENTS
from tests.support.brokers import free_port

PARTITIONS = 4


@dataclass(frozen=True)
class PipelineFigures:
    records: int
    expected_outputs: int
    raw_seconds: float
    pipeline_seconds: float  # from process start until every output is on the log
    first_output_seconds: float  # from process start until the first output
    outputs_seen: int
    correlator_rss_mb: float

    @property
    def raw_rate(self) -> float:
        return self.records / self.raw_seconds

    @property
    def pipeline_rate(self) -> float:
        return self.records / self.pipeline_seconds

    @property
    def steady_rate(self) -> float:
        return self.records / max(self.pipeline_seconds - self.first_output_seconds, 1e-9)


def storm_records(alerts: Path, config: TocsinConfig, limit: int) -> Iterator[tuple[str, Alert]]:
    """(record key, alert) of the storm's first `limit` alert notifications, as ingest keys them."""
    normalizer = PayloadNormalizer(config.ingest)
    count = 0
    for payload in OrderedInput(alerts):
        normalized = normalizer.normalize(payload)
        if isinstance(normalized, Skipped):
            continue
        for alert, key in zip(normalized.alerts, normalized.keys, strict=True):
            yield key, alert
            count += 1
            if count == limit:
                return


def expected_outputs(records: list[tuple[str, Alert]], config: TocsinConfig) -> int:
    """What the live correlator appends for these inputs: state per partition, no ticks."""
    policy = build_policy(config.correlator, config.version)
    states = [CorrelatorState() for _ in range(PARTITIONS)]
    total = 0
    for key, alert in records:
        state = states[partition_for(key, PARTITIONS)]
        total += len(step(state, AlertReceived(alert=alert), alert.received_at, policy, key))
    return total


async def prefill(bootstrap: str, records: list[tuple[str, Alert]]) -> None:
    log = KafkaLog(bootstrap)
    await log.start()
    try:
        await log.ensure_topics({topic: PARTITIONS for topic in ALL_TOPICS})
        batch: list[Outgoing] = []
        for index, (key, alert) in enumerate(records):
            event_id = deterministic_id("bench", index)
            envelope = wrap(
                AlertReceived(alert=alert),
                key=key,
                event_id=event_id,
                occurred_at=alert.received_at,
            )
            batch.append(Outgoing(ALERTS, key, encode_envelope(envelope)))
            if len(batch) == 5000:
                await log.append(batch)
                batch = []
        await log.append(batch)
    finally:
        await log.close()


async def raw_consume(bootstrap: str, records: int) -> float:
    """Seconds for a plain consumer to read and orjson-parse `records` records of the topic."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(ALERTS, p) for p in range(PARTITIONS)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        started, seen = time.monotonic(), 0
        while seen < records:
            batches = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            for messages in batches.values():
                for message in messages:
                    orjson.loads(message.value)
                seen += len(messages)
        return time.monotonic() - started
    finally:
        await consumer.stop()


async def output_count(log: KafkaLog) -> int:
    return sum([await log.end_offset(INCIDENTS, p) for p in range(PARTITIONS)])


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def time_correlator(
    bootstrap: str,
    config_path: Path,
    expected: int,
    log_folder: Path,
    timeout_s: float,
    profile: list[str],
    processes: int = 1,
) -> tuple[float, float, int, float]:
    """(seconds to all outputs, seconds to the first, outputs seen, correlators' RSS MB).

    `processes` correlators join the consumer group together and share the partitions, as
    instances scaled out do; `profile`: a command prefix to run the first under (py-spy)."""
    started: list[subprocess.Popen[bytes]] = []
    try:
        for index in range(processes):
            command = [*(profile if not index else []), sys.executable, "-m", "services.cli.main"]
            command += ["correlator", "--config", str(config_path), "--kafka", bootstrap]
            command += ["--port", str(free_port())]
            with (log_folder / f"correlator-{index + 1}.log").open("wb") as sink:
                started.append(subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT))
        elapsed, first, seen = asyncio.run(_watch(bootstrap, expected, timeout_s))
        return elapsed, first, seen, sum(_rss_mb(process.pid) for process in started)
    finally:
        for index, process in enumerate(started):
            process.send_signal(signal.SIGINT if profile and not index else signal.SIGTERM)
        for process in started:
            process.wait(60)


async def _watch(bootstrap: str, expected: int, timeout_s: float) -> tuple[float, float, int]:
    log = KafkaLog(bootstrap)
    await log.start()
    started, first, seen = time.monotonic(), 0.0, 0
    try:
        await log.ensure_topics({topic: PARTITIONS for topic in ALL_TOPICS})
        while seen < expected and time.monotonic() - started < timeout_s:
            await asyncio.sleep(0.25)
            seen = await output_count(log)
            if seen and not first:
                first = time.monotonic() - started
        return time.monotonic() - started, first, seen
    finally:
        await log.close()
