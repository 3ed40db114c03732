"""Events of an incident's life, built from literal values: opened, paged, delivered or failed,
acknowledged, snoozed and resolved. Each builder takes what tests vary and fixes the rest.

`Read` is one record of them as the tailer reads it, with its topic and a literal record time;
`opened`, `resolved`, `acknowledged`, `snoozed`, `requested` and `sent` build such records, for
tests of the incident history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.alerts import Alert, Layer, Severity
from shared.events import (
    AlertGrouped,
    EscalationStepFired,
    IncidentAcknowledged,
    IncidentOpened,
    IncidentResolved,
    NotificationFailed,
    NotificationRequested,
    NotificationSent,
)
from shared.events.base import Event
from shared.events.notifications import IncidentSnoozed
from shared.topics import INCIDENTS, NOTIFICATIONS

DAY = timedelta(days=1)
CHANNEL = "user/alice/0"  # alice's first contact, where every page here goes


def node_down(
    fingerprint: str,
    at: datetime,
    *,
    service: str | None = None,
    received_at: datetime | None = None,
) -> Alert:
    """A critical NodeDown alert of the canonical test integration, starting `at` (and received
    then, unless `received_at` says otherwise)."""
    return Alert(
        fingerprint=fingerprint,
        status="firing",
        severity=Severity.CRITICAL,
        layer=Layer.INFRASTRUCTURE,
        service=service,
        labels={"alertname": "NodeDown"},
        starts_at=at,
        source="canonical",
        integration="test",
        received_at=at if received_at is None else received_at,
    )


def incident_opened(
    incident_id: str,
    at: datetime,
    alert: Alert,
    *,
    title: str,
    domain: str = "region=eu",
    receivers: Sequence[str] = ("team",),
    group_key: str | None = None,
    notify_after: datetime | None = None,
    rule: str = "route 0",
    reason: str = "no open incident for the group",
) -> IncidentOpened:
    """`alert` opens `incident_id` at `at` (its group key is the incident id unless given; it
    notifies at once unless `notify_after` says otherwise)."""
    return IncidentOpened(
        incident_id=incident_id,
        domain=domain,
        title=title,
        priority="P1",
        receivers=list(receivers),
        group_key=incident_id if group_key is None else group_key,
        opened_at=at,
        notify_after=at if notify_after is None else notify_after,
        alert=alert,
        rule=rule,
        ruleset_version="v1",
        reason=reason,
    )


def alert_grouped(
    incident_id: str,
    alert: Alert,
    *,
    decision: str = "grouped",
    rule: str = "route 0",
    reason: str = "same group",
) -> AlertGrouped:
    """`alert` joined `incident_id` when it was received (`decision`: grouped, deduplicated,
    inhibited...)."""
    return AlertGrouped(
        incident_id=incident_id,
        alert=alert,
        decision=decision,
        at=alert.received_at,
        rule=rule,
        ruleset_version="v1",
        reason=reason,
    )


def step_fired(incident_id: str, at: datetime) -> EscalationStepFired:
    """The first step of the `team` policy fired, paging alice."""
    return EscalationStepFired(
        incident_id=incident_id,
        policy="team",
        step=0,
        repeat=0,
        generation=0,
        at=at,
        targets=["user:alice"],
        reason="step due",
    )


def page_requested(incident_id: str, notification_id: str, at: datetime) -> NotificationRequested:
    """A page to alice's first contact, requested as her step fell due."""
    return NotificationRequested(
        notification_id=notification_id,
        incident_id=incident_id,
        domain="region=eu",
        target="alice",
        channel=CHANNEL,
        requested_at=at,
        page={},
        reason="step due",
    )


def delivery_outcome(
    incident_id: str, notification_id: str, at: datetime, *, sent: bool
) -> NotificationSent | NotificationFailed:
    """What became of the page: delivered at the first attempt (`sent`), or given up after 4
    attempts, the last answered HTTP 503."""
    if sent:
        return NotificationSent(
            notification_id=notification_id,
            incident_id=incident_id,
            channel=CHANNEL,
            attempts=1,
            sent_at=at,
        )
    return NotificationFailed(
        notification_id=notification_id,
        incident_id=incident_id,
        channel=CHANNEL,
        attempts=4,
        reason="HTTP 503",
        failed_at=at,
    )


def incident_resolved(
    incident_id: str, at: datetime, *, by: str | None = None, reason: str = "all alerts resolved"
) -> IncidentResolved:
    """`incident_id` resolved at `at`: by a person (`by`), else by the resolve policy."""
    return IncidentResolved(
        incident_id=incident_id,
        resolved_at=at,
        by=by,
        rule="manual" if by else "resolve_policy",
        ruleset_version="v1",
        reason=reason,
    )


@dataclass(frozen=True)
class Read:
    """One record read: its topic, event and record time."""

    topic: str
    event: Event
    at: datetime


def opened(incident_id: str, at: datetime) -> Read:
    alert = node_down(f"{incident_id}-f", at)
    event = incident_opened(incident_id, at, alert, title=f"NodeDown {incident_id}")
    return Read(INCIDENTS, event, at)


def resolved(incident_id: str, at: datetime) -> Read:
    return Read(INCIDENTS, incident_resolved(incident_id, at), at)


def acknowledged(incident_id: str, at: datetime) -> Read:
    return Read(NOTIFICATIONS, IncidentAcknowledged(incident_id=incident_id, by="alice", at=at), at)


def snoozed(incident_id: str, at: datetime) -> Read:
    event = IncidentSnoozed(incident_id=incident_id, by="alice", until=at + DAY, at=at)
    return Read(NOTIFICATIONS, event, at)


def requested(incident_id: str, notification_id: str, at: datetime) -> Read:
    return Read(NOTIFICATIONS, page_requested(incident_id, notification_id, at), at)


def sent(incident_id: str, notification_id: str, at: datetime) -> Read:
    return Read(NOTIFICATIONS, delivery_outcome(incident_id, notification_id, at, sent=True), at)
