"""Missing heartbeats: Tocsin's own `HeartbeatMissing` alert, fired and resolved by time.

A heartbeat seen at least once on this partition that stays silent for its interval raises
`HeartbeatMissed` on a tick; `step` then feeds its alert through the normal firing path, in the
correlation domain its check-ins arrive under (ingest keys them by the domain of the labels it
started with, so after a reload that changed them that is still the old labels' domain: the
partition holding the heartbeat). The alert's fingerprint is the fingerprint of its labels, so
every replay raises the same alert.
"""

from __future__ import annotations

from datetime import datetime

from services.correlator.domain.arrival import Decided
from services.correlator.domain.dropped import dropped
from services.correlator.domain.explain import span
from services.correlator.domain.holds import hold_ended
from services.correlator.domain.rules import HEARTBEAT_ALERTNAME, CorrelationPolicy, HeartbeatSpec
from services.correlator.domain.state import CorrelatorState, slot
from shared.alerts import Alert, Layer, Severity
from shared.events.incidents import AlertResolved, HeartbeatMissed
from shared.events.inputs import HeartbeatReceived
from shared.fingerprint import label_fingerprint

ALERTNAME = HEARTBEAT_ALERTNAME


def missing_alert(spec: HeartbeatSpec, last_seen_at: datetime, now: datetime) -> Alert:
    labels = {**spec.labels, "alertname": ALERTNAME, "heartbeat": spec.name}
    labels["severity"] = "critical"
    return Alert(
        fingerprint=label_fingerprint(labels),
        status="firing",
        severity=Severity.CRITICAL,
        layer=Layer.INFRASTRUCTURE,
        labels=labels,
        starts_at=last_seen_at + spec.interval,
        summary=f"no heartbeat {spec.name} since {last_seen_at.isoformat()}"
        f" (expected every {span(spec.interval)})",
        source="tocsin",
        integration="heartbeats",
        received_at=now,
    )


def missed(
    state: CorrelatorState, name: str, now: datetime, policy: CorrelationPolicy
) -> HeartbeatMissed:
    spec = policy.heartbeats[name]
    last_seen = state.heartbeats[name].last_seen_at
    return HeartbeatMissed(
        name=name,
        last_seen_at=last_seen,
        interval=spec.interval,
        at=now,
        alert=missing_alert(spec, last_seen, now),
        rule=f"heartbeats[{name}]",
        ruleset_version=policy.version,
        reason=(
            f"no heartbeat {name} for {span(now - last_seen)} (since {last_seen.isoformat()},"
            f" expected every {span(spec.interval)}): {ALERTNAME} fires"
        ),
    )


def stale_check_in(state: CorrelatorState, event: HeartbeatReceived) -> bool:
    """A check-in received before the last one seen, appended after it (ingest workers or an
    Alertmanager pair's Watchdogs race to the log): old news, which moves no clock back and
    ends no miss, so that the log's order gives what replay's `received_at` order gives."""
    track = state.heartbeats.get(event.name)
    return track is not None and event.received_at < track.last_seen_at


def on_heartbeat(
    state: CorrelatorState, event: HeartbeatReceived, now: datetime, policy: CorrelationPolicy
) -> Decided:
    spec = policy.heartbeats.get(event.name)
    if spec is None:
        reason = f"heartbeat {event.name} is not configured in `heartbeats`"
        return [dropped("HeartbeatReceived", now, policy, rule="heartbeats", reason=reason)]
    track = state.heartbeats.get(event.name)
    if track is None or not track.missing or stale_check_in(state, event):
        return []
    # The alert as it fired: a reload since may have changed the heartbeat's labels.
    alert = track.alert or missing_alert(spec, track.last_seen_at, now)
    tracked = state.alerts.get(alert.fingerprint)
    silence = span(event.received_at - track.last_seen_at)
    reason = f"heartbeat {event.name} received again after {silence} of silence"
    if tracked is not None and tracked.firing:
        resolved = AlertResolved(
            incident_id=tracked.incident_id,
            fingerprint=alert.fingerprint,
            at=now,
            rule=f"heartbeats[{event.name}]",
            ruleset_version=policy.version,
            reason=reason,
        )
        return [resolved]
    group = policy.grouping.group_for(alert).group_key
    held = state.held.get(slot(track.domain, group), {}).get(alert.fingerprint)
    if held is None:
        return []  # its incident was resolved by hand meanwhile: nothing fires any more
    return [hold_ended(track.domain, group, alert.fingerprint, held, now, policy, resolved=True)]


def unconfigured(
    state: CorrelatorState, now: datetime, policy: CorrelationPolicy
) -> list[AlertResolved]:
    """A rule set without a heartbeat that is missing resolves its alert: no check-in of it is
    taken any more, so nothing else would."""
    decided: list[AlertResolved] = []
    for name, track in sorted(state.heartbeats.items()):
        if name in policy.heartbeats or not track.missing or track.alert is None:
            continue
        tracked = state.alerts.get(track.alert.fingerprint)
        if tracked is None or not tracked.firing:
            continue
        reason = f"heartbeat {name} is not configured in `heartbeats` any more: {ALERTNAME} ends"
        decided.append(
            AlertResolved(
                incident_id=tracked.incident_id,
                fingerprint=track.alert.fingerprint,
                at=now,
                rule=f"heartbeats[{name}]",
                ruleset_version=policy.version,
                reason=reason,
            )
        )
    return decided
