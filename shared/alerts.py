"""The canonical alert: what every source's payload is normalized into."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class Severity(StrEnum):
    """Normalized severity, ordered from most to least urgent by `SEVERITY_RANK`."""

    CRITICAL = "critical"
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


SEVERITY_RANK: dict[Severity, int] = {
    Severity.CRITICAL: 0,
    Severity.ERROR: 1,
    Severity.WARNING: 2,
    Severity.INFO: 3,
}


class Layer(StrEnum):
    """Which layer of the stack an alert speaks for; lower layers are likelier root causes."""

    INFRASTRUCTURE = "infrastructure"
    APPLICATION = "application"
    BUSINESS = "business"


AlertStatus = Literal["firing", "resolved"]


class Alert(BaseModel):
    """One alert notification in Tocsin's canonical shape.

    `fingerprint` identifies the alert across notifications: repeats of the same problem
    share it. `labels` always include `alertname`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    fingerprint: str = Field(min_length=1, max_length=128)
    status: AlertStatus
    severity: Severity
    layer: Layer
    service: str | None = None
    team: str | None = None
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    starts_at: AwareDatetime
    ends_at: AwareDatetime | None = None
    summary: str = ""
    generator_url: str | None = None
    source: str = Field(description="integration type, e.g. alertmanager, grafana, pagerduty")
    integration: str = Field(description="configured integration name")
    received_at: AwareDatetime

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname", "")


def is_resolved_at(alert: Alert, at: datetime) -> bool:
    """Alertmanager's rule: an alert is resolved once its end time is not in the future."""
    return alert.status == "resolved" or (alert.ends_at is not None and alert.ends_at <= at)
