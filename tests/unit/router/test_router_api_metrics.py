"""Router metrics fed from the log: time to page, MTTA, MTTR, commands and escalations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry

from services.router.config import RouterConfig
from services.router.directory import ConfigDirectory
from services.router.metrics import RouterMetrics
from services.router.processor import RouterProcessor
from shared.events import (
    AcknowledgeIncident,
    IncidentAcknowledged,
    IncidentOpened,
    IncidentResolved,
    TickOccurred,
    deterministic_id,
    wrap,
)
from shared.events.base import Event
from shared.events.commands import SnoozeIncident
from tests.support.incident_events import delivery_outcome, incident_opened, node_down

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
RECEIVED = T0 - timedelta(seconds=2)
DIRECTORY = ConfigDirectory(
    RouterConfig.model_validate(
        {
            "users": [{"name": "alice", "contacts": [{"type": "console"}]}],
            "escalation_policies": [
                {"name": "team", "steps": [{"delay": "0s", "notify": ["user:alice"]}]}
            ],
        }
    )
)


WITH_CHANNEL = ConfigDirectory(
    RouterConfig.model_validate(
        {
            "users": [{"name": "alice", "contacts": [{"type": "console"}]}],
            "channels": {"ops": {"type": "webhook", "url": "http://127.0.0.1:9/ops"}},
            "escalation_policies": [
                {
                    "name": "team",
                    "steps": [{"delay": "0s", "notify": ["user:alice", "channel:ops"]}],
                }
            ],
        }
    )
)


class Harness:
    def __init__(self, directory: ConfigDirectory = DIRECTORY) -> None:
        self.registry = CollectorRegistry()
        self.processor = RouterProcessor(0, directory, RouterMetrics(self.registry))
        self._count = 0

    def feed(self, event: Event, at: datetime) -> None:
        self._count += 1
        envelope = wrap(event, key="k", event_id=deterministic_id(self._count), occurred_at=at)
        self.processor.apply(envelope, event, live=True)

    def value(self, name: str, **labels: str) -> float:
        return self.registry.get_sample_value(name, labels) or 0.0


def opened() -> IncidentOpened:
    """INC-1 opens at T0 for an alert received 2s before it started."""
    alert = node_down("f1", T0, received_at=RECEIVED)
    return incident_opened(
        "INC-1", T0, alert, title="t", domain="d", group_key="g", rule="r", reason="test"
    )


def sent(at: datetime, notification_id: str = "n1") -> Event:
    return delivery_outcome("INC-1", notification_id, at, sent=True)


def ack(command_id: str, at: datetime) -> AcknowledgeIncident:
    return AcknowledgeIncident(command_id=command_id, incident_id="INC-1", actor="a", issued_at=at)


def test_time_from_alert_received_to_first_page_delivered_is_observed_once() -> None:
    h = Harness()
    h.feed(opened(), T0)
    h.feed(TickOccurred(at=T0), T0)
    h.feed(sent(T0 + timedelta(seconds=3)), T0 + timedelta(seconds=3))
    h.feed(sent(T0 + timedelta(seconds=9), "n2"), T0 + timedelta(seconds=9))
    assert h.value("tocsin_router_alert_to_page_seconds_count") == 1
    assert h.value("tocsin_router_alert_to_page_seconds_sum") == 5.0


def test_an_update_delivered_after_every_page_failed_is_no_time_to_page() -> None:
    h = Harness(WITH_CHANNEL)
    h.feed(opened(), T0)
    h.feed(TickOccurred(at=T0), T0)
    escalation = h.processor.state.escalations["INC-1"]
    failed_at = T0 + timedelta(seconds=43)
    for page in sorted(escalation.recipient_of):
        h.feed(delivery_outcome("INC-1", page, failed_at, sent=False), failed_at)
    h.feed(ack("c1", failed_at), failed_at)  # the ops channel is told
    [update] = escalation.updates

    h.feed(sent(failed_at + timedelta(seconds=1), update), failed_at + timedelta(seconds=1))

    assert escalation.first_page_sent_at is None
    assert h.value("tocsin_router_alert_to_page_seconds_count") == 0


def test_time_to_acknowledge_counts_the_first_acknowledgement_only() -> None:
    h = Harness()
    h.feed(opened(), T0)
    h.feed(ack("c1", T0 + timedelta(minutes=4)), T0 + timedelta(minutes=4))
    h.feed(
        SnoozeIncident(
            command_id="c2", incident_id="INC-1", actor="a", duration_s=60, issued_at=T0
        ),
        T0 + timedelta(minutes=5),
    )
    h.feed(TickOccurred(at=T0 + timedelta(minutes=6)), T0 + timedelta(minutes=6))
    h.feed(ack("c3", T0 + timedelta(minutes=8)), T0 + timedelta(minutes=8))
    assert h.value("tocsin_router_time_to_acknowledge_seconds_count") == 1
    assert h.value("tocsin_router_time_to_acknowledge_seconds_sum") == 240.0
    assert h.value("tocsin_router_acknowledgements_total") == 2
    assert h.value("tocsin_router_escalations_total", cause="snooze_ended") == 1
    assert h.value("tocsin_router_commands_total", command="acknowledge", outcome="applied") == 2


def test_time_to_acknowledge_counts_an_acknowledgement_of_an_incident_snoozed_unacknowledged() -> (
    None
):
    # As the post-incident report and analytics count it: the first acknowledgement, whatever
    # the status it found.
    h = Harness()
    h.feed(opened(), T0)
    h.feed(
        SnoozeIncident(
            command_id="c1", incident_id="INC-1", actor="a", duration_s=3600, issued_at=T0
        ),
        T0 + timedelta(minutes=1),
    )
    h.feed(ack("c2", T0 + timedelta(minutes=3)), T0 + timedelta(minutes=3))

    assert h.value("tocsin_router_time_to_acknowledge_seconds_count") == 1
    assert h.value("tocsin_router_time_to_acknowledge_seconds_sum") == 180.0
    assert h.value("tocsin_router_acknowledgements_total") == 1


def test_time_to_resolve_is_observed_when_the_incident_resolves() -> None:
    h = Harness()
    h.feed(opened(), T0)
    resolved = IncidentResolved(
        incident_id="INC-1",
        resolved_at=T0 + timedelta(hours=1),
        rule="manual",
        ruleset_version="v1",
        reason="fixed",
    )
    h.feed(resolved, T0 + timedelta(hours=1))
    assert h.value("tocsin_router_time_to_resolve_seconds_count") == 1
    assert h.value("tocsin_router_time_to_resolve_seconds_sum") == 3600.0


def test_rejected_commands_are_counted_as_rejected() -> None:
    h = Harness()
    h.feed(opened(), T0)
    h.feed(ack("c1", T0), T0 + timedelta(minutes=1))
    h.feed(ack("c2", T0), T0 + timedelta(minutes=2))
    assert h.value("tocsin_router_commands_total", command="acknowledge", outcome="rejected") == 1


def test_pages_requested_are_counted_by_channel_kind() -> None:
    h = Harness()
    h.feed(opened(), T0)
    h.feed(TickOccurred(at=T0), T0)
    assert h.value("tocsin_router_notifications_requested_total", channel_kind="user") == 1
    assert h.value("tocsin_router_escalations_total", cause="opened") == 1


def test_an_acknowledgement_at_the_source_after_one_through_the_api_counts_once() -> None:
    h = Harness()
    h.feed(opened(), T0)
    h.feed(ack("c1", T0 + timedelta(minutes=2)), T0 + timedelta(minutes=2))
    at_source = IncidentAcknowledged(
        incident_id="INC-1", by="opsgenie", at=T0 + timedelta(minutes=3)
    )
    h.feed(at_source, T0 + timedelta(minutes=3))

    assert h.value("tocsin_router_acknowledgements_total") == 1
    assert h.value("tocsin_router_time_to_acknowledge_seconds_count") == 1


def test_updates_to_channels_are_not_counted_as_pages_requested() -> None:
    h = Harness(WITH_CHANNEL)
    h.feed(opened(), T0)
    h.feed(TickOccurred(at=T0), T0)
    h.feed(ack("c1", T0 + timedelta(minutes=1)), T0 + timedelta(minutes=1))

    assert h.processor.state.escalations["INC-1"].updates  # the ops channel is told
    assert h.value("tocsin_router_notifications_requested_total", channel_kind="named") == 1
    assert h.value("tocsin_router_notifications_requested_total", channel_kind="user") == 1
    assert h.value("tocsin_router_updates_requested_total", channel_kind="named") == 1


def test_time_to_resolve_of_an_incident_that_resolved_by_itself_ends_with_its_alerts() -> None:
    h = Harness()
    h.feed(opened(), T0)
    resolved = IncidentResolved(
        incident_id="INC-1",
        resolved_at=T0 + timedelta(minutes=25),
        rule="resolve_policy.all_resolved",
        ruleset_version="v1",
        reason="all alerts resolved, grace 5m",
        alerts_resolved_at=T0 + timedelta(minutes=20),
    )
    h.feed(resolved, T0 + timedelta(minutes=25))
    assert h.value("tocsin_router_time_to_resolve_seconds_sum") == 1200.0
