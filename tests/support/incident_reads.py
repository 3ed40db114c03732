"""Records of the read model's topics as the tailer reads them, each with a literal record
time: incidents opened, acknowledged, snoozed, paged and resolved, for tests of the incident
history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.alerts import Alert, Layer, Severity
from shared.events import (
    IncidentAcknowledged,
    IncidentOpened,
    IncidentResolved,
    NotificationRequested,
    NotificationSent,
)
from shared.events.base import Event
from shared.events.notifications import IncidentSnoozed
from shared.topics import INCIDENTS, NOTIFICATIONS

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Read:
    """One record read: its topic, event and record time."""

    topic: str
    event: Event
    at: datetime


def opened(incident_id: str, at: datetime) -> Read:
    alert = Alert(
        fingerprint=f"{incident_id}-f",
        status="firing",
        severity=Severity.CRITICAL,
        layer=Layer.INFRASTRUCTURE,
        labels={"alertname": "NodeDown"},
        starts_at=at,
        source="canonical",
        integration="test",
        received_at=at,
    )
    event = IncidentOpened(
        incident_id=incident_id,
        domain="region=eu",
        title=f"NodeDown {incident_id}",
        priority="P1",
        receivers=["team"],
        group_key=incident_id,
        opened_at=at,
        notify_after=at,
        alert=alert,
        rule="route 0",
        ruleset_version="v1",
        reason="no open incident for the group",
    )
    return Read(INCIDENTS, event, at)


def resolved(incident_id: str, at: datetime) -> Read:
    event = IncidentResolved(
        incident_id=incident_id,
        resolved_at=at,
        rule="resolve_policy",
        ruleset_version="v1",
        reason="all alerts resolved",
    )
    return Read(INCIDENTS, event, at)


def acknowledged(incident_id: str, at: datetime) -> Read:
    return Read(NOTIFICATIONS, IncidentAcknowledged(incident_id=incident_id, by="alice", at=at), at)


def snoozed(incident_id: str, at: datetime) -> Read:
    event = IncidentSnoozed(incident_id=incident_id, by="alice", until=at + DAY, at=at)
    return Read(NOTIFICATIONS, event, at)


def requested(incident_id: str, notification_id: str, at: datetime) -> Read:
    event = NotificationRequested(
        notification_id=notification_id,
        incident_id=incident_id,
        domain="region=eu",
        target="alice",
        channel="user/alice/0",
        requested_at=at,
        page={},
        reason="step due",
    )
    return Read(NOTIFICATIONS, event, at)


def sent(incident_id: str, notification_id: str, at: datetime) -> Read:
    event = NotificationSent(
        notification_id=notification_id,
        incident_id=incident_id,
        channel="user/alice/0",
        attempts=1,
        sent_at=at,
    )
    return Read(NOTIFICATIONS, event, at)
