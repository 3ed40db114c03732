"""The envelope every record on the log carries, and its byte encoding."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict

# Namespace for deterministic event ids: uuid5(EVENT_NAMESPACE, natural key).
EVENT_NAMESPACE = uuid.UUID("6f1c2a4e-3b1d-5c55-9a77-0d6e4f3b2c11")


def deterministic_id(*parts: object) -> uuid.UUID:
    """An id derived from natural keys, so a redelivered input yields the same output id."""
    return uuid.uuid5(EVENT_NAMESPACE, "\x1f".join(str(part) for part in parts))


class Envelope(BaseModel):
    """Metadata around one event. `payload` is the event as a plain JSON object."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: uuid.UUID
    type: str
    schema_version: int
    occurred_at: AwareDatetime
    key: str
    payload: dict[str, Any]


def encode_envelope(envelope: Envelope) -> bytes:
    return orjson.dumps(envelope.model_dump(mode="json"))


def decode_envelope(data: bytes) -> Envelope:
    return Envelope.model_validate_json(data)
