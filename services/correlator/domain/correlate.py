"""Topology-aware correlation: an alert joins the incident of a connected resource.

Candidates come from the index of incidents by resource, looked up for the neighbourhood of
the alert's own resources only (never a scan of all incidents). A candidate qualifies when the
incident's alert on the connected resource (the one that started last there) started within
`correlation_window` of the new alert: a fault's symptoms start close together, and the reason
names that alert and the time between them. The nearest connection (fewest hops) wins, then
the older incident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.correlator.domain import trusted
from services.correlator.domain.arrival import Arrival, Decided
from services.correlator.domain.explain import relative
from services.correlator.domain.impact import after_join
from services.correlator.domain.state import CorrelatorState, Incident, TrackedAlert
from services.correlator.domain.topology import Topology, name_of


@dataclass(frozen=True)
class Connection:
    incident: Incident
    resource: str  # the incident's resource the alert is connected to
    near: str  # the alert's own resource
    related: TrackedAlert  # the incident's first alert on that resource


def join_connected(state: CorrelatorState, arrival: Arrival) -> Decided:
    connection = connected(state, arrival)
    if connection is None:
        return []
    incident, related, alert = connection.incident, connection.related.alert, arrival.alert
    link = arrival.policy.topology.link(connection.resource, connection.near)
    reason = (
        f"grouped into {incident.incident_id}: {link.path}; {related.alertname}"
        f" on {name_of(connection.resource)} fired {relative(alert.starts_at - related.starts_at)}"
    )
    grouped = trusted.grouped(
        incident.incident_id,
        alert,
        "grouped",
        arrival.now,
        link.rule,
        arrival.policy.version,
        reason,
        list(arrival.resources),
    )
    impact = after_join(state, incident, alert, arrival.resources, arrival.now, arrival.policy)
    return [grouped, *impact]


def connected(state: CorrelatorState, arrival: Arrival) -> Connection | None:
    topology = arrival.policy.topology
    in_domain = state.by_resource.get(arrival.domain)
    if not in_domain:
        return None
    starts_at = arrival.alert.starts_at
    best: Connection | None = None
    best_key: tuple[int, datetime, str] | None = None
    for resource in arrival.resources:
        for neighbour, signed in topology.neighbours(resource).items():  # nearest first
            hops = abs(signed)
            if best_key is not None and hops > best_key[0]:
                break
            entries = in_domain.get(neighbour)
            if entries is None:
                continue
            for incident_id, fingerprint in entries.items():
                related = state.alerts[fingerprint]
                if not _in_time(starts_at - related.alert.starts_at, signed, topology):
                    continue
                if hops == 1 and not _same_cluster(topology, resource, neighbour, arrival, related):
                    continue
                incident = state.incidents[incident_id]
                key = (hops, incident.opened_at, incident_id)
                if best_key is None or key < best_key:
                    best_key = key
                    best = Connection(incident, neighbour, resource, related)
    return best


def _in_time(gap: timedelta, signed: int, topology: Topology) -> bool:
    """`gap`: how much later the new alert started. Within the window, and a cause must not
    start more than `order_tolerance` after its effect."""
    if abs(gap) > topology.window:
        return False
    if signed < 0:  # the incident's alert is upstream: the new alert is its effect
        return gap >= -topology.order_tolerance
    if signed > 0:  # the new alert is upstream: the cause of the incident's alert
        return gap <= topology.order_tolerance
    return True


def _same_cluster(
    topology: Topology, near: str, far: str, arrival: Arrival, related: TrackedAlert
) -> bool:
    """A host and a service it runs: the service alert must be about that host's cluster."""
    if far.startswith("host:"):
        return topology.runs_in_cluster(far, arrival.alert.labels)
    if near.startswith("host:"):
        return topology.runs_in_cluster(near, related.alert.labels)
    return True
