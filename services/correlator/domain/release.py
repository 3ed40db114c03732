"""Suppressed symptoms whose source stopped muting them where they are.

Alertmanager mutes a target only while a firing source inhibits it. A suppressed symptom sits
in its source's incident; when that source resolves, or moves to another incident, each of
its symptoms there is looked at again, on the state the decisions left:

- another firing alert of the same incident still inhibits it: it stays;
- a firing alert of another incident inhibits it (the source it follows moved there): it
  follows, `AlertGrouped(decision="inhibited", moved_from=...)`;
- nothing inhibits it any more: it is **released** and correlated afresh, anywhere but the
  incident it leaves (topology, its route group, or an incident of its own, paged as any
  other; thresholds do not hold it, it fired long enough), `moved_from` naming that incident;
  unless that incident is its own route group's: it stays there, no longer suppressed.

A new rule set (`RulesetApplied`) looks again at every suppressed symptom, the same way: one
that no rule of it mutes any more is released, the reason naming the rule set.

An incident left with no alerts at all is withdrawn. `step` runs this after folding an
input's decisions, as it runs a missed heartbeat's alert: a decision of the same input.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from services.correlator.domain import trusted
from services.correlator.domain.arrival import Decided, arrival_of
from services.correlator.domain.correlate import join_connected, join_group
from services.correlator.domain.evolve import evolve
from services.correlator.domain.holds import hold_or_open
from services.correlator.domain.impact import after_join
from services.correlator.domain.inhibit_index import equal_values
from services.correlator.domain.resolution import resolved
from services.correlator.domain.rules import CorrelationPolicy
from services.correlator.domain.state import CorrelatorState, TrackedAlert
from services.correlator.domain.suppression import inhibitor, moved_muted
from shared.alertmanager.matchers import matches_all
from shared.alerts import Alert
from shared.events.incidents import AlertGrouped, AlertResolved, RulesetApplied

# (the alert that stopped muting its symptoms there, the incident they are in)
_Left = tuple[str, str]


def rehome(
    state: CorrelatorState, decided: Decided, now: datetime, policy: CorrelationPolicy
) -> Decided:
    """Decide and fold what becomes of the symptoms that `decided` (folded already) left
    without their source, or, when it applied a rule set, of every suppressed symptom;
    returns those decisions, folded."""
    applied = next((e for e in decided if isinstance(e, RulesetApplied)), None)
    if applied is None and not policy.inhibit_rules:
        return []
    pending = list(_sources_gone(decided))
    looked = _all_symptoms(state) if applied is not None else []
    homes = dict.fromkeys([home for _, home in pending] + [s.incident_id for s in looked])
    done: Decided = []
    while pending or looked:
        if not looked:
            fingerprint, home = pending.pop(0)
            looked = _symptoms(state, fingerprint, home, policy)
            continue
        symptom = looked.pop(0)
        home = symptom.incident_id
        if not (symptom.suppressed and symptom.firing):
            continue  # rehomed already, in a chain
        event = _rehomed(state, symptom, home, now, policy, applied)
        if not event:
            continue
        for decision in event:
            evolve(state, decision, policy)
        done += event
        pending.append((symptom.fingerprint, home))
    return done + _withdrawn(state, list(homes), done, now, policy)


def _all_symptoms(state: CorrelatorState) -> list[TrackedAlert]:
    """Every firing suppressed symptom: a new rule set may mute it no longer."""
    muted = (t for t in state.alerts.values() if t.suppressed and t.firing)
    return sorted(muted, key=lambda tracked: tracked.fingerprint)


def _sources_gone(decided: Decided) -> Iterator[_Left]:
    for event in decided:
        if isinstance(event, AlertResolved):
            yield event.fingerprint, event.incident_id
        elif isinstance(event, AlertGrouped) and event.moved_from is not None:
            yield event.alert.fingerprint, event.moved_from


def _symptoms(
    state: CorrelatorState, fingerprint: str, home: str, policy: CorrelationPolicy
) -> list[TrackedAlert]:
    """The firing, suppressed alerts of `home` that the alert may have muted (by the index)."""
    source = state.alerts.get(fingerprint)
    incident = state.incidents.get(home)
    if source is None or incident is None:
        return []
    labels = source.alert.labels
    found: dict[str, TrackedAlert] = {}
    for index, rule in enumerate(policy.inhibit_rules):
        if not matches_all(rule.source_matchers, labels):
            continue
        key = (index, incident.domain, equal_values(rule.equal, labels))
        for target in state.inhibit_targets.get(key, {}):
            tracked = state.alerts[target]
            if tracked.suppressed and tracked.firing and tracked.incident_id == home:
                found[target] = tracked
    return [found[fp] for fp in sorted(found)]


def _rehomed(
    state: CorrelatorState,
    symptom: TrackedAlert,
    home: str,
    now: datetime,
    policy: CorrelationPolicy,
    applied: RulesetApplied | None,
) -> Decided:
    """`applied`: the rule set just applied, when that is why the symptom is looked at."""
    domain = state.incidents[home].domain
    muted = inhibitor(state, symptom.alert.labels, domain, policy, home)
    under = "" if applied is None else f" under rule set {applied.version}"
    if muted is not None:
        index, source = muted
        if source.incident_id == home:
            return []  # another alert of its incident still mutes it
        reason = (
            f"{symptom.alert.alertname} follows {source.alert.alertname} ({source.fingerprint})"
            f" from {home} to {source.incident_id}: still a suppressed symptom of it{under}"
        )
        # `home` is where the symptom is tracked: the incident it leaves.
        return [
            moved_muted(symptom, source.incident_id, index, source.fingerprint, now, policy, reason)
        ]
    unmuted = "no firing alert inhibits it any more"
    if applied is not None:
        replaced = applied.previous_version
        unmuted = f"no firing alert inhibits it{under}, which replaces {replaced}"
    return released(state, symptom, symptom.alert.to_alert(), home, now, policy, unmuted)


def released(
    state: CorrelatorState,
    symptom: TrackedAlert,
    alert: Alert,
    home: str,
    now: datetime,
    policy: CorrelationPolicy,
    unmuted: str,
) -> Decided:
    """The suppressed symptom in `home`, firing as `alert`, that nothing mutes any more
    (`unmuted` says why): correlated afresh anywhere but `home`, unless `home` is its route
    group's incident, where it stays, no longer suppressed. Not folded."""
    name = symptom.alert.alertname
    why = f"{name} released from {home}: {unmuted}, so it is paged on its own; "
    incident = state.incidents[home]
    arrival = arrival_of(alert, now, policy, incident.domain, home, why)
    if state.open_by_group.get(arrival.group) == home:  # a group has one incident
        key = arrival.grouping.group_key
        why = (
            f"{name} released in {home}: {unmuted}; it stays there, the incident of its group {key}"
        )
        resources = list(symptom.resources)
        stays = trusted.grouped(
            home, alert, "grouped", now, arrival.grouping.rule, policy.version, why, resources
        )
        return [stays, *after_join(state, incident, alert, symptom.resources, now, policy)]
    joined = join_connected(state, arrival) or join_group(state, arrival)
    if joined:
        first = joined[0]
        assert isinstance(first, AlertGrouped)
        moved = AlertGrouped(
            incident_id=first.incident_id,
            alert=first.alert,
            decision=first.decision,
            at=first.at,
            rule=first.rule,
            ruleset_version=first.ruleset_version,
            reason=first.reason,
            resources=first.resources,
            moved_from=home,
            receivers=first.receivers,
        )
        return [moved, *joined[1:]]
    return hold_or_open(state, arrival, hold=False)


def _withdrawn(
    state: CorrelatorState,
    homes: list[str],
    moved: Decided,
    now: datetime,
    policy: CorrelationPolicy,
) -> Decided:
    """Incidents all of whose alerts went elsewhere."""
    withdrawn: Decided = []
    for home in homes:
        incident = state.incidents.get(home)
        if incident is None or incident.fingerprints:
            continue
        left = [e for e in moved if isinstance(e, AlertGrouped) and e.moved_from == home]
        into = sorted({e.incident_id for e in left})
        reason = f"withdrawn: all its alerts moved to {', '.join(into) or 'other incidents'}"
        if now < incident.notify_after:
            reason += f", before its first page (due {incident.notify_after.isoformat()})"
        rule = left[-1].rule if left else "inhibit_rules"
        event = resolved(incident, now, policy, reason, rule)
        evolve(state, event, policy)
        withdrawn.append(event)
    return withdrawn
