"""A firing alert: repeat, symptom, connected fault, group member, held, or a new incident.

A resolved alert firing again in its open incident is decided in `refiring` (muted or not by
the sources firing now, a flap). An effect that fires again for the second time while its
incident's cause kept firing is correlated afresh, anywhere but in that incident
(`_outlived_by_cause`).

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
from services.correlator.domain.arrival import Decided, arrival_of
from services.correlator.domain.correlate import join_connected, join_group
from services.correlator.domain.flapping import flapped, flapping_on
from services.correlator.domain.holds import hold_or_open, unhold
from services.correlator.domain.impact import priority_change
from services.correlator.domain.refiring import fired_again
from services.correlator.domain.rules import CorrelationPolicy
from services.correlator.domain.state import CorrelatorState, Incident, TrackedAlert
from services.correlator.domain.suppression import inhibit, moves
from shared.alerts import Alert
from shared.events.incidents import AlertGrouped, IncidentOpened


def on_firing(
    state: CorrelatorState, alert: Alert, now: datetime, policy: CorrelationPolicy, domain: str
) -> Decided:
    tracked = state.alerts.get(alert.fingerprint)
    leaving, quiet = "", None
    if tracked is not None and _quiet_past_window(tracked, alert, policy):
        quiet, tracked = tracked, None  # a new occurrence: correlate it afresh
    elif tracked is not None and _outlived_by_cause(state, tracked, policy):
        leaving, tracked = tracked.incident_id, None  # afresh, anywhere but where it was
    if tracked is not None and tracked.firing:
        incident = state.incidents[tracked.incident_id]
        repeat = _deduplicated(tracked, incident, alert, now, policy)
        if tracked.suppressed or tracked.alert.same_as(alert):
            return [repeat]
        # Sent again changed (a PagerDuty trigger of the same dedup_key, now critical).
        return [repeat, *priority_change(incident, alert, tracked.resources, now, policy)]
    if tracked is not None:
        again = fired_again(state, tracked, alert, now, policy, domain)
        return again + moves(state, _attached(again), domain, now, policy)
    arrival = arrival_of(alert, now, policy, domain, leaving)
    decided = inhibit(state, arrival) or join_connected(state, arrival)
    decided = decided or join_group(state, arrival)
    if decided and isinstance(decided[0], AlertGrouped):
        if quiet is not None and decided[0].incident_id == quiet.incident_id:
            # back in the incident it resolved in: a flap there all the same
            decided += flapped(quiet, state.incidents[quiet.incident_id], alert, now, policy)
        decided = [*unhold(state, arrival, decided[0].incident_id), *decided]
    else:
        decided = flapping_on(state, hold_or_open(state, arrival), alert, now, policy)
    return decided + moves(state, _attached(decided), domain, now, policy)


def _attached(decided: Decided) -> list[tuple[str, Alert]]:
    """The alerts the decisions put into incidents, and where: sources that may take targets."""
    return [
        (event.incident_id, event.alert)
        for event in decided
        if isinstance(event, IncidentOpened | AlertGrouped)
    ]


def _quiet_past_window(tracked: TrackedAlert, alert: Alert, policy: CorrelationPolicy) -> bool:
    """A resolved alert that starts again longer than the correlation window after it was last
    seen firing (its resolve, see `membership.stop_firing`) belongs to whatever fails now, not
    to the incident it was once part of (though it may well join it again)."""
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
    if cause is None or cause.fingerprint == tracked.fingerprint or not cause.firing:
        return False
    # Kept firing: not fired again (so resolved) since the effect first fired again.
    return not cause.refired_at or cause.refired_at[-1] < tracked.refired_at[0]


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
