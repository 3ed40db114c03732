"""An alert joining another group's incident by topology brings its own route's receivers:
Alertmanager would notify them, so the router pages them too (`AlertGrouped.receivers`)."""

from __future__ import annotations

from shared.events.incidents import AlertGrouped, IncidentOpened
from tests.unit.correlator.correlator_world import Partition, alert, at, policy_from

POLICY = policy_from(
    """
route:
  receiver: web-oncall
  group_by: [alertname, service]
  routes:
    - {matchers: ['team="db"'], receiver: db-oncall}
    - {matchers: ['team="web"'], receiver: web-oncall}
topology:
  services:
    payments-api: {depends_on: [postgres]}
    checkout-api: {depends_on: [postgres]}
    postgres: {}
"""
)


def _grouped(partition: Partition) -> list[AlertGrouped]:
    return [e for e in partition.decided if isinstance(e, AlertGrouped)]


def test_a_probable_cause_joining_by_topology_adds_its_routes_receivers() -> None:
    partition = Partition(POLICY)
    partition.feed(alert("HighErrorRate", service="payments-api", team="web"), at(0))
    partition.feed(
        alert("PostgresDown", service="postgres", team="db", severity="critical", starts_at=at(30)),
        at(30),
    )

    [opened] = [e for e in partition.decided if isinstance(e, IncidentOpened)]
    [joined] = _grouped(partition)
    assert opened.receivers == ["web-oncall"]
    assert joined.rule.startswith("topology.")
    assert joined.receivers == ["db-oncall"]
    assert "adds receivers db-oncall" in joined.reason


def test_receivers_the_incident_pages_already_are_not_added_again() -> None:
    partition = Partition(POLICY)
    partition.feed(alert("PostgresDown", service="postgres", team="db", severity="critical"), at(0))
    partition.feed(
        alert("HighErrorRate", service="payments-api", team="db", starts_at=at(20)), at(20)
    )
    partition.feed(
        alert("HighErrorRate", service="checkout-api", team="web", starts_at=at(40)), at(40)
    )
    partition.feed(
        alert("HighLatency", service="checkout-api", team="web", starts_at=at(50)), at(50)
    )

    joined = _grouped(partition)
    assert [e.receivers for e in joined] == [[], ["web-oncall"], []]


def test_the_added_receivers_survive_a_rebuild_from_the_log() -> None:
    live = Partition(POLICY)
    live.feed(alert("HighErrorRate", service="payments-api", team="web"), at(0))
    live.feed(alert("PostgresDown", service="postgres", team="db", starts_at=at(30)), at(30))

    [rebuilt] = live.folded().incidents.values()

    assert rebuilt.receivers == ("web-oncall", "db-oncall")
