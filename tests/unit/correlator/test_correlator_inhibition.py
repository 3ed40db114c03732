"""Inhibition as incidents: a muted alert is a suppressed symptom of its source's incident."""

from __future__ import annotations

from datetime import datetime

import pytest

from shared.events.base import Event
from shared.events.incidents import AlertGrouped, IncidentOpened, IncidentResolved
from shared.events.inputs import AlertReceived
from tests.unit.correlator.correlator_world import Partition, alert, at, policy_from, resolved

POLICY = policy_from(
    """
route:
  receiver: oncall
  group_by: [alertname, cluster]
  group_wait: 30s
inhibit_rules:
  - source_matchers: ['alertname="ClusterDown"']
    target_matchers: ['severity="warning"']
    equal: [cluster]
"""
)


def cluster_down(cluster: str = "c1") -> AlertReceived:
    return alert("ClusterDown", cluster=cluster, severity="critical")


def latency(cluster: str = "c1") -> AlertReceived:
    return alert("HighLatency", cluster=cluster, severity="warning")


def kinds(decided: list[Event]) -> list[str]:
    return [f"{type(e).__name__}:{getattr(e, 'decision', '')}".rstrip(":") for e in decided]


def test_target_after_source_is_a_suppressed_symptom_naming_rule_and_source() -> None:
    partition = Partition(POLICY)
    [opened] = partition.feed(cluster_down(), at(0))
    [muted] = partition.feed(latency(), at(10))
    assert isinstance(opened, IncidentOpened) and isinstance(muted, AlertGrouped)
    assert (muted.decision, muted.incident_id, muted.rule) == (
        "inhibited",
        opened.incident_id,
        "inhibit_rules[0]",
    )
    assert muted.source_fingerprint == opened.alert.fingerprint
    assert muted.reason == (
        f"HighLatency is a suppressed symptom of ClusterDown ({opened.alert.fingerprint})"
        f" firing in {opened.incident_id} since 2026-11-27T10:00:00+00:00, equal on cluster"
    )
    assert partition.state.alerts[muted.alert.fingerprint].suppressed


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        pytest.param(
            [(cluster_down("c1"), at(0)), (latency("c2"), at(10))],
            ["IncidentOpened", "IncidentOpened"],
            id="other cluster: equal label differs",
        ),
        pytest.param(
            [(cluster_down(), at(0)), (resolved(cluster_down()), at(5)), (latency(), at(10))],
            ["IncidentOpened", "AlertResolved", "IncidentOpened"],
            id="resolved source inhibits nothing",
        ),
        pytest.param(
            [(latency(), at(0)), (cluster_down(), at(29))],
            ["IncidentOpened", "IncidentOpened", "AlertGrouped:inhibited", "IncidentResolved"],
            id="target first, source within its group wait: moved, target incident withdrawn",
        ),
        pytest.param(
            [(latency(), at(0)), (cluster_down(), at(30))],
            ["IncidentOpened", "IncidentOpened"],
            id="target first, source after its group wait: the page is out, target stays",
        ),
        pytest.param(
            [(latency(), at(0)), (cluster_down("c2"), at(10))],
            ["IncidentOpened", "IncidentOpened"],
            id="target first, source of another cluster: nothing moves",
        ),
    ],
)
def test_inhibition_cases(
    inputs: list[tuple[AlertReceived, datetime]], expected: list[str]
) -> None:
    partition = Partition(POLICY)
    for received, now in inputs:
        partition.feed(received, now)
    assert kinds(partition.decided) == expected


def test_target_before_source_moves_and_its_incident_is_withdrawn_before_any_page() -> None:
    partition = Partition(POLICY)
    [target_incident] = partition.feed(latency(), at(0))
    opened, moved, withdrawn = partition.feed(cluster_down(), at(20))
    assert isinstance(target_incident, IncidentOpened) and isinstance(opened, IncidentOpened)
    assert isinstance(moved, AlertGrouped) and isinstance(withdrawn, IncidentResolved)
    assert (moved.incident_id, moved.moved_from) == (
        opened.incident_id,
        target_incident.incident_id,
    )
    assert moved.reason == (
        f"HighLatency moved from {target_incident.incident_id} before its first page:"
        f" a suppressed symptom of ClusterDown ({opened.alert.fingerprint}), equal on cluster"
    )
    assert moved.alert == latency().alert
    assert withdrawn.incident_id == target_incident.incident_id
    assert withdrawn.rule == "inhibit_rules[0]"
    assert withdrawn.reason == (
        "withdrawn before its first page (due 2026-11-27T10:00:30+00:00):"
        f" all its alerts are suppressed symptoms in {opened.incident_id}"
    )
    assert set(partition.state.incidents) == {opened.incident_id}
    assert partition.state.incidents[opened.incident_id].fingerprints == {
        opened.alert.fingerprint,
        moved.alert.fingerprint,
    }


def test_an_alert_matching_both_sides_does_not_inhibit_another_that_does() -> None:
    both_sides = policy_from(
        """
route: {receiver: oncall, group_by: [alertname, instance]}
inhibit_rules:
  - source_matchers: ['severity="warning"']
    target_matchers: ['severity="warning"']
"""
    )
    partition = Partition(both_sides)
    partition.feed(alert("A", severity="warning", instance="x"), at(0))
    [second] = partition.feed(alert("B", severity="warning", instance="y"), at(1))
    assert isinstance(second, IncidentOpened)


def test_an_inhibited_alert_still_inhibits_others() -> None:
    chained = policy_from(
        """
route: {receiver: oncall, group_by: [alertname]}
inhibit_rules:
  - source_matchers: ['alertname="A"']
    target_matchers: ['alertname="B"']
  - source_matchers: ['alertname="B"']
    target_matchers: ['alertname="C"']
"""
    )
    partition = Partition(chained)
    [opened] = partition.feed(alert("A"), at(0))
    [b] = partition.feed(alert("B"), at(1))
    [c] = partition.feed(alert("C"), at(2))
    assert isinstance(b, AlertGrouped) and isinstance(c, AlertGrouped)
    assert (b.decision, c.decision, c.rule) == ("inhibited", "inhibited", "inhibit_rules[1]")
    assert c.source_fingerprint == b.alert.fingerprint
    assert b.incident_id == c.incident_id == opened.incident_id


def test_suppressed_symptoms_do_not_raise_priority() -> None:
    partition = Partition(POLICY)
    partition.feed(alert("ClusterDown", cluster="c1", severity="warning"), at(0))
    decided = partition.feed(
        alert("Budget", cluster="c1", severity="warning", layer="business"), at(1)
    )
    assert kinds(decided) == ["AlertGrouped:inhibited"]
