"""Due escalations as a heap of (due at, start order, incident id), so that ticks and
`next_due` look at what is due, not at every open incident.

Invariant: every escalation that is triggered or snoozed and has a due time has an entry at
exactly that time. `evolve` calls `rearm` after each event, which pushes an entry when the
due time changed and trims entries that no longer match (stale) off the top, so the top of
the heap is always the next real due time. Stale entries below the top are skipped.
"""

from __future__ import annotations

import heapq
from datetime import datetime
from typing import TYPE_CHECKING

from shared.heaps import entries_until

if TYPE_CHECKING:  # `state` folds through `rearm`
    from services.router.domain.state import Escalation, RouterState, Timer

ACTIVE = ("triggered", "snoozed")


def rearm(
    state: RouterState, incident_id: str, before: Escalation | None, due: datetime | None
) -> None:
    """After an event about `incident_id`: `before` is its escalation before the event and
    `due` that escalation's due time then."""
    escalation = state.escalations.get(incident_id)
    if escalation is not None and escalation.due_at is not None:
        moved = escalation is not before or escalation.due_at != due
        if moved:
            heapq.heappush(state.timers, (escalation.due_at, escalation.order, incident_id))
    _trim(state)


def next_due_at(state: RouterState) -> datetime | None:
    return state.timers[0][0] if state.timers else None


def due_escalations(state: RouterState, now: datetime) -> list[Escalation]:
    """Escalations due by `now`, in the order they started. Read only: walks the heap's
    subtree of entries <= now, which the heap property keeps contiguous from the top."""
    due: dict[str, Escalation] = {}
    for entry in entries_until(state.timers, now):
        escalation = _live(state, entry)
        if escalation is not None:
            due[escalation.incident_id] = escalation
    return sorted(due.values(), key=lambda escalation: escalation.order)


def _live(state: RouterState, entry: Timer) -> Escalation | None:
    escalation = state.escalations.get(entry[2])
    if escalation is None or escalation.due_at != entry[0] or escalation.status not in ACTIVE:
        return None
    return escalation


def _trim(state: RouterState) -> None:
    while state.timers and _live(state, state.timers[0]) is None:
        heapq.heappop(state.timers)
