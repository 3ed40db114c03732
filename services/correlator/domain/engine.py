"""The correlator's pure core: `decide` what happened, `evolve` state by folding it.

`decide(state, event, now, policy, domain)` reads state and returns new events; it never
changes state. `step` applies them with `evolve`. The same inputs give the same events.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from services.correlator.domain.evolve import evolve
from services.correlator.domain.priority import priority_of
from services.correlator.domain.rules import CorrelationPolicy, Grouping
from services.correlator.domain.state import CorrelatorState, Incident
from shared.alerts import Alert
from shared.events import (
    AcknowledgeIncident,
    AlertGrouped,
    AlertReceived,
    AlertResolved,
    AnyEvent,
    IncidentAcknowledged,
    IncidentOpened,
    IncidentPriorityChanged,
    IncidentResolved,
    ResolveIncident,
    TickOccurred,
)
from shared.events.base import Event

Decided = list[Event]


def incident_id_for(domain: str, group_key: str, opened_at: datetime, fingerprint: str) -> str:
    natural = f"{domain}|{group_key}|{opened_at.isoformat()}|{fingerprint}"
    return "INC-" + hashlib.blake2b(natural.encode(), digest_size=5).hexdigest()


def decide(
    state: CorrelatorState, event: AnyEvent, now: datetime, policy: CorrelationPolicy, domain: str
) -> Decided:
    match event:
        case AlertReceived(alert=alert) if alert.status == "resolved":
            return _on_resolved(state, alert, now, policy)
        case AlertReceived(alert=alert):
            return _on_firing(state, alert, now, policy, domain)
        case TickOccurred():
            return _on_tick(state, now, policy)
        case AcknowledgeIncident(incident_id=incident_id, actor=actor):
            incident = state.incidents.get(incident_id)
            if incident is None or incident.acknowledged_by is not None:
                return []
            return [IncidentAcknowledged(incident_id=incident_id, by=actor, at=now)]
        case ResolveIncident(incident_id=incident_id, actor=actor):
            if incident_id not in state.incidents:
                return []
            return [_resolved(incident_id, now, policy, f"resolved by {actor}", "manual", actor)]
        case _:
            return []


def _on_firing(
    state: CorrelatorState, alert: Alert, now: datetime, policy: CorrelationPolicy, domain: str
) -> Decided:
    tracked = state.alerts.get(alert.fingerprint)
    if tracked is not None:
        incident = state.incidents[tracked.incident_id]
        if tracked.firing:
            reason = (
                f"repeat #{tracked.count + 1} of {alert.alertname} ({alert.fingerprint}),"
                f" firing since {tracked.first_seen_at.isoformat()}"
            )
            decision = "deduplicated"
        else:
            reason = f"{alert.alertname} fired again while {incident.incident_id} is open"
            decision = "grouped"
        grouped = AlertGrouped(
            incident_id=incident.incident_id,
            alert=alert,
            decision=decision,
            at=now,
            rule="dedup",
            ruleset_version=policy.version,
            reason=reason,
        )
        return [grouped]
    grouping = policy.grouping.group_for(alert)
    open_id = state.open_by_group.get(grouping.group_key)
    if open_id is None:
        return [_opened(alert, now, policy, domain, grouping)]
    incident = state.incidents[open_id]
    grouped = AlertGrouped(
        incident_id=open_id,
        alert=alert,
        decision="grouped",
        at=now,
        rule=grouping.rule,
        ruleset_version=policy.version,
        reason=f"grouped into {open_id}: same group {grouping.group_key} of route {grouping.rule}",
    )
    return [grouped, *_priority_change(state, incident, alert, now, policy)]


def _opened(
    alert: Alert, now: datetime, policy: CorrelationPolicy, domain: str, grouping: Grouping
) -> IncidentOpened:
    group_key = grouping.group_key
    incident_id = incident_id_for(domain, group_key, now, alert.fingerprint)
    subject = alert.service or alert.labels.get("instance") or alert.labels.get("host") or domain
    return IncidentOpened(
        incident_id=incident_id,
        domain=domain,
        title=f"{alert.alertname} on {subject}",
        priority=priority_of([alert]),
        receivers=list(grouping.receivers),
        group_key=group_key,
        opened_at=now,
        notify_after=now + grouping.group_wait,
        alert=alert,
        rule=grouping.rule,
        ruleset_version=policy.version,
        reason=f"no open incident for group {group_key}: {alert.alertname} opens {incident_id}",
    )


def _priority_change(
    state: CorrelatorState,
    incident: Incident,
    alert: Alert,
    now: datetime,
    policy: CorrelationPolicy,
) -> Decided:
    members = [state.alerts[fp].alert for fp in incident.fingerprints] + [alert]
    priority = priority_of(members)
    if priority >= incident.priority:
        return []
    return [
        IncidentPriorityChanged(
            incident_id=incident.incident_id,
            priority=priority,
            at=now,
            rule="priority",
            ruleset_version=policy.version,
            reason=f"raised from {incident.priority} to {priority} by {alert.alertname}",
        )
    ]


def _on_resolved(
    state: CorrelatorState, alert: Alert, now: datetime, policy: CorrelationPolicy
) -> Decided:
    tracked = state.alerts.get(alert.fingerprint)
    if tracked is None or not tracked.firing:
        return []
    return [
        AlertResolved(
            incident_id=tracked.incident_id,
            fingerprint=alert.fingerprint,
            at=now,
            rule="source",
            ruleset_version=policy.version,
            reason=f"{alert.alertname} was sent as resolved",
        )
    ]


def _on_tick(state: CorrelatorState, now: datetime, policy: CorrelationPolicy) -> Decided:
    decided: Decided = []
    for incident in list(state.incidents.values()):
        for fingerprint in sorted(incident.firing):
            ends_at = state.alerts[fingerprint].alert.ends_at
            if ends_at is not None and ends_at <= now:
                decided.append(
                    AlertResolved(
                        incident_id=incident.incident_id,
                        fingerprint=fingerprint,
                        at=now,
                        rule="resolve_timeout",
                        ruleset_version=policy.version,
                        reason=f"not re-sent before its end time {ends_at.isoformat()}",
                    )
                )
        quiet = incident.quiet_since
        if not incident.firing and quiet is not None and quiet + policy.resolve_grace <= now:
            reason = f"all alerts resolved since {quiet.isoformat()} (grace {policy.resolve_grace})"
            decided.append(_resolved(incident.incident_id, now, policy, reason, "resolve_policy"))
    return decided


def _resolved(
    incident_id: str,
    now: datetime,
    policy: CorrelationPolicy,
    reason: str,
    rule: str,
    by: str | None = None,
) -> IncidentResolved:
    return IncidentResolved(
        incident_id=incident_id,
        resolved_at=now,
        by=by,
        rule=rule,
        ruleset_version=policy.version,
        reason=reason,
    )


def step(
    state: CorrelatorState, event: AnyEvent, now: datetime, policy: CorrelationPolicy, domain: str
) -> Decided:
    """Decide on one input and fold the decisions in. Event time never runs backwards."""
    clock = now if state.clock is None or now > state.clock else state.clock
    state.clock = clock
    decided = decide(state, event, clock, policy, domain)
    for new_event in decided:
        evolve(state, new_event)
    return decided


def next_due(state: CorrelatorState, policy: CorrelationPolicy) -> datetime | None:
    """The earliest time a tick would change something: an alert end or a grace period."""
    due: list[datetime] = []
    for incident in state.incidents.values():
        if incident.quiet_since is not None and not incident.firing:
            due.append(incident.quiet_since + policy.resolve_grace)
        for fingerprint in incident.firing:
            ends_at = state.alerts[fingerprint].alert.ends_at
            if ends_at is not None:
                due.append(ends_at)
    return min(due, default=None)
