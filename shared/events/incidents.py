"""Events written by the correlator: incident lifecycle and every grouping decision."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime

from shared.alerts import Alert
from shared.events.base import Event

Priority = Literal["P1", "P2", "P3", "P4", "P5"]


class Decision(Event):
    """Explainability fields every correlator decision carries."""

    rule: str
    ruleset_version: str
    reason: str


class IncidentOpened(Decision):
    type: Literal["IncidentOpened"] = "IncidentOpened"
    incident_id: str
    domain: str
    title: str
    priority: Priority
    receivers: list[str]
    group_key: str
    opened_at: AwareDatetime
    # The router holds the first page this long so alerts of the same problem join it.
    notify_after: AwareDatetime
    alert: Alert


class AlertGrouped(Decision):
    """An alert joined an open incident (also used for repeats and suppressed symptoms)."""

    type: Literal["AlertGrouped"] = "AlertGrouped"
    incident_id: str
    alert: Alert
    decision: Literal["grouped", "deduplicated", "inhibited"]
    at: AwareDatetime


class IncidentPriorityChanged(Decision):
    type: Literal["IncidentPriorityChanged"] = "IncidentPriorityChanged"
    incident_id: str
    priority: Priority
    at: AwareDatetime


class IncidentAcknowledged(Event):
    type: Literal["IncidentAcknowledged"] = "IncidentAcknowledged"
    incident_id: str
    by: str
    at: AwareDatetime


class IncidentResolved(Decision):
    type: Literal["IncidentResolved"] = "IncidentResolved"
    incident_id: str
    resolved_at: AwareDatetime
    by: str | None = None


class AlertResolved(Decision):
    """An alert of an incident stopped firing (sent resolved, or its end time passed)."""

    type: Literal["AlertResolved"] = "AlertResolved"
    incident_id: str
    fingerprint: str
    at: AwareDatetime


# Every event type of this module; the envelope codec decodes exactly these.
EVENTS: tuple[type[Event], ...] = (
    IncidentOpened,
    AlertGrouped,
    AlertResolved,
    IncidentPriorityChanged,
    IncidentAcknowledged,
    IncidentResolved,
)
