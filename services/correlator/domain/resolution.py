"""Alerts and incidents resolving: alerts sent resolved, end times, grace periods, holds."""

from __future__ import annotations

from datetime import datetime

from services.correlator.domain.arrival import Decided
from services.correlator.domain.dropped import dropped
from services.correlator.domain.explain import span
from services.correlator.domain.heartbeats import missed
from services.correlator.domain.holds import hold_ended
from services.correlator.domain.rules import CorrelationPolicy
from services.correlator.domain.state import CorrelatorState, Incident, TrackedAlert, slot
from services.correlator.domain.timers import END, GRACE, HELD, due_items, due_of
from shared.alerts import Alert
from shared.events.incidents import AlertResolved, IncidentResolved


def on_resolved(
    state: CorrelatorState, alert: Alert, now: datetime, policy: CorrelationPolicy, domain: str
) -> Decided:
    fingerprint, name = alert.fingerprint, alert.alertname
    tracked = state.alerts.get(fingerprint)
    if tracked is not None and not name:  # a close by alias or id carries no labels
        name = tracked.alert.alertname
    if tracked is not None and tracked.firing and _of_an_earlier_occurrence(tracked, alert):
        current = (tracked.restarted_at or tracked.alert.starts_at).isoformat()
        reason = (
            f"resolve of an earlier occurrence of {name} ({fingerprint}, started"
            f" {alert.starts_at.isoformat()}): it fires again since {current}"
        )
        return [
            dropped(
                "AlertReceived",
                now,
                policy,
                rule="source",
                reason=reason,
                fingerprint=fingerprint,
                incident_id=tracked.incident_id,
            )
        ]
    if tracked is not None and tracked.firing:
        return [
            _alert_resolved(
                tracked.incident_id,
                fingerprint,
                now,
                policy,
                "source",
                f"{name} was sent as resolved",
            )
        ]
    if tracked is not None:
        reason = f"{name} ({fingerprint}) is already resolved in {tracked.incident_id}"
        return [
            dropped(
                "AlertReceived",
                now,
                policy,
                rule="source",
                reason=reason,
                fingerprint=fingerprint,
                incident_id=tracked.incident_id,
            )
        ]
    group_key = policy.grouping.group_for(alert).group_key
    held = state.held.get(slot(domain, group_key), {}).get(fingerprint)
    if held is not None:
        return [hold_ended(domain, group_key, fingerprint, held, now, policy, resolved=True)]
    reason = f"resolve of {name} ({fingerprint}): no open incident or hold knows this alert"
    return [
        dropped("AlertReceived", now, policy, rule="source", reason=reason, fingerprint=fingerprint)
    ]


# Sources whose `startsAt` marks when an occurrence began (Prometheus's `activeAt`): a later one
# on a firing alert is a new occurrence. Others (PagerDuty, Opsgenie, Tocsin's JSON, which
# defaults it to the receive time) re-send a trigger with whatever time: a repeat.
OCCURRENCE_STARTS = frozenset({"alertmanager", "grafana"})


def _of_an_earlier_occurrence(tracked: TrackedAlert, alert: Alert) -> bool:
    """A resolve a source sent for an occurrence before the one firing now: late, e.g. from
    the other Alertmanager of an HA pair; the alert it names fires again since."""
    return alert.source in OCCURRENCE_STARTS and alert.starts_at < (
        tracked.restarted_at or tracked.alert.starts_at
    )


def started_again(tracked: TrackedAlert, alert: Alert) -> bool:
    """Whether a firing notification of a firing alert is a new occurrence of it."""
    return (
        alert.starts_at > (tracked.restarted_at or tracked.alert.starts_at)
        and alert.status == "firing"
        and alert.source in OCCURRENCE_STARTS
    )


def on_started_again(
    state: CorrelatorState, alert: Alert, now: datetime, policy: CorrelationPolicy
) -> Decided:
    """A firing alert sent again with a later start resolved at its source in between (between
    two notifications of its group, so no resolve was sent): its `AlertResolved`, before the
    notification is taken as the alert firing again (a flap, if it keeps doing so)."""
    tracked = state.alerts.get(alert.fingerprint)
    if tracked is None or not tracked.firing or not started_again(tracked, alert):
        return []
    reason = (
        f"{alert.alertname} was sent firing with a later start ({alert.starts_at.isoformat()},"
        f" was {(tracked.restarted_at or tracked.alert.starts_at).isoformat()}): it resolved"
        " at the source in between"
    )
    return [_alert_resolved(tracked.incident_id, alert.fingerprint, now, policy, "source", reason)]


def _alert_resolved(
    incident_id: str,
    fingerprint: str,
    now: datetime,
    policy: CorrelationPolicy,
    rule: str,
    reason: str,
) -> AlertResolved:
    return AlertResolved(
        incident_id=incident_id,
        fingerprint=fingerprint,
        at=now,
        rule=rule,
        ruleset_version=policy.version,
        reason=reason,
    )


def on_tick(state: CorrelatorState, now: datetime, policy: CorrelationPolicy) -> Decided:
    """Every timer due by `now`, earliest first; only the heap's due part is visited.

    Each decision is made as of its timer's due time, not `now`: a live tick comes when the
    runner next looks (up to its tick interval late, later under load), an offline replay's at
    the due time itself, and the decisions (their times, the incident a missed heartbeat opens
    and its id) must not depend on which. An alert is not resolved before it was last seen
    (one received already past its end time resolves as of its receipt)."""
    decided: Decided = []
    for kind, key in due_items(state, now):
        due = due_of(state, kind, key, policy)
        if due is None or due > now:
            continue  # a stale timer: the tick's fold re-arms or drops it
        if kind == END:
            tracked = state.alerts[key]
            at = max(due, tracked.last_seen_at)
            reason = f"not re-sent before its end time {due.isoformat()}"
            decided.append(
                _alert_resolved(tracked.incident_id, key, at, policy, "resolve_timeout", reason)
            )
        elif kind == GRACE:
            decided.append(_grace_passed(state, key, due, policy))
        elif kind == HELD:
            group, _, fingerprint = key.rpartition("\x1f")
            domain, _, group_key = group.partition("|")
            held = state.held[group][fingerprint]
            resolved = held.ended_before_window()
            decided.append(
                hold_ended(domain, group_key, fingerprint, held, due, policy, resolved=resolved)
            )
        else:
            decided.append(missed(state, key, due, policy))
    return decided


GRACE_RULE = "resolve_policy.all_resolved"


def _grace_passed(
    state: CorrelatorState, incident_id: str, now: datetime, policy: CorrelationPolicy
) -> IncidentResolved:
    incident = state.incidents[incident_id]
    quiet = incident.quiet_since
    assert quiet is not None  # due_of found it due
    waited = span(now - quiet)
    grace = span(incident.resolve_grace)
    if incident.flapping:
        grace += f", held longer while flapping: {span(policy.flapping.within)}"
    reason = f"all alerts resolved since {quiet.isoformat()}, {waited} ago (grace {grace})"
    return resolved(incident, now, policy, reason, GRACE_RULE, alerts_resolved_at=quiet)


def resolved(
    incident: Incident,
    now: datetime,
    policy: CorrelationPolicy,
    reason: str,
    rule: str,
    by: str | None = None,
    command_id: str | None = None,
    alerts_resolved_at: datetime | None = None,
) -> IncidentResolved:
    return IncidentResolved(
        incident_id=incident.incident_id,
        resolved_at=now,
        by=by,
        rule=rule,
        ruleset_version=policy.version,
        reason=reason,
        domain=incident.domain,
        command_id=command_id,
        alerts_resolved_at=alerts_resolved_at,
    )
