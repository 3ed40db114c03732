"""An incident's urgency comes from all its firing, non-inhibited, unsilenced alerts: a
high-urgency alert joining sends held low-urgency pages at once, and replay decides alike."""

from __future__ import annotations

from datetime import datetime

import pytest

from services.router.domain.engine import step
from services.router.domain.state import RouterState, evolve
from shared.events import AnyEvent, EscalationStepFired, NotificationRequested
from shared.events.base import Event
from tests.unit.router.urgency_world import (
    INCIDENT,
    acknowledged,
    alert_resolved,
    directory,
    fired,
    holds,
    joined,
    opened,
    pages,
    run,
    tick,
    utc,
)

RULES = directory()
NIGHT_IN_PARIS = utc("2026-11-24T01:00")  # Tue 02:00 in Paris, 10:00 in Tokyo
NIGHT_EVERYWHERE = utc("2026-11-24T20:00")  # Tue 21:00 in Paris, Wed 05:00 in Tokyo
JOIN = utc("2026-11-24T02:00")


@pytest.mark.parametrize(
    ("opened_at", "severity", "decision", "on_join", "at_0230"),
    [
        # alice's page was held for her working hours: a critical alert sends it now, and
        # step 2 then pages carol at 21:30 her time.
        (NIGHT_IN_PARIS, "critical", "grouped", ["alice"], ["carol"]),
        # The whole step was held: everybody now.
        (NIGHT_EVERYWHERE, "critical", "grouped", ["alice", "bob", "hook"], ["carol"]),
        # Another low-urgency alert changes nothing.
        (NIGHT_IN_PARIS, "warning", "grouped", [], []),
        # An inhibited symptom never pages, so its urgency does not count.
        (NIGHT_IN_PARIS, "critical", "inhibited", [], []),
    ],
)
def test_high_urgency_alert_joining_releases_held_low_urgency_pages(
    opened_at: datetime, severity: str, decision: str, on_join: list[str], at_0230: list[str]
) -> None:
    log: list[tuple[AnyEvent, datetime]] = [(opened(opened_at), opened_at)]
    join_at = JOIN if opened_at == NIGHT_IN_PARIS else utc("2026-11-24T21:00")
    log.append((joined("b", severity, join_at, decision), join_at))
    log.append(tick(join_at.replace(minute=30)))

    _, on_joining, on_tick = run(log, RULES)

    assert pages(on_joining) == on_join
    assert pages(on_tick) == at_0230


def test_release_by_a_high_urgency_alert_says_so() -> None:
    log = [(opened(NIGHT_IN_PARIS), NIGHT_IN_PARIS), (joined("b", "critical", JOIN), JOIN)]

    _, on_joining = run(log, RULES)

    [done] = [e for e in on_joining if isinstance(e, EscalationStepFired)]
    assert (done.step, done.at) == (0, JOIN)
    assert done.reason == (
        "hold released: Alertb (b) joined with high urgency, so the incident is high urgency now"
    )


def test_once_the_high_urgency_alert_resolves_the_next_step_waits_for_working_hours() -> None:
    log: list[tuple[AnyEvent, datetime]] = [
        (opened(NIGHT_IN_PARIS), NIGHT_IN_PARIS),
        (joined("b", "critical", JOIN), JOIN),
        alert_resolved("b", utc("2026-11-24T02:10")),
        tick(utc("2026-11-24T02:30")),
    ]

    *_, on_tick = run(log, RULES)

    assert pages(on_tick) == []
    assert holds(on_tick) == [
        (
            utc("2026-11-24T14:00"),
            "low urgency: carol's working hours start at 09:00 America/New_York (Tue 2026-11-24)",
        )
    ]


@pytest.mark.parametrize("opening_alert", ["warning", "critical"])
def test_with_every_alert_resolved_the_next_step_waits_for_working_hours(
    opening_alert: str,
) -> None:
    # The incident stays open (its resolve grace, or resolved by hand only): nothing fires, so
    # nothing makes it high urgency; its resolved critical alerts must not page anyone at night
    log: list[tuple[AnyEvent, datetime]] = [
        (opened(NIGHT_IN_PARIS, opening_alert), NIGHT_IN_PARIS),
        (joined("b", "critical", JOIN), JOIN),
        alert_resolved("b", utc("2026-11-24T02:10")),
        alert_resolved("a", utc("2026-11-24T02:11")),
        tick(utc("2026-11-24T02:30")),
    ]

    *_, on_tick = run(log, RULES)

    assert pages(on_tick) == []
    assert [until for until, _ in holds(on_tick)] == [utc("2026-11-24T14:00")]


def test_silenced_high_urgency_alert_pages_nobody_until_its_silence_ends() -> None:
    search_window = {
        "matchers": ['service="search"'],
        "starts_at": "2026-11-24T00:00:00+00:00",
        "ends_at": "2026-11-24T04:00:00+00:00",
        "created_by": "ops",
        "comment": "search maintenance",
    }
    rules = directory(silences=[search_window])
    released = utc("2026-11-24T04:00:00.000001")
    log: list[tuple[AnyEvent, datetime]] = [
        (opened(NIGHT_IN_PARIS), NIGHT_IN_PARIS),
        (joined("b", "critical", JOIN), JOIN),
        tick(released),
    ]

    _, on_joining, on_tick = run(log, rules)

    assert pages(on_joining) == []
    assert holds(on_joining) == [
        (
            released,
            "low urgency: alice's working hours start at 09:00 Europe/Paris (Tue 2026-11-24);"
            " looked at again at 2026-11-24 04:00:00 UTC, when a silence of a high-urgency"
            " alert ends",
        )
    ]
    assert pages(on_tick) == ["alice"]
    assert fired(on_tick) == [(0, released)]


def test_replaying_the_same_events_gives_the_same_decisions_and_state() -> None:
    log: list[tuple[AnyEvent, datetime]] = [
        (opened(NIGHT_EVERYWHERE), NIGHT_EVERYWHERE),  # held whole until bob's 09:00
        (joined("b", "warning", utc("2026-11-24T21:00")), utc("2026-11-24T21:00")),
        tick(utc("2026-11-25T00:00")),  # bob and the channel; alice waits
        tick(utc("2026-11-25T08:00")),  # alice's 09:00: step 1 done
        tick(utc("2026-11-25T08:30")),  # carol asleep: held
        (acknowledged(utc("2026-11-25T09:00")), utc("2026-11-25T09:00")),
        tick(utc("2026-11-25T14:00")),  # carol's page was cancelled
    ]

    def replay() -> tuple[RouterState, list[list[Event]]]:
        state = RouterState()
        return state, [step(state, event, at, RULES) for event, at in log]

    live, first = replay()
    _, second = replay()

    assert first == second
    assert [pages(decided) for decided in first] == [
        [],
        [],
        ["bob", "hook"],
        ["alice"],
        [],
        ["hook"],  # the channel paged is told of the acknowledgement
        [],
    ]
    ids = [e.notification_id for d in first for e in d if isinstance(e, NotificationRequested)]
    assert len(ids) == len(set(ids)) == 4
    refolded = RouterState()
    for (event, _), decided in zip(log, first, strict=True):
        for folded in (event, *decided):
            evolve(refolded, folded)
    assert refolded.escalations == live.escalations
    assert refolded.alerts == live.alerts


def test_an_alert_that_opens_an_incident_of_its_own_no_longer_counts_in_the_one_it_left() -> None:
    # Given a low-urgency incident that a critical alert joined
    state = RouterState()
    for event in (opened(NIGHT_IN_PARIS), joined("b", "critical", JOIN)):
        step(state, event, JOIN, RULES)
    assert "b" in state.alerts[INCIDENT].firing

    # When that alert opens an incident of its own, leaving this one (a released symptom)
    own = opened(JOIN, "critical").model_copy(
        update={"incident_id": "INC-2", "alert": joined("b", "critical", JOIN).alert}
    )
    step(state, own.model_copy(update={"moved_from": INCIDENT}), JOIN, RULES)

    # Then it fires in its new incident only: the old one is low urgency again
    assert "b" not in state.alerts[INCIDENT].firing
    assert "b" not in state.alerts[INCIDENT].labels
    assert "b" in state.alerts["INC-2"].firing
