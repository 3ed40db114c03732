"""The page: everything a person (or a receiving system) is told about an incident.

A page is built by the router from incident state and handed to a channel. It carries only
what helps someone act under stress — what is affected, the business impact, the probable
cause, the few alerts that matter — never the raw label sets.
"""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from shared.alerts import Layer, Severity
from shared.events.incidents import Priority

PageStatus = Literal["triggered", "acknowledged", "resolved", "escalated"]


class PageAlert(BaseModel):
    """One of the few alerts shown on a page: what fired, how bad, where."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    alertname: str
    severity: Severity
    layer: Layer
    summary: str = ""
    service: str | None = None
    runbook_url: str | None = Field(
        default=None, description="what to do: the alert's runbook_url annotation"
    )
    resolved: bool = Field(default=False, description="stopped firing since it joined")

    @field_validator("runbook_url")
    @classmethod
    def _runbook_is_a_web_link(cls, url: str | None) -> str | None:
        if url is not None and not url.lower().startswith(("https://", "http://")):
            raise ValueError("runbook_url must be an absolute http(s) URL")
        return url


class Page(BaseModel):
    """Content of one notification. Channels render it; they never add facts to it.

    Collections are tuples so the frozen model is immutable all the way down; lists passed
    in are converted by validation.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    notification_id: str = Field(min_length=1, description="deterministic; idempotency key")
    incident_id: str = Field(min_length=1)
    incident_title: str
    status: PageStatus
    status_by: str = Field(
        default="", description="who acknowledged or resolved it (an update); empty otherwise"
    )
    priority: Priority
    impact: str = Field(default="", description="business impact line; empty when unknown")
    affected_services: tuple[str, ...] = ()
    probable_cause: str | None = Field(
        default=None, description='e.g. "NodeDown on node-7 (infrastructure)"'
    )
    flapping: str = Field(default="", description="why it is flapping; empty when it is not")
    alert_count: int = Field(ge=0)
    resolved_count: int = Field(
        default=0, ge=0, description="how many of the alert_count alerts stopped firing"
    )
    first_alert_at: AwareDatetime
    opened_at: AwareDatetime
    layers: tuple[Layer, ...] = ()
    top_alerts: tuple[PageAlert, ...] = ()
    escalation_step: int = Field(ge=1, description="1-based position in the escalation chain")
    escalation_repeat: int = Field(default=0, ge=0, description="completed loops of the chain")
    target: str = Field(min_length=1, description="the person paged")
    reassigned: bool = Field(
        default=False, description="paged because the incident was reassigned to them"
    )
    incident_url: str
    ack_url: str
    resolve_url: str
    test: bool = False
    time_zone: str = Field(
        default="UTC", description="the reader's IANA time zone: text and email show times in it"
    )

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError) as unknown:
            raise ValueError(f"unknown time zone {zone!r}") from unknown
        return zone

    @field_validator("incident_url", "ack_url", "resolve_url")
    @classmethod
    def _absolute_http_url(cls, url: str) -> str:
        # Links end up in href attributes and Slack buttons: refuse javascript: and friends.
        if not url.startswith(("https://", "http://")):
            raise ValueError("link must be an absolute http(s) URL")
        return url
