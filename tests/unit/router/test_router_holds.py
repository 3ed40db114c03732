"""Steps held by silences and by low urgency outside working hours; no group wait pages at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.router.config import RouterConfig
from services.router.directory import ConfigDirectory
from services.router.domain.engine import next_due, step
from services.router.domain.state import RouterState, evolve
from shared.alerts import Alert, Layer, Severity
from shared.events import (
    AlertGrouped,
    AlertResolved,
    AnyEvent,
    EscalationStepFired,
    IncidentOpened,
    NotificationRequested,
    TickOccurred,
)
from shared.events.base import Event
from shared.events.incidents import RulesetActivated
from shared.events.notifications import EscalationHeld

# A Tuesday, 22:00 in Berlin.
NIGHT = datetime(2026, 11, 24, 21, 0, tzinfo=UTC)


def directory(**extra: object) -> ConfigDirectory:
    config = RouterConfig.model_validate(
        {
            "users": [
                {"name": "alice", "time_zone": "Europe/Berlin", "contacts": [{"type": "console"}]}
            ],
            "escalation_policies": [{"name": "team", "steps": [{"notify": ["user:alice"]}]}],
            **extra,
        }
    )
    return ConfigDirectory(config)


def opened(at: datetime, wait: timedelta, severity: str = "critical") -> IncidentOpened:
    labels = {"alertname": "DiskFull", "service": "billing", "severity": severity}
    alert = Alert(
        fingerprint="f",
        status="firing",
        severity=Severity(severity),
        layer=Layer.INFRASTRUCTURE,
        labels=labels,
        starts_at=at,
        source="canonical",
        integration="t",
        received_at=at,
    )
    return IncidentOpened(
        incident_id="INC-1",
        domain="d",
        title="DiskFull on billing",
        priority="P1",
        receivers=["team"],
        group_key="{}:{}",
        opened_at=at,
        notify_after=at + wait,
        alert=alert,
        rule="route 0",
        ruleset_version="v1",
        reason="test",
    )


def pages(events: list[object]) -> list[str]:
    return [e.target for e in events if isinstance(e, NotificationRequested)]


def test_without_group_wait_the_first_step_pages_when_the_incident_opens() -> None:
    state = RouterState()
    decided = step(state, opened(NIGHT, timedelta(0)), NIGHT, directory())
    assert pages(decided) == ["alice"]


def test_silence_holds_the_step_until_it_ends_then_pages() -> None:
    silence = {
        "matchers": ['service="billing"'],
        "starts_at": "2026-11-24T20:00:00+00:00",
        "ends_at": "2026-11-24T23:00:00+00:00",
        "created_by": "ops",
        "comment": "maintenance",
    }
    rules = directory(silences=[silence])
    state = RouterState()
    [_, held] = step(state, opened(NIGHT, timedelta(0)), NIGHT, rules)
    assert isinstance(held, EscalationHeld) and "maintenance" in held.reason
    assert next_due(state) == held.until > datetime(2026, 11, 24, 23, 0, tzinfo=UTC)
    later = held.until
    assert pages(step(state, TickOccurred(at=later), later, rules)) == ["alice"]


def test_low_urgency_at_night_waits_for_working_hours_in_the_persons_zone() -> None:
    urgency = {"rules": [{"matchers": ['severity="warning"'], "urgency": "low"}]}
    rules = directory(urgency=urgency)
    state = RouterState()
    [_, held] = step(state, opened(NIGHT, timedelta(0), "warning"), NIGHT, rules)
    morning = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
    assert isinstance(held, EscalationHeld) and held.until == morning
    assert pages(step(state, TickOccurred(at=morning), morning, rules)) == ["alice"]


def test_high_urgency_pages_at_night() -> None:
    urgency = {"rules": [{"matchers": ['severity="warning"'], "urgency": "low"}]}
    decided = step(RouterState(), opened(NIGHT, timedelta(0)), NIGHT, directory(urgency=urgency))
    assert pages(decided) == ["alice"]


# --- Silences hold a step only while they cover every firing alert (Alertmanager's rule) ---

BILLING_WINDOW = {
    "matchers": ['service="billing"'],
    "starts_at": "2026-11-24T20:00:00+00:00",
    "ends_at": "2026-11-24T23:00:00+00:00",
    "created_by": "ops",
    "comment": "billing maintenance",
}
SEARCH_WINDOW = {
    "matchers": ['service="search"'],
    "starts_at": "2026-11-24T20:00:00+00:00",
    "ends_at": "2026-11-24T22:30:00+00:00",
    "created_by": "ops",
    "comment": "search maintenance",
}
# The first instant after each window.
BILLING_ENDED = datetime(2026, 11, 24, 23, 0, 0, 1, tzinfo=UTC)
SEARCH_ENDED = datetime(2026, 11, 24, 22, 30, 0, 1, tzinfo=UTC)


def alert(fingerprint: str, service: str, at: datetime) -> Alert:
    return Alert(
        fingerprint=fingerprint,
        status="firing",
        severity=Severity.CRITICAL,
        layer=Layer.APPLICATION,
        service=service,
        labels={"alertname": "HighLatency", "service": service, "severity": "critical"},
        starts_at=at,
        source="canonical",
        integration="t",
        received_at=at,
    )


def joined(fingerprint: str, service: str, at: datetime, decision: str = "grouped") -> AlertGrouped:
    return AlertGrouped.model_validate(
        {
            "incident_id": "INC-1",
            "alert": alert(fingerprint, service, at),
            "decision": decision,
            "at": at,
            "rule": "route 0",
            "ruleset_version": "v1",
            "reason": "test",
        }
    )


def resolved(fingerprint: str, at: datetime) -> AlertResolved:
    return AlertResolved(
        incident_id="INC-1",
        fingerprint=fingerprint,
        at=at,
        rule="resolve",
        ruleset_version="v1",
        reason="test",
    )


def held_reasons(events: list[object]) -> list[str]:
    return [e.reason for e in events if isinstance(e, EscalationHeld)]


def test_incident_whose_only_alert_is_silenced_is_held_until_the_silence_ends() -> None:
    rules = directory(silences=[BILLING_WINDOW])
    state = RouterState()

    decided = step(state, opened(NIGHT, timedelta(0)), NIGHT, rules)

    [held] = [e for e in decided if isinstance(e, EscalationHeld)]
    assert pages(decided) == []
    assert held.until == BILLING_ENDED
    assert held.reason == (
        'every firing alert silenced, by {service="billing"} by ops: billing maintenance'
    )


def test_unsilenced_alert_joining_a_held_incident_makes_the_step_fire_at_once() -> None:
    rules = directory(silences=[BILLING_WINDOW])
    state = RouterState()
    step(state, opened(NIGHT, timedelta(0)), NIGHT, rules)
    join_at = datetime(2026, 11, 24, 21, 10, tzinfo=UTC)

    decided = step(state, joined("g", "checkout", join_at), join_at, rules)

    [fired] = [e for e in decided if isinstance(e, EscalationStepFired)]
    assert pages(decided) == ["alice"]
    assert fired.at == join_at
    assert fired.reason == "hold released: HighLatency (g) joined and no silence covers it"
    [page] = [e for e in decided if isinstance(e, NotificationRequested)]
    assert page.page["alert_count"] == 2
    assert state.escalations["INC-1"].held is False


def test_incident_with_both_alerts_under_one_silence_stays_held() -> None:
    rules = directory(silences=[BILLING_WINDOW])
    state = RouterState()
    step(state, opened(NIGHT, timedelta(0)), NIGHT, rules)
    join_at = datetime(2026, 11, 24, 21, 10, tzinfo=UTC)

    on_join = step(state, joined("g", "billing", join_at), join_at, rules)
    before_end = datetime(2026, 11, 24, 22, 59, tzinfo=UTC)
    on_tick = step(state, TickOccurred(at=before_end), before_end, rules)

    assert on_join == []
    assert on_tick == []
    assert next_due(state) == BILLING_ENDED


def test_incident_with_alerts_under_two_silences_is_held_until_the_first_ends() -> None:
    rules = directory(silences=[BILLING_WINDOW, SEARCH_WINDOW])
    state = RouterState()
    step(state, opened(NIGHT, timedelta(0)), NIGHT, rules)
    join_at = datetime(2026, 11, 24, 21, 10, tzinfo=UTC)

    on_join = step(state, joined("g", "search", join_at), join_at, rules)
    before_end = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)
    on_tick = step(state, TickOccurred(at=before_end), before_end, rules)
    at_end = step(state, TickOccurred(at=SEARCH_ENDED), SEARCH_ENDED, rules)

    assert pages(on_join) == [] and on_tick == []
    assert held_reasons(on_join) == [
        'every firing alert silenced, by {service="search"} by ops: search maintenance;'
        ' {service="billing"} by ops: billing maintenance'
    ]
    assert [e.until for e in on_join if isinstance(e, EscalationHeld)] == [SEARCH_ENDED]
    assert pages(at_end) == ["alice"]  # the search alert is no longer silenced


def test_inhibited_alert_joining_a_held_incident_does_not_release_it() -> None:
    rules = directory(silences=[BILLING_WINDOW])
    state = RouterState()
    step(state, opened(NIGHT, timedelta(0)), NIGHT, rules)
    join_at = datetime(2026, 11, 24, 21, 10, tzinfo=UTC)

    decided = step(state, joined("g", "checkout", join_at, "inhibited"), join_at, rules)

    assert decided == []
    assert next_due(state) == BILLING_ENDED


def test_unsilenced_alert_that_resolved_no_longer_keeps_the_step_from_being_held() -> None:
    rules = directory(silences=[BILLING_WINDOW])
    state = RouterState()
    start = datetime(2026, 11, 24, 19, 0, tzinfo=UTC)  # before the window
    step(state, opened(start, timedelta(minutes=30)), start, rules)
    step(state, joined("g", "checkout", start), start, rules)
    step(state, resolved("g", NIGHT), NIGHT, rules)
    tick_at = datetime(2026, 11, 24, 21, 30, tzinfo=UTC)  # the step has been due since 19:30

    decided = step(state, TickOccurred(at=tick_at), tick_at, rules)

    assert held_reasons(decided) == [
        'every firing alert silenced, by {service="billing"} by ops: billing maintenance'
    ]


def test_replaying_the_same_events_gives_the_same_decisions() -> None:
    rules = directory(silences=[BILLING_WINDOW, SEARCH_WINDOW])
    join_search = datetime(2026, 11, 24, 21, 5, tzinfo=UTC)
    join_checkout = datetime(2026, 11, 24, 21, 10, tzinfo=UTC)
    log: list[tuple[AnyEvent, datetime]] = [
        (opened(NIGHT, timedelta(0)), NIGHT),  # held: billing window
        (joined("s", "search", join_search), join_search),  # held: both windows
        (joined("g", "checkout", join_checkout), join_checkout),  # released: pages
        (TickOccurred(at=SEARCH_ENDED), SEARCH_ENDED),  # the one step already paged
    ]

    def run() -> tuple[RouterState, list[list[Event]]]:
        state = RouterState()
        return state, [step(state, event, at, rules) for event, at in log]

    live, first = run()
    _, second = run()

    assert first == second
    assert [len(held_reasons(decided)) for decided in first] == [1, 1, 0, 0]
    assert [pages(decided) for decided in first] == [[], [], ["alice"], []]
    refolded = RouterState()
    for (event, _), decided in zip(log, first, strict=True):
        for folded in (event, *decided):
            evolve(refolded, folded)
    assert refolded.escalations == live.escalations
    assert refolded.alerts == live.alerts


FLAPPING_UNTIL = NIGHT + timedelta(minutes=30)


def opened_flapping() -> IncidentOpened:
    """INC-1 opened by an alert flapping across incidents (its opening alert is `f`)."""
    return opened(NIGHT, timedelta(0)).model_copy(update={"flapping_until": FLAPPING_UNTIL})


def test_incident_opened_flapping_is_not_paged_before_its_window_ends_however_it_flaps() -> None:
    rules = directory()
    state = RouterState()

    # Given an incident opened flapping, no group wait: nothing pages at once
    [started] = step(state, opened_flapping(), NIGHT, rules)
    assert started.due_at == FLAPPING_UNTIL  # type: ignore[attr-defined]
    assert "flapping: no page before 2026-11-24T21:30:00+00:00" in started.reason  # type: ignore[attr-defined]

    # When its alert resolves and fires again within the window: still no page
    later = NIGHT + timedelta(minutes=8)
    step(state, resolved("f", NIGHT + timedelta(minutes=1)), NIGHT + timedelta(minutes=1), rules)
    assert pages(step(state, joined("f", "billing", later), later, rules)) == []
    assert pages(step(state, TickOccurred(at=later), later, rules)) == []

    # Then at the end of the window, with its alert firing, the first page goes out
    assert pages(step(state, TickOccurred(at=FLAPPING_UNTIL), FLAPPING_UNTIL, rules)) == ["alice"]


def test_flapping_incident_quiet_at_the_end_of_its_window_pages_when_an_alert_fires() -> None:
    rules = directory()
    state = RouterState()
    step(state, opened_flapping(), NIGHT, rules)
    step(state, resolved("f", NIGHT + timedelta(minutes=1)), NIGHT + timedelta(minutes=1), rules)

    # Given nothing fires when the window ends: the step waits, looked at again a window later
    decided = step(state, TickOccurred(at=FLAPPING_UNTIL), FLAPPING_UNTIL, rules)
    assert pages(decided) == []
    assert held_reasons(decided) == [
        "flapping: none of its alerts fires now; the first page waits for one to fire"
    ]
    assert next_due(state) == FLAPPING_UNTIL + timedelta(minutes=30)

    # When the alert fires again, the page goes out at once
    again = FLAPPING_UNTIL + timedelta(minutes=3)
    assert pages(step(state, joined("f", "billing", again), again, rules)) == ["alice"]


def test_flapping_holds_back_only_the_first_page() -> None:
    rules = directory(
        escalation_policies=[
            {
                "name": "team",
                "steps": [{"notify": ["user:alice"]}, {"delay": "10m", "notify": ["user:alice"]}],
            }
        ]
    )
    state = RouterState()
    step(state, opened_flapping(), NIGHT, rules)
    assert pages(step(state, TickOccurred(at=FLAPPING_UNTIL), FLAPPING_UNTIL, rules)) == ["alice"]

    # Given the first page went out, the alert resolving does not hold the next step
    quiet = FLAPPING_UNTIL + timedelta(minutes=1)
    step(state, resolved("f", quiet), quiet, rules)
    second = FLAPPING_UNTIL + timedelta(minutes=10)
    assert pages(step(state, TickOccurred(at=second), second, rules)) == ["alice"]


def test_a_reload_that_removes_the_silence_holding_a_step_pages_at_once() -> None:
    """As deleting an API silence does: the step was held until the old silence's end."""
    state = RouterState()
    held_by = directory(silences=[BILLING_WINDOW])
    step(state, opened(NIGHT, timedelta(0)), NIGHT, held_by)
    reload_at = NIGHT + timedelta(minutes=10)
    reload = RulesetActivated(version="v2", config="route: {}\n", activated_at=reload_at)

    unchanged = step(state, reload, reload_at, held_by)
    decided = step(state, reload, reload_at, directory())

    assert unchanged == []  # the same silences still hold it: nothing new
    [fired] = [e for e in decided if isinstance(e, EscalationStepFired)]
    assert pages(decided) == ["alice"]
    assert "config v2 activated" in fired.reason


def test_an_incident_whose_alerts_all_resolved_within_its_group_wait_pages_nobody() -> None:
    # As Alertmanager notifies no group resolved before its first notification: e.g. a symptom
    # its source's resolve released into an incident of its own, resolved in the same webhook
    rules = directory()
    state = RouterState()
    step(state, opened(NIGHT, timedelta(seconds=30)), NIGHT, rules)
    gone = NIGHT + timedelta(seconds=1)
    step(state, resolved("f", gone), gone, rules)

    due = NIGHT + timedelta(seconds=30)
    decided = step(state, TickOccurred(at=due), due, rules)

    assert pages(decided) == []
    assert held_reasons(decided) == [
        "none of its alerts fires now; the first page waits for one to fire"
    ]
    assert next_due(state) == due + timedelta(minutes=1)

    # When it fires again before the incident resolves, the page goes out at once
    again = due + timedelta(seconds=20)
    assert pages(step(state, joined("f", "billing", again), again, rules)) == ["alice"]
