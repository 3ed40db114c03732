"""Suppressed symptoms whose source stops muting them: they follow it, or are released and
paged on their own (Alertmanager mutes a target only while a source fires)."""

from __future__ import annotations

from datetime import timedelta

from services.correlator.domain.engine import next_due
from shared.events.base import Event
from shared.events.incidents import (
    AlertGrouped,
    AlertResolved,
    IncidentOpened,
    IncidentResolved,
    RulesetActivated,
)
from tests.unit.correlator.correlator_world import (
    Partition,
    alert,
    at,
    policy_from,
    resolved,
    tick,
)

CHAIN = policy_from(
    """
route: {receiver: oncall, group_by: [alertname], group_wait: 30s}
inhibit_rules:
  - {source_matchers: ['alertname="NodeDown"'], target_matchers: ['alertname="ServiceDown"'],
     equal: [instance]}
  - {source_matchers: ['alertname="ServiceDown"'], target_matchers: ['alertname="Latency"'],
     equal: [instance]}
"""
)


def kinds(decided: list[Event]) -> list[str]:
    return [f"{type(e).__name__}:{getattr(e, 'decision', '')}".rstrip(":") for e in decided]


def test_symptom_is_released_and_opens_its_own_incident_when_its_source_resolves() -> None:
    partition = Partition(CHAIN)
    [opened] = partition.feed(alert("NodeDown", instance="a"), at(0))
    [muted] = partition.feed(alert("ServiceDown", instance="a"), at(10))
    assert isinstance(muted, AlertGrouped) and muted.decision == "inhibited"
    decided = partition.feed(resolved(alert("NodeDown", instance="a")), at(300))
    assert kinds(decided) == ["AlertResolved", "IncidentOpened"]
    released = decided[1]
    assert isinstance(released, IncidentOpened)
    assert released.alert.fingerprint == muted.alert.fingerprint
    assert released.moved_from == opened.incident_id  # the router and read model let it go
    assert released.reason == (
        f"ServiceDown released from {opened.incident_id}: no firing alert inhibits it any more,"
        ' so it is paged on its own; no open incident for group {}:{alertname="ServiceDown"}:'
        f" ServiceDown opens {released.incident_id}"
    )
    tracked = partition.state.alerts[muted.alert.fingerprint]
    assert (tracked.incident_id, tracked.suppressed) == (released.incident_id, False)
    # The source's incident keeps only its resolved alert, and resolves after its grace.
    assert partition.state.incidents[opened.incident_id].fingerprints == {opened.alert.fingerprint}
    assert next_due(partition.state, CHAIN) == at(300) + timedelta(minutes=5)
    [closed] = partition.feed(tick(at(600)), at(600))
    assert isinstance(closed, IncidentResolved) and closed.incident_id == opened.incident_id
    assert set(partition.state.incidents) == {released.incident_id}


def test_released_symptom_joins_the_open_incident_of_its_route_group() -> None:
    partition = Partition(CHAIN)
    [source] = partition.feed(alert("NodeDown", instance="a"), at(0))
    partition.feed(alert("ServiceDown", instance="a"), at(10))
    [group] = partition.feed(alert("ServiceDown", instance="b"), at(20))
    assert isinstance(group, IncidentOpened)
    _, joined = partition.feed(resolved(alert("NodeDown", instance="a")), at(300))
    assert isinstance(joined, AlertGrouped)
    assert (joined.incident_id, joined.decision, joined.moved_from) == (
        group.incident_id,
        "grouped",
        source.incident_id,
    )
    assert joined.alert.labels["instance"] == "a"


def test_symptom_is_released_when_its_source_is_not_re_sent_before_its_end() -> None:
    partition = Partition(CHAIN)
    partition.feed(alert("NodeDown", instance="a", ends_at=at(60)), at(0))
    partition.feed(alert("ServiceDown", instance="a"), at(10))
    decided = partition.feed(tick(at(60)), at(60))
    assert kinds(decided) == ["AlertResolved", "IncidentOpened"]


def test_a_symptom_released_on_a_late_tick_is_decided_as_on_a_tick_on_time() -> None:
    """Its source ended at 60 s: released as of then, whenever the tick came (live, when the
    runner next looks; offline, at the due time), so its incident has the same id."""
    decided = {}
    for late in (0, 4.5):
        partition = Partition(CHAIN)
        partition.feed(alert("NodeDown", instance="a", ends_at=at(60)), at(0))
        partition.feed(alert("ServiceDown", instance="a"), at(10))
        decided[late] = partition.feed(tick(at(60 + late)), at(60 + late))

    assert decided[0] == decided[4.5]
    source_ended, released = decided[4.5]
    assert isinstance(source_ended, AlertResolved) and isinstance(released, IncidentOpened)
    assert source_ended.at == released.opened_at == at(60)


def test_symptom_stays_while_another_firing_alert_of_its_incident_mutes_it() -> None:
    policy = policy_from(
        """
route: {receiver: oncall, group_by: [cluster], group_wait: 30s}
inhibit_rules:
  - {source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'],
     equal: [cluster]}
"""
    )
    partition = Partition(policy)
    partition.feed(alert("NodeDown", severity="critical", cluster="c1", instance="a"), at(0))
    partition.feed(alert("NodeDown", severity="critical", cluster="c1", instance="b"), at(1))
    [muted] = partition.feed(alert("Latency", severity="warning", cluster="c1"), at(2))
    gone = resolved(alert("NodeDown", severity="critical", cluster="c1", instance="a"))
    assert kinds(partition.feed(gone, at(300))) == ["AlertResolved"]
    assert isinstance(muted, AlertGrouped)
    assert partition.state.alerts[muted.alert.fingerprint].suppressed


def test_symptom_stays_while_a_source_of_its_incident_mutes_it_under_a_later_rule() -> None:
    # Two rules mute Latency: NodeDown's (the first) fires in another incident, the
    # ServiceDown still firing in Latency's own incident goes by the second.
    policy = policy_from(
        """
route: {receiver: oncall, group_by: [alertname, instance], group_wait: 30s}
inhibit_rules:
  - {source_matchers: ['alertname="NodeDown"'], target_matchers: ['alertname="Latency"'],
     equal: [instance]}
  - {source_matchers: ['alertname="ServiceDown"'], target_matchers: ['alertname="Latency"'],
     equal: [instance]}
"""
    )
    partition = Partition(policy)
    [down] = partition.feed(alert("ServiceDown", instance="a", service="api"), at(0))
    partition.feed(alert("ServiceDown", instance="a", service="web"), at(5))
    [muted] = partition.feed(alert("Latency", instance="a"), at(10))
    partition.feed(alert("NodeDown", instance="a"), at(20))

    partition.feed(resolved(alert("ServiceDown", instance="a", service="api")), at(60))

    assert isinstance(down, IncidentOpened) and isinstance(muted, AlertGrouped)
    tracked = partition.state.alerts[muted.alert.fingerprint]
    assert (tracked.incident_id, tracked.suppressed) == (down.incident_id, True)


def test_source_sent_again_with_a_later_start_keeps_its_symptoms_muted() -> None:
    partition = Partition(CHAIN)
    partition.feed(alert("NodeDown", instance="a"), at(0))
    [muted] = partition.feed(alert("ServiceDown", instance="a"), at(10))
    decided = partition.feed(alert("NodeDown", instance="a", starts_at=at(200)), at(300))
    assert kinds(decided) == ["AlertResolved", "AlertGrouped:grouped"]
    assert isinstance(muted, AlertGrouped)
    assert partition.state.alerts[muted.alert.fingerprint].suppressed


def test_symptoms_follow_their_source_when_it_moves_and_the_emptied_incident_is_withdrawn() -> None:
    partition = Partition(CHAIN)
    [first] = partition.feed(alert("Latency", instance="a"), at(0))
    [service, _, _] = partition.feed(alert("ServiceDown", instance="a"), at(10))
    decided = partition.feed(alert("NodeDown", instance="a"), at(20))
    assert isinstance(first, IncidentOpened) and isinstance(service, IncidentOpened)
    assert kinds(decided) == [
        "IncidentOpened",
        "AlertGrouped:inhibited",
        "AlertGrouped:inhibited",
        "IncidentResolved",
    ]
    node, moved, follows, withdrawn = decided
    assert isinstance(node, IncidentOpened) and isinstance(follows, AlertGrouped)
    assert isinstance(moved, AlertGrouped) and isinstance(withdrawn, IncidentResolved)
    assert (follows.incident_id, follows.moved_from, follows.rule) == (
        node.incident_id,
        service.incident_id,
        "inhibit_rules[1]",
    )
    assert follows.source_fingerprint == service.alert.fingerprint
    assert follows.reason == (
        f"Latency follows ServiceDown ({service.alert.fingerprint}) from {service.incident_id}"
        f" to {node.incident_id}: still a suppressed symptom of it"
    )
    assert withdrawn.incident_id == service.incident_id
    assert withdrawn.reason == (
        f"withdrawn: all its alerts moved to {node.incident_id}, before its first page"
        " (due 2026-11-27T10:00:40+00:00)"
    )
    assert set(partition.state.incidents) == {node.incident_id}
    assert len(partition.state.incidents[node.incident_id].fingerprints) == 3


def test_released_chain_keeps_the_symptom_of_the_released_alert_muted_by_it() -> None:
    partition = Partition(CHAIN)
    [source] = partition.feed(alert("NodeDown", instance="a"), at(0))
    partition.feed(alert("ServiceDown", instance="a"), at(10))
    partition.feed(alert("Latency", instance="a"), at(20))
    decided = partition.feed(resolved(alert("NodeDown", instance="a")), at(300))
    assert kinds(decided) == ["AlertResolved", "IncidentOpened", "AlertGrouped:inhibited"]
    released, follows = decided[1], decided[2]
    assert isinstance(released, IncidentOpened) and isinstance(follows, AlertGrouped)
    assert released.alert.alertname == "ServiceDown"
    assert (follows.incident_id, follows.moved_from) == (
        released.incident_id,
        source.incident_id,
    )
    assert not any(isinstance(e, AlertResolved) for e in decided[1:])


def test_symptom_released_in_its_own_route_groups_incident_stays_there_unsuppressed() -> None:
    policy = policy_from(
        """
route: {receiver: oncall, group_by: [cluster], group_wait: 30s}
inhibit_rules:
  - {source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'],
     equal: [cluster]}
"""
    )
    partition = Partition(policy)
    [opened] = partition.feed(alert("NodeDown", severity="critical", cluster="c1"), at(0))
    partition.feed(alert("Latency", severity="warning", cluster="c1", alert_service="a"), at(1))
    gone = resolved(alert("NodeDown", severity="critical", cluster="c1"))
    resolved_, stays = partition.feed(gone, at(300))
    assert isinstance(resolved_, AlertResolved) and isinstance(stays, AlertGrouped)
    assert (stays.incident_id, stays.decision, stays.moved_from) == (
        opened.incident_id,
        "grouped",
        None,
    )
    assert stays.reason == (
        f"Latency released in {opened.incident_id}: no firing alert inhibits it any more;"
        ' it stays there, the incident of its group {}:{cluster="c1"}'
    )
    tracked = partition.state.alerts[stays.alert.fingerprint]
    assert not tracked.suppressed
    assert partition.state.incidents[opened.incident_id].services == {"a"}
    assert set(partition.state.incidents) == {opened.incident_id}


MUTES_LATENCY = """
route: {receiver: oncall, group_by: [alertname], group_wait: 30s}
inhibit_rules:
  - {source_matchers: ['alertname="NodeDown"'], target_matchers: ['severity="warning"'],
     equal: [instance]}
"""
MUTES_NOTHING = "route: {receiver: oncall, group_by: [alertname], group_wait: 30s}\n"
SERVICE_MUTES_LATENCY = """
route: {receiver: oncall, group_by: [alertname], group_wait: 30s}
inhibit_rules:
  - {source_matchers: ['alertname="ServiceDown"'], target_matchers: ['alertname="Latency"'],
     equal: [instance]}
"""


def reload(partition: Partition, config: str, version: str, seconds: int) -> list[Event]:
    partition.policy = policy_from(config, version)
    activated = RulesetActivated(version=version, config=config, activated_at=at(seconds))
    return partition.feed(activated, at(seconds))


def test_symptom_is_released_when_a_reload_removes_the_rule_muting_it() -> None:
    partition = Partition(policy_from(MUTES_LATENCY, "v1"))
    node_down = alert("NodeDown", instance="a", severity="critical")
    [source] = partition.feed(node_down, at(0))
    symptom = alert("HighLatency", instance="a", starts_at=at(60))
    [muted] = partition.feed(symptom, at(60))
    assert isinstance(muted, AlertGrouped) and muted.decision == "inhibited"
    decided = reload(partition, MUTES_NOTHING, "v2", 120)
    assert kinds(decided) == ["RulesetApplied", "IncidentOpened"]
    released = decided[1]
    assert isinstance(released, IncidentOpened)
    assert (released.alert.fingerprint, released.moved_from, released.ruleset_version) == (
        symptom.alert.fingerprint,
        source.incident_id,
        "v2",
    )
    assert released.reason == (
        f"HighLatency released from {source.incident_id}: no firing alert inhibits it under"
        " rule set v2, which replaces the rule set loaded at start, so it is paged on its own;"
        ' no open incident for group {}:{alertname="HighLatency"}:'
        f" HighLatency opens {released.incident_id}"
    )
    partition.feed(resolved(node_down), at(180))
    [repeat] = partition.feed(alert("HighLatency", instance="a", starts_at=at(60)), at(240))
    assert isinstance(repeat, AlertGrouped) and repeat.decision == "deduplicated"
    assert not partition.state.alerts[symptom.alert.fingerprint].suppressed
    assert partition.state == partition.folded()


def test_symptom_stays_muted_when_the_reload_keeps_a_rule_muting_it() -> None:
    partition = Partition(policy_from(MUTES_LATENCY, "v1"))
    partition.feed(alert("NodeDown", instance="a", severity="critical"), at(0))
    [muted] = partition.feed(alert("HighLatency", instance="a"), at(60))
    assert kinds(reload(partition, MUTES_LATENCY, "v2", 120)) == ["RulesetApplied"]
    assert isinstance(muted, AlertGrouped)
    assert partition.state.alerts[muted.alert.fingerprint].suppressed


def test_a_reload_releases_a_chain_from_its_top() -> None:
    partition = Partition(CHAIN)
    [source] = partition.feed(alert("NodeDown", instance="a"), at(0))
    partition.feed(alert("ServiceDown", instance="a"), at(10))
    partition.feed(alert("Latency", instance="a"), at(20))
    # v2 keeps ServiceDown → Latency only: ServiceDown is released, Latency follows it.
    decided = reload(partition, SERVICE_MUTES_LATENCY, "v2", 300)
    assert kinds(decided) == ["RulesetApplied", "IncidentOpened", "AlertGrouped:inhibited"]
    released, follows = decided[1], decided[2]
    assert isinstance(released, IncidentOpened) and isinstance(follows, AlertGrouped)
    assert released.alert.alertname == "ServiceDown"
    assert (follows.incident_id, follows.moved_from) == (released.incident_id, source.incident_id)
    assert follows.reason.endswith("still a suppressed symptom of it under rule set v2")
    assert partition.state == partition.folded()


HELD_GROUP = policy_from(
    """
route: {receiver: oncall, group_by: [alertname], group_wait: 0s}
correlation:
  rules:
    - name: bursts
      matchers: ['alertname="ServiceDown"']
      threshold: {alerts: 3, within: 10m}
inhibit_rules:
  - {source_matchers: ['alertname="NodeDown"'], target_matchers: ['alertname="ServiceDown"'],
     equal: [instance]}
"""
)


def test_a_released_symptom_joining_the_incident_its_held_group_opens_says_where_from() -> None:
    """Released, it opens its route group's incident with the alert held there, which ranks
    first and opens it (infrastructure before application): the symptom joins as grouped and
    must name the incident it leaves (`moved_from`), or the router and read model keep it in
    both incidents."""
    partition = Partition(HELD_GROUP)
    [source] = partition.feed(alert("NodeDown", instance="a"), at(0))
    partition.feed(alert("ServiceDown", instance="a", layer="application"), at(10))
    partition.feed(alert("ServiceDown", instance="b"), at(20))  # held: 1 of 3

    decided = partition.feed(resolved(alert("NodeDown", instance="a")), at(60))

    opened = next(e for e in decided if isinstance(e, IncidentOpened))
    [moved] = [e for e in decided if isinstance(e, AlertGrouped)]
    assert opened.alert.labels["instance"] == "b"
    assert (moved.incident_id, moved.alert.labels["instance"]) == (opened.incident_id, "a")
    assert isinstance(source, IncidentOpened) and moved.moved_from == source.incident_id
    assert "released from" in moved.reason and "held below a threshold" not in moved.reason
