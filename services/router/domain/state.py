"""The router's state for one partition — escalations of open incidents — and `evolve`, the
only place it changes. State is mutable: `decide` never writes to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, Literal

from services.router.domain.api_silences import fold_silence
from services.router.domain.facts import updated_facts, with_resolved
from services.router.domain.firing import IncidentAlerts, opened_with
from services.router.domain.policy import EscalationPolicy, EscalationStep
from services.router.domain.silences import Silence
from services.router.domain.snapshot import merged_steps, policies_from_dicts
from services.router.domain.timers import rearm
from shared.events import (
    AlertGrouped,
    AlertResolved,
    EscalationStarted,
    EscalationStepFired,
    IncidentAcknowledged,
    IncidentOpened,
    IncidentPriorityChanged,
    IncidentResolved,
    NotificationFailed,
    NotificationRequested,
    NotificationSent,
)
from shared.events.base import Event
from shared.events.incidents import IncidentFlapping, IncidentProbableCauseChanged
from shared.events.notifications import (
    EscalationHeld,
    EscalationRestarted,
    EscalationWidened,
    IncidentCommanderAssigned,
    IncidentReassigned,
    IncidentSnoozed,
)
from shared.events.silences import SilenceCreated, SilenceExpired

EscalationStatus = Literal["triggered", "acknowledged", "snoozed"]
# An armed timer: (due at, the escalation's start order, incident id); see `timers`.
Timer = tuple[datetime, int, str]


@dataclass
class Escalation:
    incident_id: str
    domain: str
    policies: tuple[EscalationPolicy, ...]  # snapshotted when the incident opened
    facts: dict[str, Any]  # what the page says: title, priority, alerts, cause
    status: EscalationStatus = "triggered"
    # Bumped when escalation starts over (snooze ended, reassigned): page ids include it.
    generation: int = 0
    step: int = 0
    repeat: int = 0
    # Next step (triggered) or end of the snooze (snoozed); None: nothing will fire.
    due_at: datetime | None = None
    # Pages requested in this generation: a failure of an older one escalates nothing.
    requested: set[str] = field(default_factory=set)
    # Whom each of them is for, those whose outcome is known, and the recipients one reached:
    # a failed page escalates only if its recipient was reached on no other contact method
    # and no other page to them is still on its way (`engine.escalates_on_failure`).
    recipient_of: dict[str, str] = field(default_factory=dict)
    settled: set[str] = field(default_factory=set)
    reached: set[str] = field(default_factory=set)
    acknowledged_by: str | None = None
    snoozed_until: datetime | None = None
    assignee: str | None = None
    commander: str | None = None
    # For the time-to-page, MTTA and MTTR metrics.
    opened_at: datetime | None = None
    alert_received_at: datetime | None = None
    first_acknowledged_at: datetime | None = None
    first_page_sent_at: datetime | None = None
    # The opening alert's labels: silences and urgency rules match every firing alert of the
    # incident, kept in `RouterState.alerts`; these only when no alert of it is known.
    labels: dict[str, str] = field(default_factory=dict)
    # The due step is held (`EscalationHeld`), wholly or for some of its people (their pages
    # wait for their working hours): an alert joining may release it.
    held: bool = False
    # Schedules of the held step whose on-call person is paged: not looked up again.
    paged_schedules: frozenset[str] = frozenset()
    # Rank among the partition's escalations by start: a tick acts on due ones in this order.
    order: int = 0
    # Opened flapping: no page before this, nor then until an alert of the incident fires.
    flapping_until: datetime | None = None
    # (target, channel) of every page requested, all generations: who is told of changes.
    paged: dict[tuple[str, str], None] = field(default_factory=dict)
    # Ids of the acknowledged/resolved updates sent to them: no page, for the metrics.
    updates: set[str] = field(default_factory=set)
    # Per policy, how many steps behind the incident's it runs in this round: policies added
    # mid-round (`EscalationWidened.step_offset`); empty when all run aligned.
    offsets: tuple[int, ...] = ()
    # Steps of the round before this one (0: as many as now): its last step's page may fail
    # once the next round started, and still bring the due step forward.
    last_round_steps: int = 0

    @cached_property
    def steps(self) -> tuple[EscalationStep, ...]:
        """The policies' steps merged (recomputed when policies or offsets change)."""
        return merged_steps(self.policies, self.offsets)

    def realign(self) -> None:
        """A new round starts from the first step: every policy runs aligned again."""
        if self.offsets:
            self.offsets = ()
            self.__dict__.pop("steps", None)


# Between two passes of a repeating policy: even with a 0s first step, no instant re-page.
PASS_FLOOR = timedelta(minutes=1)


@dataclass
class RouterState:
    clock: datetime | None = None
    escalations: dict[str, Escalation] = field(default_factory=dict)
    started: int = 0  # escalations started so far: the next one's `order`
    # The alerts of each open incident, by incident id (whether an escalation started or not).
    alerts: dict[str, IncidentAlerts] = field(default_factory=dict)
    # Silences created through the API, by id (the config's are in the directory).
    silences: dict[str, Silence] = field(default_factory=dict)
    # Heap of armed timers: an index of `escalations`, rebuilt by the fold (see `timers`).
    timers: list[Timer] = field(default_factory=list, compare=False, repr=False)


def evolve(state: RouterState, event: Event) -> RouterState:
    incident_id = str(getattr(event, "incident_id", ""))
    escalation = state.escalations.get(incident_id)
    due = escalation.due_at if escalation is not None else None
    tracked = state.alerts.get(incident_id)
    counted_already = firing_again = False
    if isinstance(event, AlertGrouped) and tracked is not None:
        counted_already = not tracked.counts(event)
        firing_again = event.alert.fingerprint in tracked.resolved
    _track_alerts(state, event, incident_id)
    match event:
        case EscalationStarted():
            _start(state, event, escalation)
        case IncidentResolved():
            state.escalations.pop(incident_id, None)
        case SilenceCreated() | SilenceExpired():
            fold_silence(state.silences, event)
        case AlertGrouped(decision="grouped") if counted_already:
            pass  # fired again, or released from inhibition: the page counts it once
        case _ if escalation is not None:
            _evolve_escalation(escalation, event)
    marks_change = firing_again or _marks_resolved(event)
    if escalation is not None and incident_id in state.alerts and marks_change:
        escalation.facts = with_resolved(escalation.facts, state.alerts[incident_id].resolved)
    if incident_id:
        rearm(state, incident_id, escalation, due)
    return state


def _marks_resolved(event: Event) -> bool:
    """Whether the event may change which alerts a page lists, or which of them resolved (a
    repeat, `deduplicated`, changes neither unless of a resolved alert: repeats are most of
    what the router reads)."""
    if isinstance(event, AlertGrouped):
        return event.decision != "deduplicated"
    return isinstance(event, AlertResolved | IncidentProbableCauseChanged)


def _track_alerts(state: RouterState, event: Event, incident_id: str) -> None:
    match event:
        case IncidentOpened(alert=alert) if incident_id not in state.alerts:  # not a redelivery
            state.alerts[incident_id] = opened_with(alert.fingerprint, alert.labels)
            if event.moved_from is not None and event.moved_from in state.alerts:
                state.alerts[event.moved_from].leave(alert.fingerprint)
        case AlertGrouped(moved_from=moved_from):
            if moved_from is not None and moved_from in state.alerts:
                state.alerts[moved_from].leave(event.alert.fingerprint)
            if incident_id in state.alerts:
                state.alerts[incident_id].join(event)
        case AlertResolved(fingerprint=fingerprint) if incident_id in state.alerts:
            state.alerts[incident_id].resolve(fingerprint)
        case IncidentResolved():
            state.alerts.pop(incident_id, None)


def _start(state: RouterState, event: EscalationStarted, replaced: Escalation | None) -> None:
    # Started again for the same incident, it keeps its rank as it keeps its key's place.
    if replaced is not None:
        order = replaced.order
    else:
        order, state.started = state.started, state.started + 1
    state.escalations[event.incident_id] = Escalation(
        incident_id=event.incident_id,
        domain=event.domain,
        policies=policies_from_dicts(event.policies),
        facts=dict(event.facts),
        due_at=event.due_at,
        opened_at=event.opened_at,
        alert_received_at=event.alert_received_at,
        labels=dict(event.labels),
        order=order,
        flapping_until=event.flapping_until,
    )


def _evolve_escalation(escalation: Escalation, event: Event) -> None:
    match event:
        case EscalationStepFired(at=at):
            _advance(escalation, at)
            escalation.held, escalation.paged_schedules = False, frozenset()
        case EscalationHeld(until=until, paged_schedules=paged):
            escalation.due_at, escalation.held = until, True
            escalation.paged_schedules = frozenset(paged)
        case (
            AlertGrouped()
            | IncidentPriorityChanged()
            | IncidentProbableCauseChanged()
            | IncidentFlapping()
        ):
            escalation.facts = updated_facts(escalation.facts, event)
        case NotificationRequested(notification_id=notification_id, target=target):
            escalation.paged[(target, event.channel)] = None
            if event.is_page():
                escalation.requested.add(notification_id)
                escalation.recipient_of[notification_id] = target
            else:
                escalation.updates.add(notification_id)
        case NotificationSent(notification_id=notification_id, sent_at=at):
            if escalation.first_page_sent_at is None and notification_id not in escalation.updates:
                escalation.first_page_sent_at = at
            _settle(escalation, notification_id, reached=True)
        case NotificationFailed(notification_id=notification_id):
            _settle(escalation, notification_id, reached=False)
        case IncidentAcknowledged(by=by, at=at):
            escalation.status, escalation.due_at, escalation.held = "acknowledged", None, False
            escalation.acknowledged_by, escalation.snoozed_until = by, None
            escalation.first_acknowledged_at = escalation.first_acknowledged_at or at
        case IncidentSnoozed(until=until):
            escalation.status, escalation.due_at, escalation.snoozed_until = "snoozed", until, until
            escalation.held = False
        case EscalationRestarted(generation=generation, step=step, repeat=repeat, due_at=due):
            _new_generation(escalation, generation)
            if step == 0:
                escalation.realign()
            escalation.step, escalation.repeat, escalation.due_at = step, repeat, due
        case IncidentReassigned(generation=generation, assignee=assignee, at=at):
            _new_generation(escalation, generation)
            escalation.assignee = assignee
            escalation.due_at = pending_due(escalation, at)
        case IncidentCommanderAssigned(commander=commander):
            escalation.commander = commander
        case EscalationWidened(policies=policies, step_offset=offset, at=at):
            widen_escalation(escalation, policies_from_dicts(policies), offset, at)


def widen_escalation(
    escalation: Escalation, policies: tuple[EscalationPolicy, ...], offset: int, at: datetime
) -> None:
    """Run `policies` too (those not running already), `offset` steps behind (see
    `EscalationWidened`)."""
    running = {p.name for p in escalation.policies}
    added = tuple(p for p in policies if p.name not in running)
    if not added:
        return
    aligned = escalation.offsets + (0,) * (len(escalation.policies) - len(escalation.offsets))
    escalation.policies += added
    if offset or escalation.offsets:
        escalation.offsets = aligned + (offset,) * len(added)
    escalation.__dict__.pop("steps", None)  # merged again, with the added policies
    # An escalation that had run out of steps goes on with the added policies' next ones.
    if escalation.status == "triggered" and escalation.due_at is None and not escalation.held:
        escalation.due_at = pending_due(escalation, at)


def _settle(escalation: Escalation, notification_id: str, *, reached: bool) -> None:
    """A page of this generation delivered (`reached`) or given up on."""
    recipient = escalation.recipient_of.get(notification_id)
    if recipient is None:
        return  # a page of an earlier generation
    escalation.settled.add(notification_id)
    if reached:
        escalation.reached.add(recipient)


def _new_generation(escalation: Escalation, generation: int) -> None:
    escalation.generation, escalation.status, escalation.held = generation, "triggered", False
    escalation.paged_schedules = frozenset()
    escalation.acknowledged_by = escalation.snoozed_until = None
    escalation.requested = set()
    escalation.recipient_of, escalation.settled, escalation.reached = {}, set(), set()


def pending_due(escalation: Escalation, at: datetime) -> datetime | None:
    """When the pending step fires if it starts its delay at `at` (the first step of a later
    pass no sooner than a minute, as `_advance` has it); None when no step is left."""
    steps = escalation.steps
    if escalation.step >= len(steps):
        return None
    delay = steps[escalation.step].delay
    if escalation.step == 0 and escalation.repeat > 0:
        delay = max(delay, PASS_FLOOR)
    return at + delay


def _advance(escalation: Escalation, at: datetime) -> None:
    steps = escalation.steps
    repeats = max((p.repeat for p in escalation.policies), default=0)
    if escalation.step + 1 < len(steps):
        escalation.step += 1
    elif escalation.repeat < repeats:
        escalation.last_round_steps = len(steps)  # a widened round may be longer than the next
        escalation.realign()
        escalation.step, escalation.repeat = 0, escalation.repeat + 1
    else:
        escalation.step = len(steps)
    escalation.due_at = pending_due(escalation, at)
