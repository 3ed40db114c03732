"""Commands and acknowledgements: people acting on incidents, here or at the alert's source."""

from __future__ import annotations

from datetime import datetime

from services.correlator.domain.arrival import Decided
from services.correlator.domain.dropped import dropped
from services.correlator.domain.resolution import resolved
from services.correlator.domain.rules import CorrelationPolicy
from services.correlator.domain.state import CorrelatorState
from shared.events.commands import AcknowledgeIncident, ResolveIncident
from shared.events.incidents import IncidentAcknowledged, RulesetActivated, RulesetApplied
from shared.events.inputs import AlertAcknowledgedAtSource

SOURCE_ACK = "AlertAcknowledgedAtSource"


def on_acknowledge(
    state: CorrelatorState, command: AcknowledgeIncident, now: datetime, policy: CorrelationPolicy
) -> Decided:
    return _acknowledged(
        state,
        command.incident_id,
        command.actor,
        now,
        policy,
        "AcknowledgeIncident",
        command.command_id,
    )


def on_resolve(
    state: CorrelatorState, command: ResolveIncident, now: datetime, policy: CorrelationPolicy
) -> Decided:
    if command.incident_id not in state.incidents:
        reason = f"resolve by {command.actor}: {command.incident_id} is not open"
        return [
            dropped(
                "ResolveIncident",
                now,
                policy,
                rule="command",
                reason=reason,
                incident_id=command.incident_id,
                command_id=command.command_id,
            )
        ]
    reason = f"resolved by {command.actor}"
    incident = state.incidents[command.incident_id]
    return [resolved(incident, now, policy, reason, "manual", command.actor, command.command_id)]


def on_source_acknowledgement(
    state: CorrelatorState,
    event: AlertAcknowledgedAtSource,
    now: datetime,
    policy: CorrelationPolicy,
) -> Decided:
    """Someone acknowledged the alert where it came from: the incident holding it is."""
    actor = f"{event.by or 'someone'} (at {event.integration})"
    tracked = state.alerts.get(event.fingerprint)
    if tracked is None:
        reason = f"acknowledgement by {actor}: no open incident holds alert {event.fingerprint}"
        return [
            dropped(
                SOURCE_ACK,
                now,
                policy,
                rule="source_ack",
                reason=reason,
                fingerprint=event.fingerprint,
            )
        ]
    return _acknowledged(state, tracked.incident_id, actor, now, policy, SOURCE_ACK)


def _acknowledged(
    state: CorrelatorState,
    incident_id: str,
    by: str,
    now: datetime,
    policy: CorrelationPolicy,
    input_type: str,
    command_id: str | None = None,
) -> Decided:
    incident = state.incidents.get(incident_id)
    if incident is None:
        reason = f"acknowledgement by {by}: {incident_id} is not open"
        return [
            dropped(
                input_type,
                now,
                policy,
                rule="command",
                reason=reason,
                incident_id=incident_id,
                command_id=command_id,
            )
        ]
    if incident.acknowledged_by is not None:
        already = incident.acknowledged_by
        reason = f"acknowledgement by {by}: {incident_id} is already acknowledged by {already}"
        return [
            dropped(
                input_type,
                now,
                policy,
                rule="command",
                reason=reason,
                incident_id=incident_id,
                command_id=command_id,
            )
        ]
    return [IncidentAcknowledged(incident_id=incident_id, by=by, at=now)]


def on_superseded_ruleset(
    event: RulesetActivated, now: datetime, policy: CorrelationPolicy
) -> Decided:
    """An activation older than the one in force (a process's startup pin written just after
    a reload): it does not undo the newer one."""
    reason = (
        f"rule set {event.version} (activated {event.activated_at.isoformat()}) is older than"
        f" {policy.version}, activated since: {policy.version} stays active"
    )
    return [dropped("RulesetActivated", now, policy, rule="ruleset", reason=reason)]


def on_ruleset(
    state: CorrelatorState, event: RulesetActivated, now: datetime, policy: CorrelationPolicy
) -> Decided:
    """`policy` is the rule set the processor built from the event, or the one still in force
    when the event's config was invalid."""
    if policy.version != event.version:
        reason = (
            f"rule set {event.version} was not activated: its config is invalid (the correlator"
            f" logged why); {policy.version} stays active"
        )
        return [dropped("RulesetActivated", now, policy, rule="ruleset", reason=reason)]
    previous = state.ruleset_version or "the rule set loaded at start"
    reason = f"rule set {event.version} replaces {previous} from this point of the log"
    return [
        RulesetApplied(
            version=event.version,
            previous_version=previous,
            at=now,
            rule="ruleset",
            ruleset_version=event.version,
            reason=reason,
        )
    ]
