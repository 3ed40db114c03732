"""A page given up on brings the next step forward only while that step has not fired: a page
of step 1 that fails after step 2 fired on its delay (a hanging receiver takes ~43 s to give
up) leaves step 3 at step 2's full delay, so step 2's person has their time to acknowledge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.router.config import RouterConfig
from services.router.directory import ConfigDirectory
from services.router.domain.engine import next_due, step
from services.router.domain.state import RouterState
from shared.events import IncidentOpened, NotificationFailed, NotificationRequested, TickOccurred
from shared.events.base import Event
from tests.support.incident_events import incident_opened, node_down

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
ALICE_BOB_CAROL = [
    {"delay": "0s", "notify": ["user:alice"]},
    {"delay": "20s", "notify": ["user:bob"]},
    {"delay": "5m", "notify": ["user:carol"]},
]


def directory(steps: list[dict[str, object]], repeat: int = 0) -> ConfigDirectory:
    return ConfigDirectory(
        RouterConfig.model_validate(
            {
                "users": [
                    {"name": name, "contacts": [{"type": "console"}]}
                    for name in ("alice", "bob", "carol")
                ],
                "escalation_policies": [{"name": "oncall", "repeat": repeat, "steps": steps}],
            }
        )
    )


def targets(events: list[Event]) -> list[str]:
    return [e.target for e in events if isinstance(e, NotificationRequested)]


def failure_of(page: NotificationRequested, at: datetime) -> NotificationFailed:
    return NotificationFailed(
        notification_id=page.notification_id,
        incident_id=page.incident_id,
        channel=page.channel,
        attempts=4,
        reason="attempt timed out after 10s",
        failed_at=at,
    )


def node_down_opened() -> IncidentOpened:
    """INC-1, opened at T0 by NodeDown for the `oncall` policy, due at once."""
    return incident_opened(
        "INC-1",
        T0,
        node_down("f1", T0),
        title="NodeDown",
        receivers=["oncall"],
        group_key="{}:{}",
        notify_after=T0,
        reason="test",
    )


def alice_paged(state: RouterState, paging: ConfigDirectory) -> NotificationRequested:
    opened = node_down_opened()
    [page] = [e for e in step(state, opened, T0, paging) if isinstance(e, NotificationRequested)]
    assert page.target == "alice"
    return page


def bob_paged(state: RouterState, paging: ConfigDirectory, at: datetime) -> NotificationRequested:
    [page] = [
        e
        for e in step(state, TickOccurred(at=at), at, paging)
        if isinstance(e, NotificationRequested)
    ]
    assert page.target == "bob"
    return page


def test_a_failure_of_step_one_after_step_two_fired_leaves_step_three_at_its_delay() -> None:
    paging, state = directory(ALICE_BOB_CAROL), RouterState()
    alice_page = alice_paged(state, paging)
    bob_paged_at = T0 + timedelta(seconds=20)
    assert targets(step(state, TickOccurred(at=bob_paged_at), bob_paged_at, paging)) == ["bob"]

    failed_at = T0 + timedelta(seconds=43)
    decided = step(state, failure_of(alice_page, failed_at), failed_at, paging)

    assert decided == []
    carol_due = bob_paged_at + timedelta(minutes=5)
    assert next_due(state) == carol_due
    assert targets(step(state, TickOccurred(at=carol_due), carol_due, paging)) == ["carol"]


def test_a_failure_of_step_one_before_step_two_is_due_brings_step_two_forward() -> None:
    paging, state = directory(ALICE_BOB_CAROL), RouterState()
    alice_page = alice_paged(state, paging)

    failed_at = T0 + timedelta(seconds=5)
    decided = step(state, failure_of(alice_page, failed_at), failed_at, paging)

    assert targets(decided) == ["bob"]
    assert next_due(state) == failed_at + timedelta(minutes=5)


def test_a_failure_of_a_passes_last_step_brings_the_next_pass_forward_until_it_fired() -> None:
    # alice, then bob 20 s later, twice: the second pass starts a minute after bob's page.
    paging = directory(ALICE_BOB_CAROL[:2], repeat=1)
    bob_paged_at, second_pass = T0 + timedelta(seconds=20), T0 + timedelta(seconds=80)
    early, late = RouterState(), RouterState()
    for state in (early, late):
        alice_paged(state, paging)
    early_bob, late_bob = (
        bob_paged(early, paging, bob_paged_at),
        bob_paged(late, paging, bob_paged_at),
    )
    assert targets(step(late, TickOccurred(at=second_pass), second_pass, paging)) == ["alice"]

    failed_early, failed_late = T0 + timedelta(seconds=30), T0 + timedelta(seconds=90)
    before_it_fired = step(early, failure_of(early_bob, failed_early), failed_early, paging)
    after_it_fired = step(late, failure_of(late_bob, failed_late), failed_late, paging)

    assert (targets(before_it_fired), after_it_fired) == (["alice"], [])
