"""On-call analytics over a window, from the incident read model folded from real events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.router.projection.analytics import AlertTally, Spread, analytics
from services.router.projection.fold import project
from services.router.projection.model import IncidentProjection, RecordMeta
from shared.alerts import Alert
from shared.events import IncidentAcknowledged
from shared.events.base import Event
from shared.topics import INCIDENTS, NOTIFICATIONS
from tests.support.incident_events import (
    alert_grouped,
    delivery_outcome,
    incident_opened,
    incident_resolved,
    node_down,
    page_requested,
    step_fired,
)

T0 = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


class Log:
    def __init__(self) -> None:
        self.projection = IncidentProjection()
        self._ids = 0

    def read(self, topic: str, event: Event, at: datetime) -> None:
        self._ids += 1
        project(self.projection, event, RecordMeta(topic, f"e{self._ids}", at))

    def opened(self, incident_id: str, at: datetime, alert: Alert, priority: str = "P1") -> None:
        event = incident_opened(incident_id, at, alert, title=incident_id)
        self.read(INCIDENTS, event.model_copy(update={"priority": priority}), at)

    def joined(
        self, incident_id: str, alert: Alert, at: datetime, decision: str = "grouped"
    ) -> None:
        self.read(INCIDENTS, alert_grouped(incident_id, alert, decision=decision), at)

    def sent_again(self, incident_id: str, alert: Alert, times: int, at: datetime) -> None:
        for _ in range(times):
            self.joined(incident_id, alert, at, "deduplicated")

    def paged(
        self, incident_id: str, notification_id: str, at: datetime, sent: bool, step: int = 0
    ) -> None:
        """Alice's step fired: her first contact, and a second one as `<id>-2` (delivered)."""
        fired = step_fired(incident_id, at).model_copy(update={"step": step})
        self.read(NOTIFICATIONS, fired, at)
        second = page_requested(incident_id, f"{notification_id}-2", at)
        for page in (
            page_requested(incident_id, notification_id, at),
            second.model_copy(update={"channel": "user/alice/1"}),
        ):
            self.read(NOTIFICATIONS, page, at)
        outcome = delivery_outcome(incident_id, notification_id, at, sent=sent)
        self.read(NOTIFICATIONS, outcome, at)
        delivered = delivery_outcome(incident_id, f"{notification_id}-2", at, sent=True)
        self.read(NOTIFICATIONS, delivered.model_copy(update={"channel": "user/alice/1"}), at)

    def acknowledged(self, incident_id: str, at: datetime) -> None:
        event = IncidentAcknowledged(incident_id=incident_id, by="alice", at=at)
        self.read(NOTIFICATIONS, event, at)


def _week_of_on_call() -> Log:
    log = Log()
    # INC-A: NodeDown sent 3 times and HighErrorRate once; paged, acked in 2 min, resolved.
    node = node_down("a1", T0)
    log.opened("INC-A", T0, node, "P1")
    log.sent_again("INC-A", node, 2, T0)
    errors = node_down("a2", T0).model_copy(update={"labels": {"alertname": "HighErrorRate"}})
    log.joined("INC-A", errors, T0)
    log.paged("INC-A", "n1", T0, sent=True)
    log.acknowledged("INC-A", T0 + timedelta(minutes=2))
    resolved_at = T0 + timedelta(minutes=30)
    log.read(INCIDENTS, incident_resolved("INC-A", resolved_at), resolved_at)
    # INC-B: NodeDown sent twice; its first page failed, the second step paged; acked, open.
    opened_b = T0 + timedelta(days=2)
    log.opened("INC-B", opened_b, node_down("b1", opened_b), "P2")
    log.sent_again("INC-B", node_down("b1", opened_b), 1, opened_b)
    log.paged("INC-B", "n2", opened_b, sent=False)
    log.paged("INC-B", "n3", opened_b + timedelta(minutes=5), sent=True, step=1)
    log.acknowledged("INC-B", opened_b + timedelta(minutes=10))
    # INC-C opens after the window.
    log.opened("INC-C", T0 + WEEK, node_down("c1", T0 + WEEK))
    return log


def test_a_week_of_incidents_pages_and_response_times() -> None:
    found = analytics(_week_of_on_call().projection, T0, T0 + WEEK)

    assert (found.opened, found.still_open, found.by_priority) == (2, 1, {"P1": 1, "P2": 1})
    assert (found.flapping, found.escalated) == (0, 1)  # INC-B reached its second step
    assert (found.alerts, found.notifications) == (3, 6)
    assert found.noise_reduction == 1 - 2 / 6
    # 3 steps paged alice on two contacts each; one delivery failed: she was paged 3 times.
    assert (found.pages_sent, found.pages_failed, found.pages_by_person) == (5, 1, {"alice": 3})
    assert found.time_to_acknowledge == Spread(2, 120.0, 600.0, 600.0)
    assert found.time_to_resolve == Spread(1, 1800.0, 1800.0, 1800.0)
    assert found.top_alerts == [AlertTally("NodeDown", 2, 5), AlertTally("HighErrorRate", 1, 1)]


def test_time_to_resolve_ends_when_the_alerts_resolved_as_the_mttr_metric_counts_it() -> None:
    log = Log()
    log.opened("INC-A", T0, node_down("a1", T0), "P1")
    resolved_at = T0 + timedelta(minutes=25)
    ended = incident_resolved("INC-A", resolved_at).model_copy(
        update={"alerts_resolved_at": T0 + timedelta(minutes=20)}
    )
    log.read(INCIDENTS, ended, resolved_at)

    found = analytics(log.projection, T0, T0 + WEEK)

    assert found.time_to_resolve == Spread(1, 1200.0, 1200.0, 1200.0)


def test_a_step_fired_again_after_a_snooze_is_no_escalation() -> None:
    log = Log()
    log.opened("INC-S", T0, node_down("s1", T0))
    log.paged("INC-S", "n1", T0, sent=True)
    restarted = step_fired("INC-S", T0 + timedelta(hours=1)).model_copy(update={"generation": 1})
    log.read(NOTIFICATIONS, restarted, T0 + timedelta(hours=1))

    assert analytics(log.projection, T0, T0 + WEEK).escalated == 0


def test_an_alert_moved_to_another_incident_is_one_alert_sent_once() -> None:
    log = Log()
    log.opened("INC-X", T0, node_down("x1", T0))
    symptom = node_down("y1", T0).model_copy(update={"labels": {"alertname": "Symptom"}})
    log.joined("INC-X", symptom, T0, "inhibited")
    later = T0 + timedelta(minutes=3)  # its cause resolved: released into an incident of its own
    released = incident_opened("INC-Y", later, symptom, title="Symptom")
    log.read(INCIDENTS, released.model_copy(update={"moved_from": "INC-X"}), later)

    found = analytics(log.projection, T0, T0 + WEEK)

    assert (found.opened, found.alerts, found.notifications) == (2, 2, 2)
    assert found.top_alerts == [AlertTally("Symptom", 2, 1), AlertTally("NodeDown", 1, 1)]


def test_the_window_counts_incidents_by_when_they_opened() -> None:
    log = _week_of_on_call()

    assert analytics(log.projection, T0 + timedelta(days=1), T0 + WEEK).opened == 1
    empty = analytics(log.projection, T0 - WEEK, T0)
    assert (empty.opened, empty.noise_reduction, empty.top_alerts) == (0, None, [])
    assert empty.time_to_acknowledge == Spread(0, None, None, None)
    assert analytics(log.projection, T0, T0 + WEEK + timedelta(seconds=1)).opened == 3
