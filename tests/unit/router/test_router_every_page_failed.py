"""An escalation whose every page failed, with no step left, reports that nobody was paged
(`NobodyPaged`, loud in the log, metrics and timeline) instead of ending as if it paged and
went unanswered. Not when somebody was reached, nor while another page is on its way."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.router.directory import ConfigDirectory
from services.router.domain.engine import step
from services.router.domain.state import RouterState
from shared.events import NobodyPaged, NotificationRequested, NotificationSent, TickOccurred
from tests.unit.router.test_router_late_delivery_failure import (
    ALICE_BOB_CAROL,
    T0,
    alice_paged,
    bob_paged,
    directory,
    failure_of,
    node_down_opened,
)


def sent(page: NotificationRequested, at: datetime) -> NotificationSent:
    return NotificationSent(
        notification_id=page.notification_id,
        incident_id=page.incident_id,
        channel=page.channel,
        attempts=1,
        sent_at=at,
    )


def test_the_only_steps_page_failing_says_nobody_was_paged() -> None:
    paging, state = directory(ALICE_BOB_CAROL[:1]), RouterState()
    alice_page = alice_paged(state, paging)

    failed_at = T0 + timedelta(seconds=43)
    [nobody] = step(state, failure_of(alice_page, failed_at), failed_at, paging)

    assert isinstance(nobody, NobodyPaged)
    assert nobody.at == failed_at
    assert "every page failed" in nobody.reason
    assert alice_page.notification_id in nobody.reason and "to alice" in nobody.reason
    assert "oncall has no step left" in nobody.reason


def test_an_earlier_steps_page_failing_after_the_last_steps_says_nobody_was_paged() -> None:
    paging, state = directory(ALICE_BOB_CAROL[:2]), RouterState()
    alice_page = alice_paged(state, paging)  # her receiver hangs
    bob_page = bob_paged(state, paging, T0 + timedelta(seconds=20))  # the last step
    refused_at = T0 + timedelta(seconds=21)
    assert step(state, failure_of(bob_page, refused_at), refused_at, paging) == []  # alice's?

    given_up_at = T0 + timedelta(seconds=43)
    [nobody] = step(state, failure_of(alice_page, given_up_at), given_up_at, paging)

    assert isinstance(nobody, NobodyPaged) and "to alice" in nobody.reason


def test_the_last_steps_page_failing_after_every_earlier_one_failed_says_nobody_was_paged() -> None:
    paging, state = directory(ALICE_BOB_CAROL[:2]), RouterState()
    alice_page = alice_paged(state, paging)
    bob_page = bob_paged(state, paging, T0 + timedelta(seconds=20))
    step(state, failure_of(alice_page, T0 + timedelta(seconds=30)), T0, paging)

    failed_at = T0 + timedelta(seconds=63)
    decided = step(state, failure_of(bob_page, failed_at), failed_at, paging)

    [nobody] = decided
    assert isinstance(nobody, NobodyPaged) and "to bob" in nobody.reason


def test_the_last_steps_page_failing_after_an_earlier_one_reached_somebody_is_no_nobody() -> None:
    paging, state = directory(ALICE_BOB_CAROL[:2]), RouterState()
    alice_page = alice_paged(state, paging)
    step(state, sent(alice_page, T0 + timedelta(seconds=1)), T0 + timedelta(seconds=1), paging)
    bob_page = bob_paged(state, paging, T0 + timedelta(seconds=20))

    failed_at = T0 + timedelta(seconds=63)
    assert step(state, failure_of(bob_page, failed_at), failed_at, paging) == []


def test_a_failure_while_another_page_of_the_step_is_on_its_way_waits_for_its_outcome() -> None:
    paging = directory([{"delay": "0s", "notify": ["user:alice", "user:bob"]}])
    state = RouterState()
    alice_page, bob_page = _both_paged(state, paging)
    at = T0 + timedelta(seconds=43)

    assert step(state, failure_of(alice_page, at), at, paging) == []
    later = at + timedelta(seconds=2)
    [nobody] = step(state, failure_of(bob_page, later), later, paging)
    assert isinstance(nobody, NobodyPaged)


def test_a_repeat_left_brings_the_next_pass_forward_instead() -> None:
    paging, state = directory(ALICE_BOB_CAROL[:1], repeat=1), RouterState()
    alice_page = alice_paged(state, paging)

    failed_at = T0 + timedelta(seconds=5)
    decided = step(state, failure_of(alice_page, failed_at), failed_at, paging)

    assert not any(isinstance(e, NobodyPaged) for e in decided)
    assert [e.target for e in decided if isinstance(e, NotificationRequested)] == ["alice"]


def _both_paged(state: RouterState, paging: ConfigDirectory) -> list[NotificationRequested]:
    decided = step(state, node_down_opened(), T0, paging)
    pages = [e for e in decided if isinstance(e, NotificationRequested)]
    assert sorted(p.target for p in pages) == ["alice", "bob"]
    return sorted(pages, key=lambda p: p.target)


def test_no_tick_after_the_failure_pages_anyone_again() -> None:
    paging, state = directory(ALICE_BOB_CAROL[:1]), RouterState()
    alice_page = alice_paged(state, paging)
    failed_at = T0 + timedelta(seconds=43)
    step(state, failure_of(alice_page, failed_at), failed_at, paging)

    later = failed_at + timedelta(hours=1)
    assert step(state, TickOccurred(at=later), later, paging) == []
