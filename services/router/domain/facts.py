"""What a page says about an incident, kept up to date from the correlator's events."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Final

from shared.events import AlertGrouped, IncidentOpened, IncidentPriorityChanged
from shared.events.base import Event
from shared.events.incidents import IncidentFlapping, IncidentProbableCauseChanged

# Annotations that name what to do about an alert: Prometheus rules (kube-prometheus's
# `runbook_url`) and Grafana's alert rules set them.
RUNBOOK_ANNOTATIONS: Final = ("runbook_url", "runbook")
# A link a page may carry: absolute http(s), nothing a reader would not see in it.
_LINK: Final = re.compile(r"https?://[^\s\x00-\x1f\x7f<>\"|]+", re.IGNORECASE)


def runbook_of(annotations: dict[str, str]) -> str | None:
    """The alert's runbook link, when its annotations hold one that is a plain web link."""
    for key in RUNBOOK_ANNOTATIONS:
        value = annotations.get(key, "").strip()
        if _LINK.fullmatch(value):
            return value
    return None


def _alert_line(alert: Any) -> dict[str, Any]:
    return {
        "alertname": alert.alertname,
        "severity": str(alert.severity),
        "layer": str(alert.layer),
        "summary": alert.summary,
        "service": alert.service,
        "runbook_url": runbook_of(alert.annotations),
    }


def facts_from_opened(event: IncidentOpened) -> dict[str, Any]:
    alert = event.alert
    return {
        "incident_id": event.incident_id,
        "incident_title": event.title,
        "priority": event.priority,
        "opened_at": event.opened_at.isoformat(),
        "first_alert_at": alert.starts_at.isoformat(),
        "alert_count": 1,
        "affected_services": [alert.service] if alert.service else [],
        "probable_cause": f"{alert.alertname} ({alert.layer})",
        "top_alerts": [_alert_line(alert)],
        "layers": [str(alert.layer)],
        "impact": _impact(alert),
    }


def _impact(alert: Any) -> str:
    """Business-layer alerts state the impact; other layers leave it to the summary."""
    if str(alert.layer) != "business":
        return ""
    return str(alert.summary or alert.alertname)


def updated_facts(facts: dict[str, Any], event: Event) -> dict[str, Any]:
    updated = dict(facts)
    if isinstance(event, IncidentPriorityChanged):
        updated["priority"] = event.priority
    elif isinstance(event, IncidentProbableCauseChanged):
        where = f" on {event.resource}" if event.resource else ""
        updated["probable_cause"] = f"{event.alertname}{where}: {event.reason}"
    elif isinstance(event, IncidentFlapping):
        updated["flapping"] = (
            f"an alert of it resolved and fired again {event.flaps} times"
            f" within {_span(event.within)}"
        )
    elif isinstance(event, AlertGrouped) and event.decision == "grouped":
        alert = event.alert
        updated["alert_count"] = facts["alert_count"] + 1
        if alert.service and alert.service not in facts["affected_services"]:
            updated["affected_services"] = [*facts["affected_services"], alert.service]
        if len(facts["top_alerts"]) < 5:
            updated["top_alerts"] = [*facts["top_alerts"], _alert_line(alert)]
        if str(alert.layer) not in facts["layers"]:
            updated["layers"] = [*facts["layers"], str(alert.layer)]
        if not facts["impact"]:
            updated["impact"] = _impact(alert)
    return updated


def _span(duration: timedelta) -> str:
    seconds = int(duration.total_seconds())
    return f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} s"
