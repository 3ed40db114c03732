"""`tocsin export`: the payloads ingest received, read back from the log as JSON lines.

One line per `PayloadReceived` on `tocsin.payloads`:
`{"received_at": ISO-8601, "source": "<integration type>", "integration": "<name>",
"payload": <the body as posted, credentials redacted>}`, in received_at order (records with
equal times keep their partition and offset order). The lines of requests whose body alone
does not say what they did (Opsgenie close and acknowledge) add the request's path and query
parameters: `"request": {"action": "close"|"acknowledge", "identifier": "...",
"identifier_type": "alias"|"id"|null}`; records written before ingest kept them have
none. `tocsin replay` reads exactly this.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from services.cli.replay_input import ReplayInputError, parse_time
from shared.log.port import EventLog, Record
from shared.topics import PAYLOADS

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


async def _partition_lines(
    event_log: EventLog, partition: int, window: TimeRange
) -> list[tuple[datetime, int, int, bytes]]:
    rows: list[tuple[datetime, int, int, bytes]] = []
    end = await event_log.end_offset(PAYLOADS, partition)
    offset = 0
    while offset < end:
        batch: list[Record] = await event_log.read(PAYLOADS, partition, offset, end)
        if not batch:
            break
        for record in batch:
            where = f"{PAYLOADS}[{partition}]@{record.offset}"
            found = export_line(orjson.loads(record.value), where)
            if found is not None and window.holds(found[0]):
                rows.append((found[0], partition, record.offset, found[1]))
        offset = batch[-1].offset + 1
    return rows


async def exported_lines(event_log: EventLog, partitions: int, window: TimeRange) -> list[bytes]:
    """Every received payload of the (started) log within `window`, in received_at order."""
    rows: list[tuple[datetime, int, int, bytes]] = []
    for partition in range(partitions):
        rows.extend(await _partition_lines(event_log, partition, window))
    rows.sort(key=lambda row: row[:3])
    return [row[3] for row in rows]
