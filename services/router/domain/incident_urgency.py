"""The urgency of an incident: high while any alert that would page is high urgency.

Alertmanager notifies about a group's firing alerts that are neither inhibited nor silenced;
the incident is ranked over those same alerts (the caller passes the firing, non-inhibited
ones). So a high-urgency alert joining a low-urgency incident makes it high, and its held pages
go out at once, while a silenced or inhibited high-urgency alert wakes nobody.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from services.router.domain.policy import RoutingDirectory
from services.router.domain.urgency import Urgency


@dataclass(frozen=True)
class IncidentUrgency:
    urgency: Urgency
    # Low only because silences mute its high-urgency alerts: when the first of them ends,
    # the incident is high again, so a hold must not outlast it.
    rises_at: datetime | None = None


def incident_urgency(
    alerts: Iterable[Mapping[str, str]], now: datetime, directory: RoutingDirectory
) -> IncidentUrgency:
    """High if one of `alerts` is high urgency and no silence mutes it at `now`, else low."""
    rises: list[datetime] = []
    for labels in alerts:
        if directory.urgency_of(labels) == "low":
            continue
        silence = directory.silence_for(labels, now)
        if silence is None:
            return IncidentUrgency("high")
        rises.append(silence.released_at)
    return IncidentUrgency("low", min(rises, default=None))
