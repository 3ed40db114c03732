"""A resolved alert of an open incident fires again: back in its incident, muted or not.

Alertmanager mutes a target only while a source fires, and looks at inhibition afresh every
time it notifies. So whether the alert is a suppressed symptom is decided again on the sources
firing now, not taken from its last occurrence (inhibition as in `suppression`):

- a source in its own incident mutes it: it fires there again as a suppressed symptom,
  `AlertGrouped(decision="inhibited")` naming the rule and the source;
- a source in another incident mutes it: it moves there as a suppressed symptom
  (`moved_from` naming the incident it leaves);
- nothing mutes it, and it was a suppressed symptom: it is released as when its source
  resolves (`release.released`): correlated afresh anywhere but its incident, or staying
  there unsuppressed when that is its route group's incident;
- nothing mutes it, and it was not muted: it fires there again, `AlertGrouped("grouped")`,
  raising the incident's priority if it fires worse than before (a PagerDuty trigger of the
  same dedup key, now critical).

Firing again in the same incident is a flap (`flapping.flapped`). An incident left with no
alerts at all is withdrawn.
"""

from __future__ import annotations

from datetime import datetime

from services.correlator.domain import trusted
from services.correlator.domain.arrival import Decided
from services.correlator.domain.flapping import flapped
from services.correlator.domain.impact import priority_change
from services.correlator.domain.release import released
from services.correlator.domain.resolution import resolved
from services.correlator.domain.rules import CorrelationPolicy
from services.correlator.domain.state import CorrelatorState, Incident, TrackedAlert
from services.correlator.domain.suppression import inhibited_reason, inhibitor
from shared.alerts import Alert
from shared.events.incidents import AlertGrouped, IncidentOpened


def fired_again(
    state: CorrelatorState,
    tracked: TrackedAlert,
    alert: Alert,
    now: datetime,
    policy: CorrelationPolicy,
    domain: str,
) -> Decided:
    """`tracked`, resolved in an open incident, fires again as `alert`. Not folded."""
    incident = state.incidents[tracked.incident_id]
    home = incident.incident_id
    again = f"{alert.alertname} fired again while {home} is open"
    found = inhibitor(state, alert.labels, domain, policy, home)
    if found is None and tracked.suppressed:
        unmuted = "it fired again and no firing alert inhibits it any more"
        decided = released(state, tracked, alert, home, now, policy, unmuted)
        if _stays(decided, home):
            return decided + flapped(tracked, incident, alert, now, policy)
        return decided + _withdrawn(incident, decided, alert, now, policy)
    if found is None:
        resources = list(tracked.resources)
        grouped = trusted.grouped(
            home, alert, "grouped", now, "dedup", policy.version, again, resources
        )
        raised = priority_change(incident, alert, tracked.resources, now, policy)
        return [grouped, *raised, *flapped(tracked, incident, alert, now, policy)]
    index, source = found
    muted = AlertGrouped(
        incident_id=source.incident_id,
        alert=alert,
        decision="inhibited",
        at=now,
        rule=f"inhibit_rules[{index}]",
        ruleset_version=policy.version,
        reason=f"{again}: {inhibited_reason(alert, source, policy.inhibit_rules[index])}",
        resources=list(tracked.resources),
        source_fingerprint=source.fingerprint,
        moved_from=None if source.incident_id == home else home,
    )
    if muted.moved_from is None:
        return [muted, *flapped(tracked, incident, alert, now, policy)]
    return [muted, *_withdrawn(incident, [muted], alert, now, policy)]


def _stays(decided: Decided, home: str) -> bool:
    return _landing(decided).incident_id == home


def _landing(decided: Decided) -> IncidentOpened | AlertGrouped:
    """Where a released alert went: the incident it joined or opened (after the holds of its
    group that ended, if any)."""
    return next(e for e in decided if isinstance(e, IncidentOpened | AlertGrouped))


def _withdrawn(
    incident: Incident, decided: Decided, alert: Alert, now: datetime, policy: CorrelationPolicy
) -> Decided:
    """The incident the alert left, when it was its only alert."""
    if incident.fingerprints != {alert.fingerprint}:
        return []
    first = _landing(decided)
    reason = f"withdrawn: all its alerts moved to {first.incident_id}"
    return [resolved(incident, now, policy, reason, first.rule)]
