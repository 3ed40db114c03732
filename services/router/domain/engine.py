"""The router's pure core: escalate open incidents step by step, driven by ticks.

`decide` reads state and returns events; `evolve` folds them (and the correlator's facts)
into state. Page ids are deterministic, so a replayed or redelivered step requests the
same notifications and the dispatcher sends each once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from services.router.domain.facts import facts_from_opened, updated_facts
from services.router.domain.policy import EscalationPolicy, RoutingDirectory
from services.router.domain.snapshot import merged_steps, policy_from_dict, policy_to_dict
from services.router.domain.state import Escalation, RouterState
from shared.events import (
    AlertGrouped,
    AnyEvent,
    EscalationStarted,
    EscalationStepFired,
    IncidentAcknowledged,
    IncidentOpened,
    IncidentPriorityChanged,
    IncidentResolved,
    NobodyPaged,
    NotificationFailed,
    NotificationRequested,
    TickOccurred,
    deterministic_id,
)
from shared.events.base import Event


def decide(
    state: RouterState, event: AnyEvent, now: datetime, directory: RoutingDirectory
) -> list[Event]:
    match event:
        case IncidentOpened(incident_id=incident_id) if incident_id not in state.escalations:
            return _start(event, directory)
        case TickOccurred():
            decided: list[Event] = []
            for escalation in list(state.escalations.values()):
                due = escalation.due_at
                if escalation.status == "triggered" and due is not None and due <= now:
                    decided += _fire(escalation, now, directory, "step due")
            return decided
        case NotificationFailed(incident_id=incident_id, notification_id=failed):
            failing = state.escalations.get(incident_id)
            if failing is None or failing.status != "triggered":
                return []
            return _fire(failing, now, directory, f"delivery of {failed} failed")
        case _:
            return []


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
    )
    if policies:
        return [started]
    nobody = NobodyPaged(
        incident_id=event.incident_id,
        at=event.opened_at,
        reason=f"no escalation policy or target for {', '.join(receivers)} nor a default",
    )
    return [started, nobody]


def _fire(
    escalation: Escalation, now: datetime, directory: RoutingDirectory, why: str
) -> list[Event]:
    steps = merged_steps(escalation.policies)
    if escalation.step >= len(steps):
        return []
    step = steps[escalation.step]
    decided: list[Event] = []
    for target in step.targets:
        for delivery in directory.deliveries_for(target, now):
            notification_id = str(
                deterministic_id(
                    escalation.incident_id,
                    escalation.generation,
                    escalation.step,
                    escalation.repeat,
                    delivery.recipient,
                    delivery.channel,
                )
            )
            decided.append(
                NotificationRequested(
                    notification_id=notification_id,
                    incident_id=escalation.incident_id,
                    domain=escalation.domain,
                    target=delivery.recipient,
                    channel=delivery.channel,
                    requested_at=now,
                    page=_page(escalation, delivery.recipient),
                    reason=why,
                )
            )
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


def _page(escalation: Escalation, recipient: str) -> dict[str, object]:
    return {
        **escalation.facts,
        "status": "triggered",
        "escalation_step": escalation.step + 1,
        "escalation_repeat": escalation.repeat,
        "target": recipient,
    }


def evolve(state: RouterState, event: Event) -> RouterState:
    match event:
        case EscalationStarted(incident_id=incident_id):
            state.escalations[incident_id] = Escalation(
                incident_id=incident_id,
                domain=event.domain,
                policies=tuple(policy_from_dict(p) for p in event.policies),
                facts=dict(event.facts),
                due_at=event.due_at,
            )
        case EscalationStepFired(incident_id=incident_id, at=at):
            _advance(state.escalations[incident_id], at)
        case (
            AlertGrouped(incident_id=incident_id) | IncidentPriorityChanged(incident_id=incident_id)
        ) if incident_id in state.escalations:
            escalation = state.escalations[incident_id]
            escalation.facts = updated_facts(escalation.facts, event)
        case IncidentAcknowledged(incident_id=incident_id) if incident_id in state.escalations:
            state.escalations[incident_id].status = "acknowledged"
            state.escalations[incident_id].due_at = None
        case IncidentResolved(incident_id=incident_id):
            state.escalations.pop(incident_id, None)
    return state


def _advance(escalation: Escalation, at: datetime) -> None:
    steps = merged_steps(escalation.policies)
    repeats = max((p.repeat for p in escalation.policies), default=0)
    if escalation.step + 1 < len(steps):
        escalation.step += 1
        escalation.due_at = at + steps[escalation.step].delay
    elif escalation.repeat < repeats:
        escalation.step, escalation.repeat = 0, escalation.repeat + 1
        escalation.due_at = at + max(steps[0].delay, timedelta(minutes=1))
    else:
        escalation.step = len(steps)
        escalation.due_at = None


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
    due = [
        e.due_at
        for e in state.escalations.values()
        if e.status == "triggered" and e.due_at is not None
    ]
    return min(due, default=None)


__all__ = ["EscalationPolicy", "decide", "evolve", "next_due", "step"]
