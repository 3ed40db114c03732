"""Missing heartbeats raise Tocsin's own HeartbeatMissing alert and resolve it on return."""

from __future__ import annotations

from services.correlator.domain.engine import next_due
from shared.alerts import Layer, Severity
from shared.events.incidents import (
    AlertResolved,
    HeartbeatMissed,
    IncidentOpened,
    IncidentResolved,
    InputDropped,
    RulesetActivated,
)
from shared.events.inputs import HeartbeatReceived
from shared.fingerprint import label_fingerprint
from tests.unit.correlator.correlator_world import Partition, at, policy_from, tick

POLICY = policy_from(
    """
route:
  receiver: oncall
  group_by: [alertname, heartbeat]
  group_wait: 0s
correlation:
  domain_labels: [region]
  resolve_grace: 5m
heartbeats:
  - name: nightly-backup
    interval: 5m
    labels: {region: eu-west, team: storage}
    token: owned-by-ingest
    watchdog: 'alertname="Watchdog"'
"""
)
LABELS = {
    "region": "eu-west",
    "team": "storage",
    "alertname": "HeartbeatMissing",
    "heartbeat": "nightly-backup",
    "severity": "critical",
}


def beat(seconds: float = 0, *, minutes: float = 0) -> HeartbeatReceived:
    return HeartbeatReceived(name="nightly-backup", received_at=at(seconds, minutes=minutes))


def test_heartbeat_silent_past_its_interval_raises_heartbeat_missing() -> None:
    partition = Partition(POLICY, domain="region=eu-west")
    assert partition.feed(beat(0), at(0)) == []
    assert next_due(partition.state, POLICY) == at(minutes=5)
    assert partition.feed(tick(at(299)), at(299), domain="tick") == []
    missed, opened = partition.feed(tick(at(minutes=5)), at(minutes=5), domain="tick")
    assert isinstance(missed, HeartbeatMissed) and isinstance(opened, IncidentOpened)
    assert missed.rule == "heartbeats[nightly-backup]"
    assert missed.reason == (
        "no heartbeat nightly-backup for 5 min (since 2026-11-27T10:00:00+00:00,"
        " expected every 5 min): HeartbeatMissing fires"
    )
    raised = opened.alert
    assert raised.labels == LABELS
    assert raised.fingerprint == label_fingerprint(LABELS)
    assert (raised.severity, raised.layer) == (Severity.CRITICAL, Layer.INFRASTRUCTURE)
    assert raised.starts_at == at(minutes=5)
    assert opened.domain == "region=eu-west"
    assert opened.title == "HeartbeatMissing on nightly-backup"  # what went silent
    assert opened.reason.startswith(
        "no heartbeat nightly-backup since 2026-11-27T10:00:00+00:00 (expected every 5 min);"
        " no open incident for group"
    )


def test_missing_heartbeat_fires_once_and_resolves_when_it_returns() -> None:
    partition = Partition(POLICY, domain="region=eu-west")
    partition.feed(beat(0), at(0))
    partition.feed(tick(at(minutes=5)), at(minutes=5), domain="tick")
    assert next_due(partition.state, POLICY) is None
    assert partition.feed(tick(at(minutes=6)), at(minutes=6), domain="tick") == []
    [back] = partition.feed(beat(minutes=7), at(minutes=7))
    assert isinstance(back, AlertResolved) and back.rule == "heartbeats[nightly-backup]"
    assert back.reason == "heartbeat nightly-backup received again after 7 min of silence"
    partition.feed(beat(minutes=11), at(minutes=11))
    assert next_due(partition.state, POLICY) == at(minutes=12)
    [closed] = partition.feed(tick(at(minutes=12)), at(minutes=12), domain="tick")
    assert isinstance(closed, IncidentResolved)


def test_a_check_in_appended_after_a_later_one_moves_no_clock_back() -> None:
    # Two ingest workers (or an Alertmanager pair's Watchdogs) race to the log: the check-in
    # received at 2 min lands after the one received at 4 min, as replay would never order it.
    partition = Partition(POLICY, domain="region=eu-west")
    partition.feed(beat(minutes=0), at(minutes=0))
    partition.feed(beat(minutes=4), at(minutes=4))

    assert partition.feed(beat(minutes=2), at(minutes=4, seconds=1)) == []

    assert next_due(partition.state, POLICY) == at(minutes=9)
    assert partition.feed(tick(at(minutes=8)), at(minutes=8), domain="tick") == []


def test_a_late_check_in_from_before_a_miss_does_not_end_it() -> None:
    partition = Partition(POLICY, domain="region=eu-west")
    partition.feed(beat(minutes=0), at(minutes=0))
    partition.feed(tick(at(minutes=5)), at(minutes=5), domain="tick")
    partition.feed(beat(minutes=6), at(minutes=6))  # back: resolved
    partition.feed(tick(at(minutes=11)), at(minutes=11), domain="tick")  # missing again

    assert partition.feed(beat(minutes=5), at(minutes=11, seconds=1)) == []  # before the 6 min one
    [back] = partition.feed(beat(minutes=12), at(minutes=12))
    assert isinstance(back, AlertResolved)


def test_heartbeat_missing_again_after_its_incident_resolved_opens_a_new_one() -> None:
    partition = Partition(POLICY, domain="region=eu-west")
    partition.feed(beat(0), at(0))
    partition.feed(tick(at(minutes=5)), at(minutes=5), domain="tick")
    partition.feed(beat(minutes=6), at(minutes=6))
    decided = partition.feed(tick(at(minutes=11)), at(minutes=11), domain="tick")
    names = [type(e).__name__ for e in decided]
    assert names == ["IncidentResolved", "HeartbeatMissed", "IncidentOpened"]


def test_heartbeat_never_seen_raises_nothing() -> None:
    partition = Partition(POLICY)
    assert next_due(partition.state, POLICY) is None
    assert partition.feed(tick(at(minutes=60)), at(minutes=60), domain="tick") == []


def test_unconfigured_heartbeat_is_dropped_aloud() -> None:
    partition = Partition(POLICY)
    [dropped] = partition.feed(HeartbeatReceived(name="nope", received_at=at(0)), at(0))
    assert isinstance(dropped, InputDropped)
    assert (dropped.input_type, dropped.rule) == ("HeartbeatReceived", "heartbeats")
    assert dropped.reason == "heartbeat nope is not configured in `heartbeats`"


def test_heartbeats_replayed_raise_the_same_events() -> None:
    runs = []
    for _ in range(2):
        partition = Partition(POLICY, domain="region=eu-west")
        partition.feed(beat(0), at(0))
        partition.feed(tick(at(minutes=5)), at(minutes=5), domain="tick")
        partition.feed(beat(minutes=7), at(minutes=7))
        runs.append([e.model_dump_json() for e in partition.decided])
    assert runs[0] == runs[1]


def test_a_missing_heartbeat_removed_by_a_reload_resolves_its_alert() -> None:
    partition = Partition(POLICY, domain="region=eu-west")
    partition.feed(beat(0), at(0))
    partition.feed(tick(at(minutes=5)), at(minutes=5), domain="tick")  # missing: it fires
    without = "route: {receiver: oncall, group_by: [alertname, heartbeat], group_wait: 0s}\n"
    partition.policy = policy_from(without + "correlation: {resolve_grace: 5m}\n", "v2")
    reload = RulesetActivated(version="v2", config=without, activated_at=at(minutes=6))

    decided = partition.feed(reload, at(minutes=6))

    [ended] = [e for e in decided if isinstance(e, AlertResolved)]
    assert ended.rule == "heartbeats[nightly-backup]"
    assert "not configured in `heartbeats` any more" in ended.reason
    [closed] = partition.feed(tick(at(minutes=11)), at(minutes=11), domain="tick")
    assert isinstance(closed, IncidentResolved)


def test_a_heartbeat_missed_again_in_its_quiet_incidents_grace_keeps_it_open() -> None:
    # Every 2 min, grace 5 min: missed at 2 min; back at 3 (its incident quiet, grace until
    # 8); silent again, missed at 5. One late tick at 8:20 decides both.
    often = policy_from(
        """
route: {receiver: oncall, group_by: [alertname, heartbeat], group_wait: 0s}
correlation: {domain_labels: [region], resolve_grace: 5m}
heartbeats:
  - {name: nightly-backup, interval: 2m, labels: {region: eu-west}, token: t}
"""
    )
    partition = Partition(often, domain="region=eu-west")
    partition.feed(beat(0), at(0))
    partition.feed(tick(at(minutes=2)), at(minutes=2), domain="tick")
    [incident_id] = partition.state.incidents
    partition.feed(beat(minutes=3), at(minutes=3))

    late = at(minutes=8, seconds=20)
    decided = partition.feed(tick(late), late, domain="tick")

    assert not [e for e in decided if isinstance(e, IncidentResolved)]
    assert partition.state.incidents[incident_id].firing  # HeartbeatMissing fires there again


def test_a_late_tick_decides_as_of_the_due_time_as_a_tick_on_time_does() -> None:
    """A live tick comes when the runner next looks (later under load), an offline replay's
    at the due time: the incident a missed heartbeat opens, its id and every decision's time
    are the same either way (the id embedded the tick's time, so replay named it otherwise)."""
    decided = {}
    for late in (0, 7.5):
        partition = Partition(POLICY, domain="region=eu-west")
        partition.feed(beat(0), at(0))
        now = at(300 + late)
        decided[late] = partition.feed(tick(now), now, domain="tick")

    assert decided[0] == decided[7.5]
    missed, opened = decided[7.5]
    assert isinstance(missed, HeartbeatMissed) and isinstance(opened, IncidentOpened)
    assert missed.at == opened.opened_at == at(minutes=5)


def test_a_late_tick_ends_a_grace_at_its_due_time() -> None:
    partition = Partition(POLICY, domain="region=eu-west")
    partition.feed(beat(0), at(0))
    partition.feed(tick(at(minutes=5)), at(minutes=5), domain="tick")
    partition.feed(beat(minutes=6), at(minutes=6))  # back: the alert resolves, grace 5m starts

    late = at(minutes=11, seconds=30)
    [resolved] = [
        d
        for d in partition.feed(tick(late), late, domain="tick")
        if isinstance(d, IncidentResolved)
    ]
    assert resolved.resolved_at == at(minutes=11)
    assert "5 min ago" in resolved.reason
