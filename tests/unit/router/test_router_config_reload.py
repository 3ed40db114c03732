"""A config reload reaches the router through its input log: incidents opened after the
`RulesetActivated` on `tocsin.incidents` are routed by the new config, incidents opened before
keep the policy snapshotted when they opened, and a snapshot carries the active config."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import yaml
from prometheus_client import CollectorRegistry

from services.correlator.rulesets import version_of
from services.router.config import RouterConfig
from services.router.metrics import RouterMetrics
from services.router.processor import RouterProcessor
from services.router.rulesets import directory_of
from shared.events import (
    NotificationRequested,
    TickOccurred,
    decode_envelope,
    deterministic_id,
    unwrap,
    wrap,
)
from shared.events.base import Event
from shared.events.incidents import RulesetActivated
from shared.log.port import Outgoing
from shared.topics import INCIDENTS
from tests.support.incident_events import incident_opened, node_down

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)

PEOPLE = """
users:
  - {name: alice, contacts: [{type: console}]}
  - {name: bob, contacts: [{type: console}]}
"""
# The `oncall` policy pages alice twice, five minutes apart; after the reload, bob.
BEFORE = (
    PEOPLE
    + """
escalation_policies:
  - name: oncall
    steps:
      - {delay: 0s, notify: ["user:alice"]}
      - {delay: 5m, notify: ["user:alice"]}
"""
)
AFTER = BEFORE.replace("user:alice", "user:bob")


def processor_started_with(text: str) -> RouterProcessor:
    config = RouterConfig.model_validate(yaml.safe_load(text))
    return RouterProcessor(0, directory_of(config), RouterMetrics(CollectorRegistry()))


def reload_to(text: str, at: datetime) -> RulesetActivated:
    return RulesetActivated(version=version_of(text), config=text, activated_at=at)


def opened(incident_id: str, at: datetime) -> Event:
    return incident_opened(
        incident_id, at, node_down(f"fp-{incident_id}", at), title="t", receivers=["oncall"]
    )


def feed(processor: RouterProcessor, events: list[Event], *, live: bool = True) -> list[Outgoing]:
    outgoing: list[Outgoing] = []
    for event in events:
        at = getattr(event, "activated_at", None) or getattr(event, "at", None)
        at = at or getattr(event, "opened_at", T0)
        key = "ruleset" if isinstance(event, RulesetActivated) else "region=eu"
        envelope = wrap(event, key=key, event_id=deterministic_id(repr(event)), occurred_at=at)
        outgoing += processor.apply(envelope, event, live=live)
    return outgoing


def paged(outgoing: list[Outgoing]) -> list[tuple[str, str]]:
    """(incident, person) of every page requested, in order."""
    events = [unwrap(decode_envelope(out.value)) for out in outgoing]
    return [(e.incident_id, e.target) for e in events if isinstance(e, NotificationRequested)]


def test_an_incident_opened_after_a_reload_is_paged_by_the_new_policy() -> None:
    processor = processor_started_with(BEFORE)

    outgoing = feed(processor, [reload_to(AFTER, T0), opened("INC-2", T0 + MINUTE)])

    assert paged(outgoing) == [("INC-2", "bob")]


def test_an_incident_opened_before_a_reload_keeps_the_policy_it_opened_with() -> None:
    processor = processor_started_with(BEFORE)
    first = feed(processor, [opened("INC-1", T0)])

    later = feed(
        processor,
        [reload_to(AFTER, T0 + MINUTE), opened("INC-2", T0 + 2 * MINUTE)],
    ) + feed(processor, [TickOccurred(at=T0 + 5 * MINUTE), TickOccurred(at=T0 + 7 * MINUTE)])

    assert paged(first) == [("INC-1", "alice")]
    assert paged(later) == [("INC-2", "bob"), ("INC-1", "alice"), ("INC-2", "bob")]


def test_a_router_config_the_router_cannot_read_leaves_the_config_it_had() -> None:
    processor = processor_started_with(BEFORE)

    outgoing = feed(processor, [reload_to("- not a mapping\n", T0), opened("INC-2", T0)])

    assert paged(outgoing) == [("INC-2", "alice")]


LACKING = AFTER.replace("user:bob", "user:${TEST_UNSET_ON_CALL}")


def counting_processor(startup: str | None = None) -> tuple[RouterProcessor, CollectorRegistry]:
    """A router process started with BEFORE (pinning `startup` at recovery, if given), and the
    registry its refusals are counted in."""
    registry = CollectorRegistry()
    config = RouterConfig.model_validate(yaml.safe_load(BEFORE))
    pin = None if startup is None else reload_to(startup, T0 + 10 * MINUTE)
    return RouterProcessor(0, directory_of(config), RouterMetrics(registry), startup=pin), registry


def refusals(registry: CollectorRegistry) -> float | None:
    return registry.get_sample_value("tocsin_config_rejected_total", {"reader": "router"})


def test_a_config_naming_a_variable_the_router_lacks_is_counted_as_refused() -> None:
    processor, registry = counting_processor()

    outgoing = feed(processor, [reload_to(LACKING, T0), opened("INC-2", T0)])

    assert paged(outgoing) == [("INC-2", "alice")]  # the rules it had
    assert refusals(registry) == 1


def test_a_refusal_read_while_rebuilding_counts_only_if_it_still_stands_after_recovery() -> None:
    """Read again while the partition is rebuilt, a refusal is moot when a later config was
    taken or when this process pins its own at recovery (every reader switches to it): the
    alert would send the operator to restart a process that runs the same rules as its peers."""
    stands, registry = counting_processor()
    feed(stands, [reload_to(LACKING, T0)], live=False)
    assert refusals(registry) == 0
    assert stands.at_recovery(committed=1) == [] and refusals(registry) == 1

    overtaken, registry = counting_processor()
    feed(overtaken, [reload_to(LACKING, T0), reload_to(AFTER, T0 + MINUTE)], live=False)
    overtaken.at_recovery(committed=2)
    assert refusals(registry) == 0

    pinning, registry = counting_processor(startup=AFTER)
    feed(pinning, [reload_to(LACKING, T0)], live=False)
    assert pinning.at_recovery(committed=1) != [] and refusals(registry) == 0


def test_a_snapshot_taken_after_a_reload_restores_the_new_config() -> None:
    before_restart = processor_started_with(BEFORE)
    feed(before_restart, [reload_to(AFTER, T0)])
    snapshot = before_restart.snapshot()
    assert snapshot is not None

    restarted = processor_started_with(BEFORE)  # the file still says alice
    restarted.restore(snapshot)
    outgoing = feed(restarted, [opened("INC-2", T0 + MINUTE)])

    assert paged(outgoing) == [("INC-2", "bob")]


def test_replaying_the_log_switches_config_at_the_same_point() -> None:
    log = [opened("INC-1", T0), reload_to(AFTER, T0 + MINUTE), opened("INC-2", T0 + 2 * MINUTE)]

    live = paged(feed(processor_started_with(BEFORE), log))
    replayed = paged(feed(processor_started_with(BEFORE), log, live=False))

    assert live == replayed == [("INC-1", "alice"), ("INC-2", "bob")]


def startup_processor(text: str, started_at: datetime) -> RouterProcessor:
    processor = processor_started_with(text)
    startup = RulesetActivated(
        version=version_of(text), config=text, activated_at=started_at, source="router start"
    )
    return RouterProcessor(
        3, processor.directory, RouterMetrics(CollectorRegistry()), startup=startup
    )


def test_a_partition_whose_log_runs_another_config_gets_the_startup_one_through_its_log() -> None:
    """Pinned once the partition is rebuilt, before its next input: that input, the first
    incident after the restart, is routed by the startup config."""
    processor = startup_processor(AFTER, T0 + 10 * MINUTE)
    feed(processor, [reload_to(BEFORE, T0)], live=False)  # an older reload, read at recovery

    [pinned] = processor.at_recovery(committed=1)

    activation = unwrap(decode_envelope(pinned.value))
    assert (pinned.topic, pinned.partition, pinned.key) == (INCIDENTS, 3, "ruleset")
    assert isinstance(activation, RulesetActivated) and activation.version == version_of(AFTER)
    assert paged(feed(processor, [activation, opened("INC-1", T0 + 11 * MINUTE)])) == [
        ("INC-1", "bob")
    ]
    assert processor.at_recovery(committed=1) == []  # once per recovery


def test_the_pin_of_a_recovery_done_again_after_a_crash_has_the_same_id() -> None:
    """A crash after the pin was appended but before any commit: the next recovery starts
    from the same offset and writes the same record, which readers drop as seen."""
    pins = []
    for _ in range(2):
        processor = startup_processor(AFTER, T0 + 10 * MINUTE)
        feed(processor, [reload_to(BEFORE, T0)], live=False)
        [pinned] = processor.at_recovery(committed=1)
        pins.append(decode_envelope(pinned.value).event_id)
    assert pins[0] == pins[1]


def test_a_partition_already_running_the_startup_config_gets_no_pin() -> None:
    processor = startup_processor(AFTER, T0 + 10 * MINUTE)
    feed(processor, [reload_to(AFTER, T0)], live=False)

    assert processor.at_recovery(committed=1) == []


def test_a_reload_newer_than_the_process_start_is_not_undone() -> None:
    processor = startup_processor(BEFORE, T0)
    feed(processor, [reload_to(AFTER, T0 + MINUTE)], live=False)

    assert processor.at_recovery(committed=1) == []
    outgoing = feed(processor, [opened("INC-1", T0 + MINUTE)])
    assert paged(outgoing) == [("INC-1", "bob")]


def test_a_startup_pin_read_after_a_newer_reload_does_not_undo_it() -> None:
    processor = processor_started_with(BEFORE)
    pinned_at_start = RulesetActivated(
        version=version_of(BEFORE), config=BEFORE, activated_at=T0, source="router start"
    )

    outgoing = feed(
        processor,
        [reload_to(AFTER, T0 + MINUTE), pinned_at_start, opened("INC-1", T0 + 2 * MINUTE)],
    )

    assert paged(outgoing) == [("INC-1", "bob")]


# After the reload the `oncall` receiver is gone: `escalation` pages bob.
RENAMED = (
    PEOPLE
    + """
escalation_policies:
  - name: escalation
    steps:
      - {delay: 0s, notify: ["user:bob"]}
default_receiver: escalation
"""
)


def opened_under(incident_id: str, at: datetime, text: str) -> Event:
    event = opened(incident_id, at)
    return event.model_copy(update={"ruleset_version": version_of(text)})


def test_an_incident_the_correlator_opened_before_a_reload_is_routed_by_the_old_config() -> None:
    """A reload is written to the router's topic first: incidents the correlator opened under
    the old routes can come after it, naming receivers the new config no longer has."""
    processor = processor_started_with(BEFORE)
    feed(processor, [reload_to(BEFORE, T0)])

    outgoing = feed(
        processor,
        [
            reload_to(RENAMED, T0 + MINUTE),
            opened_under("INC-1", T0 + MINUTE, BEFORE),
            opened_under("INC-2", T0 + 2 * MINUTE, RENAMED),
        ],
    )

    assert paged(outgoing) == [("INC-1", "alice"), ("INC-2", "bob")]


def test_the_config_before_a_reload_survives_a_snapshot() -> None:
    before_restart = processor_started_with(BEFORE)
    feed(before_restart, [reload_to(BEFORE, T0), reload_to(RENAMED, T0 + MINUTE)])
    snapshot = before_restart.snapshot()
    assert snapshot is not None
    restarted = processor_started_with(RENAMED)
    restarted.restore(snapshot)

    outgoing = feed(restarted, [opened_under("INC-1", T0 + MINUTE, BEFORE)])

    assert paged(outgoing) == [("INC-1", "alice")]
