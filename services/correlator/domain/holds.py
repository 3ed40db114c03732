"""Thresholds: a group opens an incident only once enough of its alerts fire within a window.

Until then its alerts are held (`AlertHeld`): visible, not paged. A held alert leaves the
hold when it resolves or when its window passes without the threshold (`AlertHoldEnded`).
Held alerts neither inhibit nor take part in topology correlation.
"""

from __future__ import annotations

from datetime import datetime

from services.correlator.domain.arrival import Arrival, Decided
from services.correlator.domain.explain import span
from services.correlator.domain.opening import open_incident
from services.correlator.domain.rules import CorrelationPolicy, LifecycleRule, Threshold
from services.correlator.domain.state import CorrelatorState, HeldAlert
from shared.events.incidents import AlertHeld, AlertHoldEnded


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
    live = {fp: h for fp, h in members.items() if h.held_at + h.within > arrival.now}
    decided: Decided = [
        hold_ended(arrival.domain, arrival.grouping.group_key, fp, h, arrival.now, arrival.policy)
        for fp, h in members.items()
        if fp not in live and fp != fingerprint
    ]
    held = [h.alert for fp, h in live.items() if fp != fingerprint]
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
