"""Firing a due step: the pages it requests now, a hold for the rest, or the step done.

A step is done (`EscalationStepFired`: the next step's delay starts) once every page it owes
has been requested. Until then it is held (`EscalationHeld`): wholly while silences mute the
incident or, at low urgency, while nobody it pages is within working hours; in part while some
of its people wait for theirs. The held step is looked at again when the hold ends, and pages
those whose working hours have started, under the same deterministic ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from services.router.domain.facts import page_facts
from services.router.domain.holds import silence_hold, urgency_hold
from services.router.domain.incident_urgency import IncidentUrgency, incident_urgency
from services.router.domain.policy import Delivery, RoutingDirectory
from services.router.domain.recipients import step_pages
from services.router.domain.state import Escalation
from services.router.domain.urgency import Urgency
from shared.events import (
    EscalationStepFired,
    NobodyPaged,
    NotificationRequested,
    deterministic_id,
)
from shared.events.base import Event

# What makes a page id unique within a generation: (step, repeat), or ("reassign",).
PageKey = tuple[object, ...]
REASSIGN: PageKey = ("reassign",)


def fire(
    escalation: Escalation,
    now: datetime,
    directory: RoutingDirectory,
    why: str,
    alerts: Sequence[Mapping[str, str]],
    ranked_over: Sequence[Mapping[str, str]] | None = None,
) -> list[Event]:
    """Page the due step, unless held; `alerts`: the incident's firing, non-inhibited alerts
    (silences must cover them all to hold it; any of them high urgency makes it high).
    `ranked_over`, when given: the alerts that rank its urgency instead (none firing: the
    directory's `resting_urgency`)."""
    steps = escalation.steps
    if escalation.step >= len(steps):
        return []
    step = steps[escalation.step]
    silenced = silence_hold(escalation, now, directory, alerts)
    if silenced is not None:
        return [silenced]
    ranking = (alerts or [escalation.labels]) if ranked_over is None else ranked_over
    if ranking:
        ranked = incident_urgency(ranking, now, directory)
    else:  # nothing fires: nothing makes it urgent, where urgency rules say what may wait
        ranked = IncidentUrgency(directory.resting_urgency())
    key = (escalation.step, escalation.repeat)

    def requested(delivery: Delivery) -> bool:
        return notification_id(escalation, key, delivery) in escalation.requested

    paged = escalation.paged_schedules
    pages = step_pages(step.targets, ranked.urgency, now, directory, requested, paged)
    reasons = [(d, _reason(why, d, ranked.urgency, now, directory)) for _, d in pages.now]
    asked = requests(escalation, reasons, now, key)
    held = urgency_hold(escalation, now, pages, ranked)
    if held is not None:
        return [*asked, held]
    fired = EscalationStepFired(
        incident_id=escalation.incident_id,
        policy=escalation.policies[0].name,
        step=escalation.step,
        repeat=escalation.repeat,
        generation=escalation.generation,
        at=now,
        targets=list(step.targets),
        reason=why,
    )
    if not pages.reached:
        nobody = NobodyPaged(
            incident_id=escalation.incident_id,
            at=now,
            reason=f"step {escalation.step + 1} targets {', '.join(step.targets)} reach nobody",
        )
        return [fired, nobody]
    return [fired, *asked]


def _reason(
    why: str, delivery: Delivery, urgency: Urgency, now: datetime, directory: RoutingDirectory
) -> str:
    person = directory.user_of(delivery) if urgency == "low" else None
    if person is None:
        return why
    local = f"{now.astimezone(ZoneInfo(person.time_zone)):%H:%M} {person.time_zone}"
    return f"{why}; low urgency: {local} is within {person.name}'s working hours"


def notification_id(escalation: Escalation, key: PageKey, delivery: Delivery) -> str:
    """Deterministic: a replayed or redelivered decision requests the same page, sent once."""
    parts = (escalation.incident_id, escalation.generation, *key)
    return str(deterministic_id(*parts, delivery.recipient, delivery.channel))


def requests(
    escalation: Escalation,
    pages: Sequence[tuple[Delivery, str]],
    now: datetime,
    key: PageKey,
) -> list[Event]:
    """One `NotificationRequested` per (delivery, reason)."""
    return [
        NotificationRequested(
            notification_id=notification_id(escalation, key, delivery),
            incident_id=escalation.incident_id,
            domain=escalation.domain,
            target=delivery.recipient,
            channel=delivery.channel,
            requested_at=now,
            page=_page(escalation, delivery.recipient, reassigned=key == REASSIGN),
            reason=reason,
        )
        for delivery, reason in pages
    ]


def _page(escalation: Escalation, recipient: str, *, reassigned: bool) -> dict[str, object]:
    return {
        **page_facts(escalation.facts),
        "status": "triggered",
        "escalation_step": escalation.step + 1,
        "escalation_repeat": escalation.repeat,
        "target": recipient,
        "reassigned": reassigned,
    }
