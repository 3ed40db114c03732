"""`step_repeat` folds a repeat of a firing alert exactly as `step_alert` does, without building
its event, and declines every other alert."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta

import pytest

from services.correlator.domain.engine import Repeated, step_alert, step_repeat
from services.correlator.domain.rules import CorrelationPolicy
from services.correlator.domain.state import CorrelatorState
from shared.alerts import Alert, Layer, Severity
from shared.events.incidents import AlertGrouped, AlertResolved
from tests.unit.correlator.test_correlator_engine import T0, ByAlertname

POLICY = CorrelationPolicy(version="v1", grouping=ByAlertname())


def _alert(at: datetime, *, status: str = "firing", summary: str = "", name: str = "A") -> Alert:
    return Alert(
        fingerprint=f"fp-{name}",
        status=status,  # type: ignore[arg-type]
        severity=Severity.WARNING,
        layer=Layer.INFRASTRUCTURE,
        labels={"alertname": name, "instance": "node-7"},
        summary=summary,
        starts_at=T0,
        source="canonical",
        integration="test",
        received_at=at,
    )


def _firing() -> CorrelatorState:
    state = CorrelatorState()
    step_alert(state, _alert(T0), T0, POLICY, "eu")
    step_alert(state, _alert(T0 + timedelta(seconds=10)), T0 + timedelta(seconds=10), POLICY, "eu")
    return state


def test_repeat_leaves_the_state_step_alert_leaves_and_says_what_its_event_says() -> None:
    at = T0 + timedelta(seconds=20)
    repeat = _alert(at)
    fast, slow = _firing(), _firing()

    repeated = step_repeat(fast, repeat, at, POLICY)
    [grouped] = step_alert(slow, repeat, at, POLICY, "eu")

    assert fast == slow
    assert isinstance(grouped, AlertGrouped) and grouped.decision == "deduplicated"
    assert repeated == Repeated(grouped.incident_id, 3, slow.alerts["fp-A"].first_seen)
    assert repeated.reason(repeat) == grouped.reason


def test_the_alert_as_an_earlier_payload_gave_it_folds_like_the_one_received_now() -> None:
    at = T0 + timedelta(seconds=20)
    fast, slow = _firing(), _firing()

    step_repeat(fast, _alert(T0), at, POLICY)
    step_alert(slow, _alert(at), at, POLICY, "eu")

    assert fast == slow


def test_a_repeat_received_late_keeps_the_clock_as_step_alert_does() -> None:
    fast, slow = _firing(), _firing()
    late = T0 + timedelta(seconds=5)

    step_repeat(fast, _alert(late), late, POLICY)
    step_alert(slow, _alert(late), late, POLICY, "eu")

    assert fast == slow and fast.clock == T0 + timedelta(seconds=10)


@pytest.mark.parametrize(
    "alert",
    [
        _alert(T0 + timedelta(seconds=20), status="resolved"),
        _alert(T0 + timedelta(seconds=20), name="B"),
        _alert(T0 + timedelta(seconds=20), summary="a new summary: the alert is recorded anew"),
    ],
    ids=["resolved", "not tracked", "changed"],
)
def test_anything_but_a_repeat_of_a_firing_alert_is_declined_untouched(alert: Alert) -> None:
    state, before = _firing(), _firing()
    assert step_repeat(state, alert, T0 + timedelta(seconds=20), POLICY) is None
    assert state == before


def test_an_alert_that_stopped_firing_is_declined() -> None:
    state = _firing()
    resolved_at = T0 + timedelta(seconds=20)
    step_alert(state, _alert(resolved_at, status="resolved"), resolved_at, POLICY, "eu")
    before = copy.deepcopy(state)

    assert step_repeat(state, _alert(T0 + timedelta(seconds=30)), resolved_at, POLICY) is None
    assert state == before


def test_a_repeat_received_after_a_timer_came_due_is_declined_for_step_alert_to_decide_it() -> None:
    """B ends at 15 s with no tick since: a repeat of A at 20 s is left to `step_alert`, which
    resolves B as of 15 s first, as a tick would have."""
    state = _firing()
    ending = _alert(T0 + timedelta(seconds=10), name="B").model_copy(
        update={"ends_at": T0 + timedelta(seconds=15)}
    )
    step_alert(state, ending, T0 + timedelta(seconds=10), POLICY, "eu")
    at = T0 + timedelta(seconds=20)
    before = copy.deepcopy(state)

    assert step_repeat(state, _alert(at), at, POLICY) is None
    assert state == before
    resolved, grouped = step_alert(state, _alert(at), at, POLICY, "eu")
    assert isinstance(resolved, AlertResolved) and resolved.at == T0 + timedelta(seconds=15)
    assert isinstance(grouped, AlertGrouped) and grouped.decision == "deduplicated"
