"""Folding one event read from the log into the incident read model. Pure: no I/O.

The three topics are read side by side, so an incident's events may come in an order other
than the one they were written in across topics: events of an incident not opened yet wait
until it is, a resolved incident stays resolved, and duplicates (same envelope id) count once.
Resolved incidents leave the model past the incident history (`history.py`); events read later
for them are discarded.
"""

from __future__ import annotations

from services.router.projection.fold_correlator import apply_correlator, moved_out, opened_view
from services.router.projection.fold_router import apply_router
from services.router.projection.history import advance, is_dropped, resolved
from services.router.projection.model import (
    WAITING_LIMIT,
    IncidentProjection,
    IncidentView,
    RecordMeta,
)
from services.router.projection.silences import fold_silence_view
from shared.events import AlertGrouped, IncidentOpened, commands, incidents
from shared.events.base import Event
from shared.events.silences import SilenceCreated, SilenceExpired
from shared.topics import ALERTS, INCIDENTS, NOTIFICATIONS

# The event types each topic contributes (others are skipped before decoding their payload).
# NotificationSent/Failed are also copied to tocsin.incidents for the router: read once.
_COMMANDS = frozenset(name.__name__ for name in commands.EVENTS)
WANTED_TYPES: dict[str, frozenset[str]] = {
    ALERTS: frozenset({"ResolveIncident", "AcknowledgeIncident"}),
    # Every correlator decision (new ones too, shown with their reason), and the commands.
    INCIDENTS: frozenset(event.__name__ for event in incidents.EVENTS)
    | _COMMANDS
    | {"CommandRejected"}  # the correlator's, for a resolve that can no longer apply
    | {"SilenceCreated", "SilenceExpired"},
    NOTIFICATIONS: frozenset(
        {
            "EscalationStarted",
            "EscalationStepFired",
            "EscalationHeld",
            "EscalationRestarted",
            "EscalationWidened",
            "NobodyPaged",
            "NotificationRequested",
            "NotificationSent",
            "NotificationFailed",
            "IncidentAcknowledged",
            "IncidentSnoozed",
            "IncidentReassigned",
            "IncidentNoteAdded",
            "IncidentCommanderAssigned",
            "CommandApplied",
            "CommandRejected",
        }
    ),
}


def project(projection: IncidentProjection, event: Event, meta: RecordMeta) -> None:
    if type(event).__name__ not in WANTED_TYPES.get(meta.topic, frozenset()):
        return
    advance(projection, meta.occurred_at)
    if isinstance(event, IncidentOpened):
        _open(projection, event, meta)
        return
    if isinstance(event, SilenceCreated | SilenceExpired):
        fold_silence_view(projection.silences, event)
        return
    # None: about no incident (an input the correlator dropped): nothing to wait for.
    incident_id = getattr(event, "incident_id", None) or ""
    if not incident_id or is_dropped(projection, incident_id):
        return
    view = projection.incidents.get(incident_id)
    if view is None:
        _wait(projection, incident_id, event, meta)
        return
    _fold_into(projection, view, event, meta)
    if isinstance(event, AlertGrouped):
        _left_behind(projection, event, meta)


def _fold_into(
    projection: IncidentProjection, view: IncidentView, event: Event, meta: RecordMeta
) -> None:
    was_resolved = view.status == "resolved"
    _apply(view, event, meta)
    if view.status == "resolved" and not was_resolved:
        _remember_resolved(projection, view.incident_id)
        resolved(projection, view.incident_id, meta.occurred_at)


def _remember_resolved(projection: IncidentProjection, incident_id: str) -> None:
    projection.resolved_order.append(incident_id)
    while len(projection.resolved_order) > projection.resolved_detail_limit:
        oldest = projection.incidents.get(projection.resolved_order.popleft())
        if oldest is not None:
            oldest.compact()


def _apply(view: IncidentView, event: Event, meta: RecordMeta) -> None:
    if meta.event_id in view.seen:
        return
    view.seen.add(meta.event_id)
    if not apply_correlator(view, event, meta):
        apply_router(view, event, meta)


def _open(projection: IncidentProjection, event: IncidentOpened, meta: RecordMeta) -> None:
    if event.incident_id in projection.incidents or is_dropped(projection, event.incident_id):
        return  # a duplicate: of an incident held, or of one past the history
    view = opened_view(event, meta)
    projection.incidents[event.incident_id] = view
    _left_behind(projection, event, meta)
    waiting = projection.waiting.pop(event.incident_id, [])
    projection.waiting_count -= len(waiting)
    for early, early_meta in waiting:
        _fold_into(projection, view, early, early_meta)


def _left_behind(
    projection: IncidentProjection, event: AlertGrouped | IncidentOpened, meta: RecordMeta
) -> None:
    """The incident an alert moved from shows it as moved, no longer firing there. When the
    move carries a notification the old incident counted already (a release, not a new
    firing), the new incident's row says so (`moved_in`), so it is counted once overall."""
    old = projection.incidents.get(event.moved_from or "")
    if old is not None and meta.event_id not in old.seen:
        old.seen.add(meta.event_id)
        fingerprint = event.alert.fingerprint
        before, after = old.alerts.get(fingerprint), projection.incidents[event.incident_id]
        moved_in = after.alerts.get(fingerprint)
        if before and moved_in and before.last_received_at >= event.alert.received_at:
            moved_in.moved_in += 1
        moved_out(old, event.alert, event.incident_id, event.reason, meta)


def _wait(projection: IncidentProjection, incident_id: str, event: Event, meta: RecordMeta) -> None:
    if projection.waiting_count >= WAITING_LIMIT:
        return  # commands for unknown ids, or a topic far behind: the view cannot hold them
    projection.waiting.setdefault(incident_id, []).append((event, meta))
    projection.waiting_count += 1
