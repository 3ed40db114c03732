"""Topology-aware correlation: one incident per problem, the likeliest cause named."""

from __future__ import annotations

from datetime import datetime

import pytest

from services.correlator.domain.topology import ServiceSpec, Topology, strip_port
from shared.alerts import Alert, Layer, Severity
from shared.events.base import Event
from shared.events.incidents import (
    AlertGrouped,
    IncidentOpened,
    IncidentPriorityChanged,
    IncidentProbableCauseChanged,
)
from shared.events.inputs import AlertReceived
from tests.unit.correlator.correlator_world import T0, Partition, alert, at, policy_from

CONFIG = """
route:
  receiver: oncall
  group_by: [alertname, instance, service]
  group_wait: 30s
topology:
  hosts:
    node-7: {cluster: c1, region: eu-west}
    node-8: {cluster: c1, region: eu-west}
    node-9: {cluster: c1, region: eu-west}
  services:
    payments-api: {hosts: [node-7, node-8], depends_on: [postgres]}
    checkout: {hosts: [node-8], depends_on: [payments-api]}
    postgres: {hosts: [db-1]}
    search: {hosts: [node-9]}
  business_metrics:
    checkout_conversion: {driven_by: [checkout, payments-api]}
  correlation_window: 5m
  max_hops: 2
"""
POLICY = policy_from(CONFIG)


def node_down(host: str = "node-7", starts_at: datetime = T0) -> AlertReceived:
    return alert("NodeDown", instance=f"{host}:9100", severity="critical", starts_at=starts_at)


def errors(service: str = "payments-api", starts_at: datetime = T0) -> AlertReceived:
    return alert("HighErrorRate", service=service, layer="application", starts_at=starts_at)


def conversion_drop(starts_at: datetime = T0) -> AlertReceived:
    return alert(
        "ConversionDrop", metric="checkout_conversion", layer="business", starts_at=starts_at
    )


def incidents_of(decided: list[Event]) -> dict[str, str]:
    """alertname → the incident it opened or joined."""
    found: dict[str, str] = {}
    for event in decided:
        if isinstance(event, IncidentOpened | AlertGrouped):
            found[event.alert.alertname] = event.incident_id
    return found


@pytest.mark.parametrize(
    "order",
    [
        ["host", "app", "unrelated", "business"],
        ["business", "app", "unrelated", "host"],
        ["app", "business", "host", "unrelated"],
    ],
)
def test_host_failure_is_one_incident_with_the_host_as_cause_and_unrelated_fault_apart(
    order: list[str],
) -> None:
    inputs = {
        "host": node_down(starts_at=at(0)),
        "app": errors(starts_at=at(40)),
        "business": conversion_drop(starts_at=at(90)),
        "unrelated": alert("DiskFull", instance="node-9:9100", starts_at=at(50)),
    }
    partition = Partition(POLICY)
    for seconds, name in enumerate(order):
        partition.feed(inputs[name], at(100 + seconds))
    joined = incidents_of(partition.decided)
    host_incident = joined["NodeDown"]
    assert joined["HighErrorRate"] == joined["ConversionDrop"] == host_incident
    assert joined["DiskFull"] != host_incident
    assert len(partition.state.incidents) == 2
    assert partition.state.incidents[host_incident].cause == inputs["host"].alert.fingerprint


def test_service_on_a_failed_host_joins_its_incident_with_the_reason_in_words() -> None:
    partition = Partition(POLICY)
    [opened] = partition.feed(node_down(starts_at=at(0)), at(0))
    [grouped] = partition.feed(errors(starts_at=at(40)), at(41))
    assert isinstance(opened, IncidentOpened) and isinstance(grouped, AlertGrouped)
    assert grouped.incident_id == opened.incident_id
    assert grouped.rule == "topology.runs_on"
    assert grouped.ruleset_version == "v1"
    assert grouped.reason == (
        f"grouped into {opened.incident_id}: host node-7 runs payments-api;"
        " NodeDown on node-7 fired 40 s earlier"
    )


def test_business_metric_joins_through_the_service_that_drives_it() -> None:
    partition = Partition(POLICY)
    [opened] = partition.feed(errors(starts_at=at(0)), at(0))
    grouped, *_ = partition.feed(conversion_drop(starts_at=at(50)), at(50))
    assert isinstance(grouped, AlertGrouped) and grouped.rule == "topology.drives"
    assert grouped.reason == (
        f"grouped into {opened.incident_id}: payments-api drives checkout_conversion;"
        " HighErrorRate on payments-api fired 50 s earlier"
    )


def test_a_better_cause_joining_is_recorded_with_why() -> None:
    partition = Partition(POLICY)
    [opened] = partition.feed(conversion_drop(starts_at=at(0)), at(0))
    grouped, raised, cause = partition.feed(node_down(starts_at=at(20)), at(20))
    assert isinstance(grouped, AlertGrouped) and grouped.rule == "topology.drives+runs_on"
    assert isinstance(raised, IncidentPriorityChanged)
    assert raised.reason == "raised from P2 to P1 by NodeDown: severity critical"
    assert grouped.reason == (
        f"grouped into {opened.incident_id}: payments-api drives checkout_conversion;"
        " host node-7 runs payments-api; ConversionDrop on checkout_conversion fired 20 s earlier,"
        " its probable cause so far"
    )
    assert isinstance(cause, IncidentProbableCauseChanged)
    assert (cause.alertname, cause.resource, cause.rule) == (
        "NodeDown",
        "host:node-7",
        "probable_cause",
    )
    assert cause.reason == (
        "NodeDown on host node-7 (infrastructure) is likelier the root cause than"
        " ConversionDrop on metric checkout_conversion (business)"
        " (host < dependency < dependent service < business metric)"
    )


def test_dependency_is_a_likelier_cause_than_the_service_depending_on_it() -> None:
    partition = Partition(POLICY)
    [opened] = partition.feed(errors("payments-api", starts_at=at(0)), at(0))
    grouped, cause = partition.feed(errors("postgres", starts_at=at(10)), at(10))
    assert isinstance(grouped, AlertGrouped) and grouped.rule == "topology.depends_on"
    assert grouped.incident_id == opened.incident_id
    assert isinstance(cause, IncidentProbableCauseChanged) and cause.resource == "service:postgres"


def test_alerts_starting_outside_the_correlation_window_open_their_own_incident() -> None:
    partition = Partition(POLICY)
    partition.feed(node_down(starts_at=at(0)), at(0))
    [late] = partition.feed(errors(starts_at=at(minutes=5, seconds=1)), at(minutes=5, seconds=1))
    assert isinstance(late, IncidentOpened)
    assert late.reason == (
        'no open incident for group {}:{alertname="HighErrorRate", service="payments-api"}'
        " and none on a resource connected to service payments-api within 5 min:"
        f" HighErrorRate opens {late.incident_id}"
    )


def test_resources_further_than_max_hops_are_not_connected() -> None:
    one_hop = policy_from(CONFIG.replace("max_hops: 2", "max_hops: 1"))
    partition = Partition(one_hop)
    partition.feed(node_down(starts_at=at(0)), at(0))
    [apart] = partition.feed(conversion_drop(starts_at=at(10)), at(10))
    assert isinstance(apart, IncidentOpened)


def test_same_alerts_in_another_domain_are_never_correlated() -> None:
    partition = Partition(POLICY)
    partition.feed(node_down(starts_at=at(0)), at(0), domain="region=eu-west")
    [other] = partition.feed(errors(starts_at=at(10)), at(10), domain="region=us-east")
    assert isinstance(other, IncidentOpened) and other.domain == "region=us-east"


def test_breadth_of_affected_services_raises_priority() -> None:
    partition = Partition(POLICY)
    partition.feed(errors("postgres", starts_at=at(0)), at(0))
    partition.feed(errors("payments-api", starts_at=at(1)), at(1))
    decided = partition.feed(errors("checkout", starts_at=at(2)), at(2))
    [raised] = [e for e in decided if isinstance(e, IncidentPriorityChanged)]
    assert raised.priority == "P2"
    assert raised.reason == (
        "raised from P3 to P2 by HighErrorRate:"
        " 3 services affected (checkout, payments-api, postgres)"
    )


def test_a_new_alert_checks_only_its_neighbourhood() -> None:
    partition = Partition(POLICY)
    partition.feed(alert("DiskFull", instance="node-9:9100"), at(0))
    partition.feed(node_down(starts_at=at(1)), at(1))
    assert set(partition.state.by_resource["region=eu-west"]) == {
        "host:node-9",
        "host:node-7",
        "cluster:c1",  # where a cluster-wide fault of either would be found
    }
    neighbourhood = POLICY.topology.neighbours("service:payments-api")
    assert "host:node-9" not in neighbourhood


def _alert(labels: dict[str, str], service: str | None = None) -> Alert:
    return Alert(
        fingerprint="f",
        status="firing",
        severity=Severity.WARNING,
        layer=Layer.APPLICATION,
        service=service,
        labels=labels,
        starts_at=T0,
        source="canonical",
        integration="test",
        received_at=T0,
    )


@pytest.mark.parametrize(
    ("labels", "service", "resources"),
    [
        ({"alertname": "A", "instance": "node-7:9100"}, None, ("host:node-7",)),
        ({"alertname": "A", "node": "node-7"}, None, ("host:node-7",)),
        ({"alertname": "A", "instance": "node-99:9100"}, None, ()),
        ({"alertname": "A", "job": "node-exporter"}, None, ()),
        ({"alertname": "A", "app": "api"}, None, ("service:api",)),
        ({"alertname": "A"}, "api", ("service:api",)),
        ({"alertname": "conversion"}, None, ("metric:conversion",)),
        (
            {"alertname": "A", "metric": "conversion", "host": "node-7"},
            None,
            ("host:node-7", "metric:conversion"),
        ),
    ],
)
def test_alert_labels_name_known_resources(
    labels: dict[str, str], service: str | None, resources: tuple[str, ...]
) -> None:
    topology = Topology(
        hosts={"node-7": {}},
        services={"api": ServiceSpec(hosts=("node-7",))},
        business_metrics={"conversion": ("api",)},
    )
    assert topology.resources_of(_alert(labels, service)) == resources


@pytest.mark.parametrize(
    ("value", "host"),
    [("node-7:9100", "node-7"), ("node-7", "node-7"), ("[::1]:9100", "::1"), ("::1", "::1")],
)
def test_ports_are_stripped_from_host_labels(value: str, host: str) -> None:
    assert strip_port(value) == host


def test_resource_label_names_are_configurable() -> None:
    policy = policy_from(CONFIG + "  labels: {host: [hostname], service: [svc]}\n")
    labelled = _alert({"alertname": "A", "hostname": "node-7", "svc": "search"})
    assert policy.topology.resources_of(labelled) == ("host:node-7", "service:search")


ADS = CONFIG.replace("search: {hosts: [node-9]}", "search: {hosts: [node-9]}\n    ads: {}").replace(
    "driven_by: [checkout, payments-api]", "driven_by: [checkout, ads]"
)


@pytest.mark.parametrize(
    ("config", "first", "second", "joins"),
    [
        pytest.param(CONFIG, errors("payments-api"), errors("checkout"), True, id="dependency"),
        pytest.param(CONFIG, node_down("node-8"), errors("checkout"), True, id="host runs it"),
        pytest.param(
            CONFIG, errors("search"), node_down("node-7"), False, id="service on another host"
        ),
        pytest.param(CONFIG, errors("checkout"), errors("search"), False, id="no path"),
        pytest.param(
            CONFIG,
            node_down("node-7"),
            alert("DiskFull", instance="node-8:9100"),
            False,
            id="hosts sharing a service",
        ),
        pytest.param(ADS, errors("checkout"), errors("ads"), False, id="drivers of one metric"),
        pytest.param(
            CONFIG, errors("payments-api"), errors("checkout"), True, id="effect after cause"
        ),
    ],
)
def test_causal_paths_connect_and_shared_hosts_or_metrics_do_not(
    config: str, first: AlertReceived, second: AlertReceived, joins: bool
) -> None:
    partition = Partition(policy_from(config))
    partition.feed(first, at(0))
    decided = partition.feed(second, at(10))
    assert isinstance(decided[0], AlertGrouped if joins else IncidentOpened)


@pytest.mark.parametrize(("cause_starts", "joins"), [(60, True), (61, False), (-300, True)])
def test_a_cause_may_start_at_most_the_order_tolerance_after_its_effect(
    cause_starts: int, joins: bool
) -> None:
    partition = Partition(POLICY)
    partition.feed(errors(starts_at=at(0)), at(0))
    decided = partition.feed(node_down(starts_at=at(cause_starts)), at(100))
    assert isinstance(decided[0], AlertGrouped if joins else IncidentOpened)


def test_a_link_asked_again_is_the_one_found_first() -> None:
    topology = Topology(
        services={"checkout": ServiceSpec(hosts=("node-8",), depends_on=("payments-api",))}
    )
    first = topology.link("host:node-8", "service:checkout")
    assert topology.link("host:node-8", "service:checkout") is first
    assert (first.hops, first.rule, first.path) == (
        1,
        "topology.runs_on",
        "host node-8 runs checkout",
    )
    upstream = topology.link("service:checkout", "service:payments-api")
    assert (upstream.hops, upstream.rule) == (1, "topology.depends_on")
