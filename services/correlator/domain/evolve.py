"""Folding events into correlator state. The only place state changes.

Decisions are folded, and so are the inputs that carry state of their own: heartbeats (when
each was last seen), ticks (timers that fired) and rule set activations (indexes follow the
rules). `policy` is the rule set in force at that point of the log.
"""

from __future__ import annotations

from services.correlator.domain.heartbeats import stale_check_in
from services.correlator.domain.inhibit_index import reindex
from services.correlator.domain.membership import attach, forget, stop_firing
from services.correlator.domain.rules import CorrelationPolicy
from services.correlator.domain.state import (
    CorrelatorState,
    HeartbeatTrack,
    HeldAlert,
    Incident,
    slot,
)
from services.correlator.domain.timers import (
    GRACE,
    HEARTBEAT,
    HELD,
    held_key,
    pop_due,
    reschedule,
)
from shared.events.base import Event
from shared.events.incidents import (
    AlertGrouped,
    AlertHeld,
    AlertHoldEnded,
    AlertResolved,
    HeartbeatMissed,
    IncidentAcknowledged,
    IncidentFlapping,
    IncidentOpened,
    IncidentPriorityChanged,
    IncidentProbableCauseChanged,
    IncidentResolved,
    RulesetActivated,
    RulesetApplied,
)
from shared.events.inputs import HeartbeatReceived, TickOccurred

# The inputs that carry state of their own; other inputs fold to nothing.
STATEFUL_INPUTS = (HeartbeatReceived, TickOccurred, RulesetActivated)


def evolve(state: CorrelatorState, event: Event, policy: CorrelationPolicy) -> CorrelatorState:
    match event:  # the most frequent first: repeats of firing alerts
        case AlertGrouped(incident_id=incident_id, alert=alert, at=at):
            incident = state.incidents[incident_id]
            if event.receivers:
                incident.receivers += tuple(event.receivers)
            attach(
                state,
                incident,
                alert,
                at,
                policy,
                resources=event.resources,
                suppressed=event.decision == "inhibited",
                unmuted=event.decision == "grouped",
            )
        case IncidentOpened():
            _opened(state, event, policy)
        case AlertResolved(incident_id=incident_id, fingerprint=fingerprint, at=at):
            stop_firing(state, state.incidents[incident_id], fingerprint, at, policy)
        case IncidentPriorityChanged(incident_id=incident_id, priority=priority):
            state.incidents[incident_id].priority = priority
        case IncidentProbableCauseChanged(incident_id=incident_id, fingerprint=fingerprint):
            _cause(state, state.incidents[incident_id], fingerprint, policy)
        case IncidentFlapping(incident_id=incident_id):
            state.incidents[incident_id].flapping = True
            reschedule(state, GRACE, incident_id, policy)
        case IncidentAcknowledged(incident_id=incident_id, by=by):
            state.incidents[incident_id].acknowledged_by = by
        case IncidentResolved(incident_id=incident_id, by=by):
            forget(state, incident_id, policy, event.resolved_at if by is None else None)
        case AlertHeld():
            _held(state, event, policy)
        case AlertHoldEnded(domain=domain, group_key=group_key, fingerprint=fingerprint):
            _hold_ended(state, slot(domain, group_key), fingerprint, policy)
        case HeartbeatMissed(name=name, alert=alert):
            track = state.heartbeats[name]
            track.missing, track.alert = True, alert
            reschedule(state, HEARTBEAT, name, policy)
        case RulesetApplied(version=version):
            state.ruleset_version = version
    return state


def evolve_input(
    state: CorrelatorState, event: Event, policy: CorrelationPolicy, domain: str
) -> None:
    """Fold one of the `STATEFUL_INPUTS`, read from the log under the record key `domain`."""
    match event:
        case HeartbeatReceived(name=name, received_at=at) if (
            name in policy.heartbeats and not stale_check_in(state, event)
        ):
            # Its domain is the key ingest wrote it under, which is what this partition holds,
            # whatever the heartbeat's labels are in the rule set now.
            state.heartbeats[name] = HeartbeatTrack(last_seen_at=at, domain=domain)
            reschedule(state, HEARTBEAT, name, policy)
        case TickOccurred() if state.clock is not None:
            pop_due(state, state.clock)
        case RulesetActivated():
            _reindex(state, policy)


def _opened(state: CorrelatorState, event: IncidentOpened, policy: CorrelationPolicy) -> None:
    incident = Incident(
        incident_id=event.incident_id,
        domain=event.domain,
        group_key=event.group_key,
        rule=event.rule,
        opened_at=event.opened_at,
        notify_after=event.notify_after,
        priority=event.priority,
        resolve_policy=event.resolve_policy,
        resolve_grace=event.resolve_grace,
        receivers=tuple(event.receivers),
    )
    state.incidents[event.incident_id] = incident
    group = slot(event.domain, event.group_key)
    state.open_by_group[group] = event.incident_id
    for fingerprint in list(state.held.get(group, {})):
        _hold_ended(state, group, fingerprint, policy)
    attach(state, incident, event.alert, event.opened_at, policy, resources=event.resources)
    _cause(state, incident, event.alert.fingerprint, policy)


def _cause(
    state: CorrelatorState, incident: Incident, fingerprint: str, policy: CorrelationPolicy
) -> None:
    tracked = state.alerts[fingerprint]
    incident.cause = fingerprint
    incident.cause_rank = policy.topology.rank(tracked.alert.layer, tracked.resources)


def _held(state: CorrelatorState, event: AlertHeld, policy: CorrelationPolicy) -> None:
    group = slot(event.domain, event.group_key)
    held = HeldAlert(alert=event.alert, held_at=event.at, within=event.within)
    state.held.setdefault(group, {})[event.alert.fingerprint] = held
    reschedule(state, HELD, held_key(group, event.alert.fingerprint), policy)


def _hold_ended(
    state: CorrelatorState, group: str, fingerprint: str, policy: CorrelationPolicy
) -> None:
    members = state.held.get(group, {})
    members.pop(fingerprint, None)
    if not members:
        state.held.pop(group, None)
    reschedule(state, HELD, held_key(group, fingerprint), policy)


def _reindex(state: CorrelatorState, policy: CorrelationPolicy) -> None:
    """A new rule set: inhibition keys and timers (intervals, flapping window) follow it."""
    reindex(state, policy)
    for incident_id in state.incidents:
        reschedule(state, GRACE, incident_id, policy)
    for group, members in state.held.items():
        for fingerprint in members:
            reschedule(state, HELD, held_key(group, fingerprint), policy)
    for name in state.heartbeats:
        reschedule(state, HEARTBEAT, name, policy)
