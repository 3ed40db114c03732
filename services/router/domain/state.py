"""The router's state for one partition: escalations of open incidents."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.router.domain.policy import EscalationPolicy


@dataclass
class Escalation:
    incident_id: str
    domain: str
    policies: tuple[EscalationPolicy, ...]  # snapshotted when the incident opened
    facts: dict[str, Any]  # what the page says: title, priority, alerts, cause
    status: str = "triggered"  # triggered | acknowledged | resolved
    generation: int = 0
    step: int = 0
    repeat: int = 0
    due_at: datetime | None = None
    requested: set[str] = field(default_factory=set)


@dataclass
class RouterState:
    clock: datetime | None = None
    escalations: dict[str, Escalation] = field(default_factory=dict)
