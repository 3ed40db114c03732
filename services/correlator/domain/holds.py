"""Thresholds: a group opens an incident only once enough of its alerts fire within a window.

Until then its alerts are held (`AlertHeld`): visible, not paged. A held alert leaves the
hold when it resolves (sent as resolved, or past its own end time: an alert not re-sent
before its `resolve_timeout` counts toward no threshold) or when its window passes without
the threshold (`AlertHoldEnded`).
Held alerts neither inhibit nor take part in topology correlation; one that a source firing
now inhibits leaves the hold for that source's incident, a suppressed symptom, when its group
next takes an alert (and counts toward no threshold).
"""

from __future__ import annotations

from datetime import datetime

from services.correlator.domain.arrival import Arrival, Decided, arrival_of
from services.correlator.domain.explain import span
from services.correlator.domain.opening import open_incident
from services.correlator.domain.rules import CorrelationPolicy, LifecycleRule, Threshold
from services.correlator.domain.state import CorrelatorState, HeldAlert
from services.correlator.domain.suppression import inhibit
from shared.alerts import Alert
from shared.events.incidents import AlertGrouped, AlertHeld, AlertHoldEnded


def hold_or_open(state: CorrelatorState, arrival: Arrival, *, hold: bool = True) -> Decided:
    """Held below the alert's threshold, or an incident that the group's held alerts join.
    `hold=False`: the threshold does not apply (a released symptom fired long enough)."""
    lifecycle = arrival.policy.lifecycle_for(arrival.alert)
    threshold = lifecycle.threshold if hold else None
    members = state.held.get(arrival.group)
    if threshold is None and not members:
        return open_incident(arrival, lifecycle)  # the common case: nothing held
    fingerprint = arrival.alert.fingerprint
    members = members or {}
    live = {fp: h for fp, h in members.items() if h.leaves_at > arrival.now}
    key, now, policy = arrival.grouping.group_key, arrival.now, arrival.policy
    decided: Decided = [
        hold_ended(arrival.domain, key, fp, h, now, policy, resolved=h.ended_before_window())
        for fp, h in members.items()
        if fp not in live and fp != fingerprint
    ]
    muted, held = _muted_since(state, arrival, live)
    decided += muted
    count = len(held) + 1
    if threshold is None:
        return [*decided, *open_incident(arrival, lifecycle, held)]
    if count < threshold.alerts:
        return [*decided, _held(arrival, lifecycle, threshold, count)]
    why = (
        f"{count} alerts of group {arrival.grouping.group_key} within {span(threshold.within)}"
        f" reached the threshold of {threshold.alerts} (rule {lifecycle.name})"
    )
    return [*decided, *open_incident(arrival, lifecycle, held, why)]


def _muted_since(
    state: CorrelatorState, arrival: Arrival, live: dict[str, HeldAlert]
) -> tuple[Decided, list[Alert]]:
    """The held alerts (but the arrival) a source firing now inhibits: they leave the hold
    for their source's incident as suppressed symptoms, and count toward no threshold; and
    the alerts still held."""
    muted: Decided = []
    held: list[Alert] = []
    for fingerprint, member in live.items():
        if fingerprint == arrival.alert.fingerprint:
            continue
        symptom = inhibit(
            state, arrival_of(member.alert, arrival.now, arrival.policy, arrival.domain)
        )
        if not symptom:
            held.append(member.alert)
            continue
        grouped = symptom[0]
        assert isinstance(grouped, AlertGrouped)  # what `inhibit` decides
        into, key = grouped.incident_id, arrival.grouping.group_key
        now, policy = arrival.now, arrival.policy
        ended = hold_ended(arrival.domain, key, fingerprint, member, now, policy, joined=into)
        muted += [ended, *symptom]
    return muted, held


def _held(
    arrival: Arrival, lifecycle: LifecycleRule, threshold: Threshold, count: int
) -> AlertHeld:
    return AlertHeld(
        domain=arrival.domain,
        group_key=arrival.grouping.group_key,
        alert=arrival.alert,
        at=arrival.now,
        held=count,
        needed=threshold.alerts,
        within=threshold.within,
        rule=f"correlation.rules[{lifecycle.name}].threshold",
        ruleset_version=arrival.policy.version,
        reason=(
            f"held: {count} of {threshold.alerts} alerts of group {arrival.grouping.group_key}"
            f" within {span(threshold.within)}; no incident until the threshold is reached"
        ),
    )


def hold_ended(
    domain: str,
    group_key: str,
    fingerprint: str,
    held: HeldAlert,
    now: datetime,
    policy: CorrelationPolicy,
    *,
    resolved: bool = False,
    joined: str | None = None,
) -> AlertHoldEnded:
    name = held.alert.alertname
    if joined is not None:
        why = f"{name} joined {joined}, so it is no longer held"
    elif resolved:
        why = f"{name} resolved before its group reached the threshold; no incident opened"
    else:
        why = f"{name} held {span(held.within)} without the threshold reached; no incident opened"
    return AlertHoldEnded(
        domain=domain,
        group_key=group_key,
        fingerprint=fingerprint,
        at=now,
        rule="threshold",
        ruleset_version=policy.version,
        reason=why,
    )


def unhold(state: CorrelatorState, arrival: Arrival, joined: str) -> Decided:
    """A held alert sent again that now joins an incident some other way leaves the hold."""
    held = state.held.get(arrival.group, {}).get(arrival.alert.fingerprint)
    if held is None:
        return []
    key, fingerprint = arrival.grouping.group_key, arrival.alert.fingerprint
    now, policy = arrival.now, arrival.policy
    return [hold_ended(arrival.domain, key, fingerprint, held, now, policy, joined=joined)]
