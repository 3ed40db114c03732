"""The router's pure core: escalate open incidents step by step, driven by ticks.

`decide` reads state and returns events; `evolve` folds them (and the correlator's facts and
people's commands) into state. Page ids are deterministic — incident, generation, step,
repeat, recipient, channel — so a replayed or redelivered step requests the same
notifications and the dispatcher sends each once, while a new generation (a snooze ended,
a reassignment) pages again.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from services.router.domain.commands import Pager, decide_command
from services.router.domain.facts import facts_from_opened
from services.router.domain.policy import Delivery, EscalationPolicy, RoutingDirectory
from services.router.domain.snapshot import policy_to_dict
from services.router.domain.state import Escalation, RouterState, evolve
from services.router.domain.timers import due_escalations, next_due_at
from shared.events import (
    AcknowledgeIncident,
    AnyEvent,
    EscalationStarted,
    EscalationStepFired,
    IncidentOpened,
    NobodyPaged,
    NotificationFailed,
    NotificationRequested,
    TickOccurred,
    deterministic_id,
)
from shared.events.base import Event
from shared.events.commands import (
    AddIncidentNote,
    AssignIncidentCommander,
    ReassignIncident,
    SnoozeIncident,
)
from shared.events.notifications import EscalationHeld, EscalationRestarted


def decide(
    state: RouterState, event: AnyEvent, now: datetime, directory: RoutingDirectory
) -> list[Event]:
    match event:
        case IncidentOpened(incident_id=incident_id) if incident_id not in state.escalations:
            return _start_and_fire_due(event, now, directory)
        case TickOccurred():
            return _on_tick(state, now, directory)
        case NotificationFailed(incident_id=incident_id, notification_id=failed):
            failing = state.escalations.get(incident_id)
            if failing is None or failing.status != "triggered" or failed not in failing.requested:
                return []
            return _fire(failing, now, directory, f"delivery of {failed} failed")
        case (
            AcknowledgeIncident()
            | SnoozeIncident()
            | ReassignIncident()
            | AddIncidentNote()
            | AssignIncidentCommander()
        ):
            escalation = state.escalations.get(event.incident_id)
            return decide_command(escalation, event, now, _reassign_pager(directory))
        case _:
            return []


def _start_and_fire_due(
    event: IncidentOpened, now: datetime, directory: RoutingDirectory
) -> list[Event]:
    """Take the incident on; with no group wait left, page at once rather than on a tick."""
    started = _start(event, directory)
    first = started[0]
    if len(started) > 1 or not isinstance(first, EscalationStarted) or first.due_at > now:
        return started
    scratch = evolve(RouterState(), first)
    return [first, *_fire(scratch.escalations[first.incident_id], now, directory, "step due")]


def _start(event: IncidentOpened, directory: RoutingDirectory) -> list[Event]:
    receivers = event.receivers or [directory.default_receiver]
    policies = [p for p in (directory.policy_for(r) for r in receivers) if p is not None]
    reason = f"receivers {', '.join(receivers)} from route {event.rule}"
    if not policies:
        fallback = directory.policy_for(directory.default_receiver)
        if fallback is not None:
            policies = [fallback]
            reason = f"no policy for {', '.join(receivers)}: default {fallback.name}"
    started = EscalationStarted(
        incident_id=event.incident_id,
        domain=event.domain,
        policies=[policy_to_dict(p) for p in policies],
        facts=facts_from_opened(event),
        due_at=event.notify_after,
        reason=reason,
        opened_at=event.opened_at,
        alert_received_at=event.alert.received_at,
        labels=dict(event.alert.labels),
    )
    if policies:
        return [started]
    nobody = NobodyPaged(
        incident_id=event.incident_id,
        at=event.opened_at,
        reason=f"no escalation policy or target for {', '.join(receivers)} nor a default",
    )
    return [started, nobody]


def _on_tick(state: RouterState, now: datetime, directory: RoutingDirectory) -> list[Event]:
    decided: list[Event] = []
    for escalation in due_escalations(state, now):
        if escalation.status == "triggered":
            decided += _fire(escalation, now, directory, "step due")
        elif escalation.status == "snoozed":
            decided += _restart(escalation, now, directory)
    return decided


def _restart(escalation: Escalation, now: datetime, directory: RoutingDirectory) -> list[Event]:
    """A snooze ended: escalate again from the first step, in a new generation."""
    generation = escalation.generation + 1
    until = escalation.snoozed_until.isoformat() if escalation.snoozed_until else "?"
    restarted = EscalationRestarted(
        incident_id=escalation.incident_id,
        generation=generation,
        at=now,
        reason=f"snoozed until {until}: escalating again from the first step",
    )
    fresh = replace(escalation, generation=generation, step=0, repeat=0, status="triggered")
    return [restarted, *_fire(fresh, now, directory, "snooze ended")]


def _fire(
    escalation: Escalation, now: datetime, directory: RoutingDirectory, why: str
) -> list[Event]:
    steps = escalation.steps
    if escalation.step >= len(steps):
        return []
    step = steps[escalation.step]
    held = _hold(escalation, step.targets, now, directory)
    if held is not None:
        return [held]
    deliveries = [d for target in step.targets for d in directory.deliveries_for(target, now)]
    key = (escalation.step, escalation.repeat)
    decided = _requests(escalation, deliveries, now, why, key)
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
    if not decided:
        nobody = NobodyPaged(
            incident_id=escalation.incident_id,
            at=now,
            reason=f"step {escalation.step + 1} targets {', '.join(step.targets)} reach nobody",
        )
        return [fired, nobody]
    return [fired, *decided]


def _hold(
    escalation: Escalation, targets: tuple[str, ...], now: datetime, directory: RoutingDirectory
) -> EscalationHeld | None:
    """A silence, or low urgency outside working hours, holds a due step (same page ids)."""
    silence = directory.silence_for(escalation.labels, now)
    if silence is not None:
        return EscalationHeld(
            incident_id=escalation.incident_id,
            at=now,
            until=silence.released_at,
            reason=f"silenced by {silence}",
        )
    urgency = directory.urgency_of(escalation.labels)
    until = directory.step_release_at(targets, urgency, now)
    if until <= now:
        return None
    return EscalationHeld(
        incident_id=escalation.incident_id,
        at=now,
        until=until,
        reason=f"{urgency} urgency: nobody this step pages is within working hours",
    )


def _reassign_pager(directory: RoutingDirectory) -> Pager:
    def page(escalation: Escalation, user: str, now: datetime) -> list[Event]:
        deliveries = directory.deliveries_for(f"user:{user}", now)
        why = f"reassigned to {user}"
        decided = _requests(escalation, deliveries, now, why, ("reassign",))
        if decided:
            return decided
        reason = f"{user}, the new assignee, has no contact method"
        return [NobodyPaged(incident_id=escalation.incident_id, at=now, reason=reason)]

    return page


def _requests(
    escalation: Escalation,
    deliveries: list[Delivery],
    now: datetime,
    why: str,
    key: tuple[object, ...],
) -> list[Event]:
    return [
        NotificationRequested(
            notification_id=str(
                deterministic_id(
                    escalation.incident_id,
                    escalation.generation,
                    *key,
                    delivery.recipient,
                    delivery.channel,
                )
            ),
            incident_id=escalation.incident_id,
            domain=escalation.domain,
            target=delivery.recipient,
            channel=delivery.channel,
            requested_at=now,
            page=_page(escalation, delivery.recipient),
            reason=why,
        )
        for delivery in deliveries
    ]


def _page(escalation: Escalation, recipient: str) -> dict[str, object]:
    return {
        **escalation.facts,
        "status": "triggered",
        "escalation_step": escalation.step + 1,
        "escalation_repeat": escalation.repeat,
        "target": recipient,
    }


def step(
    state: RouterState, event: AnyEvent, now: datetime, directory: RoutingDirectory
) -> list[Event]:
    clock = now if state.clock is None or now > state.clock else state.clock
    state.clock = clock
    decided = decide(state, event, clock, directory)
    evolve(state, event)
    for new_event in decided:
        evolve(state, new_event)
    return decided


def next_due(state: RouterState) -> datetime | None:
    """When a tick would change something: a step due, or a snooze ending."""
    return next_due_at(state)


__all__ = ["EscalationPolicy", "decide", "evolve", "next_due", "step"]
