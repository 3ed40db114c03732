"""Events to and from the bytes of log records.

A record is one JSON object: `{"event_id", "type", "schema_version", "occurred_at", "key",
"payload"}`, with the event in `payload`. Every record read is validated in full: the log is
the truth, and a record that does not decode is a poison record, not a guess. The readers
differ in when the payload is validated:

- `decode_event` validates envelope and event in one pass of pydantic's JSON parser (what
  the stateful services do with every input);
- `decode_envelope` validates the envelope only, keeping the payload as read, so readers
  that skip most types (read models) validate the event in `unwrap` only when they want it.

A process whose stages read back what it wrote (`tocsin up`; the router with its dispatcher)
turns on `remember_encoded`: `encode_envelope` then keeps the last envelopes it encoded by
their bytes, and both decoders answer those bytes with the envelope that was encoded. Its event
is the validated event the bytes were written from, which decoding them again would rebuild
field for field (a test holds them equal). Off by default: keeping costs a hash of every record
written, a loss where another process reads them.

`encode_envelope` writes the bytes `orjson.dumps(envelope as pydantic's JSON mode dumps it)`
gave before this module existed (the pinned format: the same log replays to byte-identical
outputs), in one `orjson.dumps` with the event serialized by pydantic's Rust serializer.
"""

from __future__ import annotations

import functools
import uuid
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Annotated, Any, Union

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter
from pydantic_core import to_jsonable_python

from shared.events import commands, incidents, inputs, notifications, silences
from shared.events.base import Event
from shared.events.envelope import Envelope

ALL_EVENTS: tuple[type[Event], ...] = (
    inputs.EVENTS + incidents.EVENTS + commands.EVENTS + notifications.EVENTS + silences.EVENTS
)
# A union over the runtime tuple above; the checker sees it as the base class.
_DISCRIMINATED: Any = Annotated[Union[ALL_EVENTS], Field(discriminator="type")]  # noqa: UP007
_EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(_DISCRIMINATED)
RECENT_ENCODED = 4096  # envelopes: about 20 MB at most, several seconds of a busy process
_recent: OrderedDict[bytes, Envelope] = OrderedDict()
_recent_limit = 0  # off until `remember_encoded`
# How pydantic writes an aware time in JSON (UTC as `Z`): what the envelope has always held.
_TIME_ADAPTER: TypeAdapter[datetime] = TypeAdapter(AwareDatetime)


class _Wire(BaseModel):
    """The envelope's fields as they are checked on every read."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: uuid.UUID
    type: str
    schema_version: int
    occurred_at: AwareDatetime
    key: str


class _WireWithPayload(_Wire):
    payload: dict[str, Any]


class _WireWithEvent(_Wire):
    payload: _DISCRIMINATED


def wrap(event: Event, *, key: str, event_id: uuid.UUID, occurred_at: datetime) -> Envelope:
    if occurred_at.utcoffset() is None:
        raise ValueError(f"occurred_at must be timezone-aware, got {occurred_at!r}")
    kind = _kind(type(event))
    return Envelope(event_id, kind, event.SCHEMA_VERSION, occurred_at, key, event, None)


@functools.cache
def _kind(event_type: type[Event]) -> str:
    """The `type` discriminator every concrete event class declares."""
    return str(event_type.model_fields["type"].default)


def unwrap(envelope: Envelope) -> Event:
    if envelope.event is not None:
        return envelope.event
    return _EVENT_ADAPTER.validate_python(envelope.raw_payload)


def encode_envelope(envelope: Envelope) -> bytes:
    event, at = envelope.event, envelope.occurred_at
    payload: Any
    if event is not None:
        payload = orjson.Fragment(event.__pydantic_serializer__.to_json(event))
    else:
        payload = envelope.raw_payload
    data = orjson.dumps(
        {
            "event_id": str(envelope.event_id),
            "type": envelope.type,
            "schema_version": envelope.schema_version,
            "occurred_at": orjson.Fragment(_json_time(at, at.utcoffset())),
            "key": envelope.key,
            "payload": payload,
        },
        # A payload read from JSON holds only JSON values; anything else is written as
        # pydantic's JSON mode writes it (times with `Z`), as the envelope model once did.
        default=to_jsonable_python,
        option=orjson.OPT_PASSTHROUGH_DATETIME,
    )
    if event is not None and _recent_limit:
        _remember(data, envelope)
    return data


def remember_encoded(limit: int = RECENT_ENCODED) -> None:
    """Keep the last `limit` envelopes encoded, for this process's own readers (0: none)."""
    global _recent_limit
    _recent_limit = limit
    forget_encoded()


def forget_encoded() -> None:
    """Make the decoders validate every record again (tests of the decoders use it)."""
    _recent.clear()


def _remember(data: bytes, envelope: Envelope) -> None:
    if len(_recent) >= _recent_limit:
        _recent.popitem(last=False)
    _recent[data] = envelope


@functools.lru_cache(maxsize=4096)
def _json_time(at: datetime, offset: timedelta | None) -> bytes:
    """`at` in JSON as pydantic writes it. Records in a row share their times (a batch's
    outputs carry the engine's clock), so they are cached; by offset too, as equal instants
    at different offsets are equal datetimes but different text."""
    return _TIME_ADAPTER.dump_json(at)


def decode_envelope(data: bytes) -> Envelope:
    """The envelope with its payload as read; `unwrap` validates the event."""
    if _recent and (known := _recent.get(data)) is not None:
        return known
    wire = _WireWithPayload.model_validate_json(data)
    raw: dict[str, Any] = wire.payload
    return Envelope(
        wire.event_id, wire.type, wire.schema_version, wire.occurred_at, wire.key, None, raw
    )


def decode_event(data: bytes) -> Envelope:
    """The envelope with its event validated, in one pass over the bytes."""
    if _recent and (known := _recent.get(data)) is not None:
        return known
    wire = _WireWithEvent.model_validate_json(data)
    event: Event = wire.payload
    return Envelope(
        wire.event_id, wire.type, wire.schema_version, wire.occurred_at, wire.key, event, None
    )
