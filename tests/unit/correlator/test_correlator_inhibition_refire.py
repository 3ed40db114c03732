"""An alert that resolved and fires again is muted, or not, by the sources firing now, not by
what muted its last occurrence (Alertmanager looks at inhibition afresh at every notification)."""

from __future__ import annotations

from shared.events.base import Event
from shared.events.incidents import AlertGrouped, IncidentOpened, IncidentResolved
from tests.unit.correlator.correlator_world import Partition, alert, at, policy_from, resolved

INHIBIT_RULE = """
inhibit_rules:
  - {source_matchers: ['alertname="NodeDown"'], target_matchers: ['severity="warning"'],
     equal: [instance]}
"""
BY_NAME = policy_from(
    "route: {receiver: oncall, group_by: [alertname], group_wait: 30s}" + INHIBIT_RULE
)
BY_INSTANCE = policy_from(
    "route: {receiver: oncall, group_by: [instance], group_wait: 30s}" + INHIBIT_RULE
)
NODE_DOWN = alert("NodeDown", instance="a", severity="critical")


def kinds(decided: list[Event]) -> list[str]:
    return [f"{type(e).__name__}:{getattr(e, 'decision', '')}".rstrip(":") for e in decided]


def test_symptom_firing_again_after_its_source_resolved_is_released_not_muted() -> None:
    partition = Partition(BY_NAME)
    partition.feed(NODE_DOWN, at(0))
    symptom = alert("HighLatency", instance="a", starts_at=at(60))
    [muted] = partition.feed(symptom, at(60))
    assert isinstance(muted, AlertGrouped) and muted.decision == "inhibited"
    partition.feed(resolved(symptom), at(120))
    partition.feed(resolved(NODE_DOWN), at(180))
    # NodeDown no longer fires: nothing inhibits HighLatency (Alertmanager would notify it).
    decided = partition.feed(alert("HighLatency", instance="a", starts_at=at(240)), at(240))
    assert kinds(decided) == ["IncidentOpened"]
    [released] = decided
    assert isinstance(released, IncidentOpened)
    assert released.moved_from == muted.incident_id
    assert released.reason == (
        f"HighLatency released from {muted.incident_id}: it fired again and no firing alert"
        " inhibits it any more, so it is paged on its own; no open incident for group"
        ' {}:{alertname="HighLatency"}:'
        f" HighLatency opens {released.incident_id}"
    )
    tracked = partition.state.alerts[symptom.alert.fingerprint]
    assert (tracked.incident_id, tracked.suppressed) == (released.incident_id, False)
    assert partition.state == partition.folded()


def test_symptom_firing_again_while_its_source_fires_stays_muted_naming_the_source() -> None:
    partition = Partition(BY_NAME)
    [source] = partition.feed(NODE_DOWN, at(0))
    symptom = alert("HighLatency", instance="a", starts_at=at(60))
    partition.feed(symptom, at(60))
    partition.feed(resolved(symptom), at(120))
    [again] = partition.feed(alert("HighLatency", instance="a", starts_at=at(180)), at(180))
    assert isinstance(again, AlertGrouped)
    assert (again.incident_id, again.decision, again.rule, again.moved_from) == (
        source.incident_id,
        "inhibited",
        "inhibit_rules[0]",
        None,
    )
    assert again.source_fingerprint == NODE_DOWN.alert.fingerprint
    assert again.reason.startswith(
        f"HighLatency fired again while {source.incident_id} is open: HighLatency is a"
        f" suppressed symptom of NodeDown ({NODE_DOWN.alert.fingerprint})"
    )
    assert partition.state.alerts[symptom.alert.fingerprint].suppressed


def test_alert_firing_again_while_a_source_of_its_incident_fires_is_muted_there() -> None:
    partition = Partition(BY_INSTANCE)
    latency = alert("HighLatency", instance="a")
    [opened] = partition.feed(latency, at(0))
    # After the group wait the page is out: the target stays where it is, unmuted.
    assert kinds(partition.feed(NODE_DOWN, at(60)))[0] == "AlertGrouped:grouped"
    assert not partition.state.alerts[latency.alert.fingerprint].suppressed
    partition.feed(resolved(latency), at(120))
    [again] = partition.feed(alert("HighLatency", instance="a", starts_at=at(180)), at(180))
    assert isinstance(again, AlertGrouped)
    assert (again.incident_id, again.decision, again.moved_from) == (
        opened.incident_id,
        "inhibited",
        None,
    )
    assert again.source_fingerprint == NODE_DOWN.alert.fingerprint
    assert partition.state.alerts[latency.alert.fingerprint].suppressed
    assert partition.state == partition.folded()


def test_alert_firing_again_while_a_source_fires_elsewhere_moves_there_muted() -> None:
    partition = Partition(BY_NAME)
    latency = alert("HighLatency", instance="a")
    [own] = partition.feed(latency, at(0))
    [source] = partition.feed(NODE_DOWN, at(60))
    partition.feed(resolved(latency), at(120))
    decided = partition.feed(alert("HighLatency", instance="a", starts_at=at(180)), at(180))
    assert kinds(decided) == ["AlertGrouped:inhibited", "IncidentResolved"]
    moved, withdrawn = decided
    assert isinstance(moved, AlertGrouped) and isinstance(withdrawn, IncidentResolved)
    assert (moved.incident_id, moved.moved_from, moved.source_fingerprint) == (
        source.incident_id,
        own.incident_id,
        NODE_DOWN.alert.fingerprint,
    )
    assert withdrawn.incident_id == own.incident_id
    assert withdrawn.reason == f"withdrawn: all its alerts moved to {source.incident_id}"
    assert set(partition.state.incidents) == {source.incident_id}
    # Muted while NodeDown fires, released once it resolves.
    assert kinds(partition.feed(resolved(NODE_DOWN), at(300))) == [
        "AlertResolved",
        "IncidentOpened",
    ]
    assert partition.state == partition.folded()
