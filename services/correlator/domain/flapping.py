"""Flapping: an alert that resolves and fires again more than `max_flaps` times within `within`.

Within one incident, its firing again is counted (`TrackedAlert.refired_at`) and, past
`max_flaps`, marks the incident flapping once (`flapped`). Across incidents, an alert whose
incident resolved on its own moments ago carries its flaps to the incident it opens
(`flapping_on`), which is then flapping from the start.
"""

from __future__ import annotations

from datetime import datetime

from services.correlator.domain.arrival import Decided
from services.correlator.domain.explain import span
from services.correlator.domain.rules import CorrelationPolicy
from services.correlator.domain.state import CorrelatorState, Incident, TrackedAlert
from shared.alerts import Alert
from shared.events.incidents import AlertGrouped, IncidentFlapping, IncidentOpened


def flapped(
    tracked: TrackedAlert,
    incident: Incident,
    alert: Alert,
    now: datetime,
    policy: CorrelationPolicy,
) -> Decided:
    """The alert, resolved in `incident`, fires again there: `IncidentFlapping` once past
    `max_flaps` flaps within the window, this one included; else nothing."""
    flaps = flaps_within(tracked.refired_at, now, policy)
    if incident.flapping or flaps <= policy.flapping.max_flaps:
        return []
    window = span(policy.flapping.within)
    outcome = (
        f"{incident.incident_id} stays one incident, is not paged again, and resolves only"
        f" after {window} without alerts"
    )
    return [flagged(incident.incident_id, alert, flaps, now, policy, f": {outcome}")]


def flapping_on(
    state: CorrelatorState, decided: Decided, alert: Alert, now: datetime, policy: CorrelationPolicy
) -> Decided:
    """An alert whose incident resolved on its own moments ago and that opens one again: past
    `max_flaps` flaps within the window (counted across its incidents), the new incident is
    flapping from the start. Its first page waits for the window (`flapping_until`) and it
    resolves only after a window without alerts, so it takes the flaps to come as one incident."""
    at = _opening_with(decided, alert.fingerprint)
    if at is None:
        return decided
    opened = decided[at]
    assert isinstance(opened, IncidentOpened)
    trail = state.resolved_alerts.get(alert.fingerprint)
    within = policy.flapping.within
    if trail is None or now - trail.resolved_at > within:
        return decided
    flaps = flaps_within(trail.refired_at, now, policy)
    if flaps <= policy.flapping.max_flaps:
        return decided
    until = now + within
    outcome = (
        f", last in {trail.incident_id}, resolved {span(now - trail.resolved_at)} ago:"
        f" {opened.incident_id} is flapping; it is not paged before {until.isoformat()}, nor"
        f" then unless an alert of it fires, and resolves only after {span(within)} without"
        " alerts"
    )
    flagged_now = flagged(opened.incident_id, alert, flaps, now, policy, outcome)
    flapping = opened.model_copy(update={"flapping_until": until})
    return [*decided[:at], flapping, flagged_now, *decided[at + 1 :]]


def _opening_with(decided: Decided, fingerprint: str) -> int | None:
    """Where among the decisions the incident the alert opens, or joins as it opens (a
    threshold's, opened by a held alert of better rank), opens; an expired hold's end may
    come first."""
    for index, event in enumerate(decided):
        if not isinstance(event, IncidentOpened):
            continue
        joins = any(
            isinstance(other, AlertGrouped)
            and other.incident_id == event.incident_id
            and other.alert.fingerprint == fingerprint
            for other in decided[index + 1 :]
        )
        if event.alert.fingerprint == fingerprint or joins:
            return index
        return None
    return None


def flaps_within(refired_at: tuple[datetime, ...], now: datetime, policy: CorrelationPolicy) -> int:
    """Times the alert fired again within the flapping window, this firing included."""
    since = now - policy.flapping.within
    return sum(1 for at in (*refired_at, now) if at > since)


def flagged(
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
