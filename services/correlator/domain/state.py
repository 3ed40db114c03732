"""The correlator's state for one partition: open incidents and the alerts attached to them.

State is mutable and changed only by `evolve`: copying it per event would cost more than the
whole decision at millions of alerts, and `decide` never writes to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from shared.alerts import Alert
from shared.events.incidents import Priority


@dataclass
class TrackedAlert:
    fingerprint: str
    incident_id: str
    alert: Alert
    firing: bool
    count: int
    first_seen_at: datetime
    last_seen_at: datetime
    suppressed: bool = False


@dataclass
class Incident:
    incident_id: str
    group_key: str
    rule: str
    opened_at: datetime
    priority: Priority
    fingerprints: set[str] = field(default_factory=set)
    firing: set[str] = field(default_factory=set)
    # When the last alert stopped firing: the resolve grace period counts from here.
    quiet_since: datetime | None = None
    acknowledged_by: str | None = None
    resolved_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


@dataclass
class CorrelatorState:
    clock: datetime | None = None
    incidents: dict[str, Incident] = field(default_factory=dict)
    open_by_group: dict[str, str] = field(default_factory=dict)
    alerts: dict[str, TrackedAlert] = field(default_factory=dict)
