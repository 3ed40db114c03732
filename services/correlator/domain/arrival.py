"""A new firing alert and what the rules say about it, computed once per decision."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from services.correlator.domain.rules import CorrelationPolicy, Grouping
from services.correlator.domain.state import slot
from shared.alerts import Alert
from shared.events.base import Event

Decided = list[Event]


class Arrival(NamedTuple):
    alert: Alert
    now: datetime
    policy: CorrelationPolicy
    domain: str
    grouping: Grouping
    resources: tuple[str, ...]
    # The incident a recurring alert left because it does not explain it (see `firing`).
    leaving: str = ""

    @property
    def group(self) -> str:
        """The route group, scoped to the correlation domain."""
        return slot(self.domain, self.grouping.group_key)


def arrival_of(
    alert: Alert, now: datetime, policy: CorrelationPolicy, domain: str, leaving: str = ""
) -> Arrival:
    return Arrival(
        alert=alert,
        now=now,
        policy=policy,
        domain=domain,
        grouping=policy.grouping.group_for(alert),
        resources=policy.topology.resources_of(alert),
        leaving=leaving,
    )
