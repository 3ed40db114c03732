"""The router's metrics bundle: pages, escalations, commands, time to page, MTTA and MTTR."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram

from services.router.domain.state import Escalation, EscalationStatus
from shared.events import (
    EscalationStarted,
    EscalationStepFired,
    IncidentAcknowledged,
    IncidentResolved,
    NobodyPaged,
    NotificationRequested,
)
from shared.events.base import Event
from shared.events.notifications import (
    CommandApplied,
    CommandRejected,
    EscalationRestarted,
    EscalationWidened,
    IncidentReassigned,
)
from shared.runtime.config_rejections import config_rejections

log = logging.getLogger(__name__)

# From a page with no group wait (milliseconds on one machine) to one after a long outage of
# the receiver.
# A delivery takes its retries too: up to a few attempts' time limits and backoffs.
DELIVERY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 45, 60, 120)
PAGE_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
# People: minutes to hours (MTTA), minutes to days (MTTR).
ACK_BUCKETS = (30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400)
RESOLVE_BUCKETS = (60, 300, 600, 1800, 3600, 7200, 14400, 28800, 86400, 259200, 604800)
_ESCALATION_CAUSES = {
    EscalationStarted: "opened",
    EscalationRestarted: "snooze_ended",
    IncidentReassigned: "reassigned",
    EscalationWidened: "widened",
}


@dataclass(frozen=True, slots=True)
class Milestones:
    """An escalation's times the people metrics measure from, as they were before an event
    (the event may change them, or end the escalation)."""

    opened_at: datetime | None
    alert_received_at: datetime | None
    first_acknowledged_at: datetime | None
    first_page_sent_at: datetime | None
    status: EscalationStatus = "triggered"

    @classmethod
    def of(cls, escalation: Escalation) -> Milestones:
        return cls(
            escalation.opened_at,
            escalation.alert_received_at,
            escalation.first_acknowledged_at,
            escalation.first_page_sent_at,
            escalation.status,
        )


class RouterMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        rejected = config_rejections(registry)
        self.router_config_rejected = rejected.labels(reader="router")
        self.dispatcher_config_rejected = rejected.labels(reader="dispatcher")
        self.requested = Counter(
            "tocsin_router_notifications_requested_total",
            "Pages requested by escalation steps",
            ["channel_kind"],
            registry=registry,
        )
        self.updates_requested = Counter(
            "tocsin_router_updates_requested_total",
            "Acknowledged or resolved updates requested for channels paged before",
            ["channel_kind"],
            registry=registry,
        )
        self.escalations = Counter(
            "tocsin_router_escalation_steps_total", "Escalation steps fired", registry=registry
        )
        self.escalations_started = Counter(
            "tocsin_router_escalations_total",
            "Escalations started: incident opened, snooze ended, reassigned",
            ["cause"],
            registry=registry,
        )
        self.nobody_paged = Counter(
            "tocsin_router_nobody_paged_total",
            "Incidents or steps whose routing reached nobody",
            registry=registry,
        )
        self.deliveries = Counter(
            "tocsin_router_notifications_total",
            "Notification deliveries by channel, its kind and type, page or update, and outcome",
            ["channel", "channel_kind", "channel_type", "notification", "outcome"],
            registry=registry,
        )
        self.delivery_seconds = Histogram(
            "tocsin_router_delivery_seconds",
            "Time to deliver one notification, retries included",
            ["channel", "channel_kind", "channel_type", "notification"],
            buckets=DELIVERY_BUCKETS,
            registry=registry,
        )
        self._people_metrics(registry)
        # Children of the labelled counters, resolved once: `labels()` costs a lock and a
        # lookup per page otherwise.
        self._requested_by_kind = {kind: self.requested.labels(kind) for kind in CHANNEL_KINDS}
        self._updates_by_kind = {
            kind: self.updates_requested.labels(kind) for kind in CHANNEL_KINDS
        }
        self._started_by_cause = {
            kind: self.escalations_started.labels(cause)
            for kind, cause in _ESCALATION_CAUSES.items()
        }

    def _people_metrics(self, registry: CollectorRegistry) -> None:
        self.commands = Counter(
            "tocsin_router_commands_total",
            "Incident commands decided by the router, by command and outcome",
            ["command", "outcome"],
            registry=registry,
        )
        self.acknowledgements = Counter(
            "tocsin_router_acknowledgements_total", "Incidents acknowledged", registry=registry
        )
        self.alert_to_page_seconds = Histogram(
            "tocsin_router_alert_to_page_seconds",
            "From the first alert received to the incident's first page delivered",
            buckets=PAGE_BUCKETS,
            registry=registry,
        )
        self.time_to_acknowledge_seconds = Histogram(
            "tocsin_router_time_to_acknowledge_seconds",
            "From incident opened to first acknowledged (MTTA)",
            buckets=ACK_BUCKETS,
            registry=registry,
        )
        self.time_to_resolve_seconds = Histogram(
            "tocsin_router_time_to_resolve_seconds",
            "From incident opened to resolved (MTTR): to its last alert's resolution when it"
            " resolved by itself, not to the end of the grace after it",
            buckets=RESOLVE_BUCKETS,
            registry=registry,
        )

    def observe(self, decided: Sequence[Event]) -> None:
        """What the engine decided on one live input; never called while a partition is
        recovered, so nothing is counted (or logged) twice."""
        for index, event in enumerate(decided):
            if isinstance(event, NotificationRequested):
                by_kind = self._requested_by_kind if event.is_page() else self._updates_by_kind
                by_kind[channel_kind(event.channel)].inc()
            elif isinstance(event, EscalationStepFired):
                self.escalations.inc()
            elif isinstance(event, NobodyPaged):
                self.nobody_paged.inc()
                _log_nobody_paged(event, decided[:index])
            elif isinstance(event, CommandApplied | CommandRejected):
                outcome = "applied" if isinstance(event, CommandApplied) else "rejected"
                self.commands.labels(command=event.command, outcome=outcome).inc()
            started = self._started_by_cause.get(type(event))
            if started is not None:
                started.inc()

    def expect_channels(self, channels: Iterable[tuple[str, str, str]]) -> None:
        """Delivery series at 0 for these (name, kind, type) channels, as the process starts.
        A series made at its first delivery comes back after a restart at its old value, so
        an alert on its increase would miss the first failure after the restart."""
        for name, kind, kind_type in channels:
            for notification in ("page", "update"):
                for outcome in ("delivered", "failed"):
                    self.deliveries.labels(
                        name, kind, channel_type(kind_type), notification, outcome
                    )

    def observe_delivery(
        self,
        request: NotificationRequested,
        reported_type: str | None,
        delivered: bool,
        seconds: float,
    ) -> None:
        """One notification's delivery, retries included, by its channel's name, kind and type."""
        labels = {
            "channel": channel_name(request.channel),
            "channel_kind": channel_kind(request.channel),
            "channel_type": channel_type(reported_type),
            "notification": "page" if request.is_page() else "update",
        }
        self.delivery_seconds.labels(**labels).observe(seconds)
        outcome = "delivered" if delivered else "failed"
        self.deliveries.labels(**labels, outcome=outcome).inc()

    def observe_timings(
        self,
        before: Milestones | None,
        event: Event,
        decided: Sequence[Event],
        after: Milestones | None = None,
    ) -> None:
        """Time to page, MTTA and MTTR, from the incident's escalation as it was before
        `event` and after it (None once it ended), and what the engine decided on it."""
        if before is None:
            return
        acknowledged = [e for e in (event, *decided) if isinstance(e, IncidentAcknowledged)]
        # Acknowledged already (or snoozed after it): an acknowledgement at the source after
        # one through the API, or a second command, acknowledges nothing new.
        first = before.first_acknowledged_at is None  # snoozed before anyone acknowledged too
        if acknowledged and (first or before.status == "triggered"):
            self.acknowledgements.inc()
        if acknowledged and first:
            _observe_since(self.time_to_acknowledge_seconds, before.opened_at, acknowledged[0].at)
        paged = after.first_page_sent_at if after is not None else None
        if before.first_page_sent_at is None and paged is not None:  # a page, not an update
            _observe_since(self.alert_to_page_seconds, before.alert_received_at, paged)
        if isinstance(event, IncidentResolved):
            ended = event.alerts_resolved_at or event.resolved_at  # not the grace after it
            _observe_since(self.time_to_resolve_seconds, before.opened_at, ended)


def _observe_since(histogram: Histogram, start: datetime | None, end: datetime) -> None:
    if start is not None:
        histogram.observe(max((end - start).total_seconds(), 0.0))


def _log_nobody_paged(event: NobodyPaged, before: Sequence[Event]) -> None:
    """The loud report of an incident or step that reached nobody, with the policy and
    targets of the step (or reassignment) decided with it, when there was one."""
    policy: str | None = None
    targets: list[str] | None = None
    for earlier in reversed(before):
        if getattr(earlier, "incident_id", None) != event.incident_id:
            continue
        if isinstance(earlier, EscalationStepFired):
            policy, targets = earlier.policy, list(earlier.targets)
            break
        if isinstance(earlier, IncidentReassigned):
            targets = [f"user:{earlier.assignee}"]
            break
    log.error(
        "incident pages nobody",
        extra={
            "incident_id": event.incident_id,
            "policy": policy,
            "targets": targets,
            "reason": event.reason,
        },
    )


CHANNEL_KINDS = ("user", "named")
# The channel types of the config (`type:` of a channel or contact); any other value a
# deliverer reports, or none (the channel is not configured), is counted as "unknown".
CHANNEL_TYPES = ("webhook", "slack", "email", "console")
UNKNOWN_CHANNEL_TYPE = "unknown"


def channel_kind(channel: str) -> str:
    """A small fixed label set: user contacts collapse to `user`, named channels stay named."""
    return "user" if channel.startswith("user/") else "named"


def channel_name(channel: str) -> str:
    """A configured channel's name, so that of two webhook channels the failing one shows; a
    person's contacts have none (one series per person and contact would grow with the team)."""
    return "" if channel.startswith("user/") else channel


def channel_type(reported: str | None) -> str:
    """The channel's type as a label from a fixed set, whatever the deliverer reported."""
    if reported is not None and reported in CHANNEL_TYPES:
        return reported
    return UNKNOWN_CHANNEL_TYPE


class ApiMetrics:
    """The incidents API: commands people and services issued, by what became of them."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.commands = Counter(
            "tocsin_router_api_commands_total",
            "Commands received by the incidents API, by command and answer",
            ["command", "answer"],
            registry=registry,
        )

    def answered(self, command: str, status: int) -> None:
        answer = _ANSWERS.get(status, "other")
        self.commands.labels(command=command, answer=answer).inc()


_ANSWERS = {200: "applied", 202: "pending", 404: "unknown", 409: "refused", 503: "unavailable"}
