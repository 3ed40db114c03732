"""A heartbeat whose `labels` change in a rules reload: ingest (which follows no reload) keeps
keying its check-ins by the old labels' domain, so the heartbeat stays on the partition of the
old domain. The correlator there must keep resolving the incident it raised, and must write the
incidents it raises under the domain of the partition that holds them: the API's resolve
command for an incident goes to partition_for(its domain) on tocsin.alerts."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from services.correlator.metrics import CorrelatorMetrics
from services.correlator.processor import CorrelatorProcessor
from services.correlator.rulesets import version_of
from shared.events import AnyEvent, decode_envelope, deterministic_id, unwrap, wrap
from shared.events.incidents import AlertGrouped, AlertResolved, IncidentOpened, RulesetActivated
from shared.events.inputs import TICK_KEY, HeartbeatReceived
from shared.log.partitioning import partition_for
from shared.log.port import Outgoing
from shared.topics import INCIDENTS
from tests.unit.correlator.correlator_world import at, policy_from, tick

PARTITIONS = 4
OLD_DOMAIN = "region=eu-west"
HOME = partition_for(OLD_DOMAIN, PARTITIONS)
CONFIG = """
route: {receiver: oncall, group_wait: 0s}
correlation: {domain_labels: [region], resolve_grace: 1m}
heartbeats:
  - {name: backup-cron, interval: 20s, labels: {region: REGION}}
"""
BEFORE = CONFIG.replace("REGION", "eu-west")
AFTER = CONFIG.replace("REGION", "us-west")


def feed(into: CorrelatorProcessor, event: AnyEvent, key: str, seconds: float) -> list[AnyEvent]:
    envelope = wrap(
        event, key=key, event_id=deterministic_id("in", seconds), occurred_at=at(seconds)
    )
    outgoing: list[Outgoing] = into.apply(envelope, unwrap(envelope), live=False)
    return [unwrap(decode_envelope(o.value)) for o in outgoing if o.topic == INCIDENTS]


def beat(seconds: float) -> HeartbeatReceived:
    return HeartbeatReceived(name="backup-cron", received_at=at(seconds))


def reloaded_after_a_miss() -> tuple[CorrelatorProcessor, IncidentOpened]:
    assert partition_for("region=us-west", PARTITIONS) != HOME  # else this proves nothing
    metrics = CorrelatorMetrics(CollectorRegistry())
    correlator = CorrelatorProcessor(HOME, policy_from(BEFORE), metrics)
    feed(correlator, beat(0), OLD_DOMAIN, 0)  # ingest's key: the labels' domain at its start
    opened = [
        e for e in feed(correlator, tick(at(30)), TICK_KEY, 30) if isinstance(e, IncidentOpened)
    ]
    assert len(opened) == 1 and opened[0].domain == OLD_DOMAIN
    activation = RulesetActivated(version=version_of(AFTER), config=AFTER, activated_at=at(40))
    feed(correlator, activation, "ruleset", 40)
    return correlator, opened[0]


def test_a_check_in_after_the_reload_resolves_the_incident_raised_before() -> None:
    correlator, opened = reloaded_after_a_miss()

    decided = feed(correlator, beat(50), OLD_DOMAIN, 50)

    assert any(
        isinstance(e, AlertResolved) and e.incident_id == opened.incident_id for e in decided
    )


def test_a_miss_after_the_reload_is_written_under_the_domain_of_the_partition_holding_it() -> None:
    correlator, _ = reloaded_after_a_miss()
    feed(correlator, beat(50), OLD_DOMAIN, 50)

    decided = feed(correlator, tick(at(75)), TICK_KEY, 75)  # silent again past its interval

    # Its alert opens an incident or joins the one still in its resolve grace: either way,
    # the API sends `resolve` to tocsin.alerts partition_for(domain), which must be HOME.
    fired = [e for e in decided if isinstance(e, IncidentOpened | AlertGrouped)]
    assert fired, decided
    domains = {correlator.state.incidents[e.incident_id].domain for e in fired}
    assert {partition_for(domain, PARTITIONS) for domain in domains} == {HOME}
