"""An incident's title says what fired and where, in the words of the alert that opened it."""

from __future__ import annotations

import pytest

from shared.events.incidents import IncidentOpened
from tests.unit.correlator.correlator_world import Partition, alert, at, policy_from

POLICY = policy_from("""
route: {receiver: oncall, group_by: [alertname], group_wait: 0s}
correlation: {domain_labels: [region]}
""")


@pytest.mark.parametrize(
    ("alertname", "labels", "domain", "title"),
    [
        ("NodeDown", {"instance": "node-7", "region": "eu"}, "region=eu", "NodeDown on node-7"),
        # No instance, host or service: the correlation domain says where.
        ("LatencyHigh", {"region": "eu"}, "region=eu", "LatencyHigh on region=eu"),
        # A PagerDuty event with no default labels: its `source` says where, once.
        ("DB connections low", {"source": "pg-1"}, "region=", "DB connections low on pg-1"),
        ("DB exhausted on pg-1", {"source": "pg-1"}, "region=", "DB exhausted on pg-1"),
        # An Opsgenie alert: its `entity`.
        ("Disk full", {"entity": "nas-2", "source": "zabbix"}, "region=", "Disk full on nas-2"),
        # Nothing says where, and the domain is empty: the name alone, not "on region=".
        ("Checkout failing", {}, "region=", "Checkout failing"),
        ("Checkout failing", {}, "region=,cluster=", "Checkout failing"),
    ],
)
def test_the_title_names_the_alert_and_where_it_fired(
    alertname: str, labels: dict[str, str], domain: str, title: str
) -> None:
    partition = Partition(POLICY, domain=domain)
    (opened,) = partition.feed(alert(alertname, **labels), at(0))
    assert isinstance(opened, IncidentOpened)
    assert opened.title == title
