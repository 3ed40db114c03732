"""Widening a low-urgency escalation when the added first step's people are partly outside
their working hours: those within them are paged at once, the others when their hours start
(they were never paged before), and nobody of that step twice."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.router.domain.engine import step
from services.router.domain.state import RouterState
from shared.events import AnyEvent, NotificationRequested
from shared.events.base import Event
from shared.events.notifications import EscalationWidened
from tests.unit.router.urgency_world import directory, joined, opened, tick, utc

# Monday 2026-11-30, 08:00 UTC: 09:00 in Paris (alice) and 17:00 in Tokyo (bob), both within
# their working hours; 03:00 in New York (carol), whose hours start at 14:00 UTC.
OPENED = utc("2026-11-30T08:00:00")
CAROL_STARTS = utc("2026-11-30T14:00:00")
RULES = directory(
    escalation_policies=[
        {
            "name": "team",
            "steps": [
                {"notify": ["user:alice"]},
                {"delay": "30m", "notify": ["user:alice"]},
            ],
        },
        {
            "name": "search",
            "steps": [
                {"notify": ["user:bob", "user:carol"]},
                {"delay": "10m", "notify": ["user:bob"]},
            ],
        },
    ]
)


def _search_joins(at_minutes: int) -> tuple[AnyEvent, datetime]:
    at = OPENED + timedelta(minutes=at_minutes)
    event = joined("b", "warning", at).model_copy(update={"receivers": ["search"]})
    return event, at


def _pages(until_minutes: int) -> list[NotificationRequested]:
    """Every page of a low-urgency incident of `team` that `search` joins at 08:05, ticks
    every 5 minutes until `until_minutes` after the opening."""
    state = RouterState()
    decided: list[Event] = []
    log: list[tuple[AnyEvent, datetime]] = [(opened(OPENED), OPENED), tick(OPENED)]
    for event, at in [*log, _search_joins(5)]:
        decided += step(state, event, at, RULES)
    for minutes in range(10, until_minutes + 1, 5):
        at = OPENED + timedelta(minutes=minutes)
        decided += step(state, *tick(at), RULES)
    return [e for e in decided if isinstance(e, NotificationRequested)]


def test_the_added_first_steps_people_outside_their_hours_are_paged_when_they_start() -> None:
    pages = _pages(until_minutes=6 * 60 + 30)  # to 14:30 UTC

    carol = [page.requested_at for page in pages if page.target == "carol"]
    assert carol == [CAROL_STARTS]  # never paged before: she hears of it when her hours start
    bob = [page.requested_at for page in pages if page.target == "bob"]
    assert bob[0] == OPENED + timedelta(minutes=5)  # within his hours: at once, as before
    assert all(at >= CAROL_STARTS for at in bob[1:])  # not again with the held step
    assert len({page.notification_id for page in pages}) == len(pages)


def test_an_escalation_that_ran_out_pages_the_waiting_ones_when_their_hours_start() -> None:
    one_step = directory(
        escalation_policies=[
            {"name": "team", "steps": [{"notify": ["user:alice"]}]},
            {"name": "search", "steps": [{"notify": ["user:bob", "user:carol"]}]},
        ]
    )
    state = RouterState()
    log: list[tuple[AnyEvent, datetime]] = [(opened(OPENED), OPENED), tick(OPENED)]
    decided: list[Event] = []
    for event, at in [*log, _search_joins(5)]:
        decided += step(state, event, at, one_step)
    for minutes in range(10, 6 * 60 + 30, 5):
        decided += step(state, *tick(OPENED + timedelta(minutes=minutes)), one_step)

    paged = [(e.target, e.requested_at) for e in decided if isinstance(e, NotificationRequested)]
    assert paged == [
        ("alice", OPENED),
        ("bob", OPENED + timedelta(minutes=5)),
        ("carol", CAROL_STARTS),
    ]


def test_the_widening_says_the_added_first_step_waits_for_some_of_its_people() -> None:
    state = RouterState()
    log: list[tuple[AnyEvent, datetime]] = [(opened(OPENED), OPENED), tick(OPENED)]
    for event, at in log:
        step(state, event, at, RULES)
    joining, at = _search_joins(5)
    decided = step(state, joining, at, RULES)

    [widened] = [e for e in decided if isinstance(e, EscalationWidened)]
    assert widened.step_offset == 1  # its first step also comes with the incident's step 2
    assert [e.target for e in decided if isinstance(e, NotificationRequested)] == ["bob"]
    assert "their step 1 comes with the incident's step 2" in widened.reason


def test_a_low_urgency_alert_joining_a_high_urgency_incident_pages_the_added_step_at_once() -> None:
    """The incident's urgency ranks with all its firing alerts: a warning joining a critical
    incident keeps it high, so nobody of the added first step waits for working hours (its
    urgency was read off the joining alert alone)."""
    state = RouterState()
    log: list[tuple[AnyEvent, datetime]] = [(opened(OPENED, "critical"), OPENED), tick(OPENED)]
    for event, at in log:
        step(state, event, at, RULES)
    joining, at = _search_joins(5)

    decided = step(state, joining, at, RULES)

    paged = [e.target for e in decided if isinstance(e, NotificationRequested)]
    assert paged == ["bob", "carol"]
