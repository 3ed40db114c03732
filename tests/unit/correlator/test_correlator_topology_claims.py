"""Which incident a connected alert joins: causality direction, cluster-wide faults, pinned
instances, and the nearest explanation when several incidents could take it."""

from __future__ import annotations

import pytest

from services.correlator.domain.topology import Topology
from shared.alerts import Layer
from shared.events.base import Event
from shared.events.incidents import AlertGrouped, IncidentOpened, IncidentProbableCauseChanged
from shared.events.inputs import AlertReceived
from tests.unit.correlator.correlator_world import Partition, alert, at, policy_from, resolved

# search and payments-api both depend on postgres; node-1..3 are cluster c1, node-4 and db-1 c2.
POLICY = policy_from("""
route:
  receiver: oncall
  group_by: [alertname, instance, service]
  group_wait: 30s
topology:
  hosts:
    node-1: {cluster: c1}
    node-2: {cluster: c1}
    node-3: {cluster: c1}
    node-4: {cluster: c2}
    db-1: {cluster: c2}
  services:
    postgres: {hosts: [db-1]}
    payments-api: {hosts: [node-1, node-4], depends_on: [postgres]}
    checkout: {hosts: [node-2], depends_on: [payments-api]}
    search: {hosts: [node-3], depends_on: [postgres]}
  correlation_window: 5m
  order_tolerance: 1m
  max_hops: 2
""")


def host(name: str, host_name: str, seconds: float) -> AlertReceived:
    return alert(name, instance=f"{host_name}:9100", starts_at=at(seconds))


def errors(service: str, seconds: float) -> AlertReceived:
    return alert("HighErrorRate", service=service, layer="application", starts_at=at(seconds))


def instance_down(service: str, host_name: str, seconds: float) -> AlertReceived:
    return alert(
        "ServiceInstanceDown",
        service=service,
        instance=host_name,
        layer="application",
        starts_at=at(seconds),
    )


def feed_all(partition: Partition, inputs: list[AlertReceived]) -> list[Event]:
    """Each input is received 30 s after it started, as Alertmanager's group wait sends it."""
    firsts: list[Event] = []
    for received in inputs:
        now = received.alert.starts_at.timestamp() - at(0).timestamp() + 30
        firsts.append(partition.feed(received, at(now))[0])
    return firsts


def incident_of(event: Event) -> str:
    assert isinstance(event, IncidentOpened | AlertGrouped)
    return event.incident_id


def test_two_faults_whose_symptoms_share_a_dependency_stay_apart() -> None:
    # node-3 fails, taking search down; postgres, which search depends on, fails on its own.
    partition = Partition(POLICY)
    down, search, postgres, payments = feed_all(
        partition,
        [
            host("NodeDown", "node-3", 0),
            errors("search", 20),
            errors("postgres", 40),
            errors("payments-api", 70),
        ],
    )
    assert incident_of(search) == incident_of(down)
    # postgres is upstream of search, a symptom, but not of node-3, the incident's cause.
    assert isinstance(postgres, IncidentOpened)
    assert postgres.reason == (
        'no open incident for group {}:{alertname="HighErrorRate", service="postgres"}'
        " and none on a resource connected to service postgres within 5 min:"
        f" HighErrorRate opens {postgres.incident_id}"
    )
    # payments-api depends on postgres: it joins the postgres fault, not node-3's.
    assert isinstance(payments, AlertGrouped) and payments.incident_id == postgres.incident_id
    assert payments.reason == (
        f"grouped into {postgres.incident_id}: payments-api depends on postgres;"
        " HighErrorRate on postgres fired 30 s earlier"
    )


def test_an_alert_upstream_of_the_probable_cause_joins_and_becomes_the_cause() -> None:
    partition = Partition(POLICY)
    checkout, payments = feed_all(partition, [errors("checkout", 0), errors("payments-api", 45)])
    assert isinstance(payments, AlertGrouped) and payments.rule == "topology.depends_on"
    assert payments.reason == (
        f"grouped into {incident_of(checkout)}: checkout depends on payments-api;"
        " HighErrorRate on checkout fired 45 s earlier, its probable cause so far"
    )
    [cause] = [e for e in partition.decided if isinstance(e, IncidentProbableCauseChanged)]
    assert cause.resource == "service:payments-api"


@pytest.mark.parametrize(("seconds", "joins"), [(60, True), (61, False)])
def test_a_cause_starting_after_the_probable_cause_joins_only_within_the_order_tolerance(
    seconds: float, joins: bool
) -> None:
    partition = Partition(POLICY)
    feed_all(partition, [errors("checkout", 0)])
    [payments] = feed_all(partition, [errors("payments-api", seconds)])
    assert isinstance(payments, AlertGrouped if joins else IncidentOpened)


def test_the_same_infrastructure_alert_on_hosts_of_one_cluster_is_one_fault() -> None:
    partition = Partition(POLICY)
    first, second, third, checkout = feed_all(
        partition,
        [
            host("NodeNetworkErrors", "node-1", 0),
            host("NodeNetworkErrors", "node-2", 20),
            host("NodeNetworkErrors", "node-3", 50),
            errors("checkout", 90),
        ],
    )
    incident = incident_of(first)
    assert isinstance(second, AlertGrouped) and second.rule == "topology.same_cluster"
    assert second.reason == (
        f"grouped into {incident}: hosts node-2 and node-1 are both in cluster c1;"
        " NodeNetworkErrors on node-1 fired 20 s earlier"
    )
    assert incident_of(third) == incident
    # checkout runs on node-2, one of the hosts of the cluster-wide fault.
    assert isinstance(checkout, AlertGrouped) and checkout.incident_id == incident
    assert checkout.rule == "topology.runs_on"
    assert len(partition.state.incidents) == 1


@pytest.mark.parametrize(
    "second",
    [
        pytest.param(host("NodeNetworkErrors", "node-4", 20), id="another cluster"),
        pytest.param(host("DiskFull", "node-2", 20), id="another alert"),
        pytest.param(host("NodeNetworkErrors", "node-2", 61), id="after the order tolerance"),
    ],
)
def test_host_alerts_that_are_no_cluster_wide_fault_stay_apart(second: AlertReceived) -> None:
    partition = Partition(POLICY)
    feed_all(partition, [host("NodeNetworkErrors", "node-1", 0)])
    [decided] = feed_all(partition, [second])
    assert isinstance(decided, IncidentOpened)


@pytest.mark.parametrize(("instance", "joins"), [("node-1", True), ("node-4", False)])
def test_a_host_explains_only_the_instance_of_a_service_that_runs_there(
    instance: str, joins: bool
) -> None:
    # payments-api runs on node-1 and node-4; the alert names the instance that is down.
    partition = Partition(POLICY)
    feed_all(partition, [host("NodeDown", "node-1", 0)])
    [decided] = feed_all(partition, [instance_down("payments-api", instance, 20)])
    assert isinstance(decided, AlertGrouped if joins else IncidentOpened)


def test_a_host_is_no_cause_of_an_instance_that_runs_on_another_host() -> None:
    partition = Partition(POLICY)
    feed_all(partition, [instance_down("payments-api", "node-4", 0)])
    [elsewhere, there] = feed_all(
        partition, [host("NodeDown", "node-1", 10), host("NodeDown", "node-4", 15)]
    )
    assert isinstance(elsewhere, IncidentOpened)
    # A cause of the instance (its host runs it), not another alert on the pod's host.
    assert isinstance(there, AlertGrouped) and there.rule == "topology.runs_on"


def test_a_service_wide_alert_joins_through_any_host_running_the_service() -> None:
    partition = Partition(POLICY)
    down, payments = feed_all(
        partition,
        [
            host("NodeDown", "node-4", 0),
            # The label names where the rule was evaluated, not where the instances fail.
            alert(
                "HighErrorRate",
                service="payments-api",
                cluster="c1",
                layer="application",
                starts_at=at(30),
            ),
        ],
    )
    assert isinstance(payments, AlertGrouped) and payments.incident_id == incident_of(down)


def test_of_equally_near_incidents_the_one_whose_evidence_started_closest_in_time_wins() -> None:
    partition = Partition(POLICY)
    postgres, down, payments = feed_all(
        partition,
        [errors("postgres", 0), host("NodeDown", "node-1", 100), errors("payments-api", 130)],
    )
    assert incident_of(postgres) != incident_of(down)
    assert isinstance(payments, AlertGrouped) and payments.incident_id == incident_of(down)
    assert payments.reason == (
        f"grouped into {incident_of(down)}: host node-1 runs payments-api;"
        " NodeDown on node-1 fired 30 s earlier"
    )


def test_a_fresh_direct_cause_wins_over_an_older_symptom_on_the_same_service() -> None:
    # node-3's outage took search down 4 min ago; postgres, which search depends on, now fails
    # on its own, and 40 s later search gets slow: that follows postgres, not the old outage.
    partition = Partition(POLICY)
    down, _, postgres = feed_all(
        partition, [host("NodeDown", "node-3", 0), errors("search", 20), errors("postgres", 200)]
    )
    assert incident_of(postgres) != incident_of(down)
    slow = alert("HighLatency", service="search", layer="application", starts_at=at(240))
    [latency] = feed_all(partition, [slow])
    assert isinstance(latency, AlertGrouped) and latency.incident_id == incident_of(postgres)
    assert latency.reason == (
        f"grouped into {incident_of(postgres)}: search depends on postgres;"
        " HighErrorRate on postgres fired 40 s earlier"
    )


def test_of_equally_near_and_timely_incidents_the_older_one_wins() -> None:
    partition = Partition(POLICY)
    [older] = partition.feed(host("NodeDown", "node-4", 0), at(30))
    [newer] = partition.feed(host("NodeDown", "node-1", 0), at(31))
    [payments] = partition.feed(errors("payments-api", 30), at(60))
    assert isinstance(payments, AlertGrouped)
    assert payments.incident_id == incident_of(older) != incident_of(newer)


@pytest.mark.parametrize(
    ("layer", "labels", "key"),
    [
        (Layer.INFRASTRUCTURE, {"instance": "node-1"}, "cluster:c1"),
        (Layer.INFRASTRUCTURE, {"instance": "node-1", "cluster": "c9"}, "cluster:c1"),
        (Layer.INFRASTRUCTURE, {"instance": "edge-1", "cluster": "c9"}, "cluster:c9"),
        (Layer.INFRASTRUCTURE, {"instance": "edge-1"}, None),
        (Layer.APPLICATION, {"instance": "node-1"}, None),
    ],
)
def test_the_cluster_of_a_host_alert_comes_from_the_topology_else_its_label(
    layer: Layer, labels: dict[str, str], key: str | None
) -> None:
    # The topology knows node-1 in c1, and edge-1 without a cluster.
    topology = Topology(hosts={"node-1": {"cluster": "c1"}, "edge-1": {}})
    resources = (f"host:{labels['instance']}",)
    assert topology.cluster_key(layer, resources, labels) == key


def test_an_alert_firing_again_long_after_it_resolved_is_correlated_afresh() -> None:
    # search's errors belonged to node-3's outage; an hour later they come back while postgres
    # fails: the new occurrence joins the postgres incident, not the old outage.
    partition = Partition(POLICY)
    down, first = feed_all(partition, [host("NodeDown", "node-3", 0), errors("search", 20)])
    assert incident_of(first) == incident_of(down)
    partition.feed(resolved(errors("search", 20)), at(600))
    [postgres] = feed_all(partition, [errors("postgres", 3600)])
    again = partition.feed(errors("search", 3620), at(3650))[0]
    assert incident_of(again) == incident_of(postgres) != incident_of(down)


def test_an_alert_firing_again_within_the_window_rejoins_its_incident() -> None:
    partition = Partition(POLICY)
    down, _ = feed_all(partition, [host("NodeDown", "node-3", 0), errors("search", 20)])
    partition.feed(resolved(errors("search", 20)), at(100))
    again = partition.feed(errors("search", 160), at(190))[0]
    assert incident_of(again) == incident_of(down)


def test_an_instance_alert_on_a_host_does_not_hide_the_host_alert_from_service_alerts() -> None:
    # Given node-1 (running payments-api and cart) down at 10:00:00, then cart's instance on
    # node-1 down at 10:00:20
    policy = policy_from(
        "route: {receiver: oncall, group_by: [alertname, instance, service]}\n"
        "topology:\n  hosts: {node-1: {cluster: c1}, node-4: {cluster: c2}}\n"
        "  services:\n    payments-api: {hosts: [node-1, node-4]}\n    cart: {hosts: [node-1]}\n"
    )
    partition = Partition(policy)
    down, instance = feed_all(
        partition, [host("NodeDown", "node-1", 0), instance_down("cart", "node-1", 20)]
    )
    # When payments-api errors service-wide at 10:00:40
    [payments] = feed_all(partition, [errors("payments-api", 40)])
    # Then the host down explains it: cart's instance alert speaks for that instance only
    assert isinstance(instance, AlertGrouped) and instance.incident_id == incident_of(down)
    assert isinstance(payments, AlertGrouped) and payments.incident_id == incident_of(down)
    assert payments.reason == (
        f"grouped into {incident_of(down)}: host node-1 runs payments-api;"
        " NodeDown on node-1 fired 40 s earlier"
    )
