"""`topology.independent`: alerts no recent fault causes and that cause none (an expiring
certificate, a failed backup) are connected to nothing by the topology, both ways; their route
group still applies."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.correlator.config import TopologyConfig
from shared.events.incidents import AlertGrouped, IncidentOpened, IncidentProbableCauseChanged
from shared.events.inputs import AlertReceived
from tests.unit.correlator.correlator_world import Partition, alert, at, policy_from
from tests.unit.correlator.test_correlator_topology_claims import errors, feed_all, host

TOPOLOGY = """
topology:
  hosts:
    node-1: {cluster: c1}
    db-1: {cluster: c2}
  services:
    postgres: {hosts: [db-1]}
    payments-api: {hosts: [node-1], depends_on: [postgres]}
  correlation_window: 5m
  independent:
    - 'alertname="CertificateExpiringSoon"'
    - '{alertname="BackupJobFailed", severity="error"}'
"""
POLICY = policy_from(
    "route: {receiver: oncall, group_by: [alertname, instance, service]}" + TOPOLOGY
)
# One route group per cluster: an independent alert may still share an incident this way.
BY_CLUSTER = policy_from("route: {receiver: oncall, group_by: [cluster]}" + TOPOLOGY)


def certificate(service: str, seconds: float) -> AlertReceived:
    return alert("CertificateExpiringSoon", service=service, starts_at=at(seconds))


def test_an_independent_alert_on_a_failing_host_opens_its_own_incident() -> None:
    # Given node-1 down at 10:00:00
    partition = Partition(POLICY)
    # When payments-api on node-1 reports its certificate expiring at 10:00:30
    down, expiring = feed_all(
        partition, [host("NodeDown", "node-1", 0), certificate("payments-api", 30)]
    )
    # Then the certificate is its own incident, and the reason names the rule
    assert isinstance(down, IncidentOpened)
    assert isinstance(expiring, IncidentOpened)
    assert expiring.reason == (
        'no open incident for group {}:{alertname="CertificateExpiringSoon",'
        ' service="payments-api"}, and it matches topology.independent'
        ' {alertname="CertificateExpiringSoon"}: no other fault causes it, so the topology'
        f" groups it with none: CertificateExpiringSoon opens {expiring.incident_id}"
    )


def test_an_independent_alert_is_no_evidence_for_the_alerts_downstream_of_it() -> None:
    # Given postgres's backup failing at 10:00:00
    partition = Partition(POLICY)
    backup = alert("BackupJobFailed", service="postgres", severity="error", starts_at=at(0))
    # When payments-api, which depends on postgres, errors at 10:00:20
    failed, payments = feed_all(partition, [backup, errors("payments-api", 20)])
    # Then the errors open an incident of their own: a failed backup causes no errors
    assert isinstance(failed, IncidentOpened)
    assert isinstance(payments, IncidentOpened)


def test_an_alert_outside_every_entry_still_correlates() -> None:
    # Given postgres's backup failing at 10:00:00, at warning severity (the entry needs error)
    partition = Partition(POLICY)
    backup = alert("BackupJobFailed", service="postgres", severity="warning", starts_at=at(0))
    # When payments-api errors at 10:00:20
    failed, payments = feed_all(partition, [backup, errors("payments-api", 20)])
    # Then it joins as before
    assert isinstance(payments, AlertGrouped)
    assert payments.incident_id == failed.incident_id  # type: ignore[union-attr]


def test_an_independent_alert_in_a_route_group_never_becomes_its_probable_cause() -> None:
    # Given payments-api errors in cluster c1 at 10:00:00
    partition = Partition(BY_CLUSTER)
    payments = alert("HighErrorRate", service="payments-api", cluster="c1", layer="application")
    # When node-1's certificate, a host alert ranked above any service, expires soon at 10:00:40
    expiring = alert("CertificateExpiringSoon", instance="node-1", cluster="c1", starts_at=at(40))
    opened, grouped = feed_all(partition, [payments, expiring])
    # Then it joins by its route group, and the errors stay the probable cause
    assert isinstance(grouped, AlertGrouped) and grouped.incident_id == opened.incident_id  # type: ignore[union-attr]
    assert not [e for e in partition.decided if isinstance(e, IncidentProbableCauseChanged)]


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        pytest.param("", "an entry needs a matcher", id="empty"),
        pytest.param("{}", "an entry needs a matcher", id="empty braces"),
        pytest.param('alertname=~"("', "invalid regex", id="bad regex"),
    ],
)
def test_an_independent_entry_must_be_a_valid_matcher_list(entry: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        TopologyConfig.model_validate({"independent": [entry]})
