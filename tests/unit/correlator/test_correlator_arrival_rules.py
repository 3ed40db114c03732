"""What the rules say about an arriving alert is worked out once per label set and rule set,
and is always what the rule set itself says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.correlator.domain.arrival import arrival_of
from services.correlator.domain.rules import CorrelationPolicy, Grouping
from services.correlator.domain.topology import ServiceSpec, Topology
from shared.alerts import Alert, Layer, Severity

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
TOPOLOGY = Topology(
    hosts={"node-7": {"cluster": "c1"}},
    services={"api": ServiceSpec(hosts=("node-7",)), "db": ServiceSpec()},
)


class ByLabel:
    def __init__(self, label: str) -> None:
        self.label = label
        self.asked = 0

    def group_for(self, alert: Alert) -> Grouping:
        self.asked += 1
        key = f'{{}}:{{{self.label}="{alert.labels.get(self.label, "")}"}}'
        return Grouping(key, ("oncall",), "route 0", timedelta(seconds=30))


def _alert(service: str | None = None, at: datetime = T0) -> Alert:
    return Alert(
        fingerprint="f1",
        status="firing",
        severity=Severity.WARNING,
        layer=Layer.APPLICATION,
        service=service,
        labels={"alertname": "Slow", "instance": "node-7", "region": "eu"},
        starts_at=T0,
        source="canonical",
        integration="test",
        received_at=at,
    )


def test_the_same_labels_ask_the_rules_once_and_get_the_same_answer() -> None:
    grouping = ByLabel("alertname")
    policy = CorrelationPolicy(version="v1", grouping=grouping, topology=TOPOLOGY)

    first = arrival_of(_alert(), T0, policy, "eu")
    again = arrival_of(_alert(at=T0 + timedelta(minutes=5)), T0, policy, "eu")

    assert grouping.asked == 1
    assert (again.grouping, again.resources) == (first.grouping, first.resources)
    assert first.grouping == grouping.group_for(_alert())
    assert first.resources == TOPOLOGY.resources_of(_alert())


def test_another_rule_set_or_service_gets_its_own_answer() -> None:
    old = CorrelationPolicy(version="v1", grouping=ByLabel("alertname"), topology=TOPOLOGY)
    new = CorrelationPolicy(version="v2", grouping=ByLabel("region"), topology=TOPOLOGY)

    assert arrival_of(_alert(), T0, old, "eu").grouping.group_key == '{}:{alertname="Slow"}'
    assert arrival_of(_alert(), T0, new, "eu").grouping.group_key == '{}:{region="eu"}'
    assert arrival_of(_alert(), T0, new, "eu").resources == ("host:node-7",)
    assert arrival_of(_alert("db"), T0, new, "eu").resources == ("host:node-7", "service:db")
