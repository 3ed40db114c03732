"""The incident history: how long resolved incidents stay in the read model. Pure: no I/O.

Time here is event time: `newest_at`, the newest record time folded so far, never the clock,
so a model rebuilt from the log and one restored from a snapshot hold the same incidents. An
incident is dropped once it resolved more than `history` before `newest_at`; open incidents
stay however old. Resolutions wait in a heap by time: the topics and partitions are read side
by side (far apart in time during a rebuild), so the order resolutions are read in is not
the order they happened in, and a heap drops exactly those past the history in any order.
Each event costs one look at the heap's top; each resolution a push and, later, a pop.
"""

from __future__ import annotations

import heapq
from datetime import datetime, timedelta

from services.router.projection.model import DROPPED_MEMORY, IncidentProjection


def advance(projection: IncidentProjection, at: datetime) -> None:
    """Fold the time of a record read: drop what it puts past the history."""
    if projection.newest_at is None or at > projection.newest_at:
        projection.newest_at = at
        _drop_expired(projection)


def resolved(projection: IncidentProjection, incident_id: str, at: datetime) -> None:
    """An incident resolved (at `at`, its record's time): it leaves once past the history."""
    heapq.heappush(projection.expiring, (at, incident_id))
    _drop_expired(projection)  # a resolution read late may be past it already


def keep_history(projection: IncidentProjection, history: timedelta) -> None:
    """Set the history (`TOCSIN_INCIDENT_HISTORY`, 0: forever), as on a start: a shorter one
    drops at once what it puts past; a longer one cannot bring back what was dropped (a
    rebuild from the log does, as far as the log's retention goes)."""
    projection.history = history
    _drop_expired(projection)


def is_dropped(projection: IncidentProjection, incident_id: str) -> bool:
    """Whether an event of `incident_id` comes after its incident was dropped.

    Dropped ids are remembered (the last DROPPED_MEMORY) rather than guessed from the time:
    a late event (a NotificationSent read after its incident, from a topic read behind) names
    its incident but not when that incident opened or resolved, so its own time cannot tell a
    dropped incident from one not opened yet. Forgotten ids fall back to `waiting`'s bound.
    """
    return incident_id in projection.dropped


def _drop_expired(projection: IncidentProjection) -> None:
    if not projection.history or projection.newest_at is None:
        return
    cutoff = projection.newest_at - projection.history
    expiring = projection.expiring
    while expiring and expiring[0][0] < cutoff:
        _, incident_id = heapq.heappop(expiring)
        view = projection.incidents.get(incident_id)
        if view is not None and view.status == "resolved":
            del projection.incidents[incident_id]
            _remember_dropped(projection, incident_id)


def _remember_dropped(projection: IncidentProjection, incident_id: str) -> None:
    projection.dropped[incident_id] = None
    if len(projection.dropped) > DROPPED_MEMORY:
        projection.dropped.popitem(last=False)
    projection.dropped_total += 1
