"""Opening an incident: for one alert, or for the alerts a threshold held until now."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from services.correlator.domain.arrival import Arrival, Decided
from services.correlator.domain.explain import left_because, span
from services.correlator.domain.priority import priority_of
from services.correlator.domain.rules import HEARTBEAT_ALERTNAME, LifecycleRule
from services.correlator.domain.topology import describe
from shared.alerts import Alert
from shared.events.incidents import AlertGrouped, IncidentOpened


def incident_id_for(domain: str, group_key: str, opened_at: datetime, fingerprint: str) -> str:
    natural = f"{domain}|{group_key}|{opened_at.isoformat()}|{fingerprint}"
    return "INC-" + hashlib.blake2b(natural.encode(), digest_size=5).hexdigest()


def open_incident(
    arrival: Arrival, lifecycle: LifecycleRule, held: Sequence[Alert] = (), why: str = ""
) -> Decided:
    """IncidentOpened for the likeliest cause among the alerts, AlertGrouped for the others.

    `held`: alerts of the group held below a threshold, which join the incident; `why`: the
    threshold this arrival completed (empty when the group opens for another reason).
    """
    topology = arrival.policy.topology
    # On equal rank the oldest held alert opens a threshold's incident, else the arrival.
    members = [*held, arrival.alert] if why else [arrival.alert, *held]
    resources = {a.fingerprint: topology.resources_of(a) for a in held}
    resources[arrival.alert.fingerprint] = arrival.resources
    opener = min(members, key=lambda a: topology.rank(a.layer, resources[a.fingerprint]))
    incident_id = incident_id_for(
        arrival.domain, arrival.grouping.group_key, arrival.now, opener.fingerprint
    )
    named = {resource for found in resources.values() for resource in found}
    opened = IncidentOpened(
        incident_id=incident_id,
        domain=arrival.domain,
        title=_title(opener, _subject(opener, resources[opener.fingerprint], arrival)),
        priority=priority_of(members, [r[8:] for r in named if r.startswith("service:")]),
        receivers=list(arrival.grouping.receivers),
        group_key=arrival.grouping.group_key,
        opened_at=arrival.now,
        notify_after=_first_page_due(arrival, members),
        alert=opener,
        rule=_threshold_rule(lifecycle) if why else arrival.grouping.rule,
        ruleset_version=arrival.policy.version,
        reason=why or _reason(arrival, incident_id),
        resources=list(resources[opener.fingerprint]),
        resolve_policy=lifecycle.resolve_policy,
        resolve_grace=lifecycle.resolve_grace,
        moved_from=(arrival.leaving or None) if opener is arrival.alert else None,
    )
    others = [a for a in members if a is not opener]
    return [opened, *_released(arrival, lifecycle, incident_id, others, resources, why)]


def _first_page_due(arrival: Arrival, members: Sequence[Alert]) -> datetime:
    """After the group wait, so that alerts arriving meanwhile join first; at once when an
    alert of it started longer than the wait ago, as Alertmanager flushes a new group (an
    alert Alertmanager forwards has waited its group_wait there already)."""
    wait = arrival.grouping.group_wait
    if any(alert.starts_at + wait < arrival.now for alert in members):
        return arrival.now
    return arrival.now + wait


def _released(
    arrival: Arrival,
    lifecycle: LifecycleRule,
    incident_id: str,
    alerts: Sequence[Alert],
    resources: dict[str, tuple[str, ...]],
    why: str,
) -> Decided:
    """The other alerts of the group join the incident they opened together. Among them the
    arrival, when an alert held there ranks first: it names the incident it leaves, if any
    (a released symptom, a recurring alert), as it would had it opened the incident."""
    group = arrival.grouping.group_key
    if why:
        rule = _threshold_rule(lifecycle)
        reason = f"held until the threshold of rule {lifecycle.name} was reached: {why}"
    else:
        rule = arrival.grouping.rule
        reason = f"held below a threshold, joins the incident its group {group} opened"
    arrived = (
        f"{left_because(arrival)}{arrival.alert.alertname} joins {incident_id}, which it opens"
        f" for group {group} with the alerts held there" + (f": {why}" if why else "")
    )
    return [
        AlertGrouped(
            incident_id=incident_id,
            alert=alert,
            decision="grouped",
            at=arrival.now,
            rule=rule,
            ruleset_version=arrival.policy.version,
            reason=arrived if alert is arrival.alert else reason,
            resources=list(resources[alert.fingerprint]),
            moved_from=(arrival.leaving or None) if alert is arrival.alert else None,
        )
        for alert in alerts
    ]


def _threshold_rule(lifecycle: LifecycleRule) -> str:
    return f"correlation.rules[{lifecycle.name}].threshold"


def _title(alert: Alert, subject: str) -> str:
    """`NodeDown on node-7`; a name that already says where (a PagerDuty summary often
    does), or a subject that is no more than an empty domain (`region=`), stands alone."""
    name = alert.alertname
    empty_domain = all(part.endswith("=") for part in subject.split(","))
    if empty_domain or subject in name.split():
        return name
    return f"{name} on {subject}"


def _subject(alert: Alert, resources: Sequence[str], arrival: Arrival) -> str:
    if alert.alertname == HEARTBEAT_ALERTNAME:  # what went silent, not where it runs
        return alert.labels.get("heartbeat") or arrival.domain
    primary = arrival.policy.topology.primary(alert.layer, resources)
    if primary is not None:
        return primary.partition(":")[2]
    labels = alert.labels
    # PagerDuty's `source` and Opsgenie's `entity` say where, as `instance` does.
    where = labels.get("instance") or labels.get("host") or labels.get("entity")
    return alert.service or where or labels.get("source") or arrival.domain


def _reason(arrival: Arrival, incident_id: str) -> str:
    alone = f"no open incident for group {arrival.grouping.group_key}"
    independent = arrival.policy.topology.independent_entry(arrival.alert.labels)
    if independent:
        alone += (
            f", and it matches topology.independent {independent}: no other fault causes it,"
            " so the topology groups it with none"
        )
    elif arrival.resources:
        named = ", ".join(describe(r) for r in arrival.resources)
        window = span(arrival.policy.topology.window)
        alone += f" and none on a resource connected to {named} within {window}"
    alert = arrival.alert
    why = f"{alert.summary}; " if alert.alertname == HEARTBEAT_ALERTNAME else ""  # what it missed
    return f"{left_because(arrival)}{why}{alone}: {alert.alertname} opens {incident_id}"
