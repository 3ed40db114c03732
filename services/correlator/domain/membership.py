"""Which incident an alert belongs to, and the indexes that follow from it (part of the fold)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from services.correlator.domain.inhibit_index import index, unindex
from services.correlator.domain.record import AlertRecord
from services.correlator.domain.rules import CorrelationPolicy
from services.correlator.domain.state import (
    NO_CAUSE,
    CorrelatorState,
    FlapTrail,
    Incident,
    TrackedAlert,
    slot,
)
from services.correlator.domain.timers import END, GRACE, reschedule
from services.correlator.domain.topology import HOST, kind_of, names_instance
from shared.alerts import SEVERITY_RANK, Alert, Layer


def attach(
    state: CorrelatorState,
    incident: Incident,
    alert: Alert,
    at: datetime,
    policy: CorrelationPolicy,
    *,
    resources: Iterable[str] = (),
    suppressed: bool = False,
    unmuted: bool = False,
) -> None:
    """The alert fires in `incident`: new, repeated, fired again, or moved from another one;
    `suppressed`: as a suppressed symptom; `unmuted`: not (a suppressed symptom that nothing
    mutes any more stays there as an alert); neither: a repeat, muted as it was."""
    tracked = state.alerts.get(alert.fingerprint)
    if tracked is not None and tracked.firing and tracked.incident_id == incident.incident_id:
        _repeat(state, incident, tracked, alert, at, policy)  # the hot path: keep it lean
        if unmuted and tracked.suppressed:
            tracked.suppressed = False
            _count_impact(state, incident, tracked, policy)
        return
    if tracked is None:
        tracked = state.alerts[alert.fingerprint] = _tracked(
            incident, alert, at, tuple(resources), suppressed
        )
        tracked.refired_at = _flaps_before(state, alert.fingerprint, at, policy)
    elif tracked.incident_id != incident.incident_id:
        _leave(state, state.incidents[tracked.incident_id], tracked, at, policy)
        tracked.incident_id, tracked.suppressed = incident.incident_id, suppressed
    else:  # fired again there: muted or not as decided now, not as it was
        tracked.refired_at = (*tracked.refired_at, at)[-(policy.flapping.max_flaps + 1) :]
        tracked.suppressed = suppressed or (tracked.suppressed and not unmuted)
    if not tracked.alert.same_as(alert):
        tracked.alert = AlertRecord.of(alert)
    _note_start(tracked, alert)
    tracked.firing = True
    index(state, tracked, incident.domain, policy)
    tracked.last_seen_at = at
    tracked.count += 1
    incident.fingerprints.add(alert.fingerprint)
    incident.firing.add(alert.fingerprint)
    incident.quiet_since = None
    if not tracked.suppressed:
        _count_impact(state, incident, tracked, policy)
    reschedule(state, END, alert.fingerprint, policy)
    reschedule(state, GRACE, incident.incident_id, policy)


def _tracked(
    incident: Incident,
    alert: Alert,
    at: datetime,
    resources: tuple[str, ...],
    suppressed: bool,
) -> TrackedAlert:
    return TrackedAlert(
        fingerprint=alert.fingerprint,
        incident_id=incident.incident_id,
        alert=AlertRecord.of(alert),
        firing=False,
        count=0,
        first_seen=at.isoformat(),
        last_seen_at=at,
        suppressed=suppressed,
        resources=resources,
    )


def _repeat(
    state: CorrelatorState,
    incident: Incident,
    tracked: TrackedAlert,
    alert: Alert,
    at: datetime,
    policy: CorrelationPolicy,
) -> None:
    """A firing alert sent again: only what a re-send can change is touched."""
    tracked.last_seen_at = at
    tracked.count += 1
    _note_start(tracked, alert)
    if tracked.alert.same_as(alert):
        return
    tracked.alert = AlertRecord.of(alert)
    reschedule(state, END, alert.fingerprint, policy)
    if not tracked.suppressed:
        _count_impact(state, incident, tracked, policy)


def _note_start(tracked: TrackedAlert, alert: Alert) -> None:
    latest = tracked.restarted_at or tracked.alert.starts_at
    if alert.starts_at > latest:
        tracked.restarted_at = alert.starts_at


def _count_impact(
    state: CorrelatorState, incident: Incident, tracked: TrackedAlert, policy: CorrelationPolicy
) -> None:
    alert = tracked.alert
    incident.severity_rank = min(incident.severity_rank, SEVERITY_RANK[alert.severity])
    incident.business = incident.business or alert.layer == Layer.BUSINESS
    incident.services.update(services_of(alert, tracked.resources))
    if policy.topology.independent_entry(alert.labels):
        return  # evidence of nothing: no alert joins an incident through it
    # The cluster key finds the incident of a cluster-wide fault; it unindexes like a resource.
    cluster = policy.topology.cluster_key(alert.layer, tracked.resources, alert.labels)
    for resource in (*tracked.resources, cluster) if cluster else tracked.resources:
        latest = incident.resources.get(resource)
        if latest is not None and _stays_evidence(state.alerts[latest], tracked, resource):
            continue
        incident.resources[resource] = tracked.fingerprint
        in_domain = state.by_resource.setdefault(incident.domain, {})
        in_domain.setdefault(resource, {})[incident.incident_id] = tracked.fingerprint


def _stays_evidence(indexed: TrackedAlert, joining: TrackedAlert, resource: str) -> bool:
    """Whether the alert indexed on `resource` stays its evidence as another one joins: the
    later started speaks for it, except that an alert about one instance on a host (a service
    there) never displaces one about the host itself, which explains all the host runs."""
    if indexed.alert.starts_at >= joining.alert.starts_at:
        return True
    return (
        kind_of(resource) == HOST
        and names_instance(joining.resources)
        and not names_instance(indexed.resources)
    )


def services_of(alert: Alert | AlertRecord, resources: Iterable[str]) -> set[str]:
    found = {r.partition(":")[2] for r in resources if r.startswith("service:")}
    if alert.service:
        found.add(alert.service)
    return found


def stop_firing(
    state: CorrelatorState,
    incident: Incident,
    fingerprint: str,
    at: datetime,
    policy: CorrelationPolicy,
) -> None:
    tracked = state.alerts[fingerprint]
    tracked.firing, tracked.last_seen_at = False, at  # it fired until then
    unindex(state, tracked, incident.domain, policy)
    incident.firing.discard(fingerprint)
    if not incident.firing:
        incident.quiet_since = _last_stopped(state, incident, at)
    reschedule(state, END, fingerprint, policy)
    reschedule(state, GRACE, incident.incident_id, policy)


def _last_stopped(state: CorrelatorState, incident: Incident, at: datetime) -> datetime:
    """When the incident's last alert stopped firing: `at`, unless another stopped later (a
    tick decides an alert's end as of its end time, which an alert resolved by its source
    before the tick came may follow)."""
    stopped = [state.alerts[fp].last_seen_at for fp in incident.fingerprints if fp in state.alerts]
    return max([at, *stopped])


def _leave(
    state: CorrelatorState,
    incident: Incident,
    tracked: TrackedAlert,
    at: datetime,
    policy: CorrelationPolicy,
) -> None:
    """A moved alert leaves its old incident (which is withdrawn when nothing is left)."""
    fingerprint = tracked.fingerprint
    incident.fingerprints.discard(fingerprint)
    incident.firing.discard(fingerprint)
    unindex(state, tracked, incident.domain, policy)
    tracked.firing = False
    if incident.cause == fingerprint:  # the next alert to join names a cause again
        incident.cause, incident.cause_rank = "", NO_CAUSE
    for resource in [r for r, fp in incident.resources.items() if fp == fingerprint]:
        del incident.resources[resource]
        _unindex_resource(state, incident, resource)
    if incident.fingerprints and not incident.firing and incident.quiet_since is None:
        incident.quiet_since = at
    reschedule(state, GRACE, incident.incident_id, policy)


def _flaps_before(
    state: CorrelatorState, fingerprint: str, at: datetime, policy: CorrelationPolicy
) -> tuple[datetime, ...]:
    """For an alert firing anew: when it fired again before, if its last incident resolved on
    its own within the flapping window (this firing is one more), else nothing."""
    trail = state.resolved_alerts.pop(fingerprint, None)
    if trail is None or at - trail.resolved_at > policy.flapping.within:
        return ()
    return (*trail.refired_at, at)[-(policy.flapping.max_flaps + 1) :]


def forget(
    state: CorrelatorState,
    incident_id: str,
    policy: CorrelationPolicy,
    resolved_at: datetime | None = None,
) -> None:
    """A resolved incident leaves the working state; the read models keep its history.
    `resolved_at`: it resolved on its own then, so its alerts leave a trail (`FlapTrail`); a
    person resolving it says it is fixed, and what fires next is news."""
    incident = state.incidents.pop(incident_id)
    if resolved_at is not None:
        _leave_trails(state, incident, resolved_at, policy)
    reschedule(state, GRACE, incident_id, policy)
    group = slot(incident.domain, incident.group_key)
    if state.open_by_group.get(group) == incident_id:
        del state.open_by_group[group]
    for fingerprint in incident.fingerprints:
        tracked = state.alerts.pop(fingerprint, None)
        if tracked is not None:
            unindex(state, tracked, incident.domain, policy)
            reschedule(state, END, fingerprint, policy)
    for resource in incident.resources:
        _unindex_resource(state, incident, resource)


def _unindex_resource(state: CorrelatorState, incident: Incident, resource: str) -> None:
    in_domain = state.by_resource.get(incident.domain, {})
    by_incident = in_domain.get(resource, {})
    by_incident.pop(incident.incident_id, None)
    if not by_incident:
        in_domain.pop(resource, None)
        if not in_domain:
            state.by_resource.pop(incident.domain, None)


def _leave_trails(
    state: CorrelatorState, incident: Incident, resolved_at: datetime, policy: CorrelationPolicy
) -> None:
    trails = state.resolved_alerts
    for fingerprint in incident.fingerprints:
        tracked = state.alerts.get(fingerprint)
        if tracked is not None and tracked.incident_id == incident.incident_id:
            trails.pop(fingerprint, None)  # to the end: the order is by resolution
            trails[fingerprint] = FlapTrail(incident.incident_id, resolved_at, tracked.refired_at)
    stale = resolved_at - policy.flapping.within
    while trails:
        oldest = next(iter(trails))
        if trails[oldest].resolved_at >= stale:
            break
        del trails[oldest]
