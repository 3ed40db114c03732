"""Durable acceptance: append a request's events and body to the log, whole, before any 2xx."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import orjson

from services.ingest.metrics import IngestMetrics
from shared.events import PayloadReceived, deterministic_id
from shared.events.base import Event
from shared.events.envelope import EVENT_NAMESPACE
from shared.events.inputs import AlertReceived, RequestParameters
from shared.log.port import EventLog, LogUnavailable, Outgoing
from shared.topics import PAYLOADS

_ALERT_SCHEMA_VERSION = AlertReceived.SCHEMA_VERSION


class NotAccepted(Exception):
    """The log did not confirm the write in time: answer 503 so the sender retries."""


class Entry(NamedTuple):
    """One event a request produced, and where it goes: topic and record key.

    A named tuple, not a frozen dataclass: one is made per alert, and costs less so.
    """

    topic: str
    key: str
    event: Event


@dataclass(frozen=True, slots=True)
class Submission:
    """Everything one accepted request appends: its body (credentials redacted) and events.

    `request`: its path and query parameters, kept with the body when the body alone does not
    say what the request did (see `PayloadReceived.request`)."""

    integration: str
    source: str
    body: Any
    received_at: datetime
    entries: Sequence[Entry]
    request: RequestParameters | None = None


class AlertSink:
    def __init__(self, event_log: EventLog, timeout_s: float, metrics: IngestMetrics) -> None:
        self._log = event_log
        self._timeout_s = timeout_s
        self._metrics = metrics

    async def accept(self, submission: Submission) -> None:
        """Append the body, then every entry in order; or raise NotAccepted.

        Event ids are uuid5 of (integration, body digest, received_at, index): the same request
        handled twice yields the same ids. A body posted again later is a new notification
        (a re-fire, a keep-alive, a watchdog's repeat) with new ids: it must not be mistaken
        for a redelivered duplicate and dropped. The digest covers the request's parameters
        too when they are kept: closes of two alerts with the same body are two requests.
        """
        body = orjson.dumps(submission.body)
        hashed = hashlib.blake2b(body, digest_size=16)
        if submission.request is not None:
            hashed.update(b"\0" + submission.request.model_dump_json().encode())
        digest = hashed.hexdigest()
        at = json_time(submission.received_at)
        records = [_payload(submission, body, digest, at)]
        identity = (submission.integration, digest, at)
        records.extend(_records(submission.entries, identity, at))
        await self._append(records)

    async def record(self, entries: Sequence[Entry], identity: str, received_at: datetime) -> None:
        """Append events that carry no body worth keeping (a heartbeat's check-in)."""
        at = json_time(received_at)
        await self._append(_records(entries, (identity, at), at))

    async def _append(self, records: Sequence[Outgoing]) -> None:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._timeout_s):
                await self._log.append(records)
        except (LogUnavailable, TimeoutError) as failure:
            raise NotAccepted(str(failure) or "the event log did not answer in time") from None
        # Confirmed appends only: a refusal (its time is the timeout's) counts as `unavailable`.
        self._metrics.append_seconds.observe(time.perf_counter() - started)


def _records(entries: Sequence[Entry], identity: tuple[str, ...], at: str) -> list[Outgoing]:
    """The records of `entries`, received at `at` (as `json_time` writes it)."""
    ids = numbered_ids(("entry", *identity), len(entries))
    records = []
    for (topic, key, event), event_id in zip(entries, ids, strict=True):
        if type(event) is AlertReceived:  # nearly every record: written out in one dumps
            value = orjson.dumps(
                {
                    "event_id": event_id,
                    "type": "AlertReceived",
                    "schema_version": _ALERT_SCHEMA_VERSION,
                    "occurred_at": at,
                    "key": key,
                    "payload": {"type": "AlertReceived", "alert": event.alert.__dict__},
                },
                option=orjson.OPT_UTC_Z,
            )
        else:
            kind = _kind(type(event))
            payload = _event_fields(event)
            value = envelope_bytes(payload, kind, event.SCHEMA_VERSION, event_id, key, at)
        records.append(Outgoing(topic, key, value))
    return records


def event_json(event: Event) -> bytes:
    """`event.model_dump_json()`, in one `orjson.dumps` for the event ingest writes per alert.

    An `Alert` holds only strings, enums of strings, string maps and datetimes, which orjson
    writes as pydantic does (a test holds them equal on arbitrary alerts).
    """
    return orjson.dumps(_event_fields(event), option=orjson.OPT_UTC_Z)


def _event_fields(event: Event) -> dict[str, Any] | orjson.Fragment:
    """What `envelope_bytes` writes as the event: an `AlertReceived`'s fields as they are (the
    envelope's one `orjson.dumps` writes them), any other event's JSON from pydantic."""
    if isinstance(event, AlertReceived):
        return {**event.__dict__, "alert": event.alert.__dict__}
    return orjson.Fragment(event.model_dump_json().encode())


def json_time(at: datetime) -> str:
    """A time as pydantic writes it in JSON (UTC as `Z`), so records match the shared codec's."""
    text = at.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


@functools.cache
def _kind(event_type: type[Event]) -> str:
    """The `type` discriminator of an event class."""
    kind: str = event_type.model_fields["type"].default
    return kind


def numbered_ids(parts: Sequence[object], count: int) -> list[str]:
    """`str(deterministic_id(*parts, index))` for index 0..count-1, hashing the shared prefix
    once (uuid5 is sha1 over the namespace and the name; only the index differs)."""
    prefix = hashlib.sha1(EVENT_NAMESPACE.bytes, usedforsecurity=False)
    prefix.update("\x1f".join(str(part) for part in (*parts, "")).encode())
    ids = []
    for index in range(count):
        digest = prefix.copy()
        digest.update(b"%d" % index)
        ids.append(_uuid5_text(digest.hexdigest()))
    return ids


# The RFC 4122 variant: the top two bits of digit 17 become 10, so any digit maps to 8-b.
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def _uuid5_text(sha1: str) -> str:
    """What `str(uuid.UUID(bytes=sha1[:16], version=5))` gives for a hex SHA-1, without
    building the UUID: the first 32 digits, with version 5 and the variant written in."""
    return f"{sha1[:8]}-{sha1[8:12]}-5{sha1[13:16]}-{_VARIANT[sha1[16]]}{sha1[17:20]}-{sha1[20:32]}"


def _payload(submission: Submission, body: bytes, digest: str, at: str) -> Outgoing:
    """`PayloadReceived` of the body, whose JSON is already at hand."""
    kind = "PayloadReceived"
    payload = {
        "type": kind,
        "integration": submission.integration,
        "source": submission.source,
        "received_at": at,
        "body": orjson.Fragment(body),
    }
    if submission.request is not None:
        payload["request"] = orjson.Fragment(submission.request.model_dump_json().encode())
    event_id = deterministic_id("payload", submission.integration, digest, at)
    key = submission.integration
    version = PayloadReceived.SCHEMA_VERSION
    return Outgoing(PAYLOADS, key, envelope_bytes(payload, kind, version, event_id, key, at))


def envelope_bytes(
    payload: dict[str, Any] | orjson.Fragment,
    kind: str,
    schema_version: int,
    event_id: uuid.UUID | str,
    key: str,
    at: str,
) -> bytes:
    """What `encode_envelope(wrap(event, ...))` gives for an event whose JSON is `payload`,
    in one `orjson.dumps`: ingest encodes every alert it accepts, and the two pydantic passes
    of `wrap` + `encode_envelope` cost more than the rest of the append. `decode_envelope`
    reads both alike (a test holds them equal). Datetimes in `payload` are written in UTC as
    `Z`, as pydantic writes them."""
    return orjson.dumps(
        {
            "event_id": str(event_id),
            "type": kind,
            "schema_version": schema_version,
            "occurred_at": at,
            "key": key,
            "payload": payload,
        },
        option=orjson.OPT_UTC_Z,
    )
