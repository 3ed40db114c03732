"""The correlator's state for one partition: open incidents, their alerts, and indexes.

State is mutable and changed only by `evolve`: copying it per event would cost more than the
whole decision at millions of alerts, and `decide` never writes to it. The indexes (by group,
by topology resource, by inhibition key, timers) let one alert look only at its neighbourhood.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.correlator.domain.record import AlertRecord
from services.correlator.domain.topology import CauseRank
from shared.alerts import Alert
from shared.events.incidents import Priority, ResolvePolicy

# (rule index, domain, values of the rule's `equal` labels)
InhibitKey = tuple[int, str, tuple[str, ...]]
# (due at, kind, key): kinds are "end", "grace", "held", "heartbeat"
Timer = tuple[datetime, str, str]
NO_CAUSE: CauseRank = (9, 9, 9)  # worse than any alert's rank


@dataclass(slots=True)
class TrackedAlert:
    fingerprint: str
    incident_id: str
    alert: AlertRecord
    firing: bool
    count: int
    first_seen: str  # when it first joined, ISO 8601: told in every repeat's reason
    # When it was last seen firing: its latest firing notification, or when it resolved.
    last_seen_at: datetime
    suppressed: bool = False
    resources: tuple[str, ...] = ()
    # When it fired again after resolving, the latest few: flapping is counted from these.
    refired_at: tuple[datetime, ...] = ()
    # The start of its latest occurrence, when later than `alert.starts_at` (which stays the
    # first: a flapping alert is no fresh evidence each time it fires again).
    restarted_at: datetime | None = None
    # Bit i set: indexed as a source (target) of inhibit rule i while firing.
    source_rules: int = 0
    target_rules: int = 0


@dataclass(slots=True)
class FlapTrail:
    """An alert whose incident resolved on its own: firing again soon after is a flap of it,
    counted with the times it fired again before (the latest few)."""

    incident_id: str
    resolved_at: datetime
    refired_at: tuple[datetime, ...]


@dataclass(slots=True)
class Incident:
    incident_id: str
    domain: str
    group_key: str
    rule: str
    opened_at: datetime
    notify_after: datetime
    priority: Priority
    resolve_policy: ResolvePolicy = "all_resolved"
    resolve_grace: timedelta = timedelta(minutes=5)
    fingerprints: set[str] = field(default_factory=set)
    firing: set[str] = field(default_factory=set)
    # When the last alert stopped firing: the resolve grace period counts from here.
    quiet_since: datetime | None = None
    acknowledged_by: str | None = None
    flapping: bool = False
    cause: str = ""
    cause_rank: CauseRank = NO_CAUSE
    # What priority is computed from, over the alerts that are not suppressed.
    severity_rank: int = 3
    business: bool = False
    services: set[str] = field(default_factory=set)
    # Topology resource → the alert of this incident on it that started last.
    resources: dict[str, str] = field(default_factory=dict)
    # Whom its pages go to: its route's receivers, then those of alerts joining by topology.
    receivers: tuple[str, ...] = ()


@dataclass(slots=True)
class HeldAlert:
    alert: Alert
    held_at: datetime
    within: timedelta

    @property
    def leaves_at(self) -> datetime:
        """When the hold ends unless the threshold is reached: at the end of its window, or at
        the alert's own end time (its `resolve_timeout`) if that comes first."""
        window_ends = self.held_at + self.within
        ends_at = self.alert.ends_at
        return window_ends if ends_at is None else min(window_ends, ends_at)

    def ended_before_window(self) -> bool:
        """The alert's end time, not its window, ends the hold: it resolved while held."""
        return self.leaves_at < self.held_at + self.within


@dataclass(slots=True)
class HeartbeatTrack:
    last_seen_at: datetime
    # The correlation domain its check-ins arrive under: its incidents open there.
    domain: str
    missing: bool = False
    # The HeartbeatMissing alert fired while missing: a reload may have changed its labels.
    alert: Alert | None = None


@dataclass
class CorrelatorState:
    clock: datetime | None = None
    # The rule set last applied from the log (None: the one the process started with).
    ruleset_version: str | None = None
    incidents: dict[str, Incident] = field(default_factory=dict)
    # `domain|group key` → the incident the route group opened.
    open_by_group: dict[str, str] = field(default_factory=dict)
    alerts: dict[str, TrackedAlert] = field(default_factory=dict)
    # Fingerprint → trail of an alert whose incident resolved on its own within the flapping
    # window, oldest resolution first: so flapping is caught across incidents too.
    resolved_alerts: dict[str, FlapTrail] = field(default_factory=dict)
    # `domain|group key` → fingerprint → alert held below a threshold.
    held: dict[str, dict[str, HeldAlert]] = field(default_factory=dict)
    heartbeats: dict[str, HeartbeatTrack] = field(default_factory=dict)
    # domain → resource → incident id → the alert of that incident on it that started last.
    by_resource: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    # Firing alerts that may inhibit (sources) or be inhibited (targets), by inhibition key.
    inhibit_sources: dict[InhibitKey, dict[str, None]] = field(default_factory=dict)
    inhibit_targets: dict[InhibitKey, dict[str, None]] = field(default_factory=dict)
    # A heap of timers, and the due time armed for each (kind, key) (see `timers`).
    timers: list[Timer] = field(default_factory=list)
    scheduled: dict[tuple[str, str], datetime] = field(default_factory=dict)


def slot(domain: str, key: str) -> str:
    """Index key scoped to a correlation domain: grouping never crosses domains."""
    return f"{domain}|{key}"
