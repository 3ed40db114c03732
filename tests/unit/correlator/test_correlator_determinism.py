"""Replays decide alike: same inputs → byte-identical events; state is the fold of events."""

from __future__ import annotations

from datetime import datetime

from services.correlator.domain.engine import decide
from services.correlator.domain.state import CorrelatorState
from shared.events.base import Event
from shared.events.commands import AcknowledgeIncident
from shared.events.inputs import HeartbeatReceived
from tests.unit.correlator.correlator_world import Partition, alert, at, policy_from, resolved, tick

POLICY = policy_from(
    """
route:
  receiver: oncall
  group_by: [alertname, instance, service]
  group_wait: 30s
inhibit_rules:
  - source_matchers: ['alertname="ClusterDown"']
    target_matchers: ['severity="warning"']
    equal: [cluster]
correlation:
  resolve_grace: 2m
  flapping: {max_flaps: 1, within: 10m}
  rules:
    - name: noisy
      matchers: ['alertname="Noise"']
      threshold: {alerts: 2, within: 5m}
topology:
  services:
    api: {hosts: [node-1], depends_on: [db]}
    db: {hosts: [node-2]}
  business_metrics:
    signups: {driven_by: [api]}
heartbeats:
  - {name: cron, interval: 3m, labels: {region: eu-west}}
"""
)
FLAP = alert("Flap", instance="node-3", severity="critical")
INPUTS: list[tuple[Event, datetime, str | None]] = [
    (HeartbeatReceived(name="cron", received_at=at(0)), at(0), None),
    (
        alert("Errors", service="api", layer="application", cluster="c1", severity="critical"),
        at(1),
        None,
    ),
    (alert("NodeDown", instance="node-1", severity="critical"), at(20), None),
    (alert("SignupsDrop", metric="signups", layer="business", severity="critical"), at(30), None),
    (alert("Latency", instance="node-9", cluster="c2"), at(31), None),
    (alert("ClusterDown", cluster="c2", severity="critical"), at(40), None),
    (alert("Noise", instance="n", disk="a"), at(41), None),
    (alert("Noise", instance="n", disk="b"), at(42), None),
    (FLAP, at(50), None),
    (resolved(FLAP), at(60), None),
    (FLAP, at(70), None),
    (resolved(FLAP), at(80), None),
    (FLAP, at(90), None),
    (tick(at(minutes=3)), at(minutes=3), "tick"),
    (resolved(alert("Noise", instance="n", disk="a")), at(minutes=4), None),
    (resolved(alert("Noise", instance="n", disk="b")), at(minutes=4), None),
    (tick(at(minutes=7)), at(minutes=7), "tick"),
    (HeartbeatReceived(name="cron", received_at=at(minutes=8)), at(minutes=8), None),
    (tick(at(minutes=20)), at(minutes=20), "tick"),
]


def run() -> Partition:
    partition = Partition(POLICY)
    for event, now, domain in INPUTS:
        partition.feed(event, now, domain)
    return partition


def test_same_inputs_twice_give_identical_event_json() -> None:
    first = [e.model_dump_json() for e in run().decided]
    second = [e.model_dump_json() for e in run().decided]
    assert first == second
    assert len(first) > 20


def test_the_state_step_returns_equals_the_fold_of_its_inputs_and_events() -> None:
    partition = run()
    assert partition.state == partition.folded()


def test_every_decision_names_its_rule_rule_set_and_reason() -> None:
    for event in run().decided:
        if hasattr(event, "rule"):
            assert event.ruleset_version == "v1"
            assert event.rule and event.reason


def test_decide_does_not_change_state() -> None:
    partition = run()
    before = repr(partition.state)
    ack = AcknowledgeIncident(command_id="c", incident_id="INC-x", actor="a", issued_at=at(0))
    for event in (alert("New", instance="node-1"), tick(at(minutes=60)), ack):
        decide(partition.state, event, at(minutes=60), POLICY, "region=eu-west")
    assert repr(partition.state) == before
    assert CorrelatorState() == CorrelatorState()
