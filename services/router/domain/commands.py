"""Commands on incidents: which transitions are allowed, and the facts a command causes.

`refusal` is the one statement of the rules: the HTTP API checks a command against the read
model with it, and the engine checks it again against its own state when the command comes
off the log — a command that lost a race is rejected aloud (`CommandRejected`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from services.router.domain.state import Escalation
from shared.events import AcknowledgeIncident, IncidentAcknowledged, ResolveIncident
from shared.events.base import Event
from shared.events.commands import (
    AddIncidentNote,
    AssignIncidentCommander,
    CommandName,
    ReassignIncident,
    SnoozeIncident,
)
from shared.events.notifications import (
    CommandApplied,
    CommandRejected,
    IncidentCommanderAssigned,
    IncidentNoteAdded,
    IncidentReassigned,
    IncidentSnoozed,
)

# The commands the router applies; `ResolveIncident` goes to the correlator instead.
RouterCommand = (
    AcknowledgeIncident
    | SnoozeIncident
    | ReassignIncident
    | AddIncidentNote
    | AssignIncidentCommander
)
COMMAND_NAMES: dict[type[Event], CommandName] = {
    AcknowledgeIncident: "acknowledge",
    ResolveIncident: "resolve",
    SnoozeIncident: "snooze",
    ReassignIncident: "reassign",
    AddIncidentNote: "note",
    AssignIncidentCommander: "commander",
}
# Pages the person an incident is reassigned to: (escalation in its new generation, user, now).
Pager = Callable[[Escalation, str, datetime], list[Event]]


def refusal(command: CommandName, status: str | None, acknowledged_by: str | None) -> str | None:
    """Why `command` cannot apply to an incident in `status` (None: not known to be open)."""
    if command == "note":
        return None  # notes are welcome at any time, post-mortem ones too
    if status == "resolved":
        return "the incident is already resolved"
    if status is None:
        return "the incident is not open (resolved or unknown)"
    if command == "acknowledge" and status == "acknowledged":
        return f"the incident is already acknowledged by {acknowledged_by}"
    return None


def decide_command(
    escalation: Escalation | None, command: RouterCommand, now: datetime, pager: Pager
) -> list[Event]:
    """The facts a command causes followed by its verdict, or only a rejection."""
    name = COMMAND_NAMES[type(command)]
    status = escalation.status if escalation is not None else None
    refused = refusal(name, status, escalation.acknowledged_by if escalation else None)
    if refused is not None:
        return [
            CommandRejected(
                command_id=command.command_id,
                incident_id=command.incident_id,
                command=name,
                actor=command.actor,
                reason=refused,
                at=now,
            )
        ]
    applied = CommandApplied(
        command_id=command.command_id,
        incident_id=command.incident_id,
        command=name,
        actor=command.actor,
        at=now,
    )
    return [*_facts(escalation, command, now, pager), applied]


def _facts(
    escalation: Escalation | None, command: RouterCommand, now: datetime, pager: Pager
) -> list[Event]:
    incident_id, actor = command.incident_id, command.actor
    match command:
        case AcknowledgeIncident():
            return [IncidentAcknowledged(incident_id=incident_id, by=actor, at=now)]
        case SnoozeIncident(duration_s=seconds):
            until = now + timedelta(seconds=seconds)
            return [IncidentSnoozed(incident_id=incident_id, by=actor, until=until, at=now)]
        case ReassignIncident(assignee=assignee) if escalation is not None:
            generation = escalation.generation + 1
            reassigned = IncidentReassigned(
                incident_id=incident_id, by=actor, assignee=assignee, generation=generation, at=now
            )
            fresh = replace(escalation, generation=generation, status="triggered")
            return [reassigned, *pager(fresh, assignee, now)]
        case AddIncidentNote(text=text):
            return [IncidentNoteAdded(incident_id=incident_id, by=actor, text=text, at=now)]
        case AssignIncidentCommander(commander=commander):
            return [
                IncidentCommanderAssigned(
                    incident_id=incident_id, by=actor, commander=commander, at=now
                )
            ]
        case _:
            return []
