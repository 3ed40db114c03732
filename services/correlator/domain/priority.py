"""Incident priority from its alerts: severity first, raised for business impact and breadth."""

from __future__ import annotations

from collections.abc import Iterable

from shared.alerts import SEVERITY_RANK, Alert, Layer
from shared.events.incidents import Priority

_BY_RANK: tuple[Priority, ...] = ("P1", "P2", "P3", "P4", "P5")
# Services affected at once from which an incident counts as broad.
BROAD_IMPACT_SERVICES = 3


def priority_of(alerts: Iterable[Alert]) -> Priority:
    """P1 is the most urgent. Business-layer alerts and broad impact each raise one step."""
    listed = list(alerts)
    rank = min((SEVERITY_RANK[a.severity] for a in listed), default=3)
    if any(a.layer == Layer.BUSINESS for a in listed):
        rank -= 1
    if len({a.service for a in listed if a.service}) >= BROAD_IMPACT_SERVICES:
        rank -= 1
    return _BY_RANK[max(rank, 0)]
