"""`tocsin export`: the payloads ingest received, read back from the log as JSON lines.

One line per `PayloadReceived` on `tocsin.payloads`:
`{"received_at": ISO-8601, "source": "<integration type>", "integration": "<name>",
"payload": <the body as posted, credentials redacted>}`, in received_at order (records with
equal times keep their partition and offset order). The lines of requests whose body alone
does not say what they did (Opsgenie close and acknowledge) add the request's path and query
parameters: `"request": {"action": "close"|"acknowledge", "identifier": "...",
"identifier_type": "alias"|"id"|null}`; records written before ingest kept them have
none. `tocsin replay` reads exactly this.

Heartbeat check-ins posted to `/api/v1/heartbeats/{name}` are no payload: they are exported
from their `HeartbeatReceived` on `tocsin.alerts` as lines of source `heartbeat`:
`{"received_at", "source": "heartbeat", "integration": null, "payload": {"name": "<heartbeat>"}}`,
so that a replay misses a heartbeat only where the live run did. (A watchdog alert's check-in
is its payload's line already.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from services.cli.replay_input import ReplayInputError, parse_time
from shared.log.port import EventLog, Record
from shared.topics import ALERTS, PAYLOADS

_LINE_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_APPEND_NEWLINE


@dataclass(frozen=True)
class TimeRange:
    """received_at within [since, until); None leaves that side open."""

    since: datetime | None = None
    until: datetime | None = None

    def holds(self, at: datetime) -> bool:
        if self.since is not None and at < self.since:
            return False
        return self.until is None or at < self.until


def export_line(envelope: dict[str, Any], where: str) -> tuple[datetime, bytes] | None:
    """The export line of a payloads-topic record, or None if it is not a received payload."""
    if envelope.get("type") != "PayloadReceived":
        return None
    event = envelope.get("payload")
    if not isinstance(event, dict):
        raise ReplayInputError(f"{where}: PayloadReceived without a payload")
    received_at = parse_time(event.get("received_at"), where)
    line = {
        "received_at": received_at,
        "source": event.get("source"),
        "integration": event.get("integration"),
        "payload": event.get("body"),
    }
    if event.get("request") is not None:
        line["request"] = event["request"]
    return received_at, orjson.dumps(line, option=_LINE_OPTIONS)


def heartbeat_line(envelope: dict[str, Any], where: str) -> tuple[datetime, bytes] | None:
    """The export line of a check-in posted to a heartbeat's endpoint, or None for another
    record of the alerts topic (a watchdog's check-in included: its payload is exported)."""
    if envelope.get("type") != "HeartbeatReceived":
        return None
    event = envelope.get("payload")
    if not isinstance(event, dict) or not isinstance(event.get("name"), str):
        raise ReplayInputError(f"{where}: HeartbeatReceived without a heartbeat name")
    if event.get("integration") is not None:
        return None
    received_at = parse_time(event.get("received_at"), where)
    line = {
        "received_at": received_at,
        "source": HEARTBEAT_SOURCE,
        "integration": None,
        "payload": {"name": event["name"]},
    }
    return received_at, orjson.dumps(line, option=_LINE_OPTIONS)


HEARTBEAT_SOURCE = "heartbeat"
# (received_at, topic rank, partition, offset, line): sorted by the first four.
_Row = tuple[datetime, int, int, int, bytes]
_READERS = {PAYLOADS: (0, b"", export_line), ALERTS: (1, b'"HeartbeatReceived"', heartbeat_line)}


async def _partition_lines(
    event_log: EventLog, topic: str, partition: int, window: TimeRange
) -> list[_Row]:
    rank, marker, line_of = _READERS[topic]
    rows: list[_Row] = []
    end = await event_log.end_offset(topic, partition)
    offset = 0
    while offset < end:
        batch: list[Record] = await event_log.read(topic, partition, offset, end)
        if not batch:
            break
        for record in batch:
            if marker not in record.value:  # most alerts-topic records: not parsed at all
                continue
            where = f"{topic}[{partition}]@{record.offset}"
            found = line_of(orjson.loads(record.value), where)
            if found is not None and window.holds(found[0]):
                rows.append((found[0], rank, partition, record.offset, found[1]))
        offset = batch[-1].offset + 1
    return rows


async def exported_lines(
    event_log: EventLog, partitions: dict[str, int], window: TimeRange
) -> list[bytes]:
    """Every received payload and posted heartbeat check-in of the (started) log within
    `window`, in received_at order; `partitions`: of each topic the log has, its count."""
    rows: list[_Row] = []
    for topic, count in partitions.items():
        for partition in range(count):
            rows.extend(await _partition_lines(event_log, topic, partition, window))
    rows.sort(key=lambda row: row[:4])
    return [row[4] for row in rows]
