"""The correlator's pure core: `decide` what happened, `evolve` state by folding it.

`decide(state, event, now, policy, domain)` reads state and returns new events; it never
changes state. `step` folds the input and then each decision with `evolve`. The same inputs
give the same events. `domain` is the input's record key (its correlation domain).
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from services.correlator.domain.arrival import Decided
from services.correlator.domain.commands import (
    on_acknowledge,
    on_resolve,
    on_ruleset,
    on_source_acknowledgement,
)
from services.correlator.domain.evolve import STATEFUL_INPUTS, evolve, evolve_input
from services.correlator.domain.firing import on_firing, repeat_reason
from services.correlator.domain.heartbeats import on_heartbeat, unconfigured
from services.correlator.domain.membership import attach
from services.correlator.domain.opening import incident_id_for
from services.correlator.domain.release import rehome
from services.correlator.domain.resolution import (
    GRACE_RULE,
    on_resolved,
    on_started_again,
    on_tick,
    started_again,
)
from services.correlator.domain.rules import CorrelationPolicy
from services.correlator.domain.state import CorrelatorState
from services.correlator.domain.timers import next_due_at, pop_due
from shared.alerts import Alert
from shared.events.base import Event
from shared.events.commands import AcknowledgeIncident, ResolveIncident
from shared.events.incidents import HeartbeatMissed, IncidentResolved, RulesetActivated
from shared.events.inputs import (
    AlertAcknowledgedAtSource,
    AlertReceived,
    HeartbeatReceived,
    TickOccurred,
)

__all__ = [
    "Decided",
    "Repeated",
    "catch_up",
    "decide",
    "incident_id_for",
    "next_due",
    "step",
    "step_alert",
    "step_repeat",
]


def decide(
    state: CorrelatorState, event: Event, now: datetime, policy: CorrelationPolicy, domain: str
) -> Decided:
    match event:
        case AlertReceived(alert=alert):
            return _on_alert(state, alert, now, policy, domain)
        case TickOccurred():
            return on_tick(state, now, policy)
        case HeartbeatReceived():
            return on_heartbeat(state, event, now, policy)
        case AcknowledgeIncident():
            return on_acknowledge(state, event, now, policy)
        case ResolveIncident():
            return on_resolve(state, event, now, policy)
        case RulesetActivated():
            return on_ruleset(state, event, now, policy) + unconfigured(state, now, policy)
        case AlertAcknowledgedAtSource():
            return on_source_acknowledgement(state, event, now, policy)
        case _:
            return []


def step(
    state: CorrelatorState, event: Event, now: datetime, policy: CorrelationPolicy, domain: str
) -> Decided:
    """Decide on one input and fold it and the decisions in. Event time never runs backwards.

    A missed heartbeat is Tocsin's own alert: it goes through the firing path right after its
    `HeartbeatMissed`, with the state that decision left, as if it had just arrived. Likewise
    a firing alert sent with a later start (`started_again`) first resolves, then fires again.
    Last, suppressed symptoms whose source resolved or moved follow it or are released
    (`release.rehome`), on the state all the input's decisions left.
    """
    if type(event) is AlertReceived:
        return step_alert(state, event.alert, now, policy, domain)
    if type(event) is TickOccurred:
        return _step_tick(state, now, policy)
    overdue = catch_up(state, now, policy)
    clock = _advance_clock(state, now)
    decisions = decide(state, event, clock, policy, domain)
    if isinstance(event, STATEFUL_INPUTS):
        evolve_input(state, event, policy, domain)
    folded = _fold(state, decisions, policy)
    return overdue + folded + rehome(state, folded, clock, policy)


def catch_up(state: CorrelatorState, now: datetime, policy: CorrelationPolicy) -> Decided:
    """What timers due by `now` decide, each as of its due time: a tick's decisions, which
    every input first makes (`step` and `step_alert` call this).

    A live tick comes when the runner next looks, and under load inputs received after a due
    time may reach the partition before it; an offline replay ticks at each due time, before
    the first input at or after it. Time passing first, the input then meets what the replay
    had: an incident whose grace ended before an alert came is resolved, and the alert opens
    a new one (not joining the old one for want of a tick). Callers that tell a tick's
    decisions from an input's (the processor keys them by incident, metrics and replay read
    an alert's own) call this first; the input's `step` then finds nothing due.
    """
    return _step_tick(state, now, policy) if _overdue_at(state, now) else []


def _overdue_at(state: CorrelatorState, now: datetime) -> bool:
    """Whether a timer is due by `now` (or by the clock, if the inputs said later already)."""
    due = next_due_at(state)
    return due is not None and (due <= now or (state.clock is not None and due <= state.clock))


def _step_tick(state: CorrelatorState, now: datetime, policy: CorrelationPolicy) -> Decided:
    """`step` of a tick, run as one tick at each due time it covers, in order, as an offline
    replay feeds them: each decides what is due then (`on_tick`), and what those decisions
    leave without their source is rehomed as of that time. One tick deciding timers due at
    different times together released symptoms as of the last of them.

    What these decisions arm at or before `at` is decided at `at` too, in the same tick: an
    alert ending with a zero resolve grace leaves its incident due at once, and leaving that
    to the runner's next tick let an input in between join the incident ended already. Only
    a timer armed again unchanged (nothing moved) waits for the next tick."""
    clock = _advance_clock(state, now)
    decided: Decided = []
    at = next_due_at(state)
    while at is not None and at <= clock:
        top = state.timers[0]
        decisions = on_tick(state, at, policy)
        pop_due(state, at)  # before the fold, which re-arms what it leaves pending
        folded = _fold(state, decisions, policy)
        decided += folded + rehome(state, folded, at, policy)
        if not state.timers or state.timers[0] == top:
            break
        at = max(state.timers[0][0], at)
    return decided


def step_alert(
    state: CorrelatorState, alert: Alert, now: datetime, policy: CorrelationPolicy, domain: str
) -> Decided:
    """`step` of `AlertReceived(alert)`, nearly every input, without building the event (an
    offline replay feeds one per notification). An alert is no stateful input."""
    overdue = catch_up(state, now, policy)
    clock = _advance_clock(state, now)
    restarted = _fold(state, on_started_again(state, alert, clock, policy), policy)
    folded = restarted + _fold(state, _on_alert(state, alert, clock, policy, domain), policy)
    return overdue + folded + rehome(state, folded, clock, policy)


class Repeated(NamedTuple):
    """A repeat of a firing alert, folded: what its `AlertGrouped(decision="deduplicated")`
    says, with the reason left to be worded only by whoever needs it."""

    incident_id: str
    number: int  # this notification's number, the first one included
    first_seen: str

    def reason(self, alert: Alert) -> str:
        return repeat_reason(alert.alertname, alert.fingerprint, self.number, self.first_seen)


def step_repeat(
    state: CorrelatorState, alert: Alert, now: datetime, policy: CorrelationPolicy
) -> Repeated | None:
    """`step_alert` of a repeat of a firing alert that brings nothing new but its receive
    time (`AlertRecord.same_as`), most of an offline replay's inputs, without building its
    `AlertGrouped`; None, changing nothing, for any other alert (then call `step_alert`).

    The state ends as `step_alert` leaves it: for a tracked firing alert, `on_firing` decides
    exactly one `AlertGrouped(deduplicated)` into its incident, whose fold `attach` only
    counts a repeat that changes nothing. Nothing of `alert` is read but its fingerprint,
    status, name and what `same_as` compares, never its `received_at`: a replay passes the
    alerts of a re-sent payload as first received. Tests hold both equal. None too when a
    timer is overdue: `step_alert` decides it first."""
    if alert.status != "firing" or _overdue_at(state, now):
        return None
    tracked = state.alerts.get(alert.fingerprint)
    if tracked is None or not tracked.firing or not tracked.alert.same_as(alert):
        return None
    if started_again(tracked, alert):
        return None
    clock = _advance_clock(state, now)
    repeated = Repeated(tracked.incident_id, tracked.count + 1, tracked.first_seen)
    attach(state, state.incidents[tracked.incident_id], alert, clock, policy)
    return repeated


def _on_alert(
    state: CorrelatorState, alert: Alert, now: datetime, policy: CorrelationPolicy, domain: str
) -> Decided:
    if alert.status == "resolved":
        return on_resolved(state, alert, now, policy, domain)
    return on_firing(state, alert, now, policy, domain)


def _advance_clock(state: CorrelatorState, now: datetime) -> datetime:
    clock = now if state.clock is None or now > state.clock else state.clock
    state.clock = clock
    return clock


def _fold(state: CorrelatorState, decisions: Decided, policy: CorrelationPolicy) -> Decided:
    decided: Decided = []
    for decision in decisions:
        if _grace_overtaken(state, decision):
            continue
        evolve(state, decision, policy)
        decided.append(decision)
        if type(decision) is HeartbeatMissed:  # as of the miss (`on_tick`), not the tick
            decided += _missing_alert_fires(state, decision, decision.at, policy)
    return decided


def _grace_overtaken(state: CorrelatorState, decision: Event) -> bool:
    """A tick's decisions are made together: a heartbeat missed again, earlier in the same
    tick, may have fired its alert into the quiet incident whose grace the tick also ends.
    That incident is firing again, and stays open."""
    if type(decision) is not IncidentResolved or decision.rule != GRACE_RULE:
        return False
    incident = state.incidents.get(decision.incident_id)
    return incident is not None and bool(incident.firing)


def _missing_alert_fires(
    state: CorrelatorState, missed: HeartbeatMissed, now: datetime, policy: CorrelationPolicy
) -> Decided:
    fired = on_firing(state, missed.alert, now, policy, state.heartbeats[missed.name].domain)
    for event in fired:
        evolve(state, event, policy)
    return fired


def next_due(state: CorrelatorState, policy: CorrelationPolicy) -> datetime | None:
    """The earliest time a tick may change something: alert ends, grace periods, holds,
    heartbeats. The heap's top, so O(1); a stale timer costs one tick that decides nothing."""
    return next_due_at(state)
