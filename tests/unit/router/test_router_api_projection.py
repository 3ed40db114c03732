"""The incident read model: pure folds of events read from three topics, in any order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.router.api.views import summary_json
from services.router.projection.fold import project
from services.router.projection.model import IncidentProjection, RecordMeta, Verdict
from shared.alerts import Alert, Layer, Severity
from shared.events import (
    AcknowledgeIncident,
    AlertGrouped,
    IncidentAcknowledged,
    IncidentOpened,
    IncidentResolved,
    ResolveIncident,
)
from shared.events.base import Event
from shared.events.incidents import IncidentFlapping, InputDropped
from shared.events.notifications import (
    CommandApplied,
    CommandRejected,
    IncidentReassigned,
    IncidentSnoozed,
)
from shared.topics import ALERTS, INCIDENTS, NOTIFICATIONS
from tests.support.incident_events import delivery_outcome, page_requested, step_fired

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def alert(fingerprint: str, name: str, service: str) -> Alert:
    return Alert(
        fingerprint=fingerprint,
        status="firing",
        severity=Severity.CRITICAL,
        layer=Layer.APPLICATION,
        service=service,
        labels={"alertname": name},
        starts_at=T0,
        summary=f"{name} on {service}",
        source="alertmanager",
        integration="prom",
        received_at=T0,
    )


OPENED = IncidentOpened(
    incident_id="INC-1",
    domain="region=eu",
    title="HighLatency on checkout",
    priority="P2",
    receivers=["team"],
    group_key="{}:{alertname=HighLatency}",
    opened_at=T0,
    notify_after=T0,
    alert=alert("f1", "HighLatency", "checkout"),
    rule="route 0",
    ruleset_version="v7",
    reason="no open incident for group: HighLatency opens INC-1",
)
GROUPED = AlertGrouped(
    incident_id="INC-1",
    alert=alert("f2", "ErrorRate", "payments"),
    decision="grouped",
    at=T0 + timedelta(seconds=20),
    rule="route 0",
    ruleset_version="v7",
    reason="same group of route 0",
)


class Reader:
    """Feeds events as the tailer would: each with its topic, envelope id and time."""

    def __init__(self) -> None:
        self.projection = IncidentProjection()
        self._ids = 0

    def read(self, topic: str, event: Event, at: datetime = T0, event_id: str = "") -> None:
        self._ids += 1
        project(self.projection, event, RecordMeta(topic, event_id or f"e{self._ids}", at))

    def kinds(self) -> list[str]:
        return [e.kind for e in self.projection.incidents["INC-1"].ordered_timeline()]


def test_opened_incident_shows_its_alert_and_the_decision_with_its_reason() -> None:
    reader = Reader()
    reader.read(INCIDENTS, OPENED)
    view = reader.projection.incidents["INC-1"]
    assert (view.status, view.priority, view.services) == ("triggered", "P2", ["checkout"])
    assert list(view.alerts) == ["f1"]
    [entry] = view.timeline
    assert entry.kind == "IncidentOpened"
    assert entry.details["reason"] == "no open incident for group: HighLatency opens INC-1"
    assert entry.details["ruleset_version"] == "v7"


def test_grouped_alert_joins_the_incident_with_the_grouping_reason() -> None:
    reader = Reader()
    reader.read(INCIDENTS, OPENED)
    reader.read(INCIDENTS, GROUPED, T0 + timedelta(seconds=20))
    view = reader.projection.incidents["INC-1"]
    assert view.services == ["checkout", "payments"]
    assert list(view.alerts) == ["f1", "f2"]
    assert view.timeline[-1].summary == "ErrorRate grouped: same group of route 0"


def test_router_events_read_before_the_incident_opened_are_applied_once_it_opens() -> None:
    reader = Reader()
    reader.read(NOTIFICATIONS, step_fired("INC-1", T0), T0 + timedelta(seconds=1))
    reader.read(INCIDENTS, OPENED)
    assert reader.kinds() == ["IncidentOpened", "EscalationStepFired"]
    assert reader.projection.waiting == {}


def test_a_record_read_twice_counts_once() -> None:
    reader = Reader()
    reader.read(INCIDENTS, OPENED, event_id="opened")
    reader.read(INCIDENTS, GROUPED, event_id="grouped")
    reader.read(INCIDENTS, GROUPED, event_id="grouped")
    assert reader.projection.incidents["INC-1"].alerts["f2"].notifications == 1
    assert reader.kinds() == ["IncidentOpened", "AlertGrouped"]


def test_page_is_requested_then_delivered_or_failed() -> None:
    reader = Reader()
    reader.read(INCIDENTS, OPENED)
    reader.read(NOTIFICATIONS, page_requested("INC-1", "n1", T0))
    reader.read(NOTIFICATIONS, page_requested("INC-1", "n2", T0))
    sent = delivery_outcome("INC-1", "n1", T0, sent=True)
    failed = delivery_outcome("INC-1", "n2", T0, sent=False)
    reader.read(NOTIFICATIONS, sent)
    reader.read(INCIDENTS, sent)  # the dispatcher's copy for the router: not a second delivery
    reader.read(NOTIFICATIONS, failed)
    pages = reader.projection.incidents["INC-1"].pages
    assert [(p.status, p.attempts, p.reason) for p in pages.values()] == [
        ("sent", 1, ""),
        ("failed", 4, "HTTP 503"),
    ]
    assert reader.kinds().count("NotificationSent") == 1


def test_a_failed_page_comes_before_the_escalation_it_caused_in_the_same_instant() -> None:
    # The router escalates at once when a page fails, stamping its facts with the failure's
    # time; the router's topic may well be read first.
    reader = Reader()
    reader.read(INCIDENTS, OPENED)
    reader.read(NOTIFICATIONS, page_requested("INC-1", "n1", T0), T0)
    failed_at = T0 + timedelta(seconds=40)
    reader.read(NOTIFICATIONS, step_fired("INC-1", failed_at), failed_at)
    reader.read(NOTIFICATIONS, page_requested("INC-1", "n2", failed_at), failed_at)
    reader.read(NOTIFICATIONS, delivery_outcome("INC-1", "n1", failed_at, sent=False), failed_at)

    assert reader.kinds()[-3:] == [
        "NotificationFailed",
        "EscalationStepFired",
        "NotificationRequested",
    ]


def test_acknowledgement_command_and_verdict_show_in_the_timeline() -> None:
    reader = Reader()
    reader.read(INCIDENTS, OPENED)
    at = T0 + timedelta(minutes=1)
    command = AcknowledgeIncident(command_id="c1", incident_id="INC-1", actor="alice", issued_at=at)
    reader.read(INCIDENTS, command, at)
    reader.read(NOTIFICATIONS, IncidentAcknowledged(incident_id="INC-1", by="alice", at=at), at)
    applied = CommandApplied(
        command_id="c1", incident_id="INC-1", command="acknowledge", actor="alice", at=at
    )
    reader.read(NOTIFICATIONS, applied, at)
    view = reader.projection.incidents["INC-1"]
    assert (view.status, view.acknowledged_by, view.acknowledged_at) == (
        "acknowledged",
        "alice",
        at,
    )
    assert view.verdicts == {"c1": Verdict(True, "", at)}
    assert reader.kinds() == ["IncidentOpened", "AcknowledgeIncident", "IncidentAcknowledged"]


def test_rejected_command_is_in_the_timeline_with_its_reason() -> None:
    reader = Reader()
    reader.read(INCIDENTS, OPENED)
    rejected = CommandRejected(
        command_id="c2",
        incident_id="INC-1",
        command="acknowledge",
        actor="bob",
        reason="the incident is already acknowledged by alice",
        at=T0,
    )
    reader.read(NOTIFICATIONS, rejected)
    view = reader.projection.incidents["INC-1"]
    assert view.verdicts["c2"].applied is False
    assert view.timeline[-1].summary == (
        "acknowledge by bob rejected: the incident is already acknowledged by alice"
    )


def test_resolve_command_from_the_alerts_topic_and_the_resolution_are_recorded() -> None:
    reader = Reader()
    reader.read(INCIDENTS, OPENED)
    at = T0 + timedelta(minutes=30)
    command = ResolveIncident(command_id="c3", incident_id="INC-1", actor="alice", issued_at=at)
    reader.read(ALERTS, command, at)
    resolved = IncidentResolved(
        incident_id="INC-1",
        resolved_at=at,
        by="alice",
        rule="manual",
        ruleset_version="v7",
        reason="resolved by alice",
        command_id="c3",
    )
    reader.read(INCIDENTS, resolved, at)
    view = reader.projection.incidents["INC-1"]
    assert (view.status, view.resolved_by, view.resolved_at) == ("resolved", "alice", at)
    assert reader.kinds()[-2:] == ["ResolveIncident", "IncidentResolved"]
    assert view.verdicts["c3"] == Verdict(True, "", at)  # its retry is answered as applied


def test_an_input_dropped_about_no_incident_waits_for_none() -> None:
    reader = Reader()
    dropped = InputDropped(
        input_type="AlertReceived",
        at=T0,
        fingerprint="f9",
        rule="resolve",
        ruleset_version="v7",
        reason="resolve of NodeDown: no open incident knows this alert",
    )

    reader.read(INCIDENTS, dropped, T0)

    assert (reader.projection.waiting, reader.projection.waiting_count) == ({}, 0)


def test_a_resolve_the_correlator_drops_is_a_refused_verdict_with_its_reason() -> None:
    reader = Reader()
    reader.read(INCIDENTS, OPENED)
    at = T0 + timedelta(minutes=30)
    command = ResolveIncident(command_id="c4", incident_id="INC-1", actor="alice", issued_at=at)
    reader.read(ALERTS, command, at)
    reason = "resolve by alice: INC-1 is not open"
    dropped = InputDropped(
        input_type="ResolveIncident",
        at=at,
        incident_id="INC-1",
        command_id="c4",
        rule="command",
        ruleset_version="v7",
        reason=reason,
    )
    reader.read(INCIDENTS, dropped, at)
    view = reader.projection.incidents["INC-1"]
    assert view.verdicts == {"c4": Verdict(False, reason, at)}  # the API answers 409, reason
    assert view.status == "triggered"
    assert reader.kinds()[-1] == "InputDropped"


def test_resolved_incident_stays_resolved_when_an_earlier_snooze_is_read_late() -> None:
    reader = Reader()
    reader.read(INCIDENTS, OPENED)
    resolved = IncidentResolved(
        incident_id="INC-1",
        resolved_at=T0 + timedelta(minutes=5),
        rule="resolve_policy",
        ruleset_version="v7",
        reason="all alerts resolved",
    )
    reader.read(INCIDENTS, resolved, T0 + timedelta(minutes=5))
    snoozed = IncidentSnoozed(
        incident_id="INC-1", by="alice", until=T0 + timedelta(hours=1), at=T0 + timedelta(minutes=1)
    )
    reader.read(NOTIFICATIONS, snoozed, T0 + timedelta(minutes=1))
    view = reader.projection.incidents["INC-1"]
    assert (view.status, view.snoozed_until) == ("resolved", None)
    assert reader.kinds() == ["IncidentOpened", "IncidentSnoozed", "IncidentResolved"]


def _minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


ACKED_BY_BOB = IncidentAcknowledged(incident_id="INC-1", by="bob", at=_minutes(1))
REASSIGNED = IncidentReassigned(
    incident_id="INC-1", by="bob", assignee="alice", generation=1, at=_minutes(2)
)
ACKED_BY_ALICE = IncidentAcknowledged(incident_id="INC-1", by="alice", at=_minutes(3))
RESOLVED = IncidentResolved(
    incident_id="INC-1",
    resolved_at=_minutes(4),
    rule="command",
    ruleset_version="v7",
    reason="resolved by alice",
    by="alice",
)
# (topic, event) as they happened; a rebuild reads the incidents topic before notifications.
HAPPENED = [(INCIDENTS, ACKED_BY_BOB), (NOTIFICATIONS, REASSIGNED), (INCIDENTS, RESOLVED)]


@pytest.mark.parametrize(
    "order", [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0]], ids=lambda o: "-".join(map(str, o))
)
def test_an_acknowledgement_a_reassignment_ended_stays_ended_in_any_order_read(
    order: list[int],
) -> None:
    reader = Reader()
    reader.read(INCIDENTS, OPENED)
    for index in order:
        topic, event = HAPPENED[index]
        reader.read(topic, event, event.at if hasattr(event, "at") else _minutes(4))

    view = reader.projection.incidents["INC-1"]
    assert (view.status, view.acknowledged_by, view.acknowledged_at) == ("resolved", None, None)
    assert view.first_acknowledged_by == "bob"


@pytest.mark.parametrize("reassigned_first", [True, False])
def test_an_acknowledgement_after_a_reassignment_stands_in_either_order_read(
    reassigned_first: bool,
) -> None:
    reader = Reader()
    reader.read(INCIDENTS, OPENED)
    pair = [(NOTIFICATIONS, REASSIGNED), (INCIDENTS, ACKED_BY_ALICE)]
    for topic, event in pair if reassigned_first else pair[::-1]:
        reader.read(topic, event, event.at)

    view = reader.projection.incidents["INC-1"]
    assert (view.status, view.acknowledged_by) == ("acknowledged", "alice")


def test_a_flapping_decision_marks_the_incident_and_is_in_its_timeline() -> None:
    reader = Reader()
    reader.read(INCIDENTS, OPENED)
    flapping = IncidentFlapping(
        incident_id="INC-1",
        fingerprint="f1",
        flaps=4,
        within=timedelta(minutes=10),
        at=T0 + timedelta(minutes=10),
        rule="flapping",
        ruleset_version="v7",
        reason="HighLatency flapped 4 times in 10m",
    )
    reader.read(INCIDENTS, flapping, T0 + timedelta(minutes=10))
    entry = reader.projection.incidents["INC-1"].timeline[-1]
    assert (entry.kind, entry.summary) == ("IncidentFlapping", "HighLatency flapped 4 times in 10m")
    assert entry.details["rule"] == "flapping"
    view = reader.projection.incidents["INC-1"]
    assert view.flapping and summary_json(view)["flapping"] is True


def test_beyond_the_limit_the_oldest_resolved_incidents_keep_only_their_summary() -> None:
    reader = Reader()
    reader.projection.resolved_detail_limit = 2
    for number in range(1, 4):
        opened = OPENED.model_copy(update={"incident_id": f"INC-{number}"})
        reader.read(INCIDENTS, opened)
        resolved = IncidentResolved(
            incident_id=f"INC-{number}",
            resolved_at=T0 + timedelta(minutes=number),
            rule="resolve_policy",
            ruleset_version="v7",
            reason="all alerts resolved",
        )
        reader.read(INCIDENTS, resolved)
    views = reader.projection.incidents
    assert [views[f"INC-{n}"].compacted for n in (1, 2, 3)] == [True, False, False]
    oldest = views["INC-1"]
    assert (oldest.status, oldest.timeline, oldest.title) == ("resolved", [], OPENED.title)
    assert oldest.omitted == 2


def test_an_alert_that_moves_to_another_incident_shows_there_and_as_moved_in_the_old_one() -> None:
    reader = Reader()
    reader.read(INCIDENTS, OPENED)
    reader.read(INCIDENTS, GROUPED, T0 + timedelta(seconds=20))
    # ErrorRate (f2) follows into INC-2; then HighLatency (f1) opens INC-3 apart from INC-1
    moved = GROUPED.model_copy(
        update={"incident_id": "INC-2", "moved_from": "INC-1", "reason": "follows its source"}
    )
    second = OPENED.model_copy(update={"incident_id": "INC-2", "alert": alert("f9", "Down", "db")})
    reader.read(INCIDENTS, second, T0 + timedelta(seconds=30))
    reader.read(INCIDENTS, moved, T0 + timedelta(seconds=30), event_id="moved")
    reader.read(INCIDENTS, moved, T0 + timedelta(seconds=30), event_id="moved")  # read twice
    released = OPENED.model_copy(
        update={"incident_id": "INC-3", "moved_from": "INC-1", "reason": "released"}
    )
    reader.read(INCIDENTS, released, T0 + timedelta(seconds=40))

    old = reader.projection.incidents["INC-1"]
    rows = {fp: (row.firing, row.decision) for fp, row in old.alerts.items()}
    assert rows == {"f1": (False, "moved"), "f2": (False, "moved")}
    assert [e.summary for e in old.timeline if e.kind == "AlertMoved"] == [
        "ErrorRate moved to INC-2: follows its source",
        "HighLatency moved to INC-3: released",
    ]
    assert reader.projection.incidents["INC-2"].alerts["f2"].firing
    assert list(reader.projection.incidents["INC-3"].alerts) == ["f1"]


def test_an_alert_row_keeps_the_runbook_its_annotations_name() -> None:
    reader = Reader()
    with_runbook = alert("f1", "HighLatency", "checkout").model_copy(
        update={"annotations": {"runbook_url": "https://runbooks.example/latency"}}
    )
    reader.read(INCIDENTS, OPENED.model_copy(update={"alert": with_runbook}))

    row = reader.projection.incidents["INC-1"].alerts["f1"]
    assert row.runbook_url == "https://runbooks.example/latency"
