"""`tocsin export --kafka` reads the payloads topic of a Kafka cluster: bodies as posted, in
received_at order across partitions, within --since/--until, nothing but received payloads."""

from __future__ import annotations

import argparse
import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from services.cli.log_source import opened_log
from services.cli.main import main
from shared.events import AlertDropped, PayloadReceived, deterministic_id, encode_envelope, wrap
from shared.events.base import Event
from shared.log.kafka import KafkaLog
from shared.log.port import Outgoing
from shared.topics import ALL_TOPICS, PAYLOADS

pytestmark = pytest.mark.kafka
# Far from the times other tests write, so --since/--until isolate these records.
BASE = datetime(2031, 5, 1, 12, 0, tzinfo=UTC)


def _record(event: Event, key: str, at: datetime) -> Outgoing:
    envelope = wrap(
        event, key=key, event_id=deterministic_id("export-test", key, at), occurred_at=at
    )
    return Outgoing(PAYLOADS, key, encode_envelope(envelope))


async def _fill(bootstrap: str) -> None:
    log = KafkaLog(bootstrap)
    await log.start()
    try:
        await log.ensure_topics({topic: 4 for topic in ALL_TOPICS})
        records = []
        for minute, integration in ((3, "prom-a"), (1, "prom-b"), (2, "prom-a"), (9, "prom-b")):
            at = BASE + timedelta(minutes=minute)
            body = {"alerts": [{"labels": {"alertname": f"A{minute}"}}]}
            event = PayloadReceived(
                integration=integration, source="alertmanager", received_at=at, body=body
            )
            records.append(_record(event, integration, at))
        dropped = AlertDropped(integration="prom-a", fingerprint="f", reason="r", received_at=BASE)
        records.append(_record(dropped, "prom-a", BASE + timedelta(minutes=4)))
        await log.append(records)
    finally:
        await log.close()


def test_replay_export_from_kafka_lists_payloads_in_received_at_order(
    kafka: str, tmp_path: Path
) -> None:
    asyncio.run(_fill(kafka))
    config = tmp_path / "tocsin.yaml"
    config.write_text("integrations: []\n")
    output = tmp_path / "alerts.jsonl"
    since, until = BASE.isoformat(), (BASE + timedelta(minutes=5)).isoformat()
    with pytest.raises(SystemExit) as exited:
        main(
            [
                "export",
                "--config",
                str(config),
                "--kafka",
                kafka,
                "--since",
                since,
                "--until",
                until,
                "--output",
                str(output),
            ]
        )
    assert exited.value.code == 0
    lines = [orjson.loads(line) for line in output.read_bytes().splitlines()]
    assert [line["payload"]["alerts"][0]["labels"]["alertname"] for line in lines] == [
        "A1",
        "A2",
        "A3",
    ]
    assert lines[0] == {
        "received_at": "2031-05-01T12:01:00Z",
        "source": "alertmanager",
        "integration": "prom-b",
        "payload": {"alerts": [{"labels": {"alertname": "A1"}}]},
    }


async def _topics(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


async def _opened(bootstrap: str, topics: tuple[str, ...]) -> dict[str, int | None]:
    """Each topic's partition count as a reading command sees it (None: not on the cluster)."""
    args = argparse.Namespace(kafka=bootstrap, data=None)
    counts: dict[str, int | None] = {}
    async with opened_log(args, topics) as event_log:
        for topic in topics:
            try:
                counts[topic] = event_log.partition_count(topic)
            except KeyError:
                counts[topic] = None
    return counts


def test_a_reading_command_creates_no_topic_and_knows_the_existing_ones(kafka: str) -> None:
    asyncio.run(_fill(kafka))
    never_written = f"tocsin.never-written-{uuid.uuid4().hex[:8]}"

    counts = asyncio.run(_opened(kafka, (PAYLOADS, never_written)))

    assert counts[never_written] is None
    assert counts[PAYLOADS] is not None and counts[PAYLOADS] >= 1  # as the cluster has it
    assert never_written not in asyncio.run(_topics(kafka))
