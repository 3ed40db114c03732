"""Pure rendering of a page: text (SMS, console), email, Slack Block Kit and webhook JSON.

Every rendering keeps one reading order, chosen for someone woken at 3am: what is affected
and the business impact first, then the probable cause, then the alerts — business layer
first, then application, then infrastructure — then who is paged, then the links.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from services.router.channels.page import Page, PageAlert
from shared.alerts import SEVERITY_RANK, Layer

LAYER_ORDER: dict[Layer, int] = {Layer.BUSINESS: 0, Layer.APPLICATION: 1, Layer.INFRASTRUCTURE: 2}
_STATUS_TAG = {
    "triggered": "",
    "acknowledged": " ACKNOWLEDGED",
    "resolved": " RESOLVED",
    "escalated": " ESCALATED",
}
_ELLIPSIS = "…"
# Control characters, and the invisible ones that reorder or hide text: bidirectional
# embeddings, overrides and isolates (an unclosed U+202E shows the rest of a headline
# reversed), zero-width space, word joiners, the byte-order mark. Zero-width (non-)joiners
# stay: emoji sequences and Persian words need them.
_CONTROL = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u2069\ufeff\ufff9-\ufffb]"
)
# Block Kit limits (https://api.slack.com/reference/block-kit/blocks).
_SLACK_HEADER_MAX = 150
_SLACK_FIELD_MAX = 2000
_SLACK_SECTION_MAX = 3000
# Slack also refuses blocks whose text adds up past about 13,200 characters
# (`msg_blocks_too_long`, undocumented), so each fact gets half a field's limit: seven facts,
# the alert list and the context stay near 10,500. The top-level `text` (the phone's
# notification banner) is cut at the section limit: past 40,000 Slack cuts it itself.
_SLACK_FACT_MAX = 1000
_SLACK_CONTEXT_MAX = 500
# One alert's line in the alert list, so that a long summary leaves room for the others.
_SLACK_ALERT_MAX = 500
_SLACK_LINK_MAX = 2000
# Mail clients show a subject's first 40-80 characters; past a few hundred, some servers and
# gateways refuse or cut the message. The headline in full is the body's first line.
EMAIL_SUBJECT_MAX = 200


class _Line(NamedTuple):
    """One line of the text body. Lower `rank` survives longer when space is short."""

    rank: int
    text: str
    is_alert: bool = False


def headline(page: Page) -> str:
    """First line everywhere: "[P1] checkout conversion down — payments-api, node-7 affected"."""
    what = _one_line(page.impact) or _one_line(page.incident_title)
    line = f"{_tag(page)} {what}"
    if page.affected_services:
        line += f" — {_services(page)} affected"
    if page.status_by:
        line += f" — {page.status} by {_one_line(page.status_by)}"
    return line


def ordered_alerts(page: Page) -> list[PageAlert]:
    """Top alerts, business first, then application, then infrastructure; worst first."""
    return sorted(page.top_alerts, key=lambda a: (LAYER_ORDER[a.layer], SEVERITY_RANK[a.severity]))


def links(page: Page) -> list[tuple[str, str]]:
    """(label, url) of the actions that still make sense for the page's status."""
    actions: list[tuple[str, str]] = []
    if page.status in ("triggered", "escalated"):
        actions.append(("Acknowledge", page.ack_url))
    if page.status != "resolved":
        actions.append(("Resolve", page.resolve_url))
    actions.append(("Open incident", page.incident_url))
    return actions


def render_text(page: Page, limit: int | None = None) -> str:
    """Plain text for SMS and consoles. With `limit` (characters, >= 1) lines are dropped,
    least useful first: alert details; alert volume and who is paged; incident title and
    the resolve/open links; probable cause. The headline and the acknowledge link go last
    (acknowledging is what stops the escalation); the headline alone is cut with "…"."""
    lines = _text_lines(page)
    lines += [
        _Line(1 if label == "Acknowledge" else 3, f"{label}: {url}") for label, url in links(page)
    ]
    if limit is None:
        return _join(lines)
    return _fit(lines, limit)


def render_email(page: Page) -> tuple[str, str, str]:
    """(subject, plain-text body, HTML body). Every page-supplied string is HTML-escaped."""
    lines = _text_lines(page)
    parts = [f"<h2>{html.escape(lines[0].text)}</h2>"]
    parts += [f"<p>{html.escape(line.text)}</p>" for line in lines[1:] if not line.is_alert]
    items = [f"<li>{_alert_html(alert)}</li>" for alert in ordered_alerts(page)]
    if items:
        # The alert list goes just before "Paging …", the last body line.
        parts.insert(len(parts) - 1, f"<ul>{''.join(items)}</ul>")
    anchors = [
        f'<a href="{html.escape(url)}">{html.escape(label)}</a>' for label, url in links(page)
    ]
    parts.append(f"<p>{' | '.join(anchors)}</p>")
    body = "\n".join(parts)
    page_html = (
        f'<!DOCTYPE html>\n<html><body style="font-family: sans-serif">\n{body}\n</body></html>\n'
    )
    return _truncate(headline(page), EMAIL_SUBJECT_MAX), render_text(page) + "\n", page_html


def render_slack(page: Page) -> dict[str, Any]:
    """An incoming-webhook payload: header, key facts as fields, alerts, context, buttons."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": _plain(f"{_tag(page)} {_one_line(page.incident_title)}", _SLACK_HEADER_MAX),
        },
        {"type": "section", "fields": _slack_fields(page)},
    ]
    details = _slack_details(ordered_alerts(page))
    if details:
        blocks.append({"type": "section", "text": _mrkdwn(details, _SLACK_SECTION_MAX)})
    context = f"{_escalation_line(page)} · notification {page.notification_id}"
    blocks.append(
        {
            "type": "context",
            "elements": [_mrkdwn(_slack_cut(context, _SLACK_CONTEXT_MAX), _SLACK_FIELD_MAX)],
        }
    )
    blocks.append(
        {"type": "actions", "elements": [_button(label, url) for label, url in links(page)]}
    )
    # `text` is what phones show in the notification banner: lead with the headline.
    return {"text": _slack_cut(headline(page), _SLACK_SECTION_MAX), "blocks": blocks}


def render_slack_text(page: Page) -> dict[str, Any]:
    """The fallback when Slack refuses the blocks: the text rendering, links included,
    well within the length Slack shows without cutting."""
    return {"text": _slack_escape(render_text(page, limit=_SLACK_SECTION_MAX))}


def render_webhook(page: Page) -> dict[str, Any]:
    """The versioned webhook body; the contract is `webhook.WEBHOOK_SCHEMA_V1`."""
    return {
        "version": "1",
        "notification_id": page.notification_id,
        "test": page.test,
        "summary": headline(page),
        "incident": {
            "id": page.incident_id,
            "title": page.incident_title,
            "status": page.status,
            "status_by": page.status_by,
            "priority": page.priority,
            "impact": page.impact,
            "probable_cause": page.probable_cause,
            "flapping": page.flapping,
            "affected_services": list(page.affected_services),
            "alert_count": page.alert_count,
            "resolved_count": page.resolved_count,
            "layers": [str(layer) for layer in sorted(page.layers, key=LAYER_ORDER.__getitem__)],
            "first_alert_at": _iso(page.first_alert_at),
            "opened_at": _iso(page.opened_at),
        },
        "alerts": [alert.model_dump(mode="json") for alert in ordered_alerts(page)],
        "escalation": {
            "step": page.escalation_step,
            "repeat": page.escalation_repeat,
            "target": page.target,
            "reassigned": page.reassigned,
        },
        "links": {
            "incident": page.incident_url,
            "acknowledge": page.ack_url,
            "resolve": page.resolve_url,
        },
    }


def _tag(page: Page) -> str:
    return f"[{'TEST ' if page.test else ''}{page.priority}{_STATUS_TAG[page.status]}]"


def _text_lines(page: Page) -> list[_Line]:
    lines = [_Line(0, headline(page))]
    if _one_line(page.impact):
        lines.append(_Line(3, f"Incident: {_one_line(page.incident_title)}"))
    if page.probable_cause:
        lines.append(_Line(2, f"Probable cause: {_one_line(page.probable_cause)}"))
    if page.flapping:
        lines.append(_Line(3, f"Flapping: {_one_line(page.flapping)}"))
    lines.append(_Line(4, _volume_line(page)))
    lines += [_Line(5, _alert_text(alert), is_alert=True) for alert in ordered_alerts(page)]
    lines.append(_Line(4, _escalation_line(page)))
    return lines


def _volume_line(page: Page) -> str:
    noun = "alert" if page.alert_count == 1 else "alerts"
    layers = sorted(page.layers, key=LAYER_ORDER.__getitem__)
    across = f" across {', '.join(layers)}" if layers else ""
    resolved = _resolved(page)
    count = f"{page.alert_count} {noun}" + (f" ({resolved})" if resolved else "")
    return f"{count}{across} since {_clock(page.first_alert_at, page.time_zone)}"


def _resolved(page: Page) -> str:
    """How many of the alerts stopped firing ("2 resolved"), or nothing while all fire."""
    if not page.resolved_count:
        return ""
    return (
        "all resolved"
        if page.resolved_count >= page.alert_count
        else f"{page.resolved_count} resolved"
    )


def _alert_line(alert: PageAlert) -> str:
    service = _one_line(alert.service or "")
    state = "resolved" if alert.resolved else ""
    where = ", ".join(filter(None, [alert.severity, alert.layer, service, state]))
    summary = _one_line(alert.summary)
    return f"{_one_line(alert.alertname)} ({where})" + (f": {summary}" if summary else "")


def _alert_text(alert: PageAlert) -> str:
    runbook = f" — runbook: {alert.runbook_url}" if alert.runbook_url else ""
    return _alert_line(alert) + runbook


def _alert_html(alert: PageAlert) -> str:
    line = html.escape(_alert_line(alert))
    if not alert.runbook_url:
        return line
    return f'{line} — <a href="{html.escape(alert.runbook_url)}">runbook</a>'


def _alert_slack(alert: PageAlert) -> str:
    line = _slack_cut(_alert_line(alert), _SLACK_ALERT_MAX)
    link = _slack_escape(alert.runbook_url or "")
    if not link or len(link) > _SLACK_LINK_MAX:  # a link is whole or not at all
        return line
    return f"{line} · <{link}|runbook>"


def _slack_details(alerts: list[PageAlert]) -> str:
    """One line per alert, each cut on its own, and as many as the section holds: cutting the
    joined text could end inside a link's markup, and drop the alerts after it unsaid."""
    lines: list[str] = []
    length = -1  # of the lines joined so far (no newline before the first)
    for shown, alert in enumerate(alerts):
        line = f"• {_alert_slack(alert)}"
        rest = len(alerts) - shown - 1
        room = length + 1 + len(line) + (len(_more(rest)) + 1 if rest else 0)
        if room > _SLACK_SECTION_MAX:
            lines.append(_more(rest + 1))
            break
        lines.append(line)
        length += 1 + len(line)
    return "\n".join(lines)


def _more(hidden: int) -> str:
    return f"… {hidden} more not shown here: open the incident"


def _services(page: Page) -> str:
    return ", ".join(_one_line(service) for service in page.affected_services)


def _escalation_line(page: Page) -> str:
    if page.status in ("acknowledged", "resolved"):  # an update: nobody is being paged
        return f"Update for {page.target}, paged at step {page.escalation_step}"
    if page.reassigned:
        return f"Paging {page.target} (reassigned to them)"
    repeat = f", repeat {page.escalation_repeat}" if page.escalation_repeat else ""
    return f"Paging {page.target} (step {page.escalation_step}{repeat})"


def _fit(lines: list[_Line], limit: int) -> str:
    kept = list(lines)
    while len(kept) > 1 and len(_join(kept)) > limit:
        worst = max(line.rank for line in kept)
        del kept[max(i for i, line in enumerate(kept) if line.rank == worst)]
    return _truncate(_join(kept), limit)


def _slack_fields(page: Page) -> list[dict[str, Any]]:
    grouped: dict[Layer, list[str]] = {}
    for alert in ordered_alerts(page):
        names = grouped.setdefault(alert.layer, [])
        if _one_line(alert.alertname) not in names:
            names.append(_one_line(alert.alertname))
    by_layer = "\n".join(f"{layer}: {', '.join(names)}" for layer, names in grouped.items())
    status = f"{page.status} by {_one_line(page.status_by)}" if page.status_by else page.status
    facts = [
        ("Priority", f"{page.priority} · {status}"),
        ("Impact", _one_line(page.impact)),
        ("Probable cause", _one_line(page.probable_cause or "")),
        ("Flapping", _one_line(page.flapping)),
        ("Affected services", _services(page)),
        (f"Alerts ({', '.join(filter(None, [str(page.alert_count), _resolved(page)]))})", by_layer),
    ]
    fields = [
        _mrkdwn(f"*{name}*\n{_slack_cut(value, _SLACK_FACT_MAX)}", _SLACK_FIELD_MAX)
        for name, value in facts
        if value
    ]
    # Slack shows <!date^...> in the reader's own timezone; the fallback is UTC.
    epoch = int(page.first_alert_at.timestamp())
    since = f"<!date^{epoch}^{{date_short_pretty}} {{time}}|{_clock(page.first_alert_at)}>"
    return [*fields, _mrkdwn(f"*Since*\n{since}", _SLACK_FIELD_MAX)]


def _button(label: str, url: str) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": _plain(label, 75),
        "url": url,
        "action_id": "tocsin-" + label.split()[0].lower(),
    }
    if label == "Acknowledge":
        button["style"] = "primary"
    return button


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": _truncate(text, limit), "emoji": True}


def _mrkdwn(text: str, limit: int) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": _truncate(text, limit)}


def _slack_escape(text: str) -> str:
    # Slack's mrkdwn reserves only these three; escaping stops "<!channel>" injection.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_cut(text: str, limit: int) -> str:
    """`text` escaped for mrkdwn in at most `limit` characters: cut before escaping, so a cut
    never ends inside an `&amp;`."""
    escaped = _slack_escape(text)
    if len(escaped) <= limit:
        return escaped
    kept, used = [], 0
    for char in text:
        piece = _slack_escape(char)
        if used + len(piece) > limit - 1:
            break
        kept.append(piece)
        used += len(piece)
    return "".join(kept) + _ELLIPSIS


def _one_line(text: str) -> str:
    # Every label-derived string goes through here. Newlines would break a headline, forge
    # lines in a page, or make the email subject header invalid (the page lost); other
    # control characters (ANSI escapes on a console, NUL) are shown as spaces.
    return " ".join(_CONTROL.sub(" ", text).split())


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + _ELLIPSIS


def _join(lines: list[_Line]) -> str:
    return "\n".join(f"- {line.text}" if line.is_alert else line.text for line in lines)


def _clock(at: datetime, zone: str = "UTC") -> str:
    """ "2024-05-01 14:03 UTC"; in another zone the reader's time first, and UTC beside it
    (what the incident's timeline and other people's pages say)."""
    utc = at.astimezone(UTC)
    if zone == "UTC":
        return utc.strftime("%Y-%m-%d %H:%M UTC")
    local = at.astimezone(ZoneInfo(zone))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({utc:%H:%M} UTC)"


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()
