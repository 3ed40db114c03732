"""Folding correlator events into state. The only place state changes."""

from __future__ import annotations

from datetime import datetime

from services.correlator.domain.state import CorrelatorState, Incident, TrackedAlert
from shared.alerts import Alert
from shared.events import (
    AlertGrouped,
    AlertResolved,
    IncidentAcknowledged,
    IncidentOpened,
    IncidentPriorityChanged,
    IncidentResolved,
)
from shared.events.base import Event


def evolve(state: CorrelatorState, event: Event) -> CorrelatorState:
    match event:
        case IncidentOpened(incident_id=incident_id, alert=alert, opened_at=at):
            incident = Incident(
                incident_id=incident_id,
                group_key=event.group_key,
                rule=event.rule,
                opened_at=at,
                priority=event.priority,
            )
            state.incidents[incident_id] = incident
            state.open_by_group[event.group_key] = incident_id
            _attach(state, incident, alert.fingerprint, event.alert, at)
        case AlertGrouped(incident_id=incident_id, alert=alert, at=at):
            _attach(
                state,
                state.incidents[incident_id],
                alert.fingerprint,
                alert,
                at,
                suppressed=event.decision == "inhibited",
            )
        case AlertResolved(incident_id=incident_id, fingerprint=fingerprint, at=at):
            incident = state.incidents[incident_id]
            state.alerts[fingerprint].firing = False
            incident.firing.discard(fingerprint)
            if not incident.firing:
                incident.quiet_since = at
        case IncidentPriorityChanged(incident_id=incident_id, priority=priority):
            state.incidents[incident_id].priority = priority
        case IncidentAcknowledged(incident_id=incident_id, by=by):
            state.incidents[incident_id].acknowledged_by = by
        case IncidentResolved(incident_id=incident_id):
            _forget(state, incident_id)
    return state


def _attach(
    state: CorrelatorState,
    incident: Incident,
    fingerprint: str,
    alert: Alert,
    at: datetime,
    *,
    suppressed: bool = False,
) -> None:
    tracked = state.alerts.get(fingerprint)
    if tracked is None:
        state.alerts[fingerprint] = TrackedAlert(
            fingerprint=fingerprint,
            incident_id=incident.incident_id,
            alert=alert,
            firing=True,
            count=1,
            first_seen_at=at,
            last_seen_at=at,
            suppressed=suppressed,
        )
    else:
        tracked.alert, tracked.firing, tracked.last_seen_at = alert, True, at
        tracked.count += 1
    incident.fingerprints.add(fingerprint)
    incident.firing.add(fingerprint)
    incident.quiet_since = None


def _forget(state: CorrelatorState, incident_id: str) -> None:
    """A resolved incident leaves the working state; the read models keep its history."""
    incident = state.incidents.pop(incident_id)
    if state.open_by_group.get(incident.group_key) == incident_id:
        del state.open_by_group[incident.group_key]
    for fingerprint in incident.fingerprints:
        state.alerts.pop(fingerprint, None)
