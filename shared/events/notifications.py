"""Events of the router and dispatcher: pages requested, delivered or failed."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime

from shared.events.base import Event


class NotificationRequested(Event):
    """A page to send. `notification_id` is deterministic: it is sent at most once."""

    type: Literal["NotificationRequested"] = "NotificationRequested"
    notification_id: str
    incident_id: str
    domain: str
    target: str
    channel: str
    requested_at: AwareDatetime
    page: dict[str, Any]
    reason: str


class NotificationSent(Event):
    type: Literal["NotificationSent"] = "NotificationSent"
    notification_id: str
    incident_id: str
    channel: str
    attempts: int
    sent_at: AwareDatetime


class NotificationFailed(Event):
    """Delivery gave up; the router falls back to the next escalation step."""

    type: Literal["NotificationFailed"] = "NotificationFailed"
    notification_id: str
    incident_id: str
    channel: str
    attempts: int
    reason: str
    failed_at: AwareDatetime
