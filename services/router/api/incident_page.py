"""The incident page a notification's "Open incident" link shows: read-only, from the read
model, in the order a person paged reads it — status, what is affected, the alerts (firing
ones first, business first), then the timeline with every decision's reason. Its acknowledge
and resolve links are signed like the page's own, with the same expiry and recipient, and
lead to their confirmation forms."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from fastapi.responses import HTMLResponse

from services.router.api.link_pages import html_page
from services.router.projection.model import AlertRow, IncidentView, TimelineEntry

# Given an action: the signed path of its link (see `links.link_path`).
SignedPath = Callable[[str], str]

_LAYER_ORDER = {"business": 0, "application": 1, "infrastructure": 2}
_TIME = "%Y-%m-%d %H:%M:%S UTC"


def incident_page(view: IncidentView, signed: SignedPath) -> HTMLResponse:
    body = (
        f"<h1>[{escape(view.priority)}] {escape(view.title)}</h1>"
        f"{_status(view)}{_actions(view, signed)}{_alerts(view)}{_timeline(view)}"
    )
    return html_page(f"{view.incident_id}: {view.title}", body, 200)


def _status(view: IncidentView) -> str:
    facts = [view.incident_id, view.status, f"opened {view.opened_at.strftime(_TIME)}"]
    if view.flapping:
        facts.append("flapping")
    if view.acknowledged_at is not None:
        facts.append(f"acknowledged by {view.acknowledged_by or '?'}")
    if view.snoozed_until is not None and view.status == "snoozed":
        facts.append(f"snoozed until {view.snoozed_until.strftime(_TIME)}")
    if view.resolved_at is not None:
        facts.append(f"resolved {view.resolved_at.strftime(_TIME)} by {view.resolved_by or '?'}")
    for role, name in (("assignee", view.assignee), ("commander", view.commander)):
        if name:
            facts.append(f"{role} {name}")
    lines = f"<p class=muted>{escape(' · '.join(facts))}</p>"
    if view.services:
        lines += f"<p><strong>Affected:</strong> {escape(', '.join(view.services))}</p>"
    if view.probable_cause:
        lines += f"<p><strong>Probable cause:</strong> {escape(view.probable_cause)}</p>"
    return lines


def _actions(view: IncidentView, signed: SignedPath) -> str:
    # What the commands accept: a snoozed incident may be acknowledged too.
    acknowledgeable = view.status in ("triggered", "snoozed")
    actions = [("acknowledge", "Acknowledge")] if acknowledgeable else []
    if view.status != "resolved":
        actions.append(("resolve", "Resolve"))
    links = " · ".join(
        f'<a href="{escape(signed(action))}">{label}</a>' for action, label in actions
    )
    return f"<p>{links}</p>" if links else ""


def _alerts(view: IncidentView) -> str:
    rows = sorted(view.alerts.values(), key=_alert_order)
    cells = "".join(_alert_row(alert) for alert in rows)
    head = "<tr><th>alert</th><th>state</th><th>severity</th><th>layer</th><th>service</th>"
    head += "<th>summary</th><th>seen</th></tr>"
    return f"<h2>Alerts ({len(rows)})</h2><table>{head}{cells}</table>"


def _alert_order(alert: AlertRow) -> tuple[bool, int, str]:
    return (not alert.firing, _LAYER_ORDER.get(alert.layer, 3), alert.alertname)


def _alert_row(alert: AlertRow) -> str:
    state = "firing" if alert.firing else "resolved"
    if alert.decision == "moved":
        state = "moved to another incident (see the timeline)"
    elif alert.decision == "inhibited":
        state += " (suppressed)"
    cells = (
        alert.alertname,
        state,
        alert.severity,
        alert.layer,
        alert.service or "",
        alert.summary,
        f"{alert.notifications} times, last {alert.last_received_at.strftime(_TIME)}",
    )
    shown = [f"<td>{escape(cell)}</td>" for cell in cells]
    if alert.runbook_url:  # an http(s) link (`runbook_of`): safe in an href once escaped
        shown[0] = (
            f'<td>{escape(alert.alertname)} <a href="{escape(alert.runbook_url)}">runbook</a></td>'
        )
    return "<tr>" + "".join(shown) + "</tr>"


def _timeline(view: IncidentView) -> str:
    omitted = f"<p class=muted>{view.omitted} more entries not kept.</p>" if view.omitted else ""
    if view.compacted:
        omitted += "<p class=muted>Resolved long ago: only its summary is kept.</p>"
    rows = "".join(_timeline_row(entry) for entry in view.ordered_timeline())
    return f"<h2>Timeline</h2>{omitted}<table>{rows}</table>"


def _timeline_row(entry: TimelineEntry) -> str:
    who = f" — {entry.actor}" if entry.actor else ""
    return (
        f"<tr><td>{escape(entry.at.strftime(_TIME))}</td>"
        f"<td>{escape(entry.summary + who)}</td></tr>"
    )
