"""Folding the router's escalation, the dispatcher's deliveries and people's commands into an
incident view."""

from __future__ import annotations

from datetime import datetime

from services.router.domain.commands import COMMAND_NAMES
from services.router.projection.model import (
    IncidentView,
    PageRow,
    RecordMeta,
    TimelineEntry,
    Verdict,
)
from shared.events import (
    EscalationStarted,
    EscalationStepFired,
    NobodyPaged,
    NotificationFailed,
    NotificationRequested,
    NotificationSent,
)
from shared.events.base import Event
from shared.events.notifications import (
    CommandApplied,
    CommandRejected,
    EscalationHeld,
    EscalationRestarted,
    EscalationWidened,
    IncidentCommanderAssigned,
    IncidentNoteAdded,
    IncidentReassigned,
    IncidentSnoozed,
)


def apply_router(view: IncidentView, event: Event, meta: RecordMeta) -> None:
    if type(event) in COMMAND_NAMES:
        _command_issued(view, event, meta)
    elif isinstance(event, NotificationRequested | NotificationSent | NotificationFailed):
        _page(view, event, meta)
    elif isinstance(event, CommandApplied | CommandRejected):
        _verdict(view, event, meta)
    elif isinstance(event, IncidentSnoozed | IncidentReassigned | EscalationRestarted):
        _transition(view, event, meta)
    else:
        _recorded(view, event, meta)


def _command_issued(view: IncidentView, event: Event, meta: RecordMeta) -> None:
    name = COMMAND_NAMES[type(event)]
    actor = str(getattr(event, "actor", ""))
    details = event.model_dump(mode="json", exclude={"type", "incident_id", "actor", "issued_at"})
    view.record(
        TimelineEntry(meta.occurred_at, type(event).__name__, f"{actor}: {name}", actor, details)
    )


def _page(
    view: IncidentView,
    event: NotificationRequested | NotificationSent | NotificationFailed,
    meta: RecordMeta,
) -> None:
    row = view.pages.get(event.notification_id)
    short = event.notification_id[:8]
    match event:
        case NotificationRequested(target=target, channel=channel):
            status = str(event.page.get("status", "triggered"))
            tells = "page" if status == "triggered" else status
            if row is None:
                view.pages[event.notification_id] = PageRow(
                    event.notification_id, target, channel, event.requested_at, tells=tells
                )
            what = "page" if tells == "page" else f"update ({tells})"
            summary = f"{what} {short} to {target} via {channel} requested: {event.reason}"
        case NotificationSent(attempts=attempts, sent_at=at):
            if row is not None:
                row.status, row.attempts, row.finished_at = "sent", attempts, at
            summary = f"page {short} delivered via {event.channel} ({attempts} attempts)"
        case NotificationFailed(attempts=attempts, failed_at=at, reason=reason):
            if row is not None:
                row.status, row.attempts, row.finished_at, row.reason = (
                    "failed",
                    attempts,
                    at,
                    reason,
                )
            summary = f"page {short} via {event.channel} failed: {reason}"
    details = {"notification_id": event.notification_id, "channel": event.channel}
    view.record(TimelineEntry(meta.occurred_at, type(event).__name__, summary, details=details))


def _verdict(view: IncidentView, event: CommandApplied | CommandRejected, meta: RecordMeta) -> None:
    if isinstance(event, CommandApplied):
        view.verdicts[event.command_id] = Verdict(True, "", event.at)
        return
    view.verdicts[event.command_id] = Verdict(False, event.reason, event.at)
    summary = f"{event.command} by {event.actor} rejected: {event.reason}"
    details = {"command_id": event.command_id, "reason": event.reason}
    view.record(TimelineEntry(meta.occurred_at, "CommandRejected", summary, event.actor, details))


def _transition(
    view: IncidentView,
    event: IncidentSnoozed | IncidentReassigned | EscalationRestarted,
    meta: RecordMeta,
) -> None:
    resolved = view.status == "resolved"
    match event:
        case IncidentSnoozed(by=by, until=until):
            if not resolved:
                view.status, view.snoozed_until = "snoozed", until
            entry = TimelineEntry(
                meta.occurred_at,
                "IncidentSnoozed",
                f"snoozed by {by} until {until.isoformat()}",
                by,
            )
        case IncidentReassigned(by=by, assignee=assignee, generation=generation, at=at):
            _new_generation(view, generation, resolved, at)
            view.assignee = assignee
            entry = TimelineEntry(
                meta.occurred_at, "IncidentReassigned", f"reassigned to {assignee} by {by}", by
            )
        case EscalationRestarted(generation=generation, reason=reason, at=at):
            _new_generation(view, generation, resolved, at)
            entry = TimelineEntry(meta.occurred_at, "EscalationRestarted", reason)
    view.record(entry)


def _new_generation(view: IncidentView, generation: int, resolved: bool, at: datetime) -> None:
    """Escalation starts again: an acknowledgement made before it no longer stands. By the
    times, not the order folded: a rebuild folds the incidents topic (acknowledgements,
    resolutions) before the notifications topic (reassignments, restarts)."""
    view.generation = max(view.generation, generation)
    view.generation_at = max(view.generation_at or at, at)
    if view.acknowledged_at is not None and view.acknowledged_at >= at:
        return  # acknowledged since (read first): that stands
    view.acknowledged_by = view.acknowledged_at = None
    if not resolved:
        view.status, view.snoozed_until = "triggered", None


def _recorded(view: IncidentView, event: Event, meta: RecordMeta) -> None:
    """Facts that change little or nothing of the view's state, but belong in its story."""
    at = meta.occurred_at
    match event:
        case EscalationStarted(reason=reason, due_at=due):
            names = [str(p.get("name", "")) for p in event.policies]
            summary = f"escalation started, first step at {due.isoformat()}: {reason}"
            view.record(
                TimelineEntry(at, "EscalationStarted", summary, details={"policies": names})
            )
        case EscalationStepFired(step=step, repeat=repeat, generation=generation):
            view.escalated = view.escalated or step > 0 or repeat > 0
            summary = (
                f"escalation step {step + 1} of {event.policy} (repeat {repeat},"
                f" generation {generation}): {', '.join(event.targets)}"
            )
            details = {
                "step": step,
                "repeat": repeat,
                "generation": generation,
                "reason": event.reason,
            }
            view.record(TimelineEntry(at, "EscalationStepFired", summary, details=details))
        case EscalationWidened(reason=reason, policies=policies):
            names = [str(p["name"]) for p in policies]
            summary = f"escalation widened to {', '.join(names)}: {reason}"
            view.record(TimelineEntry(at, "EscalationWidened", summary, details={"reason": reason}))
        case NobodyPaged(reason=reason):
            view.record(TimelineEntry(at, "NobodyPaged", f"nobody paged: {reason}"))
        case EscalationHeld(until=until, reason=reason):
            summary = f"step held until {until.isoformat()}: {reason}"
            view.record(TimelineEntry(at, "EscalationHeld", summary, details={"reason": reason}))
        case IncidentNoteAdded(by=by, text=text):
            summary = f"note by {by}: {text}"  # what was noted is the point of a note
            view.record(TimelineEntry(at, "IncidentNoteAdded", summary, by, {"text": text}))
        case IncidentCommanderAssigned(by=by, commander=commander):
            view.commander = commander
            summary = f"{commander} is the incident commander (set by {by})"
            view.record(TimelineEntry(at, "IncidentCommanderAssigned", summary, by))
