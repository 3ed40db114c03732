"""Every event type on Tocsin's log, and how events travel inside envelopes.

Each module lists its event types in `EVENTS`; adding an event there is all it takes for it to
be decoded from the log.
"""

from __future__ import annotations

from shared.events.base import Event
from shared.events.codec import (
    ALL_EVENTS,
    decode_envelope,
    decode_event,
    encode_envelope,
    unwrap,
    wrap,
)
from shared.events.commands import AcknowledgeIncident, ResolveIncident
from shared.events.envelope import Envelope, deterministic_id
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

# Decoded values are always one of ALL_EVENTS; typed as the base class for the checker.
AnyEvent = Event

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
    "decode_event",
    "deterministic_id",
    "encode_envelope",
    "unwrap",
    "wrap",
]
