"""Incident priority from its alerts: severity first, raised for business impact and breadth."""

from __future__ import annotations

from collections.abc import Iterable

from shared.alerts import SEVERITY_RANK, Alert, Layer
from shared.events.incidents import Priority

_BY_RANK: tuple[Priority, ...] = ("P1", "P2", "P3", "P4", "P5")
# Services affected at once from which an incident counts as broad.
BROAD_IMPACT_SERVICES = 3


def priority_from(severity_rank: int, business: bool, services: int) -> Priority:
    """P1 is the most urgent. Business-layer alerts and broad impact each raise one step."""
    rank = severity_rank - (1 if business else 0) - (1 if services >= BROAD_IMPACT_SERVICES else 0)
    return _BY_RANK[max(rank, 0)]


def priority_of(alerts: Iterable[Alert], services: Iterable[str] = ()) -> Priority:
    """The priority of these alerts together; `services` adds services named by topology."""
    listed = list(alerts)
    affected = {a.service for a in listed if a.service} | set(services)
    return priority_from(
        min((SEVERITY_RANK[a.severity] for a in listed), default=3),
        any(a.layer == Layer.BUSINESS for a in listed),
        len(affected),
    )
