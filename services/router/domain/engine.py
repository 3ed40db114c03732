"""The router's pure core: escalate open incidents step by step, driven by ticks.

`decide` reads state and returns events; `evolve` folds them (and the correlator's facts and
people's commands) into state. Page ids are deterministic — incident, generation, step,
repeat, recipient, channel — so a replayed or redelivered step requests the same
notifications and the dispatcher sends each once, while a new generation (a snooze ended,
a reassignment) pages again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from services.router.domain.api_silences import with_silences
from services.router.domain.commands import Pager, decide_command
from services.router.domain.facts import facts_from_opened, updated_facts
from services.router.domain.firing import silencing
from services.router.domain.incident_urgency import incident_urgency
from services.router.domain.paging import REASSIGN, PageKey, fire, notification_id, requests
from services.router.domain.policy import Delivery, EscalationPolicy, RoutingDirectory
from services.router.domain.snapshot import policy_to_dict
from services.router.domain.state import Escalation, RouterState, evolve, pending_due
from services.router.domain.timers import due_escalations, next_due_at
from services.router.domain.updates import status_updates
from services.router.domain.widening import widen
from shared.events import (
    AcknowledgeIncident,
    AlertGrouped,
    AnyEvent,
    EscalationStarted,
    IncidentAcknowledged,
    IncidentOpened,
    IncidentResolved,
    NobodyPaged,
    NotificationFailed,
    TickOccurred,
)
from shared.events.base import Event
from shared.events.commands import (
    AddIncidentNote,
    AssignIncidentCommander,
    ReassignIncident,
    SnoozeIncident,
)
from shared.events.incidents import RulesetActivated
from shared.events.notifications import EscalationHeld, EscalationRestarted
from shared.events.silences import SilenceCreated, SilenceExpired

# However short a flapping window, a quiet flapping incident is not looked at more often.
_FIRST_PAGE_RECHECK = timedelta(minutes=1)


def decide(
    state: RouterState, event: AnyEvent, now: datetime, directory: RoutingDirectory
) -> list[Event]:
    match event:
        case IncidentOpened(incident_id=incident_id) if incident_id not in state.escalations:
            return _start_and_fire_due(event, now, directory)
        case TickOccurred():
            return _on_tick(state, now, directory)
        case AlertGrouped():
            return _on_join(state, event, now, directory)
        case NotificationFailed(incident_id=incident_id, notification_id=failed):
            failing = state.escalations.get(incident_id)
            if failing is None or failing.status != "triggered" or failed not in failing.requested:
                return []
            if failing.step >= len(failing.steps):  # whichever step's page fails last
                return _exhausted_unheard(failing, failed, now)
            if not escalates_on_failure(failing, failed) or not _of_a_pending_step(failing, event):
                return []
            recipient = failing.recipient_of.get(failed, "its recipient")
            why = f"delivery of {failed} failed, and no other page reached {recipient}"
            return _unless_held_as_before(
                failing, fire(failing, now, directory, why, *_muted(state, failing))
            )
        case (
            AcknowledgeIncident()
            | SnoozeIncident()
            | ReassignIncident()
            | AddIncidentNote()
            | AssignIncidentCommander()
        ):
            escalation = state.escalations.get(event.incident_id)
            decided = decide_command(escalation, event, now, _reassign_pager(directory))
            return [*decided, *_acknowledgement_told(escalation, decided, now, directory)]
        case RulesetActivated(version=version):
            # Its silences and urgency rules may no longer hold a step held by the old ones.
            why = f"config {version} activated: silences and urgency read again"
            return _held_looked_at_again(state, now, directory, why)
        case IncidentResolved(incident_id=incident_id) if incident_id in state.escalations:
            who = f"by {event.by}" if event.by is not None else f"by {event.rule}"
            why = f"resolved {who}: {event.reason}"
            resolved = state.escalations[incident_id]
            return status_updates(resolved, "resolved", event.by or "", why, now, directory)
        case _:
            return []


def _acknowledgement_told(
    escalation: Escalation | None, decided: list[Event], now: datetime, directory: RoutingDirectory
) -> list[Event]:
    acknowledged = next((e for e in decided if isinstance(e, IncidentAcknowledged)), None)
    if escalation is None or acknowledged is None:
        return []
    why = f"acknowledged by {acknowledged.by}"
    return status_updates(escalation, "acknowledged", acknowledged.by, why, now, directory)


def _exhausted_unheard(escalation: Escalation, failed: str, now: datetime) -> list[Event]:
    """The last step's page failed and no step is left: if no page of this generation reached
    anybody and none is still on its way, nobody was paged, which is said loudly, not left to
    look like an incident that paged and went unanswered."""
    others = escalation.requested - {failed}
    if escalation.reached or not others <= escalation.settled:
        return []
    policies = ", ".join(p.name for p in escalation.policies)
    reason = (
        f"every page failed (the last: {failed} to "
        f"{escalation.recipient_of.get(failed, 'its recipient')}) and {policies} has no step left"
    )
    return [NobodyPaged(incident_id=escalation.incident_id, at=now, reason=reason)]


def escalates_on_failure(escalation: Escalation, failed: str) -> bool:
    """Whether a page given up on brings the next step forward: not when its recipient was
    reached on another contact method of this generation, nor while another page to them is
    still on its way (the last of them to fail decides)."""
    recipient = escalation.recipient_of.get(failed)
    if recipient is None:
        return True  # requested before its recipient was recorded (an older state)
    if recipient in escalation.reached:
        return False
    return not any(
        other != failed and whom == recipient and other not in escalation.settled
        for other, whom in escalation.recipient_of.items()
    )


def _of_a_pending_step(escalation: Escalation, failed: NotificationFailed) -> bool:
    """Whether the failed page is of the due step, of the step before it (the due step's delay
    runs) or of a reassignment: only then does its failure bring the due step forward. A page
    of an earlier step whose next step has fired already brings nothing forward, or the next
    step's people would have less than their delay to acknowledge. Told by the page's
    deterministic id."""
    recipient = escalation.recipient_of.get(failed.notification_id)
    if recipient is None:
        return True  # requested before its recipient was recorded (an older state)
    step, repeat = escalation.step, escalation.repeat
    keys: list[PageKey] = [REASSIGN, (step, repeat)]
    if step > 0:
        keys.append((step - 1, repeat))
    elif repeat > 0:
        keys.append(((escalation.last_round_steps or len(escalation.steps)) - 1, repeat - 1))
    delivery = Delivery(recipient, failed.channel)
    return any(notification_id(escalation, key, delivery) == failed.notification_id for key in keys)


def _start_and_fire_due(
    event: IncidentOpened, now: datetime, directory: RoutingDirectory
) -> list[Event]:
    """Take the incident on; with no group wait left, page at once rather than on a tick."""
    started = _start(event, directory)
    first = started[0]
    if len(started) > 1 or not isinstance(first, EscalationStarted) or first.due_at > now:
        return started
    scratch = evolve(RouterState(), first)
    escalation = scratch.escalations[first.incident_id]
    return [first, *fire(escalation, now, directory, "step due", [event.alert.labels])]


def _start(event: IncidentOpened, directory: RoutingDirectory) -> list[Event]:
    receivers = event.receivers or [directory.default_receiver]
    policies = [p for p in (directory.policy_for(r) for r in receivers) if p is not None]
    reason = f"receivers {', '.join(receivers)} from {event.rule}"
    if not policies:
        fallback = directory.policy_for(directory.default_receiver)
        if fallback is not None:
            policies = [fallback]
            reason = f"no policy for {', '.join(receivers)}: default {fallback.name}"
    due, flapping = event.notify_after, event.flapping_until
    if flapping is not None:
        due = max(due, flapping)
        reason += f"; flapping: no page before {flapping.isoformat()}, nor then unless it fires"
    started = EscalationStarted(
        incident_id=event.incident_id,
        domain=event.domain,
        policies=[policy_to_dict(p) for p in policies],
        facts=facts_from_opened(event),
        due_at=due,
        reason=reason,
        opened_at=event.opened_at,
        alert_received_at=event.alert.received_at,
        labels=dict(event.alert.labels),
        flapping_until=flapping,
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
        muted = _muted(state, escalation)
        quiet = _quiet_first_page(escalation, now, muted.ranked_over)
        if quiet is not None:
            decided.append(quiet)
        elif escalation.status == "triggered":
            why = "hold ended" if escalation.held else "step due"
            decided += fire(escalation, now, directory, why, *muted)
        elif escalation.status == "snoozed":
            decided += _restart(escalation, now, directory, muted)
    return decided


class _Muted(NamedTuple):
    """What `fire` looks at: the label sets a silence must all cover to hold the due step, and
    those that rank its urgency (the firing ones only: an incident whose alerts all resolved,
    still open in its grace or until resolved by hand, is low urgency; its resolved alerts
    must still all be silenced to hold it)."""

    muted: list[Mapping[str, str]]
    ranked_over: list[Mapping[str, str]]


def _muted(state: RouterState, escalation: Escalation) -> _Muted:
    alerts = state.alerts.get(escalation.incident_id)
    if alerts is None:
        return _Muted([escalation.labels], [escalation.labels])
    return _Muted(list(alerts.muted_labels()), list(alerts.paging_labels()))


def _on_join(
    state: RouterState, event: AlertGrouped, now: datetime, directory: RoutingDirectory
) -> list[Event]:
    """Alertmanager notifies while any firing alert is not silenced: an alert joining a held
    incident that no silence covers releases the hold now (a silence ending before the hold
    does shortens it); one of high urgency pages the held people of a low-urgency step at
    once. Decided from the log alone, so replay releases at the same point. An alert joining
    from a route with other receivers first widens the escalation to them (`widening`)."""
    escalation = state.escalations.get(event.incident_id)
    if escalation is None:
        return []
    widened: list[Event] = []
    alerts = state.alerts.get(event.incident_id)
    if event.receivers:
        paging = list(alerts.paging_labels()) if alerts is not None else [escalation.labels]
        widened, escalation = widen(escalation, event, now, directory, paging)
    if alerts is None or not escalation.held:
        return widened
    if escalation.status != "triggered" or not alerts.newly_paging(event):
        return widened
    joined = event.alert.labels
    silence = directory.silence_for(joined, now)
    due = escalation.due_at
    if silence is not None and due is not None and silence.released_at >= due:
        return widened  # muted for as long as the hold lasts already
    paging = [joined, *alerts.paging_labels()]
    why = _release_reason(event, paging[1:] or [escalation.labels], now, directory)
    joining = replace(escalation, facts=updated_facts(escalation.facts, event))  # page says it
    fired = fire(joining, now, directory, why, paging)
    return [*widened, *_unless_held_as_before(escalation, fired)]


def _release_reason(
    event: AlertGrouped,
    before: Sequence[Mapping[str, str]],
    now: datetime,
    directory: RoutingDirectory,
) -> str:
    name = f"{event.alert.alertname} ({event.alert.fingerprint})"
    silenced = bool(silencing(before, now, directory))  # the hold was the silences'
    was = incident_urgency(before, now, directory).urgency
    if not silenced and was == "low" and directory.urgency_of(event.alert.labels) == "high":
        return (
            f"hold released: {name} joined with high urgency, so the incident is high urgency now"
        )
    return f"hold released: {name} joined and no silence covers it"


def _quiet_first_page(
    escalation: Escalation, now: datetime, firing: Sequence[Mapping[str, str]]
) -> EscalationHeld | None:
    """An incident owes its first page only if an alert of it fires then, as Alertmanager
    notifies no group whose alerts all resolved before its first notification (one that fired
    and resolved within the group wait; a symptom released by its source's resolve and
    resolved in the same webhook). Else the step waits for one to fire (its joining releases
    the hold, see `_on_join`) or for the incident to resolve, looked at again each flapping
    window, or each minute. `firing`: the alerts that would page (`_Muted.ranked_over`)."""
    if escalation.status != "triggered":
        return None
    if escalation.requested or escalation.generation or escalation.step or escalation.repeat:
        return None  # paged already: this holds back only the first page
    if firing:
        return None
    until, opened = escalation.flapping_until, escalation.opened_at
    window = until - opened if until is not None and opened is not None else timedelta(0)
    why = "flapping: " if until is not None else ""
    return EscalationHeld(
        incident_id=escalation.incident_id,
        at=now,
        until=now + max(window, _FIRST_PAGE_RECHECK),
        reason=f"{why}none of its alerts fires now; the first page waits for one to fire",
    )


def _unless_held_as_before(escalation: Escalation, decided: list[Event]) -> list[Event]:
    """Nothing, if all that changed is a hold restated as it stands (urgency, or a silence)."""
    match decided:
        case [EscalationHeld(until=until)] if until == escalation.due_at:
            return []
    return decided


# A new generation starts with no step held, and no schedule done with (as the fold has it).
_NO_HOLD: dict[str, Any] = {"held": False, "paged_schedules": frozenset()}


def _restart(
    escalation: Escalation,
    now: datetime,
    directory: RoutingDirectory,
    muted: _Muted,
) -> list[Event]:
    """A snooze ended: escalate again from the first step, in a new generation; or, when the
    incident was reassigned, page the assignee again and go on as the reassignment did (the
    policy's next step after its delay): the person who took it over is the one to wake."""
    generation = escalation.generation + 1
    until = escalation.snoozed_until.isoformat() if escalation.snoozed_until else "?"
    assignee = escalation.assignee
    if assignee is not None:
        due = pending_due(escalation, now)
        restarted = EscalationRestarted(
            incident_id=escalation.incident_id,
            generation=generation,
            at=now,
            reason=f"snoozed until {until}: paging {assignee}, the assignee, again",
            step=escalation.step,
            repeat=escalation.repeat,
            due_at=due,
        )
        fresh = replace(escalation, generation=generation, status="triggered", **_NO_HOLD)
        why = f"snooze ended: {assignee} is the assignee"
        return [restarted, *_page_assignee(fresh, assignee, now, directory, why)]
    restarted = EscalationRestarted(
        incident_id=escalation.incident_id,
        generation=generation,
        at=now,
        reason=f"snoozed until {until}: escalating again from the first step",
    )
    fresh = replace(
        escalation, generation=generation, step=0, repeat=0, status="triggered", **_NO_HOLD
    )
    fresh.realign()  # as the fold does: a restart from the first step runs policies aligned
    return [restarted, *fire(fresh, now, directory, "snooze ended", *muted)]


def _reassign_pager(directory: RoutingDirectory) -> Pager:
    def page(escalation: Escalation, user: str, now: datetime) -> list[Event]:
        return _page_assignee(escalation, user, now, directory, f"reassigned to {user}")

    return page


def _page_assignee(
    escalation: Escalation, user: str, now: datetime, directory: RoutingDirectory, why: str
) -> list[Event]:
    deliveries = directory.deliveries_for(f"user:{user}", now)
    decided = requests(escalation, [(d, why) for d in deliveries], now, REASSIGN)
    if decided:
        return decided
    reason = f"{user}, the assignee, has no contact method"
    return [NobodyPaged(incident_id=escalation.incident_id, at=now, reason=reason)]


def step(
    state: RouterState, event: AnyEvent, now: datetime, directory: RoutingDirectory
) -> list[Event]:
    """Decide on the event and fold it and the decisions in. A silence from the API is folded
    first, then decided on with it: an expired one releases the holds it no longer explains."""
    clock = now if state.clock is None or now > state.clock else state.clock
    state.clock = clock
    if isinstance(event, SilenceCreated | SilenceExpired):
        evolve(state, event)  # a new silence holds from the next due step on
        decided = _released(state, event, clock, directory) if type(event) is SilenceExpired else []
    else:
        decided = decide(state, event, clock, with_silences(directory, state.silences))
        evolve(state, event)
    for new_event in decided:
        evolve(state, new_event)
    return decided


def _released(
    state: RouterState, event: SilenceExpired, now: datetime, directory: RoutingDirectory
) -> list[Event]:
    """A silence expired: each held step is looked at again now, and pages unless another
    silence or the urgency rules still hold it."""
    why = f"silence {event.silence_id} expired by {event.actor}"
    return _held_looked_at_again(state, now, with_silences(directory, state.silences), why)


def _held_looked_at_again(
    state: RouterState, now: datetime, directory: RoutingDirectory, why: str
) -> list[Event]:
    """Each held step, paged now unless a silence or the urgency rules still hold it."""
    decided: list[Event] = []
    for escalation in state.escalations.values():
        if escalation.held and escalation.status == "triggered":
            fired = fire(escalation, now, directory, why, *_muted(state, escalation))
            decided += _unless_held_as_before(escalation, fired)
    return decided


def next_due(state: RouterState) -> datetime | None:
    """When a tick would change something: a step due, or a snooze ending."""
    return next_due_at(state)


__all__ = ["EscalationPolicy", "decide", "evolve", "next_due", "step"]
