"""Incident lifecycle: thresholds, flapping, resolve policies and priority."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.correlator.domain.engine import next_due
from services.correlator.domain.priority import priority_of
from shared.alerts import Alert, Layer, Severity
from shared.events.base import Event
from shared.events.commands import ResolveIncident
from shared.events.incidents import (
    AlertGrouped,
    AlertHeld,
    AlertHoldEnded,
    AlertResolved,
    IncidentFlapping,
    IncidentOpened,
    IncidentPriorityChanged,
    IncidentResolved,
)
from shared.events.inputs import AlertReceived
from tests.unit.correlator.correlator_world import (
    T0,
    Partition,
    alert,
    at,
    policy_from,
    resolved,
    tick,
)

POLICY = policy_from(
    """
route:
  receiver: oncall
  group_by: [alertname]
  group_wait: 0s
correlation:
  resolve_grace: 5m
  flapping: {max_flaps: 2, within: 30m}
  rules:
    - name: disk-noise
      matchers: ['alertname="DiskPressure"']
      threshold: {alerts: 3, within: 10m}
    - name: batch-jobs
      matchers: ['team="batch"']
      resolve_policy: manual
"""
)


def test_threshold_holds_alerts_until_enough_fire_within_the_window() -> None:
    partition = Partition(POLICY)
    [first] = partition.feed(alert("DiskPressure", instance="a"), at(0))
    [second] = partition.feed(alert("DiskPressure", instance="b"), at(minutes=4))
    opened, grouped_a, grouped_b = partition.feed(
        alert("DiskPressure", instance="c"), at(minutes=9)
    )
    assert isinstance(first, AlertHeld) and isinstance(second, AlertHeld)
    assert (first.held, first.needed, second.held) == (1, 3, 2)
    assert first.rule == "correlation.rules[disk-noise].threshold"
    assert first.reason == (
        'held: 1 of 3 alerts of group {}:{alertname="DiskPressure"} within 10 min;'
        " no incident until the threshold is reached"
    )
    assert isinstance(opened, IncidentOpened)
    assert opened.reason == (
        '3 alerts of group {}:{alertname="DiskPressure"} within 10 min'
        " reached the threshold of 3 (rule disk-noise)"
    )
    assert isinstance(grouped_a, AlertGrouped) and isinstance(grouped_b, AlertGrouped)
    members = {opened.alert.labels["instance"]} | {
        e.alert.labels["instance"] for e in (grouped_a, grouped_b)
    }
    assert members == {"a", "b", "c"}
    assert partition.state.held == {}


def test_a_held_alert_a_source_mutes_since_joins_its_incident_as_a_symptom() -> None:
    policy = policy_from(
        """
route: {receiver: oncall, group_by: [alertname], group_wait: 30s}
correlation:
  rules:
    - {name: disk, matchers: ['alertname="DiskPressure"'], threshold: {alerts: 2, within: 10m}}
inhibit_rules:
  - {source_matchers: ['alertname="NodeDown"'], target_matchers: ['alertname="DiskPressure"'],
     equal: [instance]}
"""
    )
    partition = Partition(policy)
    [held] = partition.feed(alert("DiskPressure", instance="a"), at(0))
    [down] = partition.feed(alert("NodeDown", instance="a"), at(30))  # mutes it from now

    decided = partition.feed(alert("DiskPressure", instance="b"), at(60))

    assert isinstance(held, AlertHeld) and isinstance(down, IncidentOpened)
    # The muted one counts toward no threshold: b is held, one of two.
    assert [type(e) for e in decided] == [AlertHoldEnded, AlertGrouped, AlertHeld]
    muted = partition.state.alerts[held.alert.fingerprint]
    assert (muted.incident_id, muted.suppressed) == (down.incident_id, True)


def test_an_alert_sent_again_more_severe_raises_its_incidents_priority() -> None:
    # A PagerDuty trigger of the same dedup_key, warning then critical: one alert, one
    # fingerprint, whose severity changed.
    partition = Partition(POLICY)
    first = alert("DiskFilling", instance="a")
    [opened] = partition.feed(first, at(0))
    worse = first.alert.model_copy(update={"severity": Severity.CRITICAL})

    decided = partition.feed(AlertReceived(alert=worse), at(60))

    assert isinstance(opened, IncidentOpened) and opened.priority != "P1"
    assert [type(e) for e in decided] == [AlertGrouped, IncidentPriorityChanged]
    changed = decided[1]
    assert isinstance(changed, IncidentPriorityChanged) and changed.priority < opened.priority
    assert "severity critical" in changed.reason
    assert partition.feed(AlertReceived(alert=worse), at(120))[1:] == []  # said once


def test_an_alert_firing_again_more_severe_after_it_resolved_raises_its_incidents_priority() -> (
    None
):
    partition = Partition(POLICY)
    first = alert("DiskFilling", instance="a")
    [opened] = partition.feed(first, at(0))
    partition.feed(resolved(first), at(60))
    worse = first.alert.model_copy(update={"severity": Severity.CRITICAL})

    decided = partition.feed(AlertReceived(alert=worse), at(120))

    assert [type(e) for e in decided] == [AlertGrouped, IncidentPriorityChanged]
    changed = decided[1]
    assert isinstance(changed, IncidentPriorityChanged) and changed.priority == "P1"
    assert changed.incident_id == opened.incident_id
    assert (
        changed.reason == f"raised from {opened.priority} to P1 by DiskFilling: severity critical"
    )


def test_held_alert_expires_when_its_window_passes_without_the_threshold() -> None:
    partition = Partition(POLICY)
    partition.feed(alert("DiskPressure", instance="a"), at(0))
    assert next_due(partition.state, POLICY) == at(minutes=10)
    assert partition.feed(tick(at(minutes=9)), at(minutes=9)) == []
    [ended] = partition.feed(tick(at(minutes=10)), at(minutes=10))
    assert isinstance(ended, AlertHoldEnded)
    assert (
        ended.reason == "DiskPressure held 10 min without the threshold reached; no incident opened"
    )
    assert partition.state.held == {} and next_due(partition.state, POLICY) is None
    [held_again] = partition.feed(alert("DiskPressure", instance="b"), at(minutes=11))
    assert isinstance(held_again, AlertHeld) and held_again.held == 1


def test_held_alert_past_its_end_time_leaves_the_hold_and_counts_toward_no_threshold() -> None:
    partition = Partition(POLICY)
    partition.feed(alert("DiskPressure", instance="a", ends_at=at(minutes=5)), at(0))
    partition.feed(alert("DiskPressure", instance="b", ends_at=at(minutes=12)), at(minutes=2))
    assert next_due(partition.state, POLICY) == at(minutes=5)

    [ended] = partition.feed(tick(at(minutes=5)), at(minutes=5))
    [held] = partition.feed(alert("DiskPressure", instance="c"), at(minutes=8))

    assert isinstance(ended, AlertHoldEnded) and ended.at == at(minutes=5)
    assert ended.reason == (
        "DiskPressure resolved before its group reached the threshold; no incident opened"
    )
    assert isinstance(held, AlertHeld) and (held.held, held.needed) == (2, 3)


def test_held_alert_resolving_leaves_the_hold_said_aloud() -> None:
    partition = Partition(POLICY)
    partition.feed(alert("DiskPressure", instance="a"), at(0))
    [ended] = partition.feed(resolved(alert("DiskPressure", instance="a")), at(60))
    assert isinstance(ended, AlertHoldEnded)
    assert ended.reason == (
        "DiskPressure resolved before its group reached the threshold; no incident opened"
    )


def test_flapping_alert_marks_its_incident_once_and_stays_one_incident() -> None:
    partition = Partition(POLICY)
    flappy = alert("LinkFlap", instance="sw-1")
    [opened] = partition.feed(flappy, at(minutes=0))
    for minute in (1, 3, 5):
        partition.feed(resolved(flappy), at(minutes=minute))
        decided = partition.feed(flappy, at(minutes=minute + 1))
    assert [type(e).__name__ for e in decided] == ["AlertGrouped", "IncidentFlapping"]
    flagged = decided[1]
    assert isinstance(flagged, IncidentFlapping) and flagged.incident_id == opened.incident_id
    assert flagged.reason == (
        "LinkFlap resolved and fired again 3 times within 30 min (more than 2):"
        f" {opened.incident_id} stays one incident, is not paged again,"
        " and resolves only after 30 min without alerts"
    )
    partition.feed(resolved(flappy), at(minutes=7))
    [again] = partition.feed(flappy, at(minutes=8))
    assert isinstance(again, AlertGrouped)
    assert [e for e in partition.decided if isinstance(e, IncidentOpened)] == [opened]


def test_flapping_incident_resolves_only_after_a_quiet_flapping_window() -> None:
    partition = Partition(POLICY)
    flappy = alert("LinkFlap", instance="sw-1")
    partition.feed(flappy, at(minutes=0))
    for minute in (1, 3, 5):
        partition.feed(resolved(flappy), at(minutes=minute))
        partition.feed(flappy, at(minutes=minute + 1))
    partition.feed(resolved(flappy), at(minutes=10))
    assert next_due(partition.state, POLICY) == at(minutes=40)
    assert partition.feed(tick(at(minutes=15)), at(minutes=15)) == []
    [closed] = partition.feed(tick(at(minutes=40)), at(minutes=40))
    assert isinstance(closed, IncidentResolved)
    assert closed.reason == (
        "all alerts resolved since 2026-11-27T10:10:00+00:00, 30 min ago"
        " (grace 5 min, held longer while flapping: 30 min)"
    )


def flap_apart(partition: Partition, name: str, starts: list[int]) -> list[list[Event]]:
    """`name` fires at each of `starts` (minutes), resolving a minute later; a tick 6 minutes
    after each start lets the 5 min grace end its incident before the next firing. What each
    firing decided."""
    flappy = alert(name, instance="sw-1")
    firings = []
    for start in starts:
        firings.append(partition.feed(flappy, at(minutes=start)))
        partition.feed(resolved(flappy), at(minutes=start + 1))
        partition.feed(tick(at(minutes=start + 6)), at(minutes=start + 6))
    return firings


def test_flapping_with_quiet_gaps_longer_than_the_grace_is_caught_across_incidents() -> None:
    # Given an alert firing every 8 minutes for a minute: each incident resolves (grace 5 min)
    partition = Partition(POLICY)
    *before, fourth = flap_apart(partition, "LinkFlap", [0, 8, 16, 24])

    # Then the first three open (and page) as usual; the fourth, its third flap within 30 min
    # (more than 2), opens an incident flagged flapping whose first page waits the window
    assert [type(e).__name__ for decided in before for e in decided] == ["IncidentOpened"] * 3
    assert all(isinstance(d[0], IncidentOpened) and d[0].flapping_until is None for d in before)
    opened, flagged = fourth
    assert isinstance(opened, IncidentOpened) and opened.flapping_until == at(minutes=54)
    assert isinstance(flagged, IncidentFlapping)
    assert (flagged.incident_id, flagged.flaps) == (opened.incident_id, 3)
    third = before[2][0]
    assert isinstance(third, IncidentOpened)
    assert flagged.reason == (
        "LinkFlap resolved and fired again 3 times within 30 min (more than 2), last in"
        f" {third.incident_id}, resolved 2 min ago: {opened.incident_id} is flapping; it is"
        " not paged before 2026-11-27T10:54:00+00:00, nor then unless an alert of it fires,"
        " and resolves only after 30 min without alerts"
    )

    # And the flaps to come stay in it: it resolves only after 30 quiet minutes
    [again] = partition.feed(alert("LinkFlap", instance="sw-1"), at(minutes=32))
    assert isinstance(again, AlertGrouped) and again.incident_id == opened.incident_id
    partition.feed(resolved(alert("LinkFlap", instance="sw-1")), at(minutes=33))
    assert partition.feed(tick(at(minutes=62)), at(minutes=62)) == []
    [closed] = partition.feed(tick(at(minutes=63)), at(minutes=63))
    assert isinstance(closed, IncidentResolved) and closed.incident_id == opened.incident_id


def test_flaps_older_than_the_window_do_not_count_toward_flapping() -> None:
    # Given the same alert, but its fourth firing comes 31 minutes after its third
    partition = Partition(POLICY)
    firings = flap_apart(partition, "LinkFlap", [0, 8, 16, 47])

    # Then only that firing is a flap within the 30 min before it: no flapping
    assert all(len(decided) == 1 for decided in firings)
    last = firings[-1][0]
    assert isinstance(last, IncidentOpened) and last.flapping_until is None


def test_flaps_after_a_person_resolved_the_incident_are_news_not_flapping() -> None:
    # Given the alert's incidents are each resolved by a person, not by the grace
    partition = Partition(POLICY)
    flappy = alert("LinkFlap", instance="sw-1")
    firings = []
    for start in (0, 2, 4, 6):
        [opened] = partition.feed(flappy, at(minutes=start))
        assert isinstance(opened, IncidentOpened)
        firings.append(opened)
        partition.feed(resolved(flappy), at(minutes=start + 1))
        command = ResolveIncident(
            command_id=f"c{start}",
            incident_id=opened.incident_id,
            actor="alice",
            issued_at=at(minutes=start + 1),
        )
        partition.feed(command, at(minutes=start + 1))

    # Then every firing opens a plain incident: a person said the last one was fixed
    assert [o.flapping_until for o in firings] == [None] * 4
    assert partition.state.resolved_alerts == {}


def test_manual_resolve_policy_keeps_the_incident_until_someone_resolves_it() -> None:
    partition = Partition(POLICY)
    job = alert("JobFailed", team="batch")
    [opened] = partition.feed(job, at(0))
    assert isinstance(opened, IncidentOpened) and opened.resolve_policy == "manual"
    [quiet] = partition.feed(resolved(job), at(60))
    assert isinstance(quiet, AlertResolved)
    assert next_due(partition.state, POLICY) is None
    assert partition.feed(tick(at(minutes=60)), at(minutes=60)) == []
    command = ResolveIncident(
        command_id="c1", incident_id=opened.incident_id, actor="alice", issued_at=at(minutes=61)
    )
    [closed] = partition.feed(command, at(minutes=61))
    assert isinstance(closed, IncidentResolved) and closed.rule == "manual"


def test_default_resolve_policy_waits_the_grace_after_the_last_alert() -> None:
    partition = Partition(POLICY)
    [opened] = partition.feed(alert("NodeDown"), at(0))
    partition.feed(resolved(alert("NodeDown")), at(60))
    assert isinstance(opened, IncidentOpened)
    assert (opened.resolve_policy, opened.resolve_grace) == ("all_resolved", timedelta(minutes=5))
    [closed] = partition.feed(tick(at(360)), at(360))
    assert isinstance(closed, IncidentResolved)
    assert closed.rule == "resolve_policy.all_resolved"
    assert (closed.resolved_at, closed.alerts_resolved_at) == (at(360), at(60))


def _alert(
    severity: Severity, layer: Layer = Layer.APPLICATION, service: str | None = None
) -> Alert:
    return Alert(
        fingerprint=f"{severity}-{layer}-{service}",
        status="firing",
        severity=severity,
        layer=layer,
        service=service,
        labels={"alertname": "A"},
        starts_at=T0,
        source="canonical",
        integration="test",
        received_at=T0,
    )


@pytest.mark.parametrize(
    ("alerts", "priority"),
    [
        ([_alert(Severity.CRITICAL)], "P1"),
        ([_alert(Severity.ERROR)], "P2"),
        ([_alert(Severity.WARNING)], "P3"),
        ([_alert(Severity.INFO)], "P4"),
        ([_alert(Severity.WARNING, Layer.BUSINESS)], "P2"),
        ([_alert(Severity.WARNING, service=s) for s in ("a", "b", "c")], "P2"),
        (
            [
                _alert(Severity.ERROR, Layer.BUSINESS),
                *(_alert(Severity.INFO, service=s) for s in "abc"),
            ],
            "P1",
        ),
    ],
)
def test_priority_from_severity_business_layer_and_breadth(
    alerts: list[Alert], priority: str
) -> None:
    assert priority_of(alerts) == priority


def test_held_alerts_join_the_incident_their_group_opens_for_another_alert() -> None:
    policy = policy_from(
        """
route: {receiver: oncall, group_by: [team]}
correlation:
  rules: [{name: disk, matchers: ['alertname="DiskPressure"'], threshold: {alerts: 3, within: 10m}}]
"""
    )
    partition = Partition(policy)
    [held] = partition.feed(alert("DiskPressure", instance="a", team="db"), at(0))
    opened, joined = partition.feed(alert("Replication", team="db"), at(10))
    assert isinstance(held, AlertHeld) and isinstance(opened, IncidentOpened)
    assert opened.alert.alertname == "Replication"
    assert isinstance(joined, AlertGrouped) and joined.alert.alertname == "DiskPressure"
    assert (
        joined.reason
        == 'held below a threshold, joins the incident its group {}:{team="db"} opened'
    )
    assert partition.state.held == {}


def test_held_alert_inhibited_when_sent_again_leaves_the_hold_said_aloud() -> None:
    policy = policy_from(
        """
route: {receiver: oncall, group_by: [alertname]}
inhibit_rules:
  - {source_matchers: ['alertname="HostDown"'], target_matchers: ['alertname="DiskPressure"']}
correlation:
  rules: [{name: disk, matchers: ['alertname="DiskPressure"'], threshold: {alerts: 3, within: 10m}}]
"""
    )
    partition = Partition(policy)
    partition.feed(alert("DiskPressure", instance="a"), at(0))
    [source] = partition.feed(alert("HostDown", instance="a"), at(10))
    ended, muted = partition.feed(alert("DiskPressure", instance="a"), at(20))
    assert isinstance(source, IncidentOpened)
    assert isinstance(ended, AlertHoldEnded) and isinstance(muted, AlertGrouped)
    assert ended.reason == f"DiskPressure joined {source.incident_id}, so it is no longer held"
    assert muted.decision == "inhibited" and partition.state.held == {}


def test_a_resolve_without_labels_is_explained_with_the_alerts_name() -> None:
    # Given an alert closed by its alias (Opsgenie's close carries no labels, only the alias)
    partition = Partition(POLICY)
    fired = alert("DiskFull", instance="db-1")
    partition.feed(fired, at(0))
    close = AlertReceived(alert=fired.alert.model_copy(update={"status": "resolved", "labels": {}}))

    [quiet] = partition.feed(close, at(60))

    # Then the reason names the alert it resolved, not an empty name
    assert isinstance(quiet, AlertResolved)
    assert quiet.reason == "DiskFull was sent as resolved"


def test_an_alert_flapping_across_incidents_is_flagged_when_an_expired_hold_ends_first() -> None:
    # Warnings of a cluster are held below a threshold; the critical flapping alert's group
    # is the same, so the expired hold's end is decided before the incident it opens.
    policy = policy_from(
        """
route: {receiver: oncall, group_by: [cluster], group_wait: 0s}
correlation:
  resolve_grace: 1m
  flapping: {max_flaps: 1, within: 60m}
  rules:
    - {name: warnings, matchers: ['severity="warning"'], threshold: {alerts: 5, within: 10m}}
"""
    )
    partition = Partition(policy)
    probe = alert("ProbeFailed", severity="critical", cluster="c1")
    for fired in (0, 180):  # fires, resolves, its incident resolves after the grace: twice
        partition.feed(probe, at(fired))
        partition.feed(resolved(probe), at(fired + 60))
        partition.feed(tick(at(fired + 121)), at(fired + 121), domain="tick")
    partition.feed(alert("Latency", cluster="c1"), at(330))  # held until 10:15:30
    assert not partition.state.incidents

    decided = partition.feed(probe, at(minutes=20))  # no tick ended the hold meanwhile

    assert [type(e) for e in decided] == [AlertHoldEnded, IncidentOpened, IncidentFlapping]
    opened = decided[1]
    assert isinstance(opened, IncidentOpened) and opened.flapping_until is not None
