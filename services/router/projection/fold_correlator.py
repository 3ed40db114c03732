"""Folding the correlator's decisions into an incident view, each with its reason."""

from __future__ import annotations

from services.router.domain.facts import runbook_of
from services.router.projection.model import (
    AlertRow,
    IncidentView,
    RecordMeta,
    TimelineEntry,
    Verdict,
)
from shared.alerts import Alert
from shared.events import (
    AlertGrouped,
    AlertResolved,
    IncidentAcknowledged,
    IncidentOpened,
    IncidentPriorityChanged,
    IncidentResolved,
)
from shared.events.base import Event
from shared.events.incidents import (
    Decision,
    IncidentFlapping,
    IncidentProbableCauseChanged,
    InputDropped,
)


def opened_view(event: IncidentOpened, meta: RecordMeta) -> IncidentView:
    view = IncidentView(
        incident_id=event.incident_id,
        domain=event.domain,
        title=event.title,
        priority=event.priority,
        opened_at=event.opened_at,
        group_key=event.group_key,
        rule=event.rule,
        receivers=list(event.receivers),
    )
    view.seen.add(meta.event_id)
    view.probable_cause = f"{event.alert.alertname} ({event.alert.layer})"
    view.probable_cause_reason = "the alert that opened the incident"
    _attach(view, event.alert, "opened")
    summary = f"opened by {event.rule}: {event.reason}"
    view.record(_decision_entry(event, meta, summary, alert=_alert_details(event.alert)))
    return view


def apply_correlator(view: IncidentView, event: Event, meta: RecordMeta) -> bool:
    """Fold `event` if it is one of the correlator's; False when it is not."""
    match event:
        case AlertGrouped(alert=alert, decision=decision):
            _attach(view, alert, decision)
            view.receivers += [r for r in event.receivers if r not in view.receivers]
            summary = f"{alert.alertname} {decision}: {event.reason}"
            view.record(_decision_entry(event, meta, summary, alert=_alert_details(alert)))
        case AlertResolved(fingerprint=fingerprint):
            row = view.alerts.get(fingerprint)
            if row is not None:
                row.firing = False
            name = row.alertname if row is not None else fingerprint
            view.record(_decision_entry(event, meta, f"{name} stopped firing: {event.reason}"))
        case IncidentPriorityChanged(priority=priority):
            view.priority = priority
            view.record(_decision_entry(event, meta, f"priority {priority}: {event.reason}"))
        case IncidentResolved(resolved_at=at, by=by):
            view.status, view.resolved_at, view.resolved_by = "resolved", at, by
            view.alerts_resolved_at = event.alerts_resolved_at
            if event.command_id is not None:  # a retry of the command is answered as applied
                view.verdicts.setdefault(event.command_id, Verdict(True, "", at))
            view.snoozed_until = None
            who = f"resolved by {by}" if by else "resolved"
            summary = event.reason if event.reason == who else f"{who}: {event.reason}"
            view.record(_decision_entry(event, meta, summary, actor=by))
        case IncidentProbableCauseChanged(alertname=name, resource=resource, reason=reason):
            view.probable_cause = f"{name} on {resource}" if resource else name
            view.probable_cause_reason = reason
            view.record(_decision_entry(event, meta, reason))
        case IncidentFlapping(reason=reason):
            view.flapping = True
            view.record(_decision_entry(event, meta, reason))
        case IncidentAcknowledged(by=by, at=at):
            # One made before a reassignment or restart folded first no longer stands.
            if view.generation_at is None or at >= view.generation_at:
                view.acknowledged_by, view.acknowledged_at = by, at
                if view.status != "resolved":
                    view.status, view.snoozed_until = "acknowledged", None
            if view.first_acknowledged_at is None or at < view.first_acknowledged_at:
                view.first_acknowledged_at, view.first_acknowledged_by = at, by
            view.record(TimelineEntry(at, "IncidentAcknowledged", f"acknowledged by {by}", by))
        case InputDropped(input_type="ResolveIncident", command_id=str(command_id), at=at):
            # A resolve (the correlator's command) it could not apply: the API answers 409
            # with why, rather than 202 as if it were still to be decided.
            view.verdicts.setdefault(command_id, Verdict(False, event.reason, at))
            view.record(_decision_entry(event, meta, event.reason))
        case Decision(reason=reason):  # a decision this view has no special place for
            view.record(_decision_entry(event, meta, reason))
        case _:
            return False
    return True


def moved_out(view: IncidentView, alert: Alert, into: str, reason: str, meta: RecordMeta) -> None:
    """The alert left this incident for `into` (a decision recorded in `into`)."""
    row = view.alerts.get(alert.fingerprint)
    if row is not None:
        row.firing, row.decision = False, "moved"
    summary = f"{alert.alertname} moved to {into}: {reason}"
    view.record(TimelineEntry(meta.occurred_at, "AlertMoved", summary, None, {"into": into}))


def _attach(view: IncidentView, alert: Alert, decision: str) -> None:
    if alert.service and alert.service not in view.services:
        view.services.append(alert.service)
    row = view.alerts.get(alert.fingerprint)
    if row is None:
        view.alerts[alert.fingerprint] = AlertRow(
            fingerprint=alert.fingerprint,
            alertname=alert.alertname,
            severity=str(alert.severity),
            layer=str(alert.layer),
            service=alert.service,
            summary=alert.summary,
            labels=dict(alert.labels),
            first_received_at=alert.received_at,
            last_received_at=alert.received_at,
            decision=decision,
            runbook_url=runbook_of(alert.annotations),
        )
        return
    row.firing, row.decision = alert.status == "firing", decision
    row.last_received_at = alert.received_at
    row.notifications += 1
    row.runbook_url = runbook_of(alert.annotations) or row.runbook_url


def _alert_details(alert: Alert) -> dict[str, object]:
    return {
        "fingerprint": alert.fingerprint,
        "alertname": alert.alertname,
        "status": alert.status,
        "severity": str(alert.severity),
        "layer": str(alert.layer),
        "service": alert.service,
        "summary": alert.summary,
        "integration": alert.integration,
        "received_at": alert.received_at.isoformat(),
    }


def _decision_entry(
    event: Decision,
    meta: RecordMeta,
    summary: str,
    *,
    actor: str | None = None,
    alert: dict[str, object] | None = None,
) -> TimelineEntry:
    details: dict[str, object] = {
        "rule": event.rule,
        "ruleset_version": event.ruleset_version,
        "reason": event.reason,
    }
    if alert is not None:
        details["alert"] = alert
    return TimelineEntry(meta.occurred_at, type(event).__name__, summary, actor, details)
