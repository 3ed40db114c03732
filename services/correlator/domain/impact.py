"""What an alert joining an incident changes: its priority, its probable cause."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.correlator.domain.arrival import Decided
from services.correlator.domain.membership import services_of
from services.correlator.domain.priority import BROAD_IMPACT_SERVICES, priority_from
from services.correlator.domain.rules import CorrelationPolicy
from services.correlator.domain.state import CorrelatorState, Incident
from services.correlator.domain.topology import describe
from shared.alerts import SEVERITY_RANK, Alert, Layer
from shared.events.incidents import IncidentPriorityChanged, IncidentProbableCauseChanged


def after_join(
    state: CorrelatorState,
    incident: Incident,
    alert: Alert,
    resources: Sequence[str],
    now: datetime,
    policy: CorrelationPolicy,
) -> Decided:
    return [
        *priority_change(incident, alert, resources, now, policy),
        *_cause_change(state, incident, alert, resources, now, policy),
    ]


def priority_change(
    incident: Incident,
    alert: Alert,
    resources: Sequence[str],
    now: datetime,
    policy: CorrelationPolicy,
) -> Decided:
    if incident.priority == "P1":
        return []  # nothing is more urgent
    severity = min(incident.severity_rank, SEVERITY_RANK[alert.severity])
    business = incident.business or alert.layer == Layer.BUSINESS
    added = services_of(alert, resources) - incident.services  # never copy the incident's set
    affected = len(incident.services) + len(added)
    priority = priority_from(severity, business, affected)
    if priority >= incident.priority:
        return []
    why = [f"severity {alert.severity}"] if severity < incident.severity_rank else []
    why += ["business impact"] if business and not incident.business else []
    if affected >= BROAD_IMPACT_SERVICES > len(incident.services):
        named = ", ".join(sorted(incident.services | added))
        why.append(f"{affected} services affected ({named})")
    reason = f"raised from {incident.priority} to {priority} by {alert.alertname}: {', '.join(why)}"
    return [
        IncidentPriorityChanged(
            incident_id=incident.incident_id,
            priority=priority,
            at=now,
            rule="priority",
            ruleset_version=policy.version,
            reason=reason,
        )
    ]


def _cause_change(
    state: CorrelatorState,
    incident: Incident,
    alert: Alert,
    resources: Sequence[str],
    now: datetime,
    policy: CorrelationPolicy,
) -> Decided:
    topology = policy.topology
    if topology.rank(alert.layer, resources) >= incident.cause_rank:
        return []
    if topology.independent_entry(alert.labels):
        return []  # it causes nothing, whatever route group it shares
    resource = topology.primary(alert.layer, resources)
    reason = f"{_named(alert.alertname, alert.layer, resource)} is likelier the root cause"
    former = state.alerts.get(incident.cause)
    if former is not None:
        former_resource = topology.primary(former.alert.layer, former.resources)
        reason += f" than {_named(former.alert.alertname, former.alert.layer, former_resource)}"
    reason += " (host < dependency < dependent service < business metric)"
    return [
        IncidentProbableCauseChanged(
            incident_id=incident.incident_id,
            fingerprint=alert.fingerprint,
            alertname=alert.alertname,
            resource=resource,
            at=now,
            rule="probable_cause",
            ruleset_version=policy.version,
            reason=reason,
        )
    ]


def _named(alertname: str, layer: Layer, resource: str | None) -> str:
    where = f" on {describe(resource)}" if resource else ""
    return f"{alertname}{where} ({layer})"
