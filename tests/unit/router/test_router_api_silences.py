"""Silences created through the API: they hold due steps as the config's do, an early expiry
releases the holds at once, and every router partition folds them alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.router.domain.api_silences import KEPT_EXPIRED
from services.router.domain.engine import next_due, step
from services.router.domain.state import RouterState
from services.router.projection.silences import SilenceView, fold_silence_view
from shared.events import TickOccurred
from shared.events.notifications import EscalationHeld
from shared.events.silences import SilenceCreated, SilenceExpired
from shared.runtime.state_pickle import dump_state, load_state
from tests.unit.router.test_router_holds import NIGHT, directory, opened, pages


def created(
    silence_id: str = "s-1",
    matcher: str = 'service="billing"',
    starts: datetime = NIGHT - timedelta(hours=1),
    ends: datetime = NIGHT + timedelta(hours=2),
) -> SilenceCreated:
    return SilenceCreated(
        silence_id=silence_id,
        matchers=[matcher],
        starts_at=starts,
        ends_at=ends,
        created_by="carol",
        comment="billing db migration",
        created_at=starts,
    )


def expired(at: datetime, silence_id: str = "s-1") -> SilenceExpired:
    return SilenceExpired(silence_id=silence_id, actor="carol", at=at)


def test_an_api_silence_holds_the_due_step_until_it_ends() -> None:
    # Given a silence of billing alerts from 20:00 to 23:00 UTC, created through the API
    state, rules = RouterState(), directory()
    assert step(state, created(), NIGHT, rules) == []
    # When a billing incident opens at 21:00 with no group wait
    [_, held] = step(state, opened(NIGHT, timedelta(0)), NIGHT, rules)
    # Then its first step waits for the silence's end, which the reason names
    assert isinstance(held, EscalationHeld)
    assert held.reason == (
        'every firing alert silenced, by {service="billing"} by carol: billing db migration'
    )
    assert held.until == NIGHT + timedelta(hours=2, microseconds=1)
    assert next_due(state) == held.until


def test_expiring_an_api_silence_early_pages_the_held_step_at_once() -> None:
    # Given a billing incident held by an API silence until 23:00
    state, rules = RouterState(), directory()
    step(state, created(), NIGHT, rules)
    step(state, opened(NIGHT, timedelta(0)), NIGHT, rules)
    # When carol expires the silence at 21:10
    at = NIGHT + timedelta(minutes=10)
    decided = step(state, expired(at), at, rules)
    # Then alice is paged now, and the step's reason says why
    assert pages(decided) == ["alice"]
    fired = [e for e in decided if type(e).__name__ == "EscalationStepFired"]
    assert [getattr(e, "reason", "") for e in fired] == ["silence s-1 expired by carol"]


def test_an_expiry_leaves_holds_other_silences_still_explain() -> None:
    # Given the incident muted by two API silences, ending at 23:00 and 00:00
    state, rules = RouterState(), directory()
    step(state, created(), NIGHT, rules)
    step(state, created("s-2", ends=NIGHT + timedelta(hours=3)), NIGHT, rules)
    [_, held] = step(state, opened(NIGHT, timedelta(0)), NIGHT, rules)
    # When the one ending later is expired at 21:10
    at = NIGHT + timedelta(minutes=10)
    [again] = step(state, expired(at, "s-2"), at, rules)
    # Then the step stays held, now until the other one ends
    assert isinstance(held, EscalationHeld) and isinstance(again, EscalationHeld)
    assert (held.until, again.until) == (
        NIGHT + timedelta(hours=3, microseconds=1),
        NIGHT + timedelta(hours=2, microseconds=1),
    )


def test_a_silence_of_other_alerts_holds_nothing() -> None:
    state, rules = RouterState(), directory()
    step(state, created(matcher='service="search"'), NIGHT, rules)
    assert pages(step(state, opened(NIGHT, timedelta(0)), NIGHT, rules)) == ["alice"]


def test_a_silence_expired_before_it_started_never_mutes() -> None:
    state, rules = RouterState(), directory()
    later = NIGHT + timedelta(hours=1)
    step(state, created(starts=later, ends=later + timedelta(hours=1)), NIGHT, rules)
    step(state, expired(NIGHT), NIGHT, rules)
    assert state.silences == {}
    tick = later + timedelta(minutes=1)
    step(state, opened(tick, timedelta(0)), tick, rules)
    assert pages(step(state, TickOccurred(at=tick), tick, rules)) == []  # paged when it opened


def test_expired_silences_leave_the_state_after_their_retention() -> None:
    state, rules = RouterState(), directory()
    step(state, created(), NIGHT, rules)
    much_later = NIGHT + timedelta(hours=2) + KEPT_EXPIRED + timedelta(seconds=1)
    step(
        state, created("s-2", starts=much_later, ends=much_later + timedelta(hours=1)), NIGHT, rules
    )
    assert list(state.silences) == ["s-2"]


def test_every_partition_folding_the_same_silences_holds_alike() -> None:
    rules = directory()
    states = [RouterState(), RouterState()]
    for state in states:
        step(state, created(), NIGHT, rules)
    held = [step(state, opened(NIGHT, timedelta(0)), NIGHT, rules)[1] for state in states]
    assert held[0] == held[1]
    assert states[0].silences == states[1].silences
    assert isinstance(held[0], EscalationHeld)
    assert held[0].until == datetime(2026, 11, 24, 23, 0, 0, 1, tzinfo=UTC)


def test_a_state_holding_a_regex_silence_survives_a_snapshot() -> None:
    state, rules = RouterState(), directory()
    step(state, created(matcher='service=~"bill.*"'), NIGHT, rules)
    restored = load_state(dump_state(state))
    assert isinstance(restored, RouterState)
    assert restored.silences == state.silences
    [_, held] = step(restored, opened(NIGHT, timedelta(0)), NIGHT, rules)
    assert isinstance(held, EscalationHeld)


def test_a_silence_on_the_log_ending_at_the_end_of_the_calendar_folds() -> None:
    """The API refuses such a silence now; one already on the log must not stop the router
    nor the read model (both crashed on it, at every restart)."""
    last = datetime.max.replace(tzinfo=UTC)
    forever = created("s-forever", starts=last - timedelta(hours=1), ends=last).model_copy(
        update={"created_at": NIGHT}
    )
    state, rules = RouterState(), directory()
    views: dict[str, SilenceView] = {}
    step(state, created(), NIGHT, rules)
    step(state, forever, NIGHT, rules)
    step(state, expired(NIGHT + timedelta(hours=1)), NIGHT + timedelta(hours=1), rules)
    for event in (created(), forever, expired(NIGHT + timedelta(hours=1))):
        fold_silence_view(views, event)
    assert set(state.silences) == set(views) == {"s-1", "s-forever"}
    assert state.silences["s-forever"].released_at == last
