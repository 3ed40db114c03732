"""The router's timers: ticks and `next_due` look only at due escalations, in start order,
and agree with a scan of every escalation."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.router.domain.engine import next_due, step
from services.router.domain.state import RouterState, evolve
from shared.events import (
    EscalationStepFired,
    IncidentAcknowledged,
    IncidentResolved,
    TickOccurred,
)
from tests.unit.router.test_escalation import DIRECTORY, T0, opened


def scanned_next_due(state: RouterState) -> datetime | None:
    """What `next_due` answered before it had an index: a scan of every escalation."""
    due = [
        e.due_at
        for e in state.escalations.values()
        if e.status in ("triggered", "snoozed") and e.due_at is not None
    ]
    return min(due, default=None)


def open_incidents(state: RouterState, count: int) -> None:
    for index in range(count):
        incident = opened(["payments"], incident_id=f"INC-{index}")
        step(
            state,
            incident.model_copy(update={"notify_after": T0 + timedelta(seconds=index)}),
            T0,
            DIRECTORY,
        )


def fired_incidents(state: RouterState, at: datetime) -> list[str]:
    decided = step(state, TickOccurred(at=at), at, DIRECTORY)
    return [e.incident_id for e in decided if isinstance(e, EscalationStepFired)]


def test_a_tick_fires_due_escalations_in_the_order_they_started() -> None:
    state = RouterState()
    for index in (3, 1, 2):
        incident = opened(["payments"], incident_id=f"INC-{index}")
        step(
            state,
            incident.model_copy(update={"notify_after": T0 + timedelta(seconds=index)}),
            T0,
            DIRECTORY,
        )
    assert fired_incidents(state, T0 + timedelta(seconds=5)) == ["INC-3", "INC-1", "INC-2"]


def test_next_due_skips_acknowledged_and_resolved_escalations() -> None:
    state = RouterState()
    open_incidents(state, 3)
    step(state, IncidentAcknowledged(incident_id="INC-0", by="alice", at=T0), T0, DIRECTORY)
    resolved = IncidentResolved(
        incident_id="INC-1", resolved_at=T0, rule="r", ruleset_version="v1", reason="test"
    )
    step(state, resolved, T0, DIRECTORY)
    assert next_due(state) == T0 + timedelta(seconds=2)
    assert fired_incidents(state, T0 + timedelta(minutes=1)) == ["INC-2"]


def test_next_due_agrees_with_a_scan_of_every_escalation_as_time_passes() -> None:
    state = RouterState()
    open_incidents(state, 20)
    step(state, IncidentAcknowledged(incident_id="INC-4", by="bob", at=T0), T0, DIRECTORY)
    at = T0
    for _ in range(200):
        assert next_due(state) == scanned_next_due(state)
        due = next_due(state)
        if due is None:
            break
        at = max(at, due)
        fired_incidents(state, at)
    assert next_due(state) is None


def test_state_folded_from_decided_events_has_the_same_timers() -> None:
    live = RouterState()
    folded = RouterState(clock=T0)
    for index in range(5):
        incident = opened(["payments"], incident_id=f"INC-{index}")
        evolve(folded, incident)
        for event in step(live, incident, T0, DIRECTORY):
            evolve(folded, event)
    assert live == folded
    assert next_due(folded) == next_due(live) == T0 + timedelta(seconds=30)
