"""Every event type on Tocsin's log, and how events travel inside envelopes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, TypeAdapter

from shared.events.base import Event
from shared.events.commands import AcknowledgeIncident, ResolveIncident
from shared.events.envelope import Envelope, decode_envelope, deterministic_id, encode_envelope
from shared.events.incidents import (
    AlertGrouped,
    AlertResolved,
    IncidentAcknowledged,
    IncidentOpened,
    IncidentPriorityChanged,
    IncidentResolved,
)
from shared.events.inputs import (
    AlertDropped,
    AlertReceived,
    ChangeRecorded,
    HeartbeatReceived,
    PayloadReceived,
    TickOccurred,
)
from shared.events.notifications import (
    EscalationStarted,
    EscalationStepFired,
    NobodyPaged,
    NotificationFailed,
    NotificationRequested,
    NotificationSent,
)

AnyEvent = Annotated[
    AlertReceived
    | PayloadReceived
    | AlertDropped
    | ChangeRecorded
    | HeartbeatReceived
    | TickOccurred
    | IncidentOpened
    | AlertGrouped
    | AlertResolved
    | IncidentPriorityChanged
    | IncidentAcknowledged
    | IncidentResolved
    | AcknowledgeIncident
    | ResolveIncident
    | NotificationRequested
    | NotificationSent
    | NotificationFailed
    | EscalationStarted
    | EscalationStepFired
    | NobodyPaged,
    Field(discriminator="type"),
]

_EVENT_ADAPTER: TypeAdapter[AnyEvent] = TypeAdapter(AnyEvent)


def wrap(event: Event, *, key: str, event_id: uuid.UUID, occurred_at: datetime) -> Envelope:
    payload = event.model_dump(mode="json")
    return Envelope(
        event_id=event_id,
        type=payload["type"],
        schema_version=event.SCHEMA_VERSION,
        occurred_at=occurred_at,
        key=key,
        payload=payload,
    )


def unwrap(envelope: Envelope) -> AnyEvent:
    return _EVENT_ADAPTER.validate_python(envelope.payload)


__all__ = [
    "AcknowledgeIncident",
    "AlertDropped",
    "AlertGrouped",
    "AlertReceived",
    "AlertResolved",
    "AnyEvent",
    "ChangeRecorded",
    "Envelope",
    "EscalationStarted",
    "EscalationStepFired",
    "Event",
    "HeartbeatReceived",
    "IncidentAcknowledged",
    "IncidentOpened",
    "IncidentPriorityChanged",
    "IncidentResolved",
    "NobodyPaged",
    "NotificationFailed",
    "NotificationRequested",
    "NotificationSent",
    "PayloadReceived",
    "ResolveIncident",
    "TickOccurred",
    "decode_envelope",
    "deterministic_id",
    "encode_envelope",
    "unwrap",
    "wrap",
]
