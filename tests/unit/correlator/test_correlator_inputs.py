"""Inputs that change nothing are said aloud; acknowledgements at the source count."""

from __future__ import annotations

from shared.events.commands import AcknowledgeIncident, ResolveIncident
from shared.events.incidents import IncidentAcknowledged, IncidentOpened, InputDropped
from shared.events.inputs import AlertAcknowledgedAtSource
from tests.unit.correlator.correlator_world import Partition, alert, at, policy_from, resolved

POLICY = policy_from("route: {receiver: oncall, group_by: [alertname]}")


def source_ack(fingerprint: str, by: str | None = "bob") -> AlertAcknowledgedAtSource:
    return AlertAcknowledgedAtSource(
        integration="pd-prod",
        source="pagerduty",
        fingerprint=fingerprint,
        received_at=at(30),
        by=by,
    )


def test_resolve_for_an_unknown_alert_is_dropped_with_the_reason() -> None:
    partition = Partition(POLICY)
    gone = resolved(alert("NodeDown", instance="node-7"))
    [dropped] = partition.feed(gone, at(0))
    assert isinstance(dropped, InputDropped)
    assert (dropped.input_type, dropped.fingerprint, dropped.rule) == (
        "AlertReceived",
        gone.alert.fingerprint,
        "source",
    )
    assert dropped.reason == (
        f"resolve of NodeDown ({gone.alert.fingerprint}): no open incident or hold knows this alert"
    )


def test_second_resolve_of_the_same_alert_is_dropped() -> None:
    partition = Partition(POLICY)
    [opened] = partition.feed(alert("NodeDown"), at(0))
    partition.feed(resolved(alert("NodeDown")), at(10))
    [dropped] = partition.feed(resolved(alert("NodeDown")), at(20))
    assert isinstance(opened, IncidentOpened) and isinstance(dropped, InputDropped)
    assert dropped.incident_id == opened.incident_id
    assert dropped.reason == (
        f"NodeDown ({opened.alert.fingerprint}) is already resolved in {opened.incident_id}"
    )


def test_acknowledgement_at_the_source_acknowledges_the_incident_holding_the_alert() -> None:
    partition = Partition(POLICY)
    [opened] = partition.feed(alert("NodeDown"), at(0))
    [acked] = partition.feed(source_ack(opened.alert.fingerprint), at(30))
    assert isinstance(acked, IncidentAcknowledged)
    assert (acked.incident_id, acked.by, acked.at) == (
        opened.incident_id,
        "bob (at pd-prod)",
        at(30),
    )


def test_acknowledgement_at_the_source_of_an_unknown_alert_is_dropped() -> None:
    partition = Partition(POLICY)
    [dropped] = partition.feed(source_ack("0123456789abcdef", by=None), at(30))
    assert isinstance(dropped, InputDropped)
    assert (dropped.input_type, dropped.rule) == ("AlertAcknowledgedAtSource", "source_ack")
    assert dropped.reason == (
        "acknowledgement by someone (at pd-prod): no open incident holds alert 0123456789abcdef"
    )


def test_commands_on_unknown_incidents_are_dropped() -> None:
    partition = Partition(POLICY)
    ack = AcknowledgeIncident(command_id="c1", incident_id="INC-x", actor="alice", issued_at=at(0))
    fix = ResolveIncident(command_id="c2", incident_id="INC-x", actor="alice", issued_at=at(0))
    [not_acked] = partition.feed(ack, at(0))
    [not_resolved] = partition.feed(fix, at(0))
    assert isinstance(not_acked, InputDropped) and isinstance(not_resolved, InputDropped)
    assert not_acked.reason == "acknowledgement by alice: INC-x is not open"
    assert not_resolved.reason == "resolve by alice: INC-x is not open"
    # Each names the command it refuses, so the API answers it (409) instead of waiting.
    assert (not_acked.command_id, not_resolved.command_id) == ("c1", "c2")
