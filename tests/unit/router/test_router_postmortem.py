"""The post-incident report draft: the facts of an incident's read model, folded from its
events, written as Markdown for people to complete — and inert whatever its senders wrote."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import cmarkgfm
from cmarkgfm.cmark import Options

from services.router.api.postmortem import postmortem_markdown
from services.router.projection.fold import project
from services.router.projection.model import (
    TIMELINE_LIMIT,
    IncidentProjection,
    IncidentView,
    RecordMeta,
)
from shared.alerts import Alert, Layer, Severity
from shared.events import IncidentAcknowledged
from shared.events.base import Event
from shared.events.incidents import IncidentProbableCauseChanged
from shared.events.notifications import IncidentNoteAdded, IncidentReassigned
from shared.topics import INCIDENTS, NOTIFICATIONS
from tests.support.incident_events import (
    alert_grouped,
    delivery_outcome,
    incident_opened,
    incident_resolved,
    page_requested,
    step_fired,
)

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def _alert(fingerprint: str, name: str, layer: Layer, at: datetime, summary: str) -> Alert:
    return Alert(
        fingerprint=fingerprint,
        status="firing",
        severity=Severity.CRITICAL,
        layer=layer,
        service="checkout" if layer is not Layer.INFRASTRUCTURE else None,
        labels={"alertname": name},
        starts_at=at,
        summary=summary,
        source="alertmanager",
        integration="prom",
        received_at=at,
    )


class Incident:
    """INC-1's events, read as the tailer reads them; `report()` renders its view."""

    def __init__(self, opening: Alert | None = None) -> None:
        self._projection = IncidentProjection()
        self._ids = 0
        alert = opening or _alert("f1", "HighErrorRate", Layer.APPLICATION, T0, "5xx at 12%")
        self.read(INCIDENTS, incident_opened("INC-1", T0, alert, title="Checkout failing"))

    def read(self, topic: str, event: Event, at: datetime = T0) -> None:
        self._ids += 1
        project(self._projection, event, RecordMeta(topic, f"e{self._ids}", at))

    def joined(self, alert: Alert) -> None:
        event = alert_grouped("INC-1", alert, rule="topology", reason="host node-7 runs checkout")
        self.read(INCIDENTS, event, alert.received_at)

    def paged(self, notification_id: str, at: datetime, delivered: datetime) -> None:
        self.read(NOTIFICATIONS, step_fired("INC-1", at), at)
        self.read(NOTIFICATIONS, page_requested("INC-1", notification_id, at), at)
        outcome = delivery_outcome("INC-1", notification_id, delivered, sent=True)
        self.read(NOTIFICATIONS, outcome, delivered)

    def acknowledged(self, by: str, at: datetime) -> None:
        self.read(NOTIFICATIONS, IncidentAcknowledged(incident_id="INC-1", by=by, at=at), at)

    @property
    def view(self) -> IncidentView:
        return self._projection.incidents["INC-1"]

    def report(self) -> str:
        return postmortem_markdown(self.view)


def _section(report: str, heading: str) -> str:
    start = report.index(f"## {heading}")
    end = report.find("\n## ", start + 1)
    return report[start : end if end >= 0 else None]


def test_the_report_states_when_it_was_detected_paged_acknowledged_and_resolved() -> None:
    incident = Incident()
    incident.paged("n1", T0 + timedelta(seconds=2), delivered=T0 + timedelta(seconds=3))
    incident.acknowledged("alice", T0 + timedelta(minutes=4, seconds=30))
    resolved_at = T0 + timedelta(hours=1, minutes=12, seconds=9)
    incident.read(INCIDENTS, incident_resolved("INC-1", resolved_at, by="bob"), resolved_at)

    report = incident.report()

    assert report.startswith("# Post-incident report: [P1] Checkout failing\n")
    assert "| Status | resolved by bob |" in report
    assert _section(report, "Detection and response").splitlines()[2:8] == [
        "- First alert received: 2026-11-27 10:00:00 UTC",
        "- Incident opened: 2026-11-27 10:00:00 UTC",
        "- First page delivered: 2026-11-27 10:00:03 UTC to alice via user/alice/0,"
        " 3 s after the first alert",
        "- Acknowledged: 2026-11-27 10:04:30 UTC by alice, 4 min 30 s after it opened"
        " (time to acknowledge)",
        "- Resolved: 2026-11-27 11:12:09 UTC by bob, 1 h 12 min after it opened (time to resolve)",
        "- Escalation steps fired: 1",
    ]
    assert "- People paged: alice" in report


def test_time_to_resolve_ends_when_the_alerts_resolved_not_when_the_grace_ran_out() -> None:
    incident = Incident()
    resolved_at = T0 + timedelta(minutes=25)
    ended = incident_resolved("INC-1", resolved_at).model_copy(
        update={"alerts_resolved_at": T0 + timedelta(minutes=20)}
    )
    incident.read(INCIDENTS, ended, resolved_at)

    [line] = [ln for ln in incident.report().splitlines() if ln.startswith("- Resolved:")]

    assert line == (
        "- Resolved: 2026-11-27 10:25:00 UTC, its alerts resolved 2026-11-27 10:20:00 UTC,"
        " 20 min after it opened (time to resolve); closed once its grace ran out"
    )


def test_business_impact_leads_and_the_probable_cause_is_the_correlators_latest() -> None:
    incident = Incident()
    node_down = _alert("f2", "NodeDown", Layer.INFRASTRUCTURE, T0 + timedelta(seconds=40), "")
    conversion = _alert(
        "f3", "CheckoutConversionDrop", Layer.BUSINESS, T0 + timedelta(seconds=90), "2% < 5%"
    )
    incident.joined(node_down)
    incident.joined(conversion)
    cause = IncidentProbableCauseChanged(
        incident_id="INC-1",
        fingerprint="f2",
        alertname="NodeDown",
        resource="host:node-7",
        at=T0 + timedelta(seconds=40),
        rule="probable_cause",
        ruleset_version="v1",
        reason="NodeDown on host node-7 (infrastructure) is likelier the root cause",
    )
    incident.read(INCIDENTS, cause, T0 + timedelta(seconds=40))

    report = incident.report()

    impact = _section(report, "Impact")
    assert "- CheckoutConversionDrop (critical, service checkout): 2% \\< 5%" in impact
    assert "No business-layer alert" not in impact
    assert (
        "Probable cause: NodeDown on host:node-7: NodeDown on host node-7 (infrastructure) is"
        " likelier the root cause." in impact
    )
    assert "| Probable cause | NodeDown on host:node-7 |" in report
    alerts = _section(report, "Alerts (3)")
    order = [alerts.index(name) for name in ("CheckoutConversionDrop", "HighErrorRate", "NodeDown")]
    assert order == sorted(order)  # business, application, infrastructure


def test_an_incident_without_business_alerts_says_so_and_names_its_opening_alert_as_cause() -> None:
    report = Incident().report()

    impact = _section(report, "Impact")
    assert "No business-layer alert was part of this incident." in impact
    assert "Probable cause: HighErrorRate (application): the alert that opened the incident." in (
        impact
    )
    assert "- No page was delivered" in report


def test_the_first_acknowledgement_counts_even_after_a_reassignment_cleared_it() -> None:
    incident = Incident()
    incident.acknowledged("alice", T0 + timedelta(minutes=2))
    reassigned = IncidentReassigned(
        incident_id="INC-1", by="alice", assignee="bob", generation=1, at=T0 + timedelta(minutes=3)
    )
    incident.read(NOTIFICATIONS, reassigned, T0 + timedelta(minutes=3))
    assert incident.view.acknowledged_at is None  # the view shows the current state

    report = incident.report()

    assert "- Acknowledged: 2026-11-27 10:02:00 UTC by alice, 2 min after it opened" in report
    assert "- Reassignments: 1" in report


HOSTILE = (
    "a | b\n| x | y |\n<img src=x onerror=alert(1)> [click](https://evil.example) `c`"
    " see https://evil.example/login, www.evil.example and ops@evil.example\n\n# heading"
)


def test_text_from_senders_and_people_stays_text_as_github_renders_it() -> None:
    incident = Incident(_alert("f1", "1. Pwned", Layer.BUSINESS, T0, HOSTILE))
    note = IncidentNoteAdded(incident_id="INC-1", by="- alice", text=HOSTILE, at=T0)
    incident.read(NOTIFICATIONS, note)

    report = incident.report()
    html = cmarkgfm.github_flavored_markdown_to_html(report, options=Options.CMARK_OPT_UNSAFE)

    for active in ("<a ", "<img", "<code", "<h1>heading", "<ol"):  # links, HTML, code, lists
        assert active not in html, active
    impact = html[html.index("<h2>Impact</h2>") : html.index("<h2>Detection")]
    assert impact.count("<li>") == 1 and "<li>1. Pwned (critical" in impact
    assert html.count("<h1>") == 1  # the report's own title
    tables = re.findall(r"<table>.*?</table>", html, re.DOTALL)
    rows = [table.count("<tr>") for table in tables]
    # A header and: 9 facts, 1 alert, the timeline's entries, 1 empty action item.
    assert rows == [1 + 9, 1 + 1, 1 + len(incident.view.timeline), 1 + 1]
    cells = re.findall(r"<td>(.*?)</td>", tables[2])  # the timeline's: rows are cut at `|`
    assert any(cell.startswith("note by - alice: a | b | x | y | &lt;img") for cell in cells)
    notes = html[html.index("<h2>Notes from the timeline</h2>") :]
    assert "- alice: a | b | x | y | &lt;img src=x" in notes
    assert "ops\u200b@evil.example" in notes  # read as written; no mailto link


def test_past_the_timeline_it_keeps_the_report_still_counts_and_finds_the_first_ack() -> None:
    incident = Incident()
    repeat = _alert("f1", "HighErrorRate", Layer.APPLICATION, T0, "5xx at 12%")
    for _ in range(TIMELINE_LIMIT):  # repeats fill the timeline the read model keeps
        incident.joined(repeat)
    incident.paged("n1", T0 + timedelta(minutes=1), delivered=T0 + timedelta(minutes=1))
    incident.acknowledged("alice", T0 + timedelta(hours=1))
    reassigned = IncidentReassigned(
        incident_id="INC-1", by="alice", assignee="bob", generation=1, at=T0 + timedelta(hours=2)
    )
    incident.read(NOTIFICATIONS, reassigned, T0 + timedelta(hours=2))
    incident.acknowledged("bob", T0 + timedelta(hours=4))
    note = IncidentNoteAdded(incident_id="INC-1", by="bob", text="failed over", at=T0)
    incident.read(NOTIFICATIONS, note, T0 + timedelta(hours=4))
    assert incident.view.omitted > 0

    report = incident.report()

    assert "- Acknowledged: 2026-11-27 11:00:00 UTC by alice, 1 h after it opened" in report
    assert "- Escalation steps fired: 1" in report and "- Reassignments: 1" in report
    assert "- 1 later notes are past the entries kept (the event log has them)" in report


def test_a_business_alert_that_moved_to_another_incident_is_said_to_have_moved() -> None:
    incident = Incident()
    conversion = _alert("f2", "ConversionDrop", Layer.BUSINESS, T0, "2% < 5%")
    incident.joined(conversion)
    later = T0 + timedelta(minutes=5)
    moved = incident_opened("INC-2", later, conversion, title="ConversionDrop").model_copy(
        update={"moved_from": "INC-1"}
    )
    incident.read(INCIDENTS, moved, later)

    impact = _section(incident.report(), "Impact")

    assert "moved to another incident (see the timeline)" in impact
    assert "stopped firing" not in impact


def test_a_compacted_incident_keeps_its_summary_and_says_where_the_details_are() -> None:
    incident = Incident()
    resolved_at = T0 + timedelta(minutes=30)
    incident.read(INCIDENTS, incident_resolved("INC-1", resolved_at), resolved_at)
    incident.view.compact()

    report = incident.report()

    assert "| Status | resolved |" in report
    assert "no longer held in memory" in report
    assert "## Alerts" not in report and "## Timeline" not in report
    assert "- Resolved: 2026-11-27 10:30:00 UTC, 30 min after it opened" in report
