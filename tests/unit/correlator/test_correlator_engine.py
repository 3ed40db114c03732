"""The correlator engine: dedup, grouping, resolution, commands — literal times, exact asserts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.correlator.domain import trusted
from services.correlator.domain.engine import decide, next_due, step, step_alert
from services.correlator.domain.evolve import evolve
from services.correlator.domain.rules import CorrelationPolicy, Grouping
from services.correlator.domain.state import CorrelatorState
from shared.alerts import Alert, Layer, Severity
from shared.events import (
    AcknowledgeIncident,
    AlertGrouped,
    AlertReceived,
    AlertResolved,
    IncidentAcknowledged,
    IncidentOpened,
    IncidentPriorityChanged,
    IncidentResolved,
    ResolveIncident,
    TickOccurred,
)
from shared.events.incidents import InputDropped

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


class ByAlertname:
    def group_for(self, alert: Alert) -> Grouping:
        return Grouping(
            group_key=f'{{}}:{{alertname="{alert.alertname}"}}',
            receivers=("oncall",),
            rule="route 0",
            group_wait=timedelta(seconds=30),
        )


POLICY = CorrelationPolicy(version="v1", grouping=ByAlertname(), resolve_grace=timedelta(minutes=5))


def alert(
    name: str = "NodeDown",
    instance: str = "node-7",
    *,
    status: str = "firing",
    severity: Severity = Severity.WARNING,
    layer: Layer = Layer.INFRASTRUCTURE,
    service: str | None = None,
    ends_at: datetime | None = None,
) -> AlertReceived:
    labels = {"alertname": name, "instance": instance}
    return AlertReceived(
        alert=Alert(
            fingerprint=f"{name}-{instance}",
            status=status,  # type: ignore[arg-type]
            severity=severity,
            layer=layer,
            service=service,
            labels=labels,
            starts_at=T0,
            ends_at=ends_at,
            source="canonical",
            integration="test",
            received_at=T0,
        )
    )


def test_first_alert_opens_an_incident_naming_rule_version_and_reason() -> None:
    state = CorrelatorState()
    [opened] = step(state, alert(), T0, POLICY, "region=eu")
    assert isinstance(opened, IncidentOpened)
    assert opened.incident_id.startswith("INC-")
    assert (opened.rule, opened.ruleset_version, opened.receivers) == ("route 0", "v1", ["oncall"])
    assert opened.notify_after == T0 + timedelta(seconds=30)
    assert "NodeDown opens" in opened.reason


@pytest.mark.parametrize(
    ("received_after_start", "first_page_after_opening"),
    [
        (timedelta(0), timedelta(seconds=30)),
        (timedelta(seconds=30), timedelta(seconds=30)),  # started exactly the wait ago
        (timedelta(seconds=31), timedelta(0)),  # waited already (Alertmanager forwards it)
        (timedelta(hours=2), timedelta(0)),
    ],
)
def test_an_alert_that_started_longer_than_the_group_wait_ago_pages_at_once(
    received_after_start: timedelta, first_page_after_opening: timedelta
) -> None:
    # As Alertmanager flushes a new group at once when an alert's startsAt + group_wait is
    # past: else Tocsin behind Alertmanager waited the group wait twice.
    now = T0 + received_after_start

    [opened] = step(CorrelatorState(), alert(), now, POLICY, "region=eu")

    assert isinstance(opened, IncidentOpened)
    assert opened.notify_after == now + first_page_after_opening


def test_repeat_of_firing_alert_does_not_open_second_incident() -> None:
    state = CorrelatorState()
    [opened] = step(state, alert(), T0, POLICY, "d")
    [repeat] = step(state, alert(), T0 + timedelta(minutes=1), POLICY, "d")
    assert isinstance(repeat, AlertGrouped)
    assert (repeat.decision, repeat.incident_id) == ("deduplicated", opened.incident_id)
    assert state.alerts["NodeDown-node-7"].count == 2
    assert len(state.incidents) == 1


def test_alerts_of_the_same_group_join_one_incident_and_other_groups_open_their_own() -> None:
    state = CorrelatorState()
    [opened] = step(state, alert(instance="node-7"), T0, POLICY, "d")
    [grouped] = step(state, alert(instance="node-8"), T0, POLICY, "d")
    [other] = step(state, alert(name="DiskFull"), T0, POLICY, "d")
    assert isinstance(grouped, AlertGrouped) and grouped.decision == "grouped"
    assert grouped.incident_id == opened.incident_id
    assert isinstance(other, IncidentOpened) and other.incident_id != opened.incident_id


def test_business_alert_joining_raises_incident_priority() -> None:
    state = CorrelatorState()
    [opened] = step(state, alert(instance="a"), T0, POLICY, "d")
    decided = step(state, alert(instance="b", layer=Layer.BUSINESS), T0, POLICY, "d")
    assert opened.priority == "P3"
    assert [type(e) for e in decided] == [AlertGrouped, IncidentPriorityChanged]
    assert state.incidents[opened.incident_id].priority == "P2"


def test_incident_resolves_after_all_alerts_resolved_and_the_grace_period() -> None:
    state = CorrelatorState()
    [opened] = step(state, alert(), T0, POLICY, "d")
    [resolved_alert] = step(state, alert(status="resolved"), T0 + timedelta(minutes=1), POLICY, "d")
    assert isinstance(resolved_alert, AlertResolved)
    assert next_due(state, POLICY) == T0 + timedelta(minutes=6)
    assert step(state, TickOccurred(at=T0), T0 + timedelta(minutes=5), POLICY, "d") == []
    [closed] = step(state, TickOccurred(at=T0), T0 + timedelta(minutes=6), POLICY, "d")
    assert isinstance(closed, IncidentResolved) and closed.incident_id == opened.incident_id
    assert state.incidents == {} and state.alerts == {}


def test_alert_not_resent_before_its_end_time_resolves_on_a_tick() -> None:
    state = CorrelatorState()
    step(state, alert(ends_at=T0 + timedelta(minutes=5)), T0, POLICY, "d")
    assert next_due(state, POLICY) == T0 + timedelta(minutes=5)
    [expired] = step(state, TickOccurred(at=T0), T0 + timedelta(minutes=5), POLICY, "d")
    assert isinstance(expired, AlertResolved) and expired.rule == "resolve_timeout"


def test_refiring_within_grace_keeps_the_incident_open() -> None:
    state = CorrelatorState()
    [opened] = step(state, alert(), T0, POLICY, "d")
    step(state, alert(status="resolved"), T0 + timedelta(minutes=1), POLICY, "d")
    [again] = step(state, alert(), T0 + timedelta(minutes=2), POLICY, "d")
    assert isinstance(again, AlertGrouped) and again.decision == "grouped"
    assert step(state, TickOccurred(at=T0), T0 + timedelta(minutes=7), POLICY, "d") == []
    assert opened.incident_id in state.incidents


def test_acknowledge_and_manual_resolve_commands() -> None:
    state = CorrelatorState()
    [opened] = step(state, alert(), T0, POLICY, "d")
    ack = AcknowledgeIncident(
        command_id="c1", incident_id=opened.incident_id, actor="alice", issued_at=T0
    )
    [acked] = step(state, ack, T0, POLICY, "d")
    assert isinstance(acked, IncidentAcknowledged) and acked.by == "alice"
    [again] = step(state, ack, T0, POLICY, "d")
    assert isinstance(again, InputDropped)
    assert (
        again.reason
        == f"acknowledgement by alice: {opened.incident_id} is already acknowledged by alice"
    )
    resolve = ResolveIncident(
        command_id="c2", incident_id=opened.incident_id, actor="alice", issued_at=T0
    )
    [resolved] = step(state, resolve, T0, POLICY, "d")
    assert isinstance(resolved, IncidentResolved) and resolved.by == "alice"


def test_state_decide_returns_equals_the_fold_of_its_events() -> None:
    inputs = [
        alert(instance="a"),
        alert(instance="b", layer=Layer.BUSINESS),
        alert(name="X"),
        alert(instance="a", status="resolved"),
    ]
    live, folded = CorrelatorState(), CorrelatorState()
    for index, received in enumerate(inputs):
        now = T0 + timedelta(seconds=index)
        folded.clock = now
        evolve(folded, received, POLICY)
        for event in step(live, received, now, POLICY, "d"):
            evolve(folded, event, POLICY)
    assert live == folded


def test_event_time_never_runs_backwards() -> None:
    state = CorrelatorState()
    step(state, alert(), T0, POLICY, "d")
    [repeat] = step(state, alert(), T0 - timedelta(hours=1), POLICY, "d")
    assert isinstance(repeat, AlertGrouped) and repeat.at == T0


def test_decide_does_not_change_state() -> None:
    state = CorrelatorState()
    decide(state, alert(), T0, POLICY, "d")
    assert state == CorrelatorState()


def test_repeat_decision_built_unvalidated_equals_the_validated_event() -> None:
    received = alert(service="api", ends_at=T0 + timedelta(minutes=5)).alert
    fast = trusted.grouped(
        "INC-1", received, "deduplicated", T0, "dedup", "v1", "repeat #2", ["service:api"]
    )
    validated = AlertGrouped(
        incident_id="INC-1",
        alert=received,
        decision="deduplicated",
        at=T0,
        rule="dedup",
        ruleset_version="v1",
        reason="repeat #2",
        resources=["service:api"],
    )
    assert fast == validated
    assert fast.model_dump_json() == validated.model_dump_json()
    assert fast.model_fields_set == validated.model_fields_set | {
        "type",
        "source_fingerprint",
        "moved_from",
        "receivers",
    }


def test_step_alert_decides_and_folds_as_step_of_the_alert_received() -> None:
    inputs = [
        (alert(), T0),
        (alert(), T0 + timedelta(minutes=1)),
        (alert("DiskFull"), T0 + timedelta(minutes=2)),
        (alert(status="resolved"), T0 + timedelta(minutes=3)),
        (alert(), T0 + timedelta(minutes=4)),
        (alert("Unknown", status="resolved"), T0 + timedelta(minutes=5)),
    ]
    by_event, by_alert = CorrelatorState(), CorrelatorState()
    for received, at in inputs:
        expected = step(by_event, received, at, POLICY, "d")
        assert step_alert(by_alert, received.alert, at, POLICY, "d") == expected
        assert by_alert == by_event
