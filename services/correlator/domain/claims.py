"""When an open incident may claim a new alert, and with what evidence (see `correlate`).

`gap` is how much later the new alert started than the evidence. An effect starts at most
`correlation_window` after its cause, and a cause at most `order_tolerance` after its effect
(alerting delays differ by layer). Only alerts that are not suppressed are evidence: the index
by resource holds no others, nor `topology.independent` alerts, which join nothing this way.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from services.correlator.domain.arrival import Arrival
from services.correlator.domain.state import CorrelatorState, Incident, TrackedAlert
from services.correlator.domain.topology import (
    HOST,
    SERVICE,
    Topology,
    kind_of,
    name_of,
    names_instance,
)
from shared.alerts import Layer

ClaimKind = Literal["effect", "cause", "cluster"]


@dataclass(frozen=True)
class Claim:
    kind: ClaimKind
    incident: Incident
    evidence: TrackedAlert  # the incident's alert that connects it to the new one
    resource: str  # the evidence's resource (for a cluster-wide fault, its `cluster:` key)
    near: str  # the new alert's resource
    hops: int
    gap: timedelta

    def preference(self) -> tuple[int, timedelta, int, datetime, str]:
        """Lower wins: the nearest explanation in the topology, then in time, then the older
        incident (the id makes the order total: the choice never depends on dict order).
        Another alert on the same resource is no nearer than a direct cause one hop up: it
        says where, not why (either may have started first), so it ranks with one hop and
        the evidence closer in time wins; with the same evidence, the same resource names it."""
        incident = self.incident
        nearest = max(self.hops, 1)
        return (nearest, abs(self.gap), self.hops, incident.opened_at, incident.incident_id)


def claims_of(state: CorrelatorState, arrival: Arrival) -> Iterator[Claim]:
    in_domain = state.by_resource.get(arrival.domain)
    if not in_domain or arrival.policy.topology.independent_entry(arrival.alert.labels):
        return
    yield from _cluster_claims(state, arrival, in_domain)
    for near in arrival.resources:
        for far, signed in arrival.policy.topology.neighbours(near).items():
            found = in_domain.get(far)
            if not found:  # most neighbours have no incident: no empty dict for each
                continue
            for incident_id, fingerprint in found.items():
                if incident_id == arrival.leaving:
                    continue
                incident = state.incidents[incident_id]
                if signed <= 0:
                    claim = _effect(state, arrival, incident, fingerprint, far, near, -signed)
                else:
                    claim = _cause(state, arrival, incident, far, near, signed)
                if claim is not None:
                    yield claim


def _effect(
    state: CorrelatorState,
    arrival: Arrival,
    incident: Incident,
    fingerprint: str,
    far: str,
    near: str,
    hops: int,
) -> Claim | None:
    """The incident's alert on `far` is upstream of (or on) the new alert's resource `near`."""
    topology = arrival.policy.topology
    evidence = state.alerts[fingerprint]
    gap = arrival.alert.starts_at - evidence.alert.starts_at
    # On one resource neither is the cause: either may have started first.
    earliest = -topology.order_tolerance if hops else -topology.window
    if not earliest <= gap <= topology.window:
        return None
    if hops == 1 and not _runs_there(near, far, arrival.resources, evidence.resources):
        return None
    if not _instance_explained(state, arrival, incident, evidence, far, hops):
        return None
    return Claim("effect", incident, evidence, far, near, hops, gap)


def _instance_explained(
    state: CorrelatorState,
    arrival: Arrival,
    incident: Incident,
    evidence: TrackedAlert,
    far: str,
    hops: int,
) -> bool:
    """An alert about one instance (it names a service and a host) speaks for that instance
    only. As evidence, its host explains nothing else there: a crash-looping pod says nothing
    of its neighbours. A new instance alert joins only through its host, or through its own
    service when the incident's probable cause is there (a fault of the service itself, such
    as a bad deploy): a service-wide symptom of a failing dependency crashes no single pod."""
    if names_instance(evidence.resources) and kind_of(far) == HOST:
        return False  # on its host too: a host alert after it is a cause, in order_tolerance
    if not names_instance(arrival.resources):
        return True
    if not _own_host_or_service(far, hops):
        return False
    root = state.alerts.get(incident.cause)
    return kind_of(far) != SERVICE or (root is not None and far in root.resources)


def _cause(
    state: CorrelatorState, arrival: Arrival, incident: Incident, far: str, near: str, hops: int
) -> Claim | None:
    """The new alert's resource `near` is upstream of `far`. It joins only when `far` is the
    incident's probable cause: another of its symptoms there may well have a cause of its own
    (a sibling sharing a dependency is no evidence of the same fault)."""
    topology = arrival.policy.topology
    root = state.alerts.get(incident.cause)
    if root is None or far not in root.resources:
        return None
    if names_instance(arrival.resources):
        return None  # one instance is upstream of nothing: its host is not down (see above)
    gap = arrival.alert.starts_at - root.alert.starts_at
    if not -topology.window <= gap <= topology.order_tolerance:
        return None
    if hops == 1 and not _runs_there(near, far, arrival.resources, root.resources):
        return None
    if names_instance(root.resources) and not (hops == 1 and kind_of(near) == HOST):
        return None  # an instance's cause is on its host: a dependency would hit them all
    return Claim("cause", incident, root, far, near, hops, gap)


def _cluster_claims(
    state: CorrelatorState, arrival: Arrival, in_domain: dict[str, dict[str, str]]
) -> Iterator[Claim]:
    """The incident's probable cause is the same infrastructure alert on another host of the
    new alert's cluster, and they started together (within `order_tolerance`, the spread of
    alerting delays): one cluster-wide fault (its network, a switch, power), not two."""
    topology, alert = arrival.policy.topology, arrival.alert
    key = topology.cluster_key(alert.layer, arrival.resources, alert.labels)
    if key is None:
        return
    host = topology.primary(alert.layer, arrival.resources) or ""
    for incident_id in in_domain.get(key, {}):
        if incident_id == arrival.leaving:
            continue
        incident = state.incidents[incident_id]
        root = state.alerts.get(incident.cause)
        if root is None or root.alert.alertname != alert.alertname:
            continue
        if root.alert.layer != Layer.INFRASTRUCTURE or host in root.resources:
            continue
        if topology.cluster_key(root.alert.layer, root.resources, root.alert.labels) != key:
            continue
        gap = alert.starts_at - root.alert.starts_at
        if abs(gap) <= topology.order_tolerance:
            yield Claim("cluster", incident, root, key, host, 1, gap)


def _runs_there(near: str, far: str, own: tuple[str, ...], other: tuple[str, ...]) -> bool:
    """A host and a service it runs, one hop apart. An alert about the service that names a
    host is about the instance there, so only that host explains it or is explained by it.
    `own`/`other`: the resources of the new alert / of the incident's alert."""
    kinds = (kind_of(near), kind_of(far))
    if kinds == (SERVICE, HOST):
        host, pinned = far, own
    elif kinds == (HOST, SERVICE):
        host, pinned = near, other
    else:
        return True
    hosts = [r for r in pinned if kind_of(r) == HOST]
    return not hosts or host in hosts


def _own_host_or_service(far: str, hops: int) -> bool:
    return hops == 0 or (hops == 1 and kind_of(far) == HOST)


def describe_claim(claim: Claim, topology: Topology) -> tuple[str, str, str]:
    """(rule, the path in words, the resource of the evidence) of a claim."""
    if claim.kind == "cluster":
        evidence = claim.evidence
        peer = topology.primary(evidence.alert.layer, evidence.resources) or claim.resource
        cluster = name_of(claim.resource)
        path = f"hosts {name_of(claim.near)} and {name_of(peer)} are both in cluster {cluster}"
        return "topology.same_cluster", path, peer
    link = topology.link(claim.resource, claim.near)
    return link.rule, link.path, claim.resource
