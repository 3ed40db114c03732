"""Every event type on Tocsin's log, and how events travel inside envelopes.

Each module lists its event types in `EVENTS`; adding an event there is all it takes for it to
be decoded from the log.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Union

from pydantic import Field, TypeAdapter

from shared.events import commands, incidents, inputs, notifications
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

ALL_EVENTS: tuple[type[Event], ...] = (
    inputs.EVENTS + incidents.EVENTS + commands.EVENTS + notifications.EVENTS
)
# Decoded values are always one of ALL_EVENTS; typed as the base class for the checker.
AnyEvent = Event

_DISCRIMINATED: Any = Annotated[Union[ALL_EVENTS], Field(discriminator="type")]  # noqa: UP007
_EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(_DISCRIMINATED)


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


def unwrap(envelope: Envelope) -> Event:
    return _EVENT_ADAPTER.validate_python(envelope.payload)


__all__ = [
    "ALL_EVENTS",
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
