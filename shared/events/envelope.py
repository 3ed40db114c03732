"""The envelope every record on the log carries, and the deterministic ids of events.

The byte encoding lives in `shared.events.codec`, which knows every event type.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any, NamedTuple

from shared.events.base import Event

# Namespace for deterministic event ids: uuid5(EVENT_NAMESPACE, natural key).
EVENT_NAMESPACE = uuid.UUID("6f1c2a4e-3b1d-5c55-9a77-0d6e4f3b2c11")

# uuid5 is sha1(namespace bytes + name): the namespace's part is hashed once, then copied.
_NAMESPACE_SHA1 = hashlib.sha1(EVENT_NAMESPACE.bytes, usedforsecurity=False)
# The version (5) and variant (RFC 4122) bits uuid5 sets in the first 16 bytes of the digest.
_VERSION_MASK = ~((0xF000 << 64) | (0xC000 << 48))
_VERSION_BITS = (0x5000 << 64) | (0x8000 << 48)


def deterministic_id(*parts: object) -> uuid.UUID:
    """An id derived from natural keys, so a redelivered input yields the same output id.

    Equal to `uuid.uuid5(EVENT_NAMESPACE, "\\x1f".join(map(str, parts)))`, computed without
    rehashing the namespace (ids are made for every output record)."""
    digest = _NAMESPACE_SHA1.copy()
    digest.update("\x1f".join([str(part) for part in parts]).encode())
    value = int.from_bytes(digest.digest()[:16], "big")
    return uuid.UUID(int=(value & _VERSION_MASK) | _VERSION_BITS)


class Envelope(NamedTuple):
    """Metadata around one event.

    The event is held in one of two forms: decoded (`event`, as `wrap` and `decode_event`
    make it), or as the JSON object read from the log (`raw_payload`, as `decode_envelope`
    makes it, so readers that skip most types never validate them). Build envelopes with
    those functions; `unwrap` gives the event either way. A named tuple, not a model: one is
    made for every record read and written, and a tuple costs a fraction of a model or a
    frozen dataclass to build.
    """

    event_id: uuid.UUID
    type: str
    schema_version: int
    occurred_at: datetime
    key: str
    event: Event | None = None
    raw_payload: dict[str, Any] | None = None

    @property
    def payload(self) -> dict[str, Any]:
        """The event as a plain JSON object."""
        if self.raw_payload is not None:
            return self.raw_payload
        assert self.event is not None, "an envelope holds its event in one form or the other"
        return self.event.model_dump(mode="json")
