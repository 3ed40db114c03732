"""A timer that moved (an alert re-sent with a later end, an incident quiet again, a hold
refreshed) leaves a stale entry in the heap; a tick reaching that entry's time leaves the
timer armed at its new time, so the alert, the incident or the hold still ends."""

from __future__ import annotations

from services.correlator.domain.engine import next_due
from shared.events.incidents import AlertHoldEnded, AlertResolved, IncidentResolved
from tests.unit.correlator.correlator_world import Partition, alert, at, policy_from, resolved, tick

POLICY = policy_from(
    """
route: {receiver: oncall, group_by: [alertname], group_wait: 0s}
correlation:
  resolve_grace: 5m
  rules:
    - {name: disk, matchers: ['alertname="DiskPressure"'], threshold: {alerts: 3, within: 10m}}
"""
)


def _partition_with_another_timer() -> Partition:
    """Y ends at 10:04: a tick after it acts on Y, and reaches stale entries too."""
    partition = Partition(POLICY)
    partition.feed(alert("Y", ends_at=at(minutes=4)), at(0))
    return partition


def test_an_alert_re_sent_with_a_later_end_still_ends() -> None:
    partition = _partition_with_another_timer()
    partition.feed(alert("X", ends_at=at(minutes=5)), at(0))
    partition.feed(alert("X", ends_at=at(minutes=8)), at(60))  # re-sent: now ends 10:08
    partition.feed(tick(at(minutes=5)), at(minutes=5), domain="tick")  # Y, and X's stale 10:05

    assert next_due(partition.state, POLICY) == at(minutes=8)
    decided = partition.feed(tick(at(minutes=9)), at(minutes=9), domain="tick")
    assert [type(e) for e in decided if isinstance(e, AlertResolved)] == [AlertResolved]


def test_an_incident_quiet_again_still_resolves_after_its_grace() -> None:
    partition = _partition_with_another_timer()
    [opened] = partition.feed(alert("X"), at(0))
    partition.feed(resolved(alert("X")), at(30))  # quiet: its grace ends 10:05:30
    partition.feed(alert("X"), at(60))
    partition.feed(resolved(alert("X")), at(90))  # quiet again: now 10:06:30
    partition.feed(tick(at(340)), at(340), domain="tick")  # 10:05:40: Y, and the stale grace

    decided = partition.feed(tick(at(minutes=30)), at(minutes=30), domain="tick")

    resolved_ids = [e.incident_id for e in decided if isinstance(e, IncidentResolved)]
    assert getattr(opened, "incident_id", None) in resolved_ids


def test_a_hold_refreshed_by_a_re_send_still_ends() -> None:
    partition = _partition_with_another_timer()
    partition.feed(alert("DiskPressure", instance="a"), at(0))  # held until 10:10
    partition.feed(alert("DiskPressure", instance="a"), at(60))  # re-sent: until 10:11
    ten_past = at(minutes=10, seconds=10)
    partition.feed(tick(ten_past), ten_past, domain="tick")  # Y, and the stale 10:10

    decided = partition.feed(tick(at(minutes=60)), at(minutes=60), domain="tick")

    assert AlertHoldEnded in [type(e) for e in decided]
    assert not partition.state.held
