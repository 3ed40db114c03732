"""Flapping with a topology: an alert resolving and firing again is flagged as without one."""

from __future__ import annotations

from shared.events.incidents import IncidentFlapping, IncidentOpened
from tests.unit.correlator.correlator_world import Partition, alert, at, policy_from, resolved

ROUTE_AND_FLAPPING = """
route: {receiver: oncall, group_by: [alertname]}
correlation:
  resolve_grace: 10m
  flapping: {max_flaps: 2, within: 60m}
"""
TOPOLOGY = """
topology:
  hosts: {node-7: {cluster: c1}}
  correlation_window: 5m
"""
WITH_TOPOLOGY = policy_from(ROUTE_AND_FLAPPING + TOPOLOGY)
WITHOUT_TOPOLOGY = policy_from(ROUTE_AND_FLAPPING)


def flap(partition: Partition, cycles: int, firing: int, quiet: int) -> None:
    """Probe on node-7 fires for `firing` minutes, then is quiet for `quiet`, `cycles` times.
    Alertmanager sends an unchanged firing alert once (then only every repeat_interval), so
    each occurrence is one firing and one resolved notification."""
    for cycle in range(cycles):
        start = at(minutes=(firing + quiet) * cycle)
        probe = alert("Probe", instance="node-7", starts_at=start)
        partition.feed(probe, start)
        partition.feed(resolved(probe), at(minutes=(firing + quiet) * cycle + firing))


def flagged(partition: Partition) -> list[tuple[str, int, str]]:
    return [
        (e.incident_id, e.flaps, e.at.isoformat())
        for e in partition.decided
        if isinstance(e, IncidentFlapping)
    ]


def test_flapping_is_flagged_with_a_topology_when_each_occurrence_outlasts_the_window() -> None:
    # Given a probe firing 6 minutes and quiet 1, four times (the quiet gap is within the
    # correlation window, each occurrence longer than it)
    partition = Partition(WITH_TOPOLOGY)
    flap(partition, cycles=4, firing=6, quiet=1)
    # Then its incident is flagged at the third time it fires again (00:21), as without one
    [opened] = [e for e in partition.decided if isinstance(e, IncidentOpened)]
    assert flagged(partition) == [(opened.incident_id, 3, "2026-11-27T10:21:00+00:00")]
    without = Partition(WITHOUT_TOPOLOGY)
    flap(without, cycles=4, firing=6, quiet=1)
    assert flagged(without) == flagged(partition)
    assert partition.state == partition.folded()


def test_flapping_is_flagged_when_quiet_gaps_outlast_the_window_but_not_the_grace() -> None:
    # Given a probe firing 1 minute and quiet 6 (longer than the correlation window, shorter
    # than the resolve grace), four times: each occurrence is correlated afresh, and joins the
    # incident of its route group, still open
    partition = Partition(WITH_TOPOLOGY)
    flap(partition, cycles=4, firing=1, quiet=6)
    # Then that is a flap of it all the same, flagged at 00:21, as without a topology
    [opened] = [e for e in partition.decided if isinstance(e, IncidentOpened)]
    assert flagged(partition) == [(opened.incident_id, 3, "2026-11-27T10:21:00+00:00")]
    without = Partition(WITHOUT_TOPOLOGY)
    flap(without, cycles=4, firing=1, quiet=6)
    assert flagged(without) == flagged(partition)
    assert partition.state == partition.folded()
