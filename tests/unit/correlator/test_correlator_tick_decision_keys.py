"""Decisions taken on a tick (a missed heartbeat, a grace period that ended) are written under
their incident's correlation domain, not the tick's key: on `tocsin.incidents` they must land
on the partition where the router keeps the incident's escalation, and where the dispatcher's
outcomes and the API's commands for it go. Under the key `tick` they landed elsewhere: the
router there never saw the resolution (and paged on), nor took commands for the incident."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from services.correlator.metrics import CorrelatorMetrics
from services.correlator.processor import CorrelatorProcessor
from shared.events import AnyEvent, decode_envelope, deterministic_id, unwrap, wrap
from shared.events.incidents import IncidentOpened, IncidentResolved
from shared.events.inputs import TICK_KEY, HeartbeatReceived
from shared.log.partitioning import partition_for
from shared.log.port import Outgoing
from shared.topics import INCIDENTS
from tests.unit.correlator.correlator_world import DOMAIN, alert, at, policy_from, resolved, tick

PARTITIONS = 4
HOME = partition_for(DOMAIN, PARTITIONS)
CONFIG = """
route: {receiver: oncall, group_wait: 0s}
correlation: {domain_labels: [region], resolve_grace: 1m}
heartbeats:
  - {name: backup-cron, interval: 20s, labels: {region: eu-west}}
"""


def processor() -> CorrelatorProcessor:
    assert partition_for(TICK_KEY, PARTITIONS) != HOME  # else these tests prove nothing
    return CorrelatorProcessor(HOME, policy_from(CONFIG), CorrelatorMetrics(CollectorRegistry()))


def feed(into: CorrelatorProcessor, event: AnyEvent, key: str, number: int) -> list[Outgoing]:
    """What `event` decided, read at its record's time (the n-th minute)."""
    event_id = deterministic_id("in", number)
    envelope = wrap(event, key=key, event_id=event_id, occurred_at=at(minutes=number))
    return [o for o in into.apply(envelope, unwrap(envelope), live=False) if o.topic == INCIDENTS]


def unwrap_record(outgoing: Outgoing) -> AnyEvent:
    return unwrap(decode_envelope(outgoing.value))


def landed(outgoing: list[Outgoing]) -> set[tuple[str, int]]:
    return {(o.key, partition_for(o.key, PARTITIONS)) for o in outgoing}


def test_a_missed_heartbeats_incident_lands_on_its_domains_partition() -> None:
    correlator = processor()
    feed(correlator, HeartbeatReceived(name="backup-cron", received_at=at(minutes=1)), DOMAIN, 1)

    outgoing = feed(correlator, tick(at(minutes=2)), TICK_KEY, 2)

    decided = [type(unwrap_record(o)).__name__ for o in outgoing]
    assert "IncidentOpened" in decided and "HeartbeatMissed" in decided
    assert landed(outgoing) == {(DOMAIN, HOME)}


def test_an_incident_resolved_when_its_grace_ends_lands_on_its_domains_partition() -> None:
    correlator = processor()
    fired = alert("NodeDown", instance="node-7")
    [opened] = feed(correlator, fired, DOMAIN, 1)
    feed(correlator, resolved(fired), DOMAIN, 2)

    [closed] = feed(correlator, tick(at(minutes=4)), TICK_KEY, 4)

    assert isinstance(unwrap_record(opened), IncidentOpened)
    event = unwrap_record(closed)
    assert isinstance(event, IncidentResolved) and event.domain == DOMAIN
    assert landed([closed]) == {(DOMAIN, HOME)}


def test_decisions_of_timers_an_alert_of_another_domain_found_due_land_on_their_domain() -> None:
    """An alert of another domain on this partition, received after the incident's grace
    ended and before the live tick, first resolves the incident: under its domain's key."""
    correlator = processor()
    firing = alert("Disk", instance="y")
    feed(correlator, firing, DOMAIN, 1)
    feed(correlator, resolved(firing), DOMAIN, 2)
    other = _other_domain_on(HOME)
    late = alert("Disk", instance="z", region=other.removeprefix("region="))

    outgoing = feed(correlator, late, other, 5)

    kinds = [(type(unwrap_record(o)).__name__, o.key) for o in outgoing]
    assert kinds[0] == ("IncidentResolved", DOMAIN) and kinds[1] == ("IncidentOpened", other)


def _other_domain_on(partition: int) -> str:
    return next(
        domain
        for n in range(1000)
        if (domain := f"region=r{n}") != DOMAIN and partition_for(domain, PARTITIONS) == partition
    )
