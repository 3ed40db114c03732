"""The incident timeline as people read it: the same order however the three topics were read
(a live fold and a rebuild answer alike), notes with their text, no reason said twice; and an
API silence expired before it started."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.router.projection.fold import project
from services.router.projection.model import IncidentProjection, RecordMeta
from services.router.projection.silences import SilenceView, fold_silence_view, view_state
from shared.events import (
    AcknowledgeIncident,
    IncidentAcknowledged,
    IncidentResolved,
    ResolveIncident,
)
from shared.events.base import Event
from shared.events.notifications import IncidentNoteAdded
from shared.events.silences import SilenceCreated, SilenceExpired
from shared.topics import ALERTS, INCIDENTS, NOTIFICATIONS
from tests.support.incident_events import incident_opened, node_down, page_requested

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)
OPENED = incident_opened("INC-1", T0, node_down("f1", T0), title="NodeDown", reason="test")
ACK = AcknowledgeIncident(command_id="c1", incident_id="INC-1", actor="alice", issued_at=T1)
ACKED = IncidentAcknowledged(incident_id="INC-1", by="alice", at=T1)
RESOLVE = ResolveIncident(command_id="c2", incident_id="INC-1", actor="bob", issued_at=T1)
RESOLVED = IncidentResolved(
    incident_id="INC-1",
    resolved_at=T1,
    by="bob",
    rule="manual",
    ruleset_version="v1",
    reason="resolved by bob",
)
# (topic, event, id): one instant's records of three topics, as written.
RECORDS: list[tuple[str, Event, str]] = [
    (ALERTS, RESOLVE, "e-resolve"),
    (INCIDENTS, RESOLVED, "e-resolved"),
    (NOTIFICATIONS, page_requested("INC-1", "n1", T1), "e-page"),
]


def timeline(order: list[int]) -> list[tuple[str, str]]:
    projection = IncidentProjection()
    project(projection, OPENED, RecordMeta(INCIDENTS, "e-open", T0))
    for index in order:
        topic, event, event_id = RECORDS[index]
        project(projection, event, RecordMeta(topic, event_id, T1))
    view = projection.incidents["INC-1"]
    return [(entry.kind, entry.summary) for entry in view.ordered_timeline()]


def test_one_instant_reads_in_causal_order_whichever_topic_was_read_first() -> None:
    as_written = timeline([0, 1, 2])
    assert timeline([1, 2, 0]) == as_written
    assert timeline([2, 1, 0]) == as_written
    assert [kind for kind, _ in as_written] == [
        "IncidentOpened",
        "ResolveIncident",
        "IncidentResolved",
        "NotificationRequested",
    ]


def test_a_command_comes_before_the_fact_it_caused_at_the_same_instant() -> None:
    projection = IncidentProjection()
    project(projection, OPENED, RecordMeta(INCIDENTS, "e-open", T0))
    project(projection, ACKED, RecordMeta(NOTIFICATIONS, "e-acked", T1))  # read first
    project(projection, ACK, RecordMeta(INCIDENTS, "e-ack", T1))
    kinds = [entry.kind for entry in projection.incidents["INC-1"].ordered_timeline()]
    assert kinds == ["IncidentOpened", "AcknowledgeIncident", "IncidentAcknowledged"]


def test_the_resolution_by_a_person_is_summed_up_once() -> None:
    summaries = dict(timeline([0, 1]))
    assert summaries["IncidentResolved"] == "resolved by bob"


def test_a_note_shows_its_text_in_the_timeline() -> None:
    projection = IncidentProjection()
    project(projection, OPENED, RecordMeta(INCIDENTS, "e-open", T0))
    note = IncidentNoteAdded(incident_id="INC-1", by="alice", text="rolled back 1.4.2", at=T1)
    project(projection, note, RecordMeta(NOTIFICATIONS, "e-note", T1))
    entry = projection.incidents["INC-1"].timeline[-1]
    assert (entry.summary, entry.actor) == ("note by alice: rolled back 1.4.2", "alice")


def test_a_silence_expired_before_its_start_spans_no_time_and_is_expired() -> None:
    silences: dict[str, SilenceView] = {}
    starts = T0 + timedelta(days=3)
    created = SilenceCreated(
        silence_id="s1",
        matchers=['service="billing"'],
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        created_by="alice",
        comment="migration",
        created_at=T0,
    )
    fold_silence_view(silences, created)
    fold_silence_view(silences, SilenceExpired(silence_id="s1", actor="bob", at=T1))
    view = silences["s1"]
    assert (view.starts_at, view.ends_at, view.expired_by) == (T1, T1, "bob")
    assert view_state(view, T1) == "expired"
