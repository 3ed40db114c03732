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

from services.router.projection.model import AlertRow, IncidentProjection, IncidentView


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
    views = [v for v in projection.incidents.values() if since <= v.opened_at < until]
    pages = [page for view in views for page in view.pages.values() if page.tells == "page"]
    delivered = [page for page in pages if page.status == "sent"]
    # A person paged on every contact at once was paged once.
    paged = {
        (view.incident_id, page.target, page.requested_at)
        for view in views
        for page in view.pages.values()
        if page.tells == "page" and page.status == "sent" and page.to_person
    }
    people = Counter(target for _, target, _ in paged)
    return Analytics(
        opened=len(views),
        still_open=sum(1 for view in views if view.status != "resolved"),
        by_priority=dict(sorted(Counter(view.priority for view in views).items())),
        flapping=sum(1 for view in views if view.flapping),
        escalated=sum(1 for view in views if view.escalated),
        alerts=len({fingerprint for view in views for fingerprint in view.alerts}),
        notifications=sum(_sent(row) for view in views for row in view.alerts.values()),
        pages_sent=len(delivered),
        pages_failed=sum(1 for page in pages if page.status == "failed"),
        pages_by_person=dict(sorted(people.items(), key=lambda item: (-item[1], item[0]))),
        time_to_acknowledge=_spread(
            view.first_acknowledged_at - view.opened_at
            for view in views
            if view.first_acknowledged_at is not None
        ),
        time_to_resolve=_spread(
            view.resolved_at - view.opened_at for view in views if view.resolved_at is not None
        ),
        top_alerts=_top_alerts(views, top),
    )


def _sent(row: AlertRow) -> int:
    """Notifications the incident counted, less those a move brought from another one."""
    return row.notifications - row.moved_in


def _spread(durations: Iterable[timedelta]) -> Spread:
    seconds = sorted(max(0.0, duration.total_seconds()) for duration in durations)
    if not seconds:
        return Spread(0, None, None, None)
    return Spread(len(seconds), _rank(seconds, 0.5), _rank(seconds, 0.9), seconds[-1])


def _rank(ordered: list[float], fraction: float) -> float:
    """The nearest-rank percentile: a value that occurred, never an interpolation."""
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def _top_alerts(views: list[IncidentView], top: int) -> list[AlertTally]:
    incidents: Counter[str] = Counter()
    notifications: Counter[str] = Counter()
    for view in views:
        names = Counter[str]()
        for row in view.alerts.values():
            names[row.alertname] += _sent(row)
        incidents.update(names.keys())
        notifications.update(names)
    ranked = sorted(incidents, key=lambda name: (-incidents[name], -notifications[name], name))
    return [AlertTally(name, incidents[name], notifications[name]) for name in ranked[:top]]
