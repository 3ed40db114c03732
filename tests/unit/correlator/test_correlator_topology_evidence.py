"""What may explain an alert: an instance alert only by its host or its own service (and it
explains nothing else on its host), and an effect that keeps recovering while its incident's
cause keeps firing is no effect of it."""

from __future__ import annotations

import pytest

from shared.events.incidents import AlertGrouped, IncidentOpened, IncidentProbableCauseChanged
from shared.events.inputs import AlertReceived
from tests.unit.correlator.correlator_world import Partition, alert, at, policy_from, resolved
from tests.unit.correlator.test_correlator_topology_claims import (
    POLICY,
    errors,
    feed_all,
    host,
    incident_of,
    instance_down,
)

# node-1 runs two services that do not depend on each other.
SHARED_HOST = policy_from("""
route:
  receiver: oncall
  group_by: [alertname, instance, service]
topology:
  hosts:
    node-1: {cluster: c1}
  services:
    payments-api: {hosts: [node-1]}
    ledger: {hosts: [node-1]}
  correlation_window: 5m
""")


def crash_loop(service: str, host_name: str, seconds: float) -> AlertReceived:
    return alert(
        "PodCrashLooping",
        service=service,
        instance=host_name,
        layer="application",
        starts_at=at(seconds),
    )


@pytest.mark.parametrize(
    ("first", "joins"),
    [
        pytest.param(host("NodeDown", "node-1", 0), True, id="the host is down"),
        pytest.param(crash_loop("payments-api", "node-1", 0), False, id="a pod there crashes"),
    ],
)
def test_an_instance_alert_explains_no_other_service_on_its_host(
    first: AlertReceived, joins: bool
) -> None:
    partition = Partition(SHARED_HOST)
    opened, ledger = feed_all(partition, [first, errors("ledger", 40)])
    assert isinstance(ledger, AlertGrouped if joins else IncidentOpened)
    assert (incident_of(ledger) == incident_of(opened)) is joins


def test_an_instance_alert_does_not_join_through_a_symptom_of_a_failing_dependency() -> None:
    # postgres fails and payments-api errors with it; then one payments-api pod goes down:
    # the service-wide errors came from postgres, which does not take down one instance.
    partition = Partition(POLICY)
    postgres, payments, instance = feed_all(
        partition,
        [
            errors("postgres", 0),
            errors("payments-api", 30),
            instance_down("payments-api", "node-4", 60),
        ],
    )
    assert incident_of(payments) == incident_of(postgres)
    assert isinstance(instance, IncidentOpened)


def test_a_failing_dependency_is_no_cause_of_an_instance_alert() -> None:
    partition = Partition(POLICY)
    instance, postgres, down = feed_all(
        partition,
        [
            instance_down("payments-api", "node-1", 0),
            errors("postgres", 30),
            host("NodeDown", "node-1", 40),
        ],
    )
    assert isinstance(postgres, IncidentOpened)
    # Its own host is: it joins and becomes the probable cause.
    assert isinstance(down, AlertGrouped) and down.incident_id == incident_of(instance)
    assert down.rule == "topology.runs_on"  # a cause of the instance, in order_tolerance
    [cause] = [e for e in partition.decided if isinstance(e, IncidentProbableCauseChanged)]
    assert cause.resource == "host:node-1"


def test_an_instance_alert_does_not_join_through_a_failing_dependency() -> None:
    # payments-api depends on postgres; one payments-api instance, on node-1, goes down.
    partition = Partition(POLICY)
    postgres, instance = feed_all(
        partition, [errors("postgres", 0), instance_down("payments-api", "node-1", 40)]
    )
    assert isinstance(instance, IncidentOpened)
    assert incident_of(instance) != incident_of(postgres)


def test_an_instance_alert_joins_through_its_own_service() -> None:
    partition = Partition(POLICY)
    service, instance = feed_all(
        partition, [errors("payments-api", 0), instance_down("payments-api", "node-4", 40)]
    )
    assert isinstance(instance, AlertGrouped)
    assert incident_of(instance) == incident_of(service)
    assert instance.rule == "topology.same_service"


def test_an_instance_alert_joins_through_its_own_host() -> None:
    partition = Partition(POLICY)
    down, instance = feed_all(
        partition, [host("NodeDown", "node-1", 0), instance_down("payments-api", "node-1", 20)]
    )
    assert isinstance(instance, AlertGrouped)
    assert incident_of(instance) == incident_of(down)
    assert instance.rule == "topology.same_host"


def test_an_effect_recovering_once_while_its_cause_persists_rejoins_its_incident() -> None:
    partition = Partition(POLICY)
    down, _ = feed_all(partition, [host("NodeDown", "node-3", 0), errors("search", 20)])
    partition.feed(resolved(errors("search", 20)), at(100))
    again = partition.feed(errors("search", 160), at(190))[0]
    assert incident_of(again) == incident_of(down)


def test_an_effect_recovering_again_while_its_cause_persists_leaves_the_incident() -> None:
    # search's probe flaps next to node-3's outage: node-3 stays down, search keeps recovering.
    partition = Partition(POLICY)
    down, _ = feed_all(partition, [host("NodeDown", "node-3", 0), errors("search", 20)])
    partition.feed(resolved(errors("search", 20)), at(100))
    partition.feed(errors("search", 160), at(190))
    partition.feed(resolved(errors("search", 160)), at(250))
    [apart] = partition.feed(errors("search", 310), at(340))
    assert isinstance(apart, IncidentOpened)
    assert incident_of(apart) != incident_of(down)
    assert apart.reason.startswith(
        f"HighErrorRate recovered and fired again while the probable cause of"
        f" {incident_of(down)} kept firing, so that cause does not explain it; "
    )
    # Its next flap stays with it: there it is the probable cause.
    partition.feed(resolved(errors("search", 310)), at(370))
    [flap] = partition.feed(errors("search", 430), at(460))
    assert incident_of(flap) == incident_of(apart)


def test_an_effect_recovering_after_its_cause_resolved_rejoins_its_incident() -> None:
    partition = Partition(POLICY)
    down, _ = feed_all(partition, [host("NodeDown", "node-3", 0), errors("search", 20)])
    partition.feed(resolved(errors("search", 20)), at(100))
    partition.feed(errors("search", 160), at(190))
    partition.feed(resolved(host("NodeDown", "node-3", 0)), at(200))
    partition.feed(resolved(errors("search", 160)), at(250))
    again = partition.feed(errors("search", 310), at(340))[0]
    assert incident_of(again) == incident_of(down)


def test_an_effect_recovering_again_after_its_cause_recovered_too_rejoins_its_incident() -> None:
    # node-3 went down again in between: it did not keep firing, so it may well explain search.
    partition = Partition(POLICY)
    down, _ = feed_all(partition, [host("NodeDown", "node-3", 0), errors("search", 20)])
    partition.feed(resolved(errors("search", 20)), at(100))
    partition.feed(errors("search", 160), at(190))
    partition.feed(resolved(host("NodeDown", "node-3", 0)), at(200))
    partition.feed(host("NodeDown", "node-3", 230), at(230))
    partition.feed(resolved(errors("search", 160)), at(250))

    again = partition.feed(errors("search", 310), at(340))[0]

    assert not isinstance(again, IncidentOpened)
    assert incident_of(again) == incident_of(down)


# node-1 runs payments-api, which drives checkout conversion, and ledger, which drives nothing.
DRIVEN = policy_from("""
route:
  receiver: oncall
  group_by: [alertname, instance, service, metric]
topology:
  hosts:
    node-1: {cluster: c1}
  services:
    payments-api: {hosts: [node-1]}
    ledger: {hosts: [node-1]}
  business_metrics:
    checkout_conversion: {driven_by: [payments-api]}
  correlation_window: 5m
  order_tolerance: 60s
""")


def test_an_instance_alert_is_no_cause_of_what_its_host_runs_elsewhere() -> None:
    # One ledger pod crash-looping on node-1 is not node-1 failing: checkout conversion,
    # driven by payments-api on node-1, did not drop because of it.
    partition = Partition(DRIVEN)
    revenue = alert(
        "ConversionDrop", metric="checkout_conversion", layer="business", starts_at=at(0)
    )
    opened, crash = feed_all(partition, [revenue, crash_loop("ledger", "node-1", 20)])

    assert isinstance(crash, IncidentOpened) and incident_of(crash) != incident_of(opened)
    assert not [e for e in partition.decided if isinstance(e, IncidentProbableCauseChanged)]


@pytest.mark.parametrize(("seconds", "joins"), [(50, True), (240, False)])
def test_a_host_alert_after_an_instance_alert_on_it_is_a_cause_within_order_tolerance(
    seconds: float, joins: bool
) -> None:
    partition = Partition(DRIVEN)
    crash, down = feed_all(
        partition, [crash_loop("payments-api", "node-1", 0), host("NodeDown", "node-1", seconds)]
    )

    assert (incident_of(down) == incident_of(crash)) is joins
    assert isinstance(down, AlertGrouped if joins else IncidentOpened)
