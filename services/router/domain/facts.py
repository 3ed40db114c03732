"""What a page says about an incident, kept up to date from the correlator's events."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Set as AbstractSet
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
# Alerts a page lists: the business ones first, then the probable cause, then the earliest.
LISTED_ALERTS: Final = 5
# Facts that only choose the listed alerts: never on a page.
_CHOOSING: Final = ("cause_fingerprint", "newest_unlisted")


# Longer links are not shown: a page has room for a few alerts, not for a link of pages.
RUNBOOK_URL_MAX: Final = 2000
# What RFC 3986 allows in a URI as it is; anything else (non-ASCII, `{}`, `^`, a backtick)
# is percent-encoded, so the link is a valid `uri` in the webhook's schema and in Slack's
# `<url|label>` syntax. `%` stays: a link already encoded is not encoded twice.
_URI_SAFE: Final = ":/?#[]@!$&'()*+,;=%~"


def runbook_of(annotations: dict[str, str]) -> str | None:
    """The alert's runbook link, when its annotations hold one that is a plain web link."""
    for key in RUNBOOK_ANNOTATIONS:
        value = annotations.get(key, "").strip()
        if _LINK.fullmatch(value):
            link = urllib.parse.quote(value, safe=_URI_SAFE)
            return link if len(link) <= RUNBOOK_URL_MAX else None
    return None


def _alert_line(alert: Any) -> dict[str, Any]:
    return {
        "alertname": alert.alertname,
        "severity": str(alert.severity),
        "layer": str(alert.layer),
        "summary": alert.summary,
        "service": alert.service,
        "runbook_url": runbook_of(alert.annotations),
        "fingerprint": alert.fingerprint,  # which alert it is: not on the page
    }


def page_facts(facts: dict[str, Any]) -> dict[str, Any]:
    """What a page says of the incident: the facts but those choosing its alerts."""
    shown = {key: value for key, value in facts.items() if key not in _CHOOSING}
    if "top_alerts" in facts:
        shown["top_alerts"] = [
            {key: value for key, value in line.items() if key != "fingerprint"}
            for line in facts["top_alerts"]
        ]
    return shown


def _listed(lines: list[dict[str, Any]], cause: str | None) -> list[dict[str, Any]]:
    """The lines a page lists, at most LISTED_ALERTS, kept in the order their alerts joined:
    business alerts first, then the probable cause, then the earliest others."""

    def rank(index: int) -> tuple[bool, bool, int]:
        line = lines[index]
        return (line["layer"] != "business", line.get("fingerprint") != cause, index)

    return [lines[index] for index in sorted(sorted(range(len(lines)), key=rank)[:LISTED_ALERTS])]


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
        "cause_fingerprint": alert.fingerprint,
        # The alert that joined last when it was not listed: it may be named the probable cause
        # next (the correlator decides that right after it joins).
        "newest_unlisted": None,
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
        updated["cause_fingerprint"] = event.fingerprint
        newest = facts.get("newest_unlisted")
        if newest is not None and newest["fingerprint"] == event.fingerprint:
            updated["top_alerts"] = _listed([*facts["top_alerts"], newest], event.fingerprint)
            updated["newest_unlisted"] = None
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
        line = _alert_line(alert)
        listed = _listed([*facts["top_alerts"], line], facts.get("cause_fingerprint"))
        updated["top_alerts"] = listed
        updated["newest_unlisted"] = None if line in listed else line
        if str(alert.layer) not in facts["layers"]:
            updated["layers"] = [*facts["layers"], str(alert.layer)]
        if not facts["impact"]:
            updated["impact"] = _impact(alert)
    return updated


def with_resolved(facts: dict[str, Any], resolved: AbstractSet[str]) -> dict[str, Any]:
    """The facts with the alerts of `resolved` (fingerprints) marked as no longer firing on
    the lines listed, and counted: a page sent minutes after the incident opened must not show
    an alert that stopped as if it still fired."""
    lines = [
        {**line, "resolved": line.get("fingerprint") in resolved}
        for line in facts.get("top_alerts", [])
    ]
    return {**facts, "top_alerts": lines, "resolved_count": len(resolved)}


def _span(duration: timedelta) -> str:
    seconds = int(duration.total_seconds())
    return f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} s"
