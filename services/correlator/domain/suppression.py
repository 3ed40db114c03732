"""Inhibition (Alertmanager 0.25 semantics) as incidents: a muted alert is a symptom.

An alert inhibited by a firing source joins the source's incident as a suppressed symptom
(`AlertGrouped(decision="inhibited")`) and never opens or pages an incident of its own.

Order. When the target arrives first it opens its own incident. If a source that inhibits it
then attaches while that incident is still within its group wait (`now < notify_after`, so
the router has not paged yet), the target moves to the source's incident as a symptom, and an
incident left with no alerts is withdrawn (`IncidentResolved`, rule `inhibit_rules[i]`). Once
the group wait has passed the page is out: the target stays where it is. Sources and targets
only meet within one correlation domain; held alerts (below a threshold) are no sources.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.correlator.domain.alertmanager.inhibition import InhibitRule, inhibited_by
from services.correlator.domain.arrival import Arrival, Decided
from services.correlator.domain.inhibit_index import equal_values
from services.correlator.domain.rules import CorrelationPolicy
from services.correlator.domain.state import CorrelatorState, TrackedAlert
from shared.alertmanager.matchers import matches_all
from shared.alerts import Alert
from shared.events.incidents import AlertGrouped, IncidentResolved


def inhibit(state: CorrelatorState, arrival: Arrival) -> Decided:
    """AlertGrouped(inhibited) into the source's incident, or nothing."""
    found = inhibitor(state, arrival.alert.labels, arrival.domain, arrival.policy)
    if found is None:
        return []
    index, source = found
    rule = arrival.policy.inhibit_rules[index]
    return [
        AlertGrouped(
            incident_id=source.incident_id,
            alert=arrival.alert,
            decision="inhibited",
            at=arrival.now,
            rule=f"inhibit_rules[{index}]",
            ruleset_version=arrival.policy.version,
            reason=inhibited_reason(arrival.alert, source, rule),
            resources=list(arrival.resources),
            source_fingerprint=source.fingerprint,
        )
    ]


def inhibitor(
    state: CorrelatorState,
    labels: dict[str, str],
    domain: str,
    policy: CorrelationPolicy,
    home: str | None = None,
) -> tuple[int, TrackedAlert] | None:
    """The first rule (by index) and firing source muting alerts with these labels; with
    `home`, one firing in that incident first, under any rule (a symptom muted by another
    alert of its own incident stays there)."""
    if home is not None:
        found = _inhibitor(state, labels, domain, policy, home)
        if found is not None:
            return found
    return _inhibitor(state, labels, domain, policy, None)


def _inhibitor(
    state: CorrelatorState,
    labels: dict[str, str],
    domain: str,
    policy: CorrelationPolicy,
    within: str | None,
) -> tuple[int, TrackedAlert] | None:
    for index, rule in enumerate(policy.inhibit_rules):
        if not matches_all(rule.target_matchers, labels):
            continue
        candidates = state.inhibit_sources.get((index, domain, equal_values(rule.equal, labels)))
        if not candidates:
            continue
        sources = (
            (fp, state.alerts[fp].alert.labels)
            for fp in candidates
            if within is None or state.alerts[fp].incident_id == within
        )
        found = inhibited_by((rule,), labels, sources)
        if found is not None:
            return index, state.alerts[found[1]]
    return None


def inhibited_reason(target: Alert, source: TrackedAlert, rule: InhibitRule) -> str:
    """Why `target` is a suppressed symptom of `source` under `rule`."""
    equal = f", equal on {', '.join(rule.equal)}" if rule.equal else ""
    return (
        f"{target.alertname} is a suppressed symptom of {source.alert.alertname}"
        f" ({source.fingerprint}) firing in {source.incident_id}"
        f" since {source.first_seen}{equal}"
    )


def moves(
    state: CorrelatorState,
    attached: Sequence[tuple[str, Alert]],
    domain: str,
    now: datetime,
    policy: CorrelationPolicy,
) -> Decided:
    """Targets that arrived first move to the incident their new source just joined."""
    decided: Decided = []
    taken = {alert.fingerprint for _, alert in attached}
    left: dict[str, int] = {}
    for incident_id, source in attached:
        for index, rule in enumerate(policy.inhibit_rules):
            if not matches_all(rule.source_matchers, source.labels):
                continue
            key = (index, domain, equal_values(rule.equal, source.labels))
            for fingerprint in state.inhibit_targets.get(key, {}):
                target = state.alerts[fingerprint]
                if fingerprint in taken or not _movable(state, target, incident_id, now):
                    continue
                if inhibited_by(
                    (rule,), target.alert.labels, [(source.fingerprint, source.labels)]
                ):
                    taken.add(fingerprint)
                    left[target.incident_id] = left.get(target.incident_id, 0) + 1
                    decided.append(_moved(target, source, incident_id, index, now, policy))
    return decided + _withdrawn(state, left, decided, now, policy)


def _movable(state: CorrelatorState, target: TrackedAlert, incident_id: str, now: datetime) -> bool:
    if target.suppressed or target.incident_id == incident_id:
        return False
    return now < state.incidents[target.incident_id].notify_after


def _moved(
    target: TrackedAlert,
    source: Alert,
    incident_id: str,
    index: int,
    now: datetime,
    policy: CorrelationPolicy,
) -> AlertGrouped:
    rule = policy.inhibit_rules[index]
    equal = f", equal on {', '.join(rule.equal)}" if rule.equal else ""
    reason = (
        f"{target.alert.alertname} moved from {target.incident_id} before its first page:"
        f" a suppressed symptom of {source.alertname} ({source.fingerprint}){equal}"
    )
    return moved_muted(target, incident_id, index, source.fingerprint, now, policy, reason)


def moved_muted(
    target: TrackedAlert,
    incident_id: str,
    index: int,
    source_fingerprint: str,
    now: datetime,
    policy: CorrelationPolicy,
    reason: str,
) -> AlertGrouped:
    """A suppressed symptom leaving its incident for `incident_id`, still muted there by the
    source under `inhibit_rules[index]`."""
    return AlertGrouped(
        incident_id=incident_id,
        alert=target.alert.to_alert(),
        decision="inhibited",
        at=now,
        rule=f"inhibit_rules[{index}]",
        ruleset_version=policy.version,
        reason=reason,
        resources=list(target.resources),
        source_fingerprint=source_fingerprint,
        moved_from=target.incident_id,
    )


def _withdrawn(
    state: CorrelatorState,
    left: dict[str, int],
    moved: Decided,
    now: datetime,
    policy: CorrelationPolicy,
) -> Decided:
    withdrawn: Decided = []
    for home_id, count in left.items():
        home = state.incidents[home_id]
        if count < len(home.fingerprints):
            continue
        into = next(e for e in moved if isinstance(e, AlertGrouped) and e.moved_from == home_id)
        reason = (
            f"withdrawn before its first page (due {home.notify_after.isoformat()}):"
            f" all its alerts are suppressed symptoms in {into.incident_id}"
        )
        withdrawn.append(
            IncidentResolved(
                incident_id=home_id,
                resolved_at=now,
                rule=into.rule,
                ruleset_version=policy.version,
                reason=reason,
                domain=home.domain,
            )
        )
    return withdrawn
