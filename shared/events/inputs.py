"""Events written by ingest and the API: what arrived from the outside world."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime

from shared.alerts import Alert
from shared.events.base import Event


class AlertReceived(Event):
    """One canonical alert notification, accepted durably by ingest."""

    type: Literal["AlertReceived"] = "AlertReceived"
    alert: Alert


class PayloadReceived(Event):
    """A request body as posted (credentials redacted), kept so history can be replayed."""

    type: Literal["PayloadReceived"] = "PayloadReceived"
    integration: str
    source: str
    received_at: AwareDatetime
    body: Any


class AlertDropped(Event):
    """An accepted request that changes nothing (e.g. resolve of an unknown key), said aloud."""

    type: Literal["AlertDropped"] = "AlertDropped"
    integration: str
    fingerprint: str
    reason: str
    received_at: AwareDatetime


class ChangeRecorded(Event):
    """A change event (deploy, config change): context for incidents, never paged."""

    type: Literal["ChangeRecorded"] = "ChangeRecorded"
    integration: str
    summary: str
    source: str | None = None
    occurred_at: AwareDatetime
    received_at: AwareDatetime
    details: dict[str, Any] = {}


class HeartbeatReceived(Event):
    """A dead man's switch check-in."""

    type: Literal["HeartbeatReceived"] = "HeartbeatReceived"
    name: str
    received_at: AwareDatetime


class TickOccurred(Event):
    """Time passing, written into the log so timers fire the same way on replay."""

    type: Literal["TickOccurred"] = "TickOccurred"
    at: AwareDatetime


# Every event type of this module; the envelope codec decodes exactly these.
EVENTS: tuple[type[Event], ...] = (
    AlertReceived,
    PayloadReceived,
    AlertDropped,
    ChangeRecorded,
    HeartbeatReceived,
    TickOccurred,
)
