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


class EscalationStepFired(Event):
    """The router reached a step of an incident's escalation policy and requested its pages."""

    type: Literal["EscalationStepFired"] = "EscalationStepFired"
    incident_id: str
    policy: str
    step: int
    repeat: int
    generation: int
    at: AwareDatetime
    targets: list[str]
    reason: str


class NobodyPaged(Event):
    """Routing reached nobody: reported loudly instead of dropping the incident silently."""

    type: Literal["NobodyPaged"] = "NobodyPaged"
    incident_id: str
    at: AwareDatetime
    reason: str


class EscalationStarted(Event):
    """The router took on an incident; `policies` is the snapshot it will follow."""

    type: Literal["EscalationStarted"] = "EscalationStarted"
    incident_id: str
    domain: str
    policies: list[dict[str, Any]]
    facts: dict[str, Any]
    due_at: AwareDatetime
    reason: str


# Every event type of this module; the envelope codec decodes exactly these.
EVENTS: tuple[type[Event], ...] = (
    NotificationRequested,
    NotificationSent,
    NotificationFailed,
    EscalationStepFired,
    NobodyPaged,
    EscalationStarted,
)
