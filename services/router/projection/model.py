"""What the read model knows about each incident: its state now and its full timeline."""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from services.router.projection.silences import SilenceView
from shared.events import commands, notifications
from shared.events.base import Event

IncidentStatus = Literal["triggered", "acknowledged", "snoozed", "resolved"]
INCIDENT_STATUSES: tuple[IncidentStatus, ...] = ("triggered", "acknowledged", "snoozed", "resolved")
# A timeline longer than this keeps its first entries and counts the rest.
TIMELINE_LIMIT = 2000
# Events whose incident is not known yet (another topic is behind): kept until it opens.
WAITING_LIMIT = 50_000


# Resolved incidents whose full timeline the read model keeps in memory.
RESOLVED_DETAIL_LIMIT = 5_000
# Incidents dropped past the history whose ids are remembered, so their late events are ignored.
DROPPED_MEMORY = 50_000


@dataclass(frozen=True)
class RecordMeta:
    """Where an event was read: its topic, envelope id (for dropping duplicates) and time."""

    topic: str
    event_id: str
    occurred_at: datetime


# Stages of the events of one instant, in causal order; correlator decisions are stage 1. A
# delivery outcome comes before the router's facts: those of its instant are its effects (a
# failed page escalates at once, stamped with the failure's time), while the page it reports
# on was requested well before (delivering takes time).
_COMMAND_KINDS = frozenset(event.__name__ for event in commands.EVENTS)
_DELIVERY_KINDS = frozenset({"NotificationSent", "NotificationFailed"})
# The router's facts (IncidentAcknowledged is written by the router, declared with incidents).
_ROUTER_KINDS = (frozenset(event.__name__ for event in notifications.EVENTS) - _DELIVERY_KINDS) | {
    "IncidentAcknowledged"
}


def _stage(kind: str) -> int:
    if kind in _COMMAND_KINDS:
        return 0
    if kind in _ROUTER_KINDS:
        return 3
    return 2 if kind in _DELIVERY_KINDS else 1


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # the event type, e.g. "AlertGrouped", "NotificationSent", "SnoozeIncident"
    summary: str  # one line a person reads
    actor: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class AlertRow:
    fingerprint: str
    alertname: str
    severity: str
    layer: str
    service: str | None
    summary: str
    labels: dict[str, str]
    first_received_at: datetime
    last_received_at: datetime
    firing: bool = True
    notifications: int = 1  # times a source sent it (repeats included)
    moved_in: int = 0  # of those, notifications it brought along from another incident
    decision: str = "opened"  # opened | grouped | deduplicated | inhibited | moved (left it)
    runbook_url: str | None = None  # an http(s) link from its runbook annotation


@dataclass
class PageRow:
    notification_id: str
    target: str
    channel: str
    requested_at: datetime
    status: Literal["requested", "sent", "failed"] = "requested"
    attempts: int = 0
    reason: str = ""
    finished_at: datetime | None = None
    # "page", or the change a channel is told of: "acknowledged", "resolved".
    tells: str = "page"

    @property
    def to_person(self) -> bool:
        """To one of a user's contacts (`user/<name>/<index>`), not to a channel."""
        return self.channel.startswith("user/")


@dataclass(frozen=True)
class Verdict:
    applied: bool
    reason: str  # why it was rejected; empty when applied
    at: datetime


@dataclass
class IncidentView:
    incident_id: str
    domain: str
    title: str
    priority: str
    opened_at: datetime
    group_key: str
    rule: str
    receivers: list[str]
    status: IncidentStatus = "triggered"
    services: list[str] = field(default_factory=list)
    alerts: dict[str, AlertRow] = field(default_factory=dict)
    pages: dict[str, PageRow] = field(default_factory=dict)
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    # When its last alert resolved, if its grace ran out after that: where the outage ended,
    # what time to resolve counts to (as the MTTR metric does).
    alerts_resolved_at: datetime | None = None
    snoozed_until: datetime | None = None
    assignee: str | None = None
    commander: str | None = None
    flapping: bool = False  # an alert of it keeps resolving and firing again
    escalated: bool = False  # a step past the first fired, or the policy repeated
    # The correlator's probable root cause, as pages name it (`NodeDown on host:node-7`), and
    # why it was named; the alert that opened the incident until another is named.
    probable_cause: str = ""
    probable_cause_reason: str = ""
    generation: int = 0
    generation_at: datetime | None = None  # when the latest generation began
    timeline: list[TimelineEntry] = field(default_factory=list)
    omitted: int = 0  # timeline entries past TIMELINE_LIMIT
    # Kept whatever the timeline keeps (a post-incident report states them): entries by
    # kind, and the first acknowledgement (a reassignment clears the current one).
    kind_counts: dict[str, int] = field(default_factory=dict)
    first_acknowledged_at: datetime | None = None
    first_acknowledged_by: str | None = None
    verdicts: dict[str, Verdict] = field(default_factory=dict)  # by command id
    seen: set[str] = field(default_factory=set)  # envelope ids folded in
    compacted: bool = False  # an old resolved incident: summary kept, details dropped

    def compact(self) -> None:
        """Keep the summary of a long-resolved incident; its details stay on the log."""
        self.omitted += len(self.timeline)
        self.timeline, self.seen, self.verdicts = [], set(), {}
        self.compacted = True

    def record(self, entry: TimelineEntry) -> None:
        self.kind_counts[entry.kind] = self.kind_counts.get(entry.kind, 0) + 1
        if len(self.timeline) < TIMELINE_LIMIT:
            self.timeline.append(entry)
        else:
            self.omitted += 1

    def ordered_timeline(self) -> list[TimelineEntry]:
        """By time; entries of one instant in causal order (a command, the correlator's
        decisions, the deliveries, the router's facts), each stage in the order it was read:
        the topics are read side by side, so their relative read order differs from one
        fold (or rebuild) to the next, while one stage's entries come from one partition."""
        return sorted(self.timeline, key=lambda entry: (entry.at, _stage(entry.kind)))


@dataclass
class IncidentProjection:
    incidents: dict[str, IncidentView] = field(default_factory=dict)
    waiting: dict[str, list[tuple[Event, RecordMeta]]] = field(default_factory=dict)
    waiting_count: int = 0
    # Resolved incidents in the order they resolved; past RESOLVED_DETAIL_LIMIT the oldest
    # are compacted, so the read model's memory stays bounded under sustained load.
    resolved_order: deque[str] = field(default_factory=deque)
    resolved_detail_limit: int = RESOLVED_DETAIL_LIMIT
    silences: dict[str, SilenceView] = field(default_factory=dict)  # the API's, by id
    # The incident history (see `history.py`): resolved incidents are dropped once they
    # resolved more than `history` before `newest_at`, the newest record time folded (event
    # time, never the clock). 0: kept forever; the tailer sets the configured one.
    history: timedelta = timedelta(0)
    newest_at: datetime | None = None
    # Every resolved incident held, as a heap of (record time of its resolution, id).
    expiring: list[tuple[datetime, str]] = field(default_factory=list)
    # The last DROPPED_MEMORY incidents dropped, oldest first, and how many were dropped.
    dropped: OrderedDict[str, None] = field(default_factory=OrderedDict)
    dropped_total: int = 0
