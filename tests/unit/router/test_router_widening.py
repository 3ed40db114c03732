"""An alert joining an incident by topology from a route with other receivers widens the
escalation: their policy's first step pages (at once if the incident's step of this round
paged already), and its later steps run alongside the incident's: the next one with the
incident's next one, whatever step the incident is at, and in later rounds aligned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.router.config import RouterConfig
from services.router.directory import ConfigDirectory
from services.router.domain.engine import step
from services.router.domain.state import RouterState, evolve
from shared.events import (
    AlertGrouped,
    IncidentAcknowledged,
    NobodyPaged,
    NotificationFailed,
    NotificationRequested,
    TickOccurred,
)
from shared.events.base import Event
from shared.events.notifications import EscalationWidened, IncidentSnoozed
from tests.support.incident_events import incident_opened, node_down

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
WAIT = timedelta(seconds=30)

DIRECTORY = ConfigDirectory(
    RouterConfig.model_validate(
        {
            "users": [
                {"name": "alice", "contacts": [{"type": "console"}]},
                {"name": "dana", "contacts": [{"type": "console"}]},
                {"name": "erin", "contacts": [{"type": "console"}]},
                {"name": "ghost", "contacts": []},
                {"name": "bob", "contacts": [{"type": "console"}]},
                {"name": "frank", "contacts": [{"type": "console"}]},
            ],
            "escalation_policies": [
                {
                    "name": "web-oncall",
                    "steps": [
                        {"delay": "0s", "notify": ["user:alice"]},
                        {"delay": "10m", "notify": ["user:alice"]},
                    ],
                },
                {
                    "name": "db-oncall",
                    "steps": [
                        {"delay": "0s", "notify": ["user:dana"]},
                        {"delay": "10m", "notify": ["user:erin"]},
                    ],
                },
                {"name": "nobody", "steps": [{"delay": "0s", "notify": ["user:ghost"]}]},
                {
                    "name": "web-three-steps",
                    "repeat": 1,
                    "steps": [
                        {"delay": "0s", "notify": ["user:alice"]},
                        {"delay": "10m", "notify": ["user:alice"]},
                        {"delay": "10m", "notify": ["user:bob"]},
                    ],
                },
                {"name": "web-once", "steps": [{"delay": "0s", "notify": ["user:alice"]}]},
                {
                    "name": "db-three-steps",
                    "steps": [
                        {"delay": "0s", "notify": ["user:dana"]},
                        {"delay": "10m", "notify": ["user:erin"]},
                        {"delay": "10m", "notify": ["user:frank"]},
                    ],
                },
            ],
            "default_receiver": "web-oncall",
        }
    )
)


def _open(state: RouterState, policy: str = "web-oncall") -> None:
    opened = incident_opened(
        "INC-1",
        T0,
        node_down("f-web", T0, service="payments-api"),
        title="HighErrorRate on payments-api",
        receivers=[policy],
        group_key="{}:{}",
        notify_after=T0 + WAIT,
        reason="test",
    )
    step(state, opened, T0, DIRECTORY)


def _joined(at: datetime, receivers: list[str]) -> AlertGrouped:
    return AlertGrouped(
        incident_id="INC-1",
        alert=node_down("f-db", at, service="postgres"),
        decision="grouped",
        at=at,
        rule="topology.depends_on",
        ruleset_version="v1",
        reason="payments-api depends on postgres",
        receivers=receivers,
    )


def _paged(events: list[Event]) -> list[str]:
    return [e.target for e in events if isinstance(e, NotificationRequested)]


def _tick(state: RouterState, at: datetime) -> list[Event]:
    return step(state, TickOccurred(at=at), at, DIRECTORY)


def test_receivers_joining_after_the_first_page_are_paged_at_once_then_escalate() -> None:
    state = RouterState()
    _open(state)
    assert _paged(_tick(state, T0 + WAIT)) == ["alice"]

    joined_at = T0 + timedelta(minutes=2)
    decided = step(state, _joined(joined_at, ["db-oncall"]), joined_at, DIRECTORY)

    [widened] = [e for e in decided if isinstance(e, EscalationWidened)]
    assert [p["name"] for p in widened.policies] == ["db-oncall"]
    assert "db-oncall" in widened.reason and "topology.depends_on" in widened.reason
    assert _paged(decided) == ["dana"]
    # Step 2 of both policies, 10 minutes after the first step.
    assert _paged(_tick(state, T0 + WAIT + timedelta(minutes=10))) == ["alice", "erin"]


def test_receivers_joining_before_the_first_page_page_with_it() -> None:
    state = RouterState()
    _open(state)

    decided = step(state, _joined(T0 + WAIT / 2, ["db-oncall"]), T0 + WAIT / 2, DIRECTORY)

    assert [type(e) for e in decided] == [EscalationWidened]
    assert _paged(_tick(state, T0 + WAIT)) == ["alice", "dana"]


def test_a_policy_running_already_is_not_added_nor_paged_again() -> None:
    state = RouterState()
    _open(state)
    _tick(state, T0 + WAIT)

    at = T0 + timedelta(minutes=1)
    assert step(state, _joined(at, ["web-oncall"]), at, DIRECTORY) == []


def test_an_acknowledged_incident_widens_without_paging() -> None:
    state = RouterState()
    _open(state)
    _tick(state, T0 + WAIT)
    at = T0 + timedelta(minutes=1)
    step(state, IncidentAcknowledged(incident_id="INC-1", by="alice", at=at), at, DIRECTORY)

    decided = step(state, _joined(at, ["db-oncall"]), at, DIRECTORY)

    assert [type(e) for e in decided] == [EscalationWidened]


def test_added_receivers_that_reach_nobody_are_reported() -> None:
    state = RouterState()
    _open(state)
    _tick(state, T0 + WAIT)

    at = T0 + timedelta(minutes=1)
    decided = step(state, _joined(at, ["nobody"]), at, DIRECTORY)

    [nobody] = [e for e in decided if isinstance(e, NobodyPaged)]
    assert "user:ghost" in nobody.reason


def test_the_widened_escalation_folds_back_the_same() -> None:
    live = RouterState()
    _open(live)
    log: list[Event] = []
    for at, event in [
        (T0 + WAIT, TickOccurred(at=T0 + WAIT)),
        (T0 + timedelta(minutes=2), _joined(T0 + timedelta(minutes=2), ["db-oncall"])),
    ]:
        log += [event, *step(live, event, at, DIRECTORY)]

    rebuilt = RouterState()
    _open(rebuilt)
    for event in log:
        evolve(rebuilt, event)

    [escalation] = rebuilt.escalations.values()
    assert [p.name for p in escalation.policies] == ["web-oncall", "db-oncall"]
    assert [s.targets for s in escalation.steps] == [
        ("user:alice", "user:dana"),
        ("user:alice", "user:erin"),
    ]
    assert escalation.requested == live.escalations["INC-1"].requested


def _joined_at_step_three(state: RouterState) -> list[Event]:
    """The incident's steps 1 and 2 paged (10 minutes apart); db-oncall joins before step 3."""
    _open(state, "web-three-steps")
    assert _paged(_tick(state, T0 + WAIT)) == ["alice"]
    assert _paged(_tick(state, T0 + WAIT + timedelta(minutes=10))) == ["alice"]
    at = T0 + timedelta(minutes=12)
    return step(state, _joined(at, ["db-oncall"]), at, DIRECTORY)


def test_a_policy_joining_at_a_later_step_runs_its_second_step_with_the_next_one() -> None:
    state = RouterState()
    decided = _joined_at_step_three(state)

    assert _paged(decided) == ["dana"]
    [widened] = [e for e in decided if isinstance(e, EscalationWidened)]
    assert widened.step_offset == 1
    assert "their step 2 comes with the incident's step 3" in widened.reason
    # The incident's step 3 brings db-oncall's step 2: erin is not skipped.
    assert _paged(_tick(state, T0 + WAIT + timedelta(minutes=20))) == ["bob", "erin"]


def test_the_next_round_runs_every_policy_from_its_first_step() -> None:
    state = RouterState()
    _joined_at_step_three(state)
    _tick(state, T0 + WAIT + timedelta(minutes=20))

    # Repeat: after the first step's delay (at least a minute), both first steps, aligned.
    repeat_at = T0 + WAIT + timedelta(minutes=21)
    assert _paged(_tick(state, repeat_at)) == ["alice", "dana"]
    assert _paged(_tick(state, repeat_at + timedelta(minutes=10))) == ["alice", "erin"]


def test_a_restart_after_a_snooze_runs_every_policy_from_its_first_step() -> None:
    state = RouterState()
    _joined_at_step_three(state)
    at = T0 + timedelta(minutes=13)
    until = at + timedelta(minutes=30)
    snoozed = IncidentSnoozed(incident_id="INC-1", by="alice", until=until, at=at)
    step(state, snoozed, at, DIRECTORY)

    assert _paged(_tick(state, until)) == ["alice", "dana"]


def test_an_escalation_that_ran_out_goes_on_with_the_added_steps() -> None:
    state = RouterState()
    _open(state, "web-once")
    assert _paged(_tick(state, T0 + WAIT)) == ["alice"]
    assert state.escalations["INC-1"].due_at is None  # nothing left to fire

    at = T0 + timedelta(minutes=5)
    assert _paged(step(state, _joined(at, ["db-oncall"]), at, DIRECTORY)) == ["dana"]
    assert _paged(_tick(state, at + timedelta(minutes=10))) == ["erin"]


def test_added_people_not_paged_at_once_come_with_the_pending_step() -> None:
    state = RouterState()
    _open(state, "web-three-steps")
    _tick(state, T0 + WAIT)
    at = T0 + timedelta(minutes=2)
    step(state, IncidentAcknowledged(incident_id="INC-1", by="alice", at=at), at, DIRECTORY)

    decided = step(state, _joined(at, ["db-oncall"]), at, DIRECTORY)

    [widened] = decided
    assert isinstance(widened, EscalationWidened) and widened.step_offset == 1
    assert "their step 1 comes with the incident's step 2" in widened.reason
    escalation = state.escalations["INC-1"]
    assert escalation.steps[1].targets == ("user:alice", "user:dana")


def test_a_late_widening_folds_back_the_same() -> None:
    live = RouterState()
    log: list[Event] = []
    _open(live, "web-three-steps")
    for at in (T0 + WAIT, T0 + WAIT + timedelta(minutes=10)):
        log += [TickOccurred(at=at), *_tick(live, at)]
    joined = _joined(T0 + timedelta(minutes=12), ["db-oncall"])
    log += [joined, *step(live, joined, joined.at, DIRECTORY)]

    rebuilt = RouterState()
    _open(rebuilt, "web-three-steps")
    for event in log:
        evolve(rebuilt, event)

    built, lived = rebuilt.escalations["INC-1"], live.escalations["INC-1"]
    assert (built.offsets, built.steps, built.due_at) == (lived.offsets, lived.steps, lived.due_at)
    assert built.steps[2].targets == ("user:bob", "user:erin")


def test_a_failure_of_a_widened_rounds_last_step_brings_the_next_round_forward() -> None:
    # db-three-steps joins at step 3: its third step runs as a fourth step of this round.
    state = RouterState()
    _open(state, "web-three-steps")
    _tick(state, T0 + WAIT)
    _tick(state, T0 + WAIT + timedelta(minutes=10))
    joined_at = T0 + timedelta(minutes=12)
    step(state, _joined(joined_at, ["db-three-steps"]), joined_at, DIRECTORY)
    _tick(state, T0 + WAIT + timedelta(minutes=20))
    fourth = T0 + WAIT + timedelta(minutes=30)
    [last_page] = [e for e in _tick(state, fourth) if isinstance(e, NotificationRequested)]
    assert last_page.target == "frank" and state.escalations["INC-1"].repeat == 1

    failed_at = fourth + timedelta(seconds=20)  # the next round is due a minute after
    failed = NotificationFailed(
        notification_id=last_page.notification_id,
        incident_id="INC-1",
        channel=last_page.channel,
        attempts=4,
        reason="HTTP 503",
        failed_at=failed_at,
    )

    assert _paged(step(state, failed, failed_at, DIRECTORY)) == ["alice", "dana"]
