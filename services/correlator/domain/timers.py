"""Timers as a heap of (due at, kind, key), so ticks and `next_due` never scan all incidents.

Invariant: `scheduled[(kind, key)]` is `due_of(kind, key)` for every item that has a due time,
and the heap holds an entry at exactly that time. The fold calls `reschedule` wherever an
item's due time may change; entries that no longer match `scheduled` are stale, skipped by
ticks and trimmed off the top, so the top of the heap is always the next real due time.
"""

from __future__ import annotations

import heapq
from datetime import datetime

from services.correlator.domain.rules import CorrelationPolicy
from services.correlator.domain.state import CorrelatorState
from shared.heaps import entries_until

END, GRACE, HELD, HEARTBEAT = "end", "grace", "held", "heartbeat"


def due_of(
    state: CorrelatorState, kind: str, key: str, policy: CorrelationPolicy
) -> datetime | None:
    """When the item next needs a decision, or None when nothing is pending for it."""
    if kind == END:
        tracked = state.alerts.get(key)
        return tracked.alert.ends_at if tracked is not None and tracked.firing else None
    if kind == GRACE:
        return _grace_due(state, key, policy)
    if kind == HELD:
        group, _, fingerprint = key.rpartition("\x1f")
        held = state.held.get(group, {}).get(fingerprint)
        return held.leaves_at if held is not None else None
    track = state.heartbeats.get(key)
    spec = policy.heartbeats.get(key)
    if track is None or spec is None or track.missing:
        return None
    return track.last_seen_at + spec.interval


def _grace_due(
    state: CorrelatorState, incident_id: str, policy: CorrelationPolicy
) -> datetime | None:
    incident = state.incidents.get(incident_id)
    if incident is None or incident.firing or incident.quiet_since is None:
        return None
    if incident.resolve_policy == "manual":
        return None
    grace = incident.resolve_grace
    if incident.flapping:  # resolve a flapping incident only once it stayed quiet a whole window
        grace = max(grace, policy.flapping.within)
    return incident.quiet_since + grace


def held_key(group: str, fingerprint: str) -> str:
    return f"{group}\x1f{fingerprint}"


def reschedule(state: CorrelatorState, kind: str, key: str, policy: CorrelationPolicy) -> None:
    """Bring the item's timer in line with `due_of`: arm, move or disarm it."""
    due = due_of(state, kind, key, policy)
    item = (kind, key)
    if state.scheduled.get(item) == due:
        return
    if due is None:
        del state.scheduled[item]
    else:
        state.scheduled[item] = due
        heapq.heappush(state.timers, (due, kind, key))
    _trim(state)


def _live(state: CorrelatorState, entry: tuple[datetime, str, str]) -> bool:
    return state.scheduled.get((entry[1], entry[2])) == entry[0]


def _trim(state: CorrelatorState) -> None:
    while state.timers and not _live(state, state.timers[0]):
        heapq.heappop(state.timers)


def due_items(state: CorrelatorState, now: datetime) -> list[tuple[str, str]]:
    """The (kind, key) due by `now`, earliest first. Read only: walks the heap's subtree of
    entries <= now, which the heap property keeps contiguous from the top."""
    found = sorted(entry for entry in entries_until(state.timers, now) if _live(state, entry))
    return list(dict.fromkeys((kind, key) for _, kind, key in found))


def pop_due(state: CorrelatorState, now: datetime) -> None:
    """Fold of a tick: every item due by `now` is being acted on by the tick's decisions,
    whose folds re-arm whatever they leave pending."""
    while state.timers and state.timers[0][0] <= now:
        due, kind, key = heapq.heappop(state.timers)
        if state.scheduled.get((kind, key)) == due:  # a stale entry leaves the live one armed
            del state.scheduled[(kind, key)]
    _trim(state)


def next_due_at(state: CorrelatorState) -> datetime | None:
    return state.timers[0][0] if state.timers else None
