"""People's commands folded by the router engine: acknowledge, snooze, reassign, notes,
commander — and the explicit rejection of a command that can no longer apply."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.router.config import RouterConfig
from services.router.directory import ConfigDirectory
from services.router.domain.engine import next_due, step
from services.router.domain.state import RouterState, evolve
from shared.events import (
    AcknowledgeIncident,
    EscalationStepFired,
    IncidentAcknowledged,
    IncidentOpened,
    IncidentResolved,
    NobodyPaged,
    NotificationFailed,
    NotificationRequested,
    TickOccurred,
)
from shared.events.base import Event
from shared.events.commands import (
    AddIncidentNote,
    AssignIncidentCommander,
    ReassignIncident,
    SnoozeIncident,
)
from shared.events.notifications import (
    CommandApplied,
    CommandRejected,
    EscalationRestarted,
    IncidentCommanderAssigned,
    IncidentNoteAdded,
    IncidentReassigned,
    IncidentSnoozed,
)
from tests.support.incident_events import incident_opened, node_down

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
DIRECTORY = ConfigDirectory(
    RouterConfig.model_validate(
        {
            "users": [
                {"name": "alice", "contacts": [{"type": "console"}]},
                {"name": "bob", "contacts": [{"type": "console"}]},
                {"name": "carol", "contacts": [{"type": "console"}, {"type": "console"}]},
                {"name": "ghost"},
            ],
            "escalation_policies": [
                {
                    "name": "team",
                    "steps": [
                        {"delay": "0s", "notify": ["user:alice"]},
                        {"delay": "10m", "notify": ["user:bob"]},
                    ],
                }
            ],
        }
    )
)


def opened() -> IncidentOpened:
    """NodeDown on checkout opens INC-1 for the team at T0, notifying at once."""
    alert = node_down("f1", T0, service="checkout")
    title = "NodeDown on checkout"
    return incident_opened("INC-1", T0, alert, title=title, group_key="{}:{}", reason="test")


def paged(state: RouterState) -> list[Event]:
    """An incident whose first step (alice) fired at T0; bob's step is due at T0+10m."""
    decided = step(state, opened(), T0, DIRECTORY)
    return decided + step(state, TickOccurred(at=T0), T0, DIRECTORY)


def run(state: RouterState, event: Event, at: datetime) -> list[Event]:
    return step(state, event, at, DIRECTORY)


def tick(state: RouterState, at: datetime) -> list[Event]:
    return run(state, TickOccurred(at=at), at)


def ack(by: str, command_id: str = "c1") -> AcknowledgeIncident:
    return AcknowledgeIncident(command_id=command_id, incident_id="INC-1", actor=by, issued_at=T0)


def snooze(seconds: int, command_id: str = "c2") -> SnoozeIncident:
    return SnoozeIncident(
        command_id=command_id, incident_id="INC-1", actor="alice", duration_s=seconds, issued_at=T0
    )


def reassign(to: str) -> ReassignIncident:
    return ReassignIncident(
        command_id="c3", incident_id="INC-1", actor="alice", assignee=to, issued_at=T0
    )


def page_targets(events: list[Event]) -> list[str]:
    return [e.target for e in events if isinstance(e, NotificationRequested)]


def page_ids(events: list[Event]) -> set[str]:
    return {e.notification_id for e in events if isinstance(e, NotificationRequested)}


def test_acknowledge_stops_escalation_and_is_applied() -> None:
    state = RouterState()
    paged(state)
    at = T0 + timedelta(minutes=2)
    assert run(state, ack("alice"), at) == [
        IncidentAcknowledged(incident_id="INC-1", by="alice", at=at),
        CommandApplied(
            command_id="c1", incident_id="INC-1", command="acknowledge", actor="alice", at=at
        ),
    ]
    assert next_due(state) is None
    assert tick(state, T0 + timedelta(minutes=10)) == []


def test_second_acknowledgement_is_rejected_naming_who_acknowledged() -> None:
    state = RouterState()
    paged(state)
    run(state, ack("alice"), T0 + timedelta(minutes=1))
    at = T0 + timedelta(minutes=2)
    assert run(state, ack("bob", "c9"), at) == [
        CommandRejected(
            command_id="c9",
            incident_id="INC-1",
            command="acknowledge",
            actor="bob",
            reason="the incident is already acknowledged by alice",
            at=at,
        )
    ]


def test_acknowledging_an_incident_resolved_meanwhile_is_rejected_not_dropped() -> None:
    state = RouterState()
    paged(state)
    resolved = IncidentResolved(
        incident_id="INC-1", resolved_at=T0, rule="manual", ruleset_version="v1", reason="fixed"
    )
    run(state, resolved, T0 + timedelta(minutes=1))
    [rejected] = run(state, ack("alice"), T0 + timedelta(minutes=2))
    assert isinstance(rejected, CommandRejected)
    assert rejected.reason == "the incident is not open (resolved or unknown)"


def test_snooze_stops_paging_until_it_ends() -> None:
    state = RouterState()
    paged(state)
    at = T0 + timedelta(minutes=1)
    decided = run(state, snooze(600), at)
    assert decided[0] == IncidentSnoozed(
        incident_id="INC-1", by="alice", until=T0 + timedelta(minutes=11), at=at
    )
    assert isinstance(decided[1], CommandApplied)
    assert next_due(state) == T0 + timedelta(minutes=11)
    # bob's step was due at T0+10m: the snooze holds it back
    assert tick(state, T0 + timedelta(minutes=10, seconds=59)) == []


def test_snooze_end_escalates_again_from_the_first_step_with_new_page_ids() -> None:
    state = RouterState()
    first_pages = page_ids(paged(state))
    run(state, snooze(600), T0 + timedelta(minutes=1))
    end = T0 + timedelta(minutes=11)
    decided = tick(state, end)
    assert isinstance(decided[0], EscalationRestarted)
    assert decided[0].generation == 1
    fired = decided[1]
    assert isinstance(fired, EscalationStepFired)
    assert (fired.step, fired.repeat, fired.generation) == (0, 0, 1)
    assert page_targets(decided) == ["alice"]
    assert page_ids(decided).isdisjoint(first_pages)
    assert next_due(state) == end + timedelta(minutes=10)
    assert page_targets(tick(state, end + timedelta(minutes=10))) == ["bob"]


def test_snoozing_an_acknowledged_incident_triggers_it_again_when_the_snooze_ends() -> None:
    state = RouterState()
    paged(state)
    run(state, ack("alice"), T0 + timedelta(minutes=1))
    run(state, snooze(300), T0 + timedelta(minutes=2))
    decided = tick(state, T0 + timedelta(minutes=7))
    assert page_targets(decided) == ["alice"]
    assert state.escalations["INC-1"].status == "triggered"
    assert state.escalations["INC-1"].acknowledged_by is None


def test_acknowledging_during_a_snooze_cancels_the_re_escalation() -> None:
    state = RouterState()
    paged(state)
    run(state, snooze(300), T0 + timedelta(minutes=1))
    run(state, ack("alice"), T0 + timedelta(minutes=2))
    assert next_due(state) is None
    assert tick(state, T0 + timedelta(minutes=30)) == []


def test_failure_of_a_page_from_before_the_snooze_escalates_nothing() -> None:
    state = RouterState()
    [old_page] = page_ids(paged(state))
    run(state, snooze(60), T0 + timedelta(minutes=1))
    tick(state, T0 + timedelta(minutes=2))
    failed = NotificationFailed(
        notification_id=old_page,
        incident_id="INC-1",
        channel="user/alice/0",
        attempts=4,
        reason="HTTP 500",
        failed_at=T0 + timedelta(minutes=2),
    )
    assert run(state, failed, T0 + timedelta(minutes=3)) == []


def test_reassign_pages_the_new_user_at_once_and_escalation_goes_on() -> None:
    state = RouterState()
    first_pages = page_ids(paged(state))
    at = T0 + timedelta(minutes=3)
    decided = run(state, reassign("carol"), at)
    assert decided[0] == IncidentReassigned(
        incident_id="INC-1", by="alice", assignee="carol", generation=1, at=at
    )
    assert page_targets(decided) == ["carol", "carol"]
    assert page_ids(decided).isdisjoint(first_pages)
    assert isinstance(decided[-1], CommandApplied)
    # carol gets the full delay of the pending step before bob is paged
    assert next_due(state) == at + timedelta(minutes=10)


def test_a_reassignment_page_says_so_and_the_next_steps_page_says_its_step() -> None:
    state = RouterState()
    first = [e for e in paged(state) if isinstance(e, NotificationRequested)]
    at = T0 + timedelta(minutes=3)
    to_carol = [
        e for e in run(state, reassign("carol"), at) if isinstance(e, NotificationRequested)
    ]
    due = next_due(state)
    assert due is not None
    to_bob = [e for e in tick(state, due) if isinstance(e, NotificationRequested)]

    assert {e.page["reassigned"] for e in first} == {False}
    assert {e.page["reassigned"] for e in to_carol} == {True}
    assert [(e.target, e.page["reassigned"]) for e in to_bob] == [("bob", False)]


def test_snooze_end_of_a_reassigned_incident_pages_the_assignee_not_the_first_step() -> None:
    # Given an incident reassigned to carol at T0+3m (bob's step pending), then snoozed
    state = RouterState()
    paged(state)
    reassigned = page_ids(run(state, reassign("carol"), T0 + timedelta(minutes=3)))
    run(state, snooze(600), T0 + timedelta(minutes=4))

    # When the snooze ends
    end = T0 + timedelta(minutes=14)
    decided = tick(state, end)

    # Then carol, who took it over, is paged again (new ids), not alice of the first step,
    # and bob's step follows after its full delay, as after the reassignment
    assert isinstance(decided[0], EscalationRestarted)
    assert "carol, the assignee" in decided[0].reason
    assert page_targets(decided) == ["carol", "carol"]
    assert page_ids(decided).isdisjoint(reassigned)
    assert next_due(state) == end + timedelta(minutes=10)
    assert page_targets(tick(state, end + timedelta(minutes=10))) == ["bob"]


def test_reassigning_an_acknowledged_incident_makes_it_triggered_for_the_assignee() -> None:
    state = RouterState()
    paged(state)
    run(state, ack("alice"), T0 + timedelta(minutes=1))
    run(state, reassign("bob"), T0 + timedelta(minutes=2))
    escalation = state.escalations["INC-1"]
    assert (escalation.status, escalation.assignee, escalation.acknowledged_by) == (
        "triggered",
        "bob",
        None,
    )


def test_reassigning_to_someone_without_contacts_says_nobody_was_paged() -> None:
    state = RouterState()
    paged(state)
    decided = run(state, reassign("ghost"), T0 + timedelta(minutes=1))
    assert [type(e) for e in decided] == [IncidentReassigned, NobodyPaged, CommandApplied]


def test_notes_are_recorded_even_after_the_incident_is_resolved() -> None:
    state = RouterState()
    paged(state)
    resolved = IncidentResolved(
        incident_id="INC-1", resolved_at=T0, rule="manual", ruleset_version="v1", reason="fixed"
    )
    run(state, resolved, T0 + timedelta(minutes=1))
    note = AddIncidentNote(
        command_id="c4", incident_id="INC-1", actor="bob", text="root cause: disk", issued_at=T0
    )
    at = T0 + timedelta(minutes=5)
    decided = run(state, note, at)
    assert decided[0] == IncidentNoteAdded(
        incident_id="INC-1", by="bob", text="root cause: disk", at=at
    )
    assert isinstance(decided[1], CommandApplied)


def test_commander_is_recorded_on_an_open_incident() -> None:
    state = RouterState()
    paged(state)
    command = AssignIncidentCommander(
        command_id="c5", incident_id="INC-1", actor="alice", commander="carol", issued_at=T0
    )
    at = T0 + timedelta(minutes=1)
    decided = run(state, command, at)
    assert decided[0] == IncidentCommanderAssigned(
        incident_id="INC-1", by="alice", commander="carol", at=at
    )
    assert state.escalations["INC-1"].commander == "carol"


def test_state_after_commands_equals_the_fold_of_inputs_and_decisions() -> None:
    state = RouterState()
    log: list[Event] = []
    inputs: list[tuple[Event, datetime]] = [
        (opened(), T0),
        (TickOccurred(at=T0), T0),
        (snooze(60), T0 + timedelta(minutes=1)),
        (TickOccurred(at=T0 + timedelta(minutes=2)), T0 + timedelta(minutes=2)),
        (reassign("carol"), T0 + timedelta(minutes=3)),
        (ack("carol", "c6"), T0 + timedelta(minutes=4)),
    ]
    for event, at in inputs:
        log += [event, *run(state, event, at)]
    folded = RouterState()
    for event in log:
        evolve(folded, event)
    folded.clock = state.clock
    assert folded == state
