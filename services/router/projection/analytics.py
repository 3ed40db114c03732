"""How on-call went over a time window, from the incident read model: incidents and what they
grouped (the noise Tocsin took away), pages and who got them, time to acknowledge and to
resolve, the alerts that opened the most incidents. Pure: the window is given, no clock.

Incidents count by when they opened (as the incident list filters them); the window cannot
reach past the incident history, since incidents older than it have left the read model.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.router.projection.model import IncidentProjection, IncidentView


@dataclass(frozen=True)
class Spread:
    """Durations in seconds: how many, the median, the 90th percentile (nearest rank), the
    longest; None when there are none."""

    count: int
    p50_s: float | None
    p90_s: float | None
    max_s: float | None


@dataclass(frozen=True)
class AlertTally:
    alertname: str
    incidents: int  # incidents it was part of (opened, grouped, suppressed or moved)
    notifications: int  # times its sources sent it to those incidents, repeats included


@dataclass(frozen=True)
class Analytics:
    opened: int
    still_open: int
    by_priority: dict[str, int]
    flapping: int
    escalated: int  # fired a step past the first, or repeated the policy
    alerts: int  # distinct alerts of those incidents (one moved between two counts once)
    notifications: int
    pages_sent: int  # pages (not status updates) delivered, per contact and channel
    pages_failed: int
    pages_by_person: dict[str, int]  # times paged: a person's contacts at once count once
    time_to_acknowledge: Spread  # from opening to the first acknowledgement
    time_to_resolve: Spread  # from opening to resolution
    top_alerts: list[AlertTally]

    @property
    def noise_reduction(self) -> float | None:
        """1 - incidents / notifications, as `tocsin replay` reports it."""
        return None if not self.notifications else 1 - self.opened / self.notifications


def analytics(
    projection: IncidentProjection, since: datetime, until: datetime, top: int = 10
) -> Analytics:
    """Incidents that opened at or after `since` and before `until`."""
    tally = Tally(since, until)
    for view in projection.incidents.values():
        tally.add(view)
    return tally.result(top)


class Tally:
    """The analytics folded one incident at a time, so that a caller with many incidents can
    give the event loop a turn between batches (`add` ignores incidents outside the window)."""

    def __init__(self, since: datetime, until: datetime) -> None:
        self._since, self._until = since, until
        self._opened = self._still_open = self._flapping = self._escalated = 0
        self._priorities: Counter[str] = Counter()
        self._fingerprints: set[str] = set()
        self._notifications = self._sent = self._failed = 0
        # A person paged on every contact at once was paged once.
        self._paged: set[tuple[str, str, datetime]] = set()
        self._to_acknowledge: list[timedelta] = []
        self._to_resolve: list[timedelta] = []
        self._alert_incidents: Counter[str] = Counter()
        self._alert_notifications: Counter[str] = Counter()

    def add(self, view: IncidentView) -> None:
        if not self._since <= view.opened_at < self._until:
            return
        self._opened += 1
        self._still_open += view.status != "resolved"
        self._priorities[view.priority] += 1
        self._flapping += view.flapping
        self._escalated += view.escalated
        self._add_alerts(view)
        for page in view.pages.values():
            if page.tells != "page":
                continue  # a status update, not a page
            if page.status == "failed":
                self._failed += 1
            elif page.status == "sent":
                self._sent += 1
                if page.to_person:
                    self._paged.add((view.incident_id, page.target, page.requested_at))
        if view.first_acknowledged_at is not None:
            self._to_acknowledge.append(view.first_acknowledged_at - view.opened_at)
        if view.resolved_at is not None:
            ended = view.alerts_resolved_at or view.resolved_at  # not the grace after it
            self._to_resolve.append(ended - view.opened_at)

    def _add_alerts(self, view: IncidentView) -> None:
        by_name: dict[str, int] = {}
        for fingerprint, row in view.alerts.items():
            self._fingerprints.add(fingerprint)
            # Less the notifications a move brought from another incident.
            sent = row.notifications - row.moved_in
            self._notifications += sent
            by_name[row.alertname] = by_name.get(row.alertname, 0) + sent
        for name, sent in by_name.items():
            self._alert_incidents[name] += 1
            self._alert_notifications[name] += sent

    def result(self, top: int = 10) -> Analytics:
        people = Counter(target for _, target, _ in self._paged)
        incidents, notifications = self._alert_incidents, self._alert_notifications
        ranked = sorted(incidents, key=lambda name: (-incidents[name], -notifications[name], name))
        return Analytics(
            opened=self._opened,
            still_open=self._still_open,
            by_priority=dict(sorted(self._priorities.items())),
            flapping=self._flapping,
            escalated=self._escalated,
            alerts=len(self._fingerprints),
            notifications=self._notifications,
            pages_sent=self._sent,
            pages_failed=self._failed,
            pages_by_person=dict(sorted(people.items(), key=lambda item: (-item[1], item[0]))),
            time_to_acknowledge=_spread(self._to_acknowledge),
            time_to_resolve=_spread(self._to_resolve),
            top_alerts=[
                AlertTally(name, incidents[name], notifications[name]) for name in ranked[:top]
            ],
        )


def _spread(durations: Iterable[timedelta]) -> Spread:
    seconds = sorted(max(0.0, duration.total_seconds()) for duration in durations)
    if not seconds:
        return Spread(0, None, None, None)
    return Spread(len(seconds), _rank(seconds, 0.5), _rank(seconds, 0.9), seconds[-1])


def _rank(ordered: list[float], fraction: float) -> float:
    """The nearest-rank percentile: a value that occurred, never an interpolation."""
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]
