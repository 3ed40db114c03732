"""Commands people issue on incidents (imperative names), carried on the log.

`ResolveIncident` travels on the correlator's input (tocsin.alerts); the others on the
router's input (tocsin.incidents), keyed by the incident's domain so they reach the partition
that owns the incident. Each command gets a verdict from the router (`CommandApplied` or
`CommandRejected`, in `notifications`), never silence.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from shared.events.base import Event

# The commands' names in verdicts, timelines and the HTTP API.
CommandName = Literal["acknowledge", "resolve", "snooze", "reassign", "note", "commander"]


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


class SnoozeIncident(Event):
    """Stop paging until the snooze ends, then escalate again from the first step."""

    type: Literal["SnoozeIncident"] = "SnoozeIncident"
    command_id: str
    incident_id: str
    actor: str
    duration_s: int = Field(gt=0)
    issued_at: AwareDatetime


class ReassignIncident(Event):
    """Hand the incident to another person, who is paged at once."""

    type: Literal["ReassignIncident"] = "ReassignIncident"
    command_id: str
    incident_id: str
    actor: str
    assignee: str
    issued_at: AwareDatetime


class AddIncidentNote(Event):
    type: Literal["AddIncidentNote"] = "AddIncidentNote"
    command_id: str
    incident_id: str
    actor: str
    text: str
    issued_at: AwareDatetime


class AssignIncidentCommander(Event):
    type: Literal["AssignIncidentCommander"] = "AssignIncidentCommander"
    command_id: str
    incident_id: str
    actor: str
    commander: str
    issued_at: AwareDatetime


# Every event type of this module; the envelope codec decodes exactly these.
EVENTS: tuple[type[Event], ...] = (
    AcknowledgeIncident,
    ResolveIncident,
    SnoozeIncident,
    ReassignIncident,
    AddIncidentNote,
    AssignIncidentCommander,
)
