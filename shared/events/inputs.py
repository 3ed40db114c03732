"""Events written by ingest and the API: what arrived from the outside world."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from shared.alerts import Alert
from shared.events.base import Event


class AlertReceived(Event):
    """One canonical alert notification, accepted durably by ingest."""

    type: Literal["AlertReceived"] = "AlertReceived"
    alert: Alert


class RequestParameters(BaseModel):
    """What a request said outside its body and replaying it needs: the action its path
    names and the alert it targets (an Opsgenie close or acknowledge names its alert only in
    the URL). `identifier_type` is the query's `identifierType`, None when absent."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: str
    identifier: str
    identifier_type: str | None = None


class PayloadReceived(Event):
    """A request body as posted (credentials redacted), kept so history can be replayed.

    `request`: the request's path and query parameters, for the requests whose body alone
    does not say what they did (Opsgenie close and acknowledge); None, and then left out of
    the record, for every other request and for records written before it existed.
    """

    type: Literal["PayloadReceived"] = "PayloadReceived"
    integration: str
    source: str
    received_at: AwareDatetime
    body: Any
    request: RequestParameters | None = None

    @model_serializer(mode="wrap")
    def _without_absent_request(self, handler: SerializerFunctionWrapHandler) -> Any:
        """The record as before `request` existed when there is none: same bytes."""
        dumped = handler(self)
        if self.request is None and isinstance(dumped, dict):
            dumped.pop("request", None)
        return dumped


class AlertDropped(Event):
    """An accepted request that changes nothing (e.g. resolve of an unknown key), said aloud."""

    type: Literal["AlertDropped"] = "AlertDropped"
    integration: str
    fingerprint: str
    reason: str
    received_at: AwareDatetime


class ChangeLink(BaseModel):
    """A link a change event carries (e.g. to the deploy or the pull request)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    href: str
    text: str | None = None


class ChangeRecorded(Event):
    """A change event (deploy, config change): context for incidents, never paged.

    `source` is the system that reported the change (PagerDuty's `payload.source`); `key`
    identifies the change deterministically; `labels` are the integration's default labels,
    so a change can be matched to the correlation domain it happened in.
    """

    type: Literal["ChangeRecorded"] = "ChangeRecorded"
    integration: str
    summary: str
    source: str | None = None
    occurred_at: AwareDatetime
    received_at: AwareDatetime
    details: dict[str, Any] = {}
    key: str | None = None
    labels: dict[str, str] = {}
    service: str | None = None
    team: str | None = None
    links: tuple[ChangeLink, ...] = ()


class HeartbeatReceived(Event):
    """A dead man's switch check-in of the configured heartbeat `name`.

    `integration` names the integration whose watchdog alert served as the check-in; None
    when it was posted to the heartbeat's own endpoint.
    """

    type: Literal["HeartbeatReceived"] = "HeartbeatReceived"
    name: str
    received_at: AwareDatetime
    integration: str | None = None


class AlertAcknowledgedAtSource(Event):
    """The sender says someone is on an alert (a PagerDuty or Opsgenie acknowledge).

    It changes no alert: the correlator may record it on the incident holding `fingerprint`,
    and drops it, said aloud, when no incident does.
    """

    type: Literal["AlertAcknowledgedAtSource"] = "AlertAcknowledgedAtSource"
    integration: str
    source: str = Field(description="integration type, e.g. pagerduty or opsgenie")
    fingerprint: str
    received_at: AwareDatetime
    by: str | None = None
    note: str | None = None


# The record key of ticks: they belong to a partition, not to a correlation domain.
TICK_KEY = "tick"


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
    AlertAcknowledgedAtSource,
)
