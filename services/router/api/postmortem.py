"""A post-incident report draft, in Markdown, from an incident's read model: what the log
recorded — impact, probable cause, how it was detected and answered, the alerts, the pages and
the whole timeline with every decision's reason — and the sections only people can write.

Pure: the same view gives the same text (no clock: durations are between recorded times).
Text that came from senders (alert names, summaries, labels) or from people (notes) is
escaped, so it can neither break the report's tables or lists nor add links, images or HTML
to it: Markdown's active characters get a backslash, and so do what GitHub-flavoured Markdown
turns into links by itself (`scheme://`, `www.`); an `@` gets a zero-width space before it,
the one way to keep an e-mail address from becoming a `mailto:` link.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from services.router.projection.model import AlertRow, IncidentView, PageRow, TimelineEntry

_TIME = "%Y-%m-%d %H:%M:%S UTC"
_LAYER_ORDER = {"business": 0, "application": 1, "infrastructure": 2}
# Markdown's active characters (CommonMark lets any of them be escaped with a backslash).
_ACTIVE = re.compile(r"([\\`*_\[\]<>|!#&~])")
_LIST_MARKER = re.compile(r"^([-+]|\d+(?=[.)]))")
_WWW = re.compile(r"\b(www)\.", re.IGNORECASE)
_TO_WRITE = ("Root cause", "What went well", "What went wrong", "Where we got lucky")


def postmortem_markdown(view: IncidentView) -> str:
    sections = [
        f"# Post-incident report: [{_text(view.priority)}] {_text(view.title)}",
        "A draft from Tocsin's event log: the facts below are as it recorded them. The last"
        " sections are for the people who handled the incident to write.",
        _facts(view),
        _impact(view),
        _response(view),
    ]
    if view.compacted:
        sections.append(
            "## Details\n\nThis incident resolved long ago: its alerts, pages and timeline are"
            " no longer held in memory (the event log keeps them; `tocsin export` writes them"
            " out)."
        )
    else:
        sections += [_alerts(view), _pages(view), _timeline(view), _notes(view)]
    sections.append(_to_write())
    return "\n\n".join(section for section in sections if section) + "\n"


def _facts(view: IncidentView) -> str:
    rows = [
        ("Incident", view.incident_id),
        ("Status", _status(view)),
        ("Priority", view.priority),
        ("Opened", _time(view.opened_at)),
        ("Correlation domain", view.domain or "(none)"),
        ("Services", ", ".join(view.services) or "none named by its alerts"),
        ("Probable cause", view.probable_cause or "not named"),
        ("Grouped by", f"{view.rule}, group {view.group_key}"),
        ("Receivers", ", ".join(view.receivers)),
    ]
    if view.commander:
        rows.append(("Incident commander", view.commander))
    if view.flapping:
        rows.append(("Flapping", "yes: an alert of it kept resolving and firing again"))
    return _table(("Fact", "Value"), rows)


def _status(view: IncidentView) -> str:
    if view.status == "resolved":
        return f"resolved by {view.resolved_by}" if view.resolved_by else "resolved"
    return view.status


def _impact(view: IncidentView) -> str:
    business = [row for row in _ordered(view.alerts.values()) if row.layer == "business"]
    lines = ["## Impact", ""]
    if business:
        lines.append("Business-layer alerts, what users felt:")
        lines.append("")
        lines += [f"- {_alert_line(row)}" for row in business]
    else:
        lines.append("No business-layer alert was part of this incident.")
    if view.services:
        lines += ["", f"Services affected: {_text(', '.join(view.services))}."]
    if view.probable_cause:
        why = view.probable_cause_reason
        cause = f"Probable cause: {_text(view.probable_cause)}"
        lines += ["", f"{cause}: {_text(why)}." if why else f"{cause}."]
    return "\n".join(lines)


def _alert_line(row: AlertRow) -> str:
    where = f", service {row.service}" if row.service else ""
    state = "still firing" if row.firing else "stopped firing"
    if row.decision == "moved":
        state = "moved to another incident (see the timeline)"
    return _text(
        f"{row.alertname} ({row.severity}{where}): {row.summary} — first received"
        f" {_time(row.first_received_at)}, {state}"
    )


def _response(view: IncidentView) -> str:
    """Detection to resolution, with the times between: from the incident's opening, as MTTA
    and MTTR count them, and from the first alert to the first page delivered."""
    lines = ["## Detection and response", ""]
    first_alert = min((row.first_received_at for row in view.alerts.values()), default=None)
    if first_alert is not None:
        lines.append(f"- First alert received: {_time(first_alert)}")
    lines.append(f"- Incident opened: {_time(view.opened_at)}")
    paged = _first_page(view.pages.values())
    if paged is not None and paged.finished_at is not None:
        line = f"- First page delivered: {_time(paged.finished_at)} to {_text(paged.target)}"
        line += f" via {_text(paged.channel)}"
        if first_alert is not None:
            line += f", {_span(paged.finished_at - first_alert)} after the first alert"
        lines.append(line)
    elif not view.compacted:
        lines.append("- No page was delivered")
    at, by = view.first_acknowledged_at, view.first_acknowledged_by  # a reassignment kept it
    if at is not None:
        lines.append(
            f"- Acknowledged: {_time(at)} by {_text(by or 'someone')},"
            f" {_span(at - view.opened_at)} after it opened (time to acknowledge)"
        )
    if view.resolved_at is not None:
        by = f" by {_text(view.resolved_by)}" if view.resolved_by else ""
        ended = view.alerts_resolved_at
        if ended is None:
            took = f"{_span(view.resolved_at - view.opened_at)} after it opened (time to resolve)"
        else:
            took = (
                f"its alerts resolved {_time(ended)}, {_span(ended - view.opened_at)} after it"
                " opened (time to resolve); closed once its grace ran out"
            )
        lines.append(f"- Resolved: {_time(view.resolved_at)}{by}, {took}")
    lines += _escalation(view)
    return "\n".join(lines)


def _first_page(pages: Iterable[PageRow]) -> PageRow | None:
    delivered = [
        page
        for page in pages
        if page.tells == "page" and page.status == "sent" and page.finished_at is not None
    ]
    return min(delivered, key=lambda page: (page.finished_at, page.notification_id), default=None)


def _escalation(view: IncidentView) -> list[str]:
    counts = view.kind_counts
    reached = [page for page in view.pages.values() if page.status == "sent"]
    people = sorted({page.target for page in reached if page.to_person})
    channels = sorted({page.target for page in reached if not page.to_person})
    failed = sum(1 for page in view.pages.values() if page.status == "failed")
    lines = []
    if steps := counts.get("EscalationStepFired", 0):
        lines.append(f"- Escalation steps fired: {steps}")
    for kind, what in (
        ("IncidentReassigned", "Reassignments"),
        ("IncidentSnoozed", "Snoozes"),
        ("NobodyPaged", "Steps that reached nobody"),
    ):
        if count := counts.get(kind, 0):
            lines.append(f"- {what}: {count}")
    if people:
        lines.append(f"- People paged: {_text(', '.join(people))}")
    if channels:
        lines.append(f"- Channels notified: {_text(', '.join(channels))}")
    if failed:
        lines.append(f"- Deliveries that failed: {failed}")
    return lines


def _alerts(view: IncidentView) -> str:
    rows = [
        (
            row.alertname,
            row.layer,
            row.severity,
            row.service or "",
            _time(row.first_received_at),
            _time(row.last_received_at),
            str(row.notifications),
            row.decision,
            "firing" if row.firing else ("moved out" if row.decision == "moved" else "resolved"),
        )
        for row in _ordered(view.alerts.values())
    ]
    header = (
        "Alert",
        "Layer",
        "Severity",
        "Service",
        "First received",
        "Last received",
        "Received",
        "Joined as",
        "State",
    )
    return f"## Alerts ({len(rows)})\n\n{_table(header, rows)}"


def _ordered(rows: Iterable[AlertRow]) -> list[AlertRow]:
    """Business first, then application, then infrastructure; each in the order received."""
    return sorted(
        rows,
        key=lambda row: (_LAYER_ORDER.get(row.layer, 3), row.first_received_at, row.fingerprint),
    )


def _pages(view: IncidentView) -> str:
    pages = sorted(view.pages.values(), key=lambda page: (page.requested_at, page.notification_id))
    if not pages:
        return "## Pages\n\nNone."
    rows = [
        (
            _time(page.requested_at),
            page.target,
            page.channel,
            page.tells,
            page.status + (f": {page.reason}" if page.reason else ""),
            str(page.attempts),
            _time(page.finished_at) if page.finished_at is not None else "",
        )
        for page in pages
    ]
    header = ("Requested", "To", "Via", "Tells", "Outcome", "Attempts", "Finished")
    return f"## Pages ({len(rows)})\n\n{_table(header, rows)}"


def _timeline(view: IncidentView) -> str:
    entries = view.ordered_timeline()
    rows = [(_time(entry.at), entry.summary, entry.actor or "") for entry in entries]
    text = f"## Timeline\n\n{_table(('Time', 'What happened', 'By'), rows)}"
    if view.omitted:
        text += (
            f"\n\n{view.omitted} later entries are not shown: the read model keeps the first"
            f" {len(view.timeline)} of an incident (the event log keeps them all)."
        )
    return text


def _notes(view: IncidentView) -> str:
    notes = [entry for entry in view.ordered_timeline() if entry.kind == "IncidentNoteAdded"]
    beyond = view.kind_counts.get("IncidentNoteAdded", 0) - len(notes)
    if not notes and not beyond:
        return ""
    lines = [f"- {_time(entry.at)}, {_text(entry.actor or '?')}: {_note(entry)}" for entry in notes]
    if beyond:
        lines.append(f"- {beyond} later notes are past the entries kept (the event log has them)")
    return "## Notes from the timeline\n\n" + "\n".join(lines)


def _note(entry: TimelineEntry) -> str:
    return _text(str(entry.details.get("text", entry.summary)))


def _to_write() -> str:
    parts = ["## For the team to write"]
    parts += [f"### {heading}\n\n- " for heading in _TO_WRITE]
    parts.append("### Action items\n\n" + _table(("Action", "Owner", "Due"), [("", "", "")]))
    return "\n\n".join(parts)


def _table(header: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> str:
    lines = [_row(header), "| " + " | ".join("---" for _ in header) + " |"]
    lines += [_row(tuple(_text(cell) for cell in row)) for row in rows]
    return "\n".join(lines)


def _row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(cells) + " |"


def _text(value: str) -> str:
    """Text as it reads, on one line, inert: no Markdown, HTML or link of its own."""
    text = _ACTIVE.sub(r"\\\1", " ".join(value.split()))
    text = _LIST_MARKER.sub(_escaped_marker, text)
    text = _WWW.sub(r"\1\\.", text.replace("://", "\\://"))
    return text.replace("@", "\u200b@")


def _escaped_marker(found: re.Match[str]) -> str:
    """A leading `-`, `+` or `1.` would start a list: `\\-`, `\\+`, `1\\.`."""
    marker = found.group(1)
    return "\\" + marker if marker in "-+" else marker + "\\"


def _time(at: datetime) -> str:
    return at.strftime(_TIME)


def _span(delta: timedelta) -> str:
    """`2 h 5 min`, `12 min 30 s`, `45 s`: the largest unit and the next, whole."""
    seconds = max(0, int(delta.total_seconds()))
    units = (("d", 86_400), ("h", 3_600), ("min", 60), ("s", 1))
    for index, (name, size) in enumerate(units):
        if seconds >= size or name == "s":
            text = f"{seconds // size} {name}"
            if index + 1 < len(units):
                smaller, smaller_size = units[index + 1]
                if rest := seconds % size // smaller_size:
                    text += f" {rest} {smaller}"
            return text
    raise AssertionError("the last unit always matches")
