"""One event for every partition of a topic: inputs that every partition's state must see
(a rule set taking effect, a silence), each copy with its own deterministic id."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from shared.events import encode_envelope, wrap
from shared.events.base import Event
from shared.log.port import Outgoing


def to_every_partition(
    event: Event,
    *,
    topic: str,
    key: str,
    partitions: int,
    occurred_at: datetime,
    event_id: Callable[[int], uuid.UUID],
) -> list[Outgoing]:
    """`event` once per partition of `topic`; the copy for partition p has `event_id(p)`."""
    records = []
    for partition in range(partitions):
        envelope = wrap(event, key=key, event_id=event_id(partition), occurred_at=occurred_at)
        records.append(Outgoing(topic, key, encode_envelope(envelope), partition))
    return records
