"""A firing alert: repeat, symptom, connected fault, group member, held, or a new incident.

An effect that fires again for the second time while its incident's cause kept firing is
correlated afresh, anywhere but in that incident (`_outlived_by_cause`).

Order of the checks for an alert not seen before, first that applies wins:
1. inhibited by a firing source → a suppressed symptom in the source's incident;
2. connected by topology to an active incident → joins it (whatever its route group);
3. its route group has an open incident in this domain → joins it;
4. a `correlation.rules` threshold not reached yet → held;
5. otherwise it opens an incident.
Whatever it joined or opened, targets it inhibits that arrived first may then move to it.
"""

from __future__ import annotations

from datetime import datetime

from services.correlator.domain import trusted
from services.correlator.domain.arrival import Arrival, Decided, arrival_of
from services.correlator.domain.correlate import join_connected
from services.correlator.domain.explain import left_because, span
from services.correlator.domain.holds import hold_or_open, unhold
from services.correlator.domain.impact import after_join
from services.correlator.domain.rules import CorrelationPolicy
from services.correlator.domain.state import CorrelatorState, Incident, TrackedAlert
from services.correlator.domain.suppression import inhibit, moves
from shared.alerts import Alert
from shared.events.incidents import AlertGrouped, IncidentFlapping, IncidentOpened


def on_firing(
    state: CorrelatorState, alert: Alert, now: datetime, policy: CorrelationPolicy, domain: str
) -> Decided:
    tracked = state.alerts.get(alert.fingerprint)
    leaving = ""
    if tracked is not None and _quiet_past_window(tracked, alert, policy):
        tracked = None  # a new occurrence, not a flap: correlate it afresh
    elif tracked is not None and _outlived_by_cause(state, tracked, policy):
        leaving, tracked = tracked.incident_id, None  # afresh, anywhere but where it was
    if tracked is not None:
        incident = state.incidents[tracked.incident_id]
        if tracked.firing:
            return [_deduplicated(tracked, incident, alert, now, policy)]
        again = _fired_again(tracked, incident, alert, now, policy)
        return again + moves(state, [(incident.incident_id, alert)], domain, now, policy)
    arrival = arrival_of(alert, now, policy, domain, leaving)
    decided = inhibit(state, arrival) or join_connected(state, arrival)
    decided = decided or join_group(state, arrival)
    if decided and isinstance(decided[0], AlertGrouped):
        decided = [*unhold(state, arrival, decided[0].incident_id), *decided]
    else:
        decided = flapping_on(state, hold_or_open(state, arrival), alert, now, policy)
    attached = [
        (event.incident_id, event.alert)
        for event in decided
        if isinstance(event, IncidentOpened | AlertGrouped)
    ]
    return decided + moves(state, attached, domain, now, policy)


def _quiet_past_window(tracked: TrackedAlert, alert: Alert, policy: CorrelationPolicy) -> bool:
    """A resolved alert that starts again longer than the correlation window after it was last
    seen belongs to whatever fails now, not to the incident it was once part of."""
    if tracked.firing or not policy.topology.enabled:
        return False
    return alert.starts_at - tracked.last_seen_at > policy.topology.window


def _outlived_by_cause(
    state: CorrelatorState, tracked: TrackedAlert, policy: CorrelationPolicy
) -> bool:
    """A resolved effect fires again, having fired again before, while its incident's probable
    cause (another alert) never stopped: it keeps recovering although its supposed cause
    persists, so that cause does not explain it (a flapping probe that happened to start next to
    a fault). It is correlated afresh, anywhere but in that incident. One recovery is still a
    flap of the incident (a threshold crossed twice); only with a topology (route-group rules
    are unchanged)."""
    if tracked.firing or not tracked.refired_at or not policy.topology.enabled:
        return False
    cause = state.alerts.get(state.incidents[tracked.incident_id].cause)
    return cause is not None and cause.fingerprint != tracked.fingerprint and cause.firing


def _deduplicated(
    tracked: TrackedAlert,
    incident: Incident,
    alert: Alert,
    now: datetime,
    policy: CorrelationPolicy,
) -> AlertGrouped:
    reason = repeat_reason(
        alert.alertname, alert.fingerprint, tracked.count + 1, tracked.first_seen
    )
    resources = list(tracked.resources)
    return trusted.grouped(
        incident.incident_id, alert, "deduplicated", now, "dedup", policy.version, reason, resources
    )


def repeat_reason(alertname: str, fingerprint: str, count: int, first_seen: str) -> str:
    """The reason of a repeat's `AlertGrouped(decision="deduplicated")`: `count` is the
    notification's number, the first included."""
    return f"repeat #{count} of {alertname} ({fingerprint}), firing since {first_seen}"


def _fired_again(
    tracked: TrackedAlert,
    incident: Incident,
    alert: Alert,
    now: datetime,
    policy: CorrelationPolicy,
) -> Decided:
    grouped = trusted.grouped(
        incident.incident_id,
        alert,
        "inhibited" if tracked.suppressed else "grouped",
        now,
        "dedup",
        policy.version,
        f"{alert.alertname} fired again while {incident.incident_id} is open",
        list(tracked.resources),
    )
    flaps = _flaps_within(tracked.refired_at, now, policy)
    if incident.flapping or flaps <= policy.flapping.max_flaps:
        return [grouped]
    window = span(policy.flapping.within)
    outcome = (
        f"{incident.incident_id} stays one incident, is not paged again, and resolves only"
        f" after {window} without alerts"
    )
    flagged = _flagged(incident.incident_id, alert, flaps, now, policy, f": {outcome}")
    return [grouped, flagged]


def flapping_on(
    state: CorrelatorState, decided: Decided, alert: Alert, now: datetime, policy: CorrelationPolicy
) -> Decided:
    """An alert whose incident resolved on its own moments ago and that opens one again: past
    `max_flaps` flaps within the window (counted across its incidents), the new incident is
    flapping from the start. Its first page waits for the window (`flapping_until`) and it
    resolves only after a window without alerts, so it takes the flaps to come as one incident."""
    opened = decided[0] if decided else None
    trail = state.resolved_alerts.get(alert.fingerprint)
    if not isinstance(opened, IncidentOpened) or opened.alert.fingerprint != alert.fingerprint:
        return decided
    within = policy.flapping.within
    if trail is None or now - trail.resolved_at > within:
        return decided
    flaps = _flaps_within(trail.refired_at, now, policy)
    if flaps <= policy.flapping.max_flaps:
        return decided
    until = now + within
    outcome = (
        f", last in {trail.incident_id}, resolved {span(now - trail.resolved_at)} ago:"
        f" {opened.incident_id} is flapping; it is not paged before {until.isoformat()}, nor"
        f" then unless an alert of it fires, and resolves only after {span(within)} without"
        " alerts"
    )
    flagged = _flagged(opened.incident_id, alert, flaps, now, policy, outcome)
    return [opened.model_copy(update={"flapping_until": until}), flagged, *decided[1:]]


def _flaps_within(
    refired_at: tuple[datetime, ...], now: datetime, policy: CorrelationPolicy
) -> int:
    """Times the alert fired again within the flapping window, this firing included."""
    since = now - policy.flapping.within
    return sum(1 for at in (*refired_at, now) if at > since)


def _flagged(
    incident_id: str, alert: Alert, flaps: int, now: datetime, policy: CorrelationPolicy, then: str
) -> IncidentFlapping:
    """`then`: what follows for the incident, appended to the reason."""
    flapping = policy.flapping
    return IncidentFlapping(
        incident_id=incident_id,
        fingerprint=alert.fingerprint,
        flaps=flaps,
        within=flapping.within,
        at=now,
        rule="correlation.flapping",
        ruleset_version=policy.version,
        reason=(
            f"{alert.alertname} resolved and fired again {flaps} times within"
            f" {span(flapping.within)} (more than {flapping.max_flaps}){then}"
        ),
    )


def join_group(state: CorrelatorState, arrival: Arrival) -> Decided:
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
