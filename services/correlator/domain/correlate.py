"""Topology-aware correlation: an alert joins the incident whose fault explains it.

Candidates come from the index of incidents by resource, looked up for the neighbourhood of
the alert's own resources only (never a scan of all incidents). An incident claims the alert
in one of three ways (`claims.py` says exactly when); the reason names the rule, the path and
the alert that is the evidence:

- **effect**: an alert of the incident is upstream of the new one (or on the same resource)
  and started at most `correlation_window` before it. Incidents grow from cause to effect, so
  an alert that could merely be another *cause* of one of the incident's symptoms does not
  join through that symptom: two faults whose symptoms share a dependency stay apart.
- **cause**: the new alert is upstream of the incident's probable cause and started at most
  `order_tolerance` after it: it explains the whole incident and becomes its likelier cause.
- **cluster**: the same infrastructure alert as the incident's probable cause, on another host
  of its cluster, started together with it: one cluster-wide fault.

A host and a service it runs connect only if the service's alert names no other host: an
alert about one instance is explained by that instance's host, or by its own service when the
incident's probable cause is there, never through a dependency (that would show on every
instance); as evidence, its host explains no other service there. The nearest explanation
wins: fewest hops (another alert on the same resource counts as one), then the evidence
closest in time, then the older incident.

Without a connection, `join_group`: the open incident of the alert's route group (one each).
"""

from __future__ import annotations

from services.correlator.domain import trusted
from services.correlator.domain.arrival import Arrival, Decided
from services.correlator.domain.claims import Claim, claims_of, describe_claim
from services.correlator.domain.explain import left_because, relative
from services.correlator.domain.impact import after_join
from services.correlator.domain.state import CorrelatorState
from services.correlator.domain.topology import name_of


def join_connected(state: CorrelatorState, arrival: Arrival) -> Decided:
    claim = connected(state, arrival)
    if claim is None:
        return []
    incident, alert = claim.incident, arrival.alert
    rule, path, where = describe_claim(claim, arrival.policy.topology)
    evidence = claim.evidence.alert
    fired = (
        f"{evidence.alertname} on {name_of(where)}"
        f" fired {relative(alert.starts_at - evidence.starts_at)}"
    )
    if claim.kind == "cause":
        fired += ", its probable cause so far"
    added = [r for r in arrival.grouping.receivers if r not in incident.receivers]
    if added:  # its own route's receivers would be notified in Alertmanager
        fired += f"; its {arrival.grouping.rule} adds receivers {', '.join(added)}"
    grouped = trusted.grouped(
        incident.incident_id,
        alert,
        "grouped",
        arrival.now,
        rule,
        arrival.policy.version,
        f"{left_because(arrival)}grouped into {incident.incident_id}: {path}; {fired}",
        list(arrival.resources),
        added,
    )
    impact = after_join(state, incident, alert, arrival.resources, arrival.now, arrival.policy)
    return [grouped, *impact]


def connected(state: CorrelatorState, arrival: Arrival) -> Claim | None:
    """The incident whose fault explains the alert best, if any does."""
    return min(claims_of(state, arrival), key=Claim.preference, default=None)


def join_group(state: CorrelatorState, arrival: Arrival) -> Decided:
    """The alert joins the open incident of its route group, unless that is the one it leaves."""
    open_id = state.open_by_group.get(arrival.group)
    if open_id is None or open_id == arrival.leaving:
        return []
    incident = state.incidents[open_id]
    key, rule = arrival.grouping.group_key, arrival.grouping.rule
    grouped = trusted.grouped(
        open_id,
        arrival.alert,
        "grouped",
        arrival.now,
        rule,
        arrival.policy.version,
        f"{left_because(arrival)}grouped into {open_id}: same group {key} of {rule}",
        list(arrival.resources),
    )
    impact = after_join(
        state, incident, arrival.alert, arrival.resources, arrival.now, arrival.policy
    )
    return [grouped, *impact]
