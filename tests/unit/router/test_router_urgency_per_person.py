"""Low urgency is decided person by person: whoever is within working hours is paged when the
step comes due, each other person at the start of their own working hours, exactly once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from services.router.domain.engine import next_due, step
from services.router.domain.state import RouterState
from shared.events import AnyEvent, NotificationRequested
from shared.events.base import Event
from tests.unit.router.urgency_world import (
    acknowledged,
    directory,
    every_tick,
    fired,
    holds,
    opened,
    pages,
    resolved,
    run,
    tick,
    utc,
)

RULES = directory()
PARIS_NIGHT_TOKYO_DAY = utc("2026-11-24T01:00")  # Tue 02:00 in Paris, 10:00 in Tokyo


@pytest.mark.parametrize(
    ("due", "severity", "paged", "held", "done"),
    [
        # Tue 02:00 Paris, 10:00 Tokyo: bob and the channel now, alice at her 09:00.
        (
            "2026-11-24T01:00",
            "warning",
            ["bob", "hook"],
            [
                (
                    utc("2026-11-24T08:00"),
                    "low urgency: alice's working hours start at 09:00 Europe/Paris"
                    " (Tue 2026-11-24)",
                )
            ],
            [],
        ),
        # Tue 10:00 Paris, 18:00 Tokyo (the end of working hours is excluded).
        (
            "2026-11-24T09:00",
            "warning",
            ["alice", "hook"],
            [
                (
                    utc("2026-11-25T00:00"),
                    "low urgency: bob's working hours start at 09:00 Asia/Tokyo (Wed 2026-11-25)",
                )
            ],
            [],
        ),
        # Tue 21:00 Paris, Wed 05:00 Tokyo: nobody awake, so the whole step waits, channel too.
        (
            "2026-11-24T20:00",
            "warning",
            [],
            [
                (
                    utc("2026-11-25T00:00"),
                    "low urgency: alice's working hours start at 09:00 Europe/Paris"
                    " (Wed 2026-11-25); bob's working hours start at 09:00 Asia/Tokyo"
                    " (Wed 2026-11-25)",
                )
            ],
            [],
        ),
        # Tue 09:30 Paris, 17:30 Tokyo: everybody at once, and the step is done.
        ("2026-11-24T08:30", "warning", ["alice", "bob", "hook"], [], [0]),
        # High urgency pages everybody at any hour.
        ("2026-11-24T20:00", "critical", ["alice", "bob", "hook"], [], [0]),
    ],
)
def test_due_step_pages_people_within_working_hours_and_holds_the_others(
    due: str,
    severity: str,
    paged: list[str],
    held: list[tuple[datetime, str]],
    done: list[int],
) -> None:
    at = utc(due)

    [decided] = run([(opened(at, severity), at)], RULES)

    assert pages(decided) == paged
    assert holds(decided) == held
    assert fired(decided) == [(index, at) for index in done]


def test_each_page_says_why_it_goes_out_now() -> None:
    at = PARIS_NIGHT_TOKYO_DAY

    [decided] = run([(opened(at), at)], RULES)

    reasons = {e.target: e.reason for e in decided if isinstance(e, NotificationRequested)}
    assert reasons == {
        "bob": "step due; low urgency: 10:00 Asia/Tokyo is within bob's working hours",
        "hook": "step due",
    }


@pytest.mark.parametrize(
    ("friday_night", "bob_at", "alice_at", "carol_at"),
    [
        # Paris springs forward on Sunday 29 March: alice's Monday 09:00 is 07:00 UTC (CEST).
        ("2026-03-27T20:00", "2026-03-30T00:00", "2026-03-30T07:00", "2026-03-30T13:00"),
        # Paris falls back on Sunday 25 October: alice's Monday 09:00 is 08:00 UTC (CET); New
        # York is still on EDT, so carol's 09:00 is 13:00 UTC.
        ("2026-10-23T20:00", "2026-10-26T00:00", "2026-10-26T08:00", "2026-10-26T13:00"),
    ],
)
def test_deferred_page_goes_out_once_at_the_persons_working_hours_across_dst(
    friday_night: str, bob_at: str, alice_at: str, carol_at: str
) -> None:
    start = utc(friday_night)
    ticks = every_tick(start, utc(carol_at) + timedelta(hours=1), timedelta(minutes=30))
    log: list[tuple[AnyEvent, datetime]] = [(opened(start), start)]
    log += [tick(at) for at in ticks]
    log.append(tick(utc(alice_at)))  # the same instant ticked twice

    decided = [event for events in run(log, RULES) for event in events]

    requested = [
        (e.target, e.requested_at) for e in decided if isinstance(e, NotificationRequested)
    ]
    assert requested == [
        ("bob", utc(bob_at)),
        ("hook", utc(bob_at)),
        ("alice", utc(alice_at)),
        ("carol", utc(carol_at)),
    ]
    # Step 1 is done with alice's page; step 2 is due 30 minutes later, but carol, in New
    # York, is asleep then: the low-urgency escalation does not run on overnight.
    assert fired(decided) == [(0, utc(alice_at)), (1, utc(carol_at))]


@pytest.mark.parametrize("cancel", [acknowledged, resolved], ids=["acknowledged", "resolved"])
def test_acknowledge_or_resolve_before_a_deferred_page_is_due_cancels_it(
    cancel: Callable[[datetime], Event],
) -> None:
    at, later = PARIS_NIGHT_TOKYO_DAY, utc("2026-11-24T03:00")
    state = RouterState()
    step(state, opened(at), at, RULES)
    assert next_due(state) == utc("2026-11-24T08:00")  # alice's page

    step(state, cancel(later), later, RULES)
    after: list[Event] = []
    for morning in (utc("2026-11-24T08:00"), utc("2026-11-24T08:30"), utc("2026-11-24T14:00")):
        after += step(state, *tick(morning), RULES)

    assert next_due(state) is None
    assert after == []
