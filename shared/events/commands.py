"""Commands people issue on incidents (imperative names), carried on the log."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime

from shared.events.base import Event


class AcknowledgeIncident(Event):
    type: Literal["AcknowledgeIncident"] = "AcknowledgeIncident"
    command_id: str
    incident_id: str
    actor: str
    issued_at: AwareDatetime


class ResolveIncident(Event):
    type: Literal["ResolveIncident"] = "ResolveIncident"
    command_id: str
    incident_id: str
    actor: str
    issued_at: AwareDatetime


# Every event type of this module; the envelope codec decodes exactly these.
EVENTS: tuple[type[Event], ...] = (
    AcknowledgeIncident,
    ResolveIncident,
)
