"""Rule set reloads through the log: the processor switches at the event, replays alike."""

from __future__ import annotations

from pathlib import Path

import httpx
import yaml
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from services.cli.config_bundle import check_config_text
from services.correlator.config import CorrelatorConfig
from services.correlator.metrics import CorrelatorMetrics
from services.correlator.processor import CorrelatorProcessor
from services.correlator.reload import reload_routes
from services.correlator.rulesets import config_text, policy_from_text, version_of
from shared.events import (
    AlertReceived,
    Envelope,
    decode_envelope,
    deterministic_id,
    encode_envelope,
    unwrap,
    wrap,
)
from shared.events.base import Event
from shared.events.incidents import (
    AlertGrouped,
    IncidentOpened,
    IncidentResolved,
    InputDropped,
    RulesetActivated,
    RulesetApplied,
)
from shared.log.embedded import EmbeddedLog
from shared.log.port import Outgoing, Record
from shared.topics import ALERTS, INCIDENTS, NOTIFICATIONS
from tests.unit.correlator.correlator_world import DOMAIN, alert, at, policy_from

V1 = "route: {receiver: oncall, group_by: [alertname]}\n"
V2 = "route: {receiver: oncall, group_by: [alertname, instance]}\n"


def envelope(event: Event, seconds: int) -> Envelope:
    key = "ruleset" if isinstance(event, RulesetActivated) else DOMAIN
    return wrap(
        event, key=key, event_id=deterministic_id("input", seconds), occurred_at=at(seconds)
    )


def activation(text: str, seconds: int) -> RulesetActivated:
    return RulesetActivated(version=version_of(text), config=text, activated_at=at(seconds))


INPUTS = [
    envelope(alert("Disk", instance="x"), 0),
    envelope(alert("Disk", instance="y"), 1),
    envelope(activation(V2, 2), 2),
    envelope(alert("Disk", instance="z"), 3),
    envelope(activation("route: {receiver: [not, a, name]}\n", 4), 4),
    envelope(alert("Disk", instance="w"), 5),
]


def run(inputs: list[Envelope]) -> tuple[CorrelatorProcessor, list[Event]]:
    processor = CorrelatorProcessor(
        0, policy_from(V1, "v1"), CorrelatorMetrics(CollectorRegistry())
    )
    decided: list[Event] = []
    for received in inputs:
        for out in processor.apply(received, unwrap(received), live=True):
            decided.append(unwrap(decode_envelope(out.value)))
    return processor, decided


def test_rule_set_activation_switches_grouping_from_that_point_of_the_log() -> None:
    processor, decided = run(INPUTS)
    opened_x, grouped_y, applied, opened_z, rejected, grouped_w = decided
    assert isinstance(opened_x, IncidentOpened) and opened_x.ruleset_version == "v1"
    assert isinstance(grouped_y, AlertGrouped) and grouped_y.ruleset_version == "v1"
    assert isinstance(applied, RulesetApplied)
    assert applied.reason == (
        f"rule set {version_of(V2)} replaces the rule set loaded at start"
        " from this point of the log"
    )
    assert isinstance(opened_z, IncidentOpened) and opened_z.ruleset_version == version_of(V2)
    assert opened_z.group_key == '{}:{alertname="Disk", instance="z"}'
    assert isinstance(rejected, InputDropped) and rejected.input_type == "RulesetActivated"
    assert isinstance(grouped_w, IncidentOpened) and grouped_w.ruleset_version == version_of(V2)
    assert processor.policy.version == version_of(V2)


def test_replaying_the_log_switches_rule_sets_at_the_same_points() -> None:
    first = [e.model_dump_json() for e in run(INPUTS)[1]]
    second = [e.model_dump_json() for e in run(INPUTS)[1]]
    assert first == second


def test_what_came_due_before_an_activation_is_decided_by_the_rules_it_came_due_under() -> None:
    """X ends at 60 s and its incident's grace (V1's default 5 min; 1 h under the next rule
    set) ends at 6 min; the activation at 7 min comes before the live tick. The incident
    resolves at 6 min under V1, as a tick in time would have had it, not under the new rules."""
    longer = V1 + "correlation: {resolve_grace: 1h}\n"
    ends = alert("Disk", instance="x", ends_at=at(60))
    _, decided = run([envelope(ends, 0), envelope(activation(longer, 420), 420)])

    opened, ended, resolved, applied = decided
    assert isinstance(opened, IncidentOpened)
    assert isinstance(resolved, IncidentResolved) and resolved.resolved_at == at(360)
    assert resolved.ruleset_version == "v1" and ended.ruleset_version == "v1"
    assert isinstance(applied, RulesetApplied) and applied.version == version_of(longer)


def test_open_incidents_metric_reads_state_rebuilt_by_replay() -> None:
    registry = CollectorRegistry()
    metrics = CorrelatorMetrics(registry)
    processor = CorrelatorProcessor(0, policy_from(V1, "v1"), metrics)
    metrics.watch(lambda: [processor.state])
    for received in INPUTS:
        processor.apply(received, unwrap(received), live=False)
    assert registry.get_sample_value("tocsin_correlator_open_incidents") == 3
    assert registry.get_sample_value("tocsin_correlator_open_alerts") == 4
    assert (
        registry.get_sample_value("tocsin_correlator_decisions_total", {"decision": "opened"})
        is None
    )


async def test_reload_endpoint_appends_the_rule_set_to_every_alerts_partition(
    tmp_path: Path,
) -> None:
    config = tmp_path / "tocsin.yaml"
    config.write_text(V2, encoding="utf-8")
    log = EmbeddedLog(tmp_path / "log.db")
    await log.start()
    await log.ensure_topics({ALERTS: 3, INCIDENTS: 2, NOTIFICATIONS: 2})
    app = FastAPI()
    app.include_router(reload_routes(config, log, lambda: at(0), check=check_config_text))
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            answer = await client.post("/api/v1/rules/reload")
            config.write_text("route: {}\n", encoding="utf-8")
            refused = await client.post("/api/v1/rules/reload")
        records = [await log.read(ALERTS, p, 0, 10) for p in range(3)]
        for_router = [await log.read(INCIDENTS, p, 0, 10) for p in range(2)]
        for_dispatcher = [await log.read(NOTIFICATIONS, p, 0, 10) for p in range(2)]
    finally:
        await log.close()
    assert answer.status_code == 202
    assert answer.json() == {"status": "success", "version": version_of(V2), "partitions": 3}
    assert [len(r) for r in records] == [1, 1, 1]
    activated = unwrap(decode_envelope(records[2][0].value))
    assert isinstance(activated, RulesetActivated)
    assert (activated.version, activated.config) == (version_of(V2), V2)
    assert [len(r) for r in for_router] == [1, 1]
    assert unwrap(decode_envelope(for_router[1][0].value)) == activated
    assert [len(r) for r in for_dispatcher] == [1, 1]
    assert unwrap(decode_envelope(for_dispatcher[0][0].value)) == activated
    assert refused.status_code == 422
    assert refused.json()["status"] == "error"
    assert "route.receiver: the root route must have a receiver" in refused.json()["message"]


def test_a_rule_set_text_builds_a_policy_of_its_version_or_says_what_is_wrong() -> None:
    built = policy_from_text(V2, version_of(V2))
    assert not isinstance(built, str) and built.version == version_of(V2)
    assert policy_from_text("- a list\n", "v9") == (
        "rule set v9:1: (top level): the config must be a mapping"
    )
    broken = policy_from_text("topology: {max_hops: 9}\n", "v9")
    assert isinstance(broken, str) and "topology.max_hops" in broken


FULL = """
route: {receiver: oncall, group_by: [alertname], group_wait: 45s}
inhibit_rules:
  - {source_matchers: ['alertname="A"'], target_matchers: ['alertname="B"'], equal: [cluster]}
correlation:
  resolve_grace: 90s
  flapping: {max_flaps: 4, within: 1h}
  rules: [{name: r, matchers: ['team="x"'], threshold: {alerts: 2, within: 1500ms}}]
topology:
  hosts: {node-1: {cluster: c1}}
  services: {api: {hosts: [node-1], depends_on: [db]}}
  business_metrics: {signups: {driven_by: [api]}}
  correlation_window: 10m
heartbeats: [{name: cron, interval: 1h, labels: {region: eu}}]
"""


def test_config_text_reads_back_to_the_same_config() -> None:
    config = CorrelatorConfig.model_validate(yaml.safe_load(FULL))
    again = CorrelatorConfig.model_validate(yaml.safe_load(config_text(config)))
    assert again == config


def startup_processor(text: str = V2, seconds: int = 0) -> CorrelatorProcessor:
    """Partition 3 of a correlator process started at `seconds` with the config file `text`."""
    version = version_of(text)
    startup = RulesetActivated(
        version=version, config=text, activated_at=at(seconds), source="correlator start"
    )
    policy = policy_from(text, version)
    metrics = CorrelatorMetrics(CollectorRegistry())
    return CorrelatorProcessor(3, policy, metrics, startup=startup)


def test_a_partition_not_running_the_startup_rule_set_gets_it_through_its_log() -> None:
    """Pinned once the partition is rebuilt, before its next input (which the startup rule set
    then decides), on the partition's own input topic."""
    processor = startup_processor()
    [pinned] = processor.at_recovery(committed=0)
    assert (pinned.topic, pinned.partition, pinned.key) == (ALERTS, 3, "ruleset")
    activation = unwrap(decode_envelope(pinned.value))
    assert isinstance(activation, RulesetActivated) and activation.version == version_of(V2)
    pinned_envelope = decode_envelope(pinned.value)
    [applied] = [
        unwrap(decode_envelope(o.value))
        for o in processor.apply(pinned_envelope, activation, live=True)
    ]
    assert isinstance(applied, RulesetApplied)
    assert processor.policy.version == version_of(V2)
    assert processor.at_recovery(committed=0) == []  # once per recovery


def test_a_partition_already_running_the_startup_rule_set_is_left_alone() -> None:
    processor = startup_processor()
    replayed = envelope(RulesetActivated(version=version_of(V2), config=V2, activated_at=at(0)), 0)
    processor.apply(replayed, unwrap(replayed), live=False)
    assert processor.at_recovery(committed=1) == []


def test_a_reload_newer_than_the_process_start_is_not_undone() -> None:
    processor = startup_processor()
    newer = RulesetActivated(version=version_of(V1), config=V1, activated_at=at(5))
    reloaded = envelope(newer, 5)
    processor.apply(reloaded, unwrap(reloaded), live=False)
    assert processor.at_recovery(committed=1) == []
    assert processor.policy.version == version_of(V1)


def test_open_incidents_metric_has_no_sample_while_a_partition_is_rebuilt() -> None:
    """A sum over partitions some of which are half rebuilt would read as a false drop."""
    registry = CollectorRegistry()
    metrics = CorrelatorMetrics(registry)
    processor = CorrelatorProcessor(0, policy_from(V1, "v1"), metrics)
    rebuilding = {1}
    metrics.watch(lambda: [processor.state], lambda: frozenset(rebuilding))
    for received in INPUTS:
        processor.apply(received, unwrap(received), live=False)

    assert registry.get_sample_value("tocsin_correlator_open_incidents") is None
    assert registry.get_sample_value("tocsin_correlator_open_alerts") is None
    rebuilding.clear()
    assert registry.get_sample_value("tocsin_correlator_open_incidents") == 3


def test_alerts_processed_are_counted_once_each_by_what_became_of_them() -> None:
    registry = CollectorRegistry()
    metrics = CorrelatorMetrics(registry)
    processor = CorrelatorProcessor(0, policy_from(V1, "v1"), metrics)
    for received in INPUTS:
        processor.apply(received, unwrap(received), live=True)

    processed = {
        sample.labels["decision"]: sample.value
        for family in registry.collect()
        if family.name == "tocsin_correlator_alerts_processed"
        for sample in family.samples
        if sample.name.endswith("_total")
    }
    alerts = sum(1 for received in INPUTS if isinstance(unwrap(received), AlertReceived))
    assert sum(processed.values()) == alerts
    assert processed["opened"] == 3  # as many as the incidents it opened
    assert "none" not in processed


def test_an_alert_sent_again_past_its_end_counts_by_its_own_decision() -> None:
    """X, due to end at 60 s, is sent again at 90 s before the live tick: its end is decided
    first (as of 60 s), then it fires anew; it is counted as what its notification made of
    it, not as the end its time made due."""
    registry = CollectorRegistry()
    processor = CorrelatorProcessor(0, policy_from(V1, "v1"), CorrelatorMetrics(registry))
    ending = alert("Disk", instance="x", ends_at=at(60))
    again = alert("Disk", instance="x", starts_at=at(0), ends_at=at(150))
    decided: list[str] = []
    for received in (envelope(ending, 0), envelope(again, 90)):
        outputs = processor.apply(received, unwrap(received), live=True)
        decided += [type(unwrap(decode_envelope(o.value))).__name__ for o in outputs]

    assert decided == ["IncidentOpened", "AlertResolved", "AlertGrouped"]
    counted = registry.get_sample_value(
        "tocsin_correlator_alerts_processed_total", {"decision": "grouped"}
    )
    assert counted == 1
    assert (
        registry.get_sample_value(
            "tocsin_correlator_alerts_processed_total", {"decision": "alert_resolved"}
        )
        is None
    )


def test_a_rule_set_naming_a_variable_the_correlator_lacks_is_counted_as_refused() -> None:
    """Live at once; read while the partition is rebuilt, only if it still stands after the
    recovery (moot when the process pins its own config then: every reader switches to it)."""
    lacking = V2.replace("instance]", "'${TEST_UNSET_LABEL}']")
    refused = envelope(activation(lacking, 2), 2)
    counted = []
    for live, startup in ((True, None), (False, None), (False, V2)):
        registry = CollectorRegistry()
        pin = None if startup is None else activation(startup, 5)
        processor = CorrelatorProcessor(
            0, policy_from(V1, "v1"), CorrelatorMetrics(registry), startup=pin
        )
        [dropped] = processor.apply(refused, unwrap(refused), live=live)
        assert isinstance(unwrap(decode_envelope(dropped.value)), InputDropped)
        assert processor.policy.version == "v1"
        processor.at_recovery(committed=1)
        reader = {"reader": "correlator"}
        counted.append(registry.get_sample_value("tocsin_config_rejected_total", reader))

    assert counted == [1, 1, 0]


def test_a_startup_pin_read_after_a_newer_reload_does_not_undo_it() -> None:
    """A reload landing on the log between the recovery's pin and its reading (another
    process reloading meanwhile) comes first: reading the older pin afterwards keeps it."""
    processor = startup_processor()
    [pinned] = processor.at_recovery(committed=1)
    reload = envelope(activation(V1, 2), 2)
    processor.apply(reload, unwrap(reload), live=True)
    assert processor.policy.version == version_of(V1)

    pin = decode_envelope(pinned.value)
    [kept] = [
        unwrap(decode_envelope(o.value)) for o in processor.apply(pin, unwrap(pin), live=True)
    ]

    assert processor.policy.version == version_of(V1)
    assert isinstance(kept, InputDropped) and "stays active" in kept.reason


def test_a_rule_set_on_the_log_reads_legacy_label_maps_as_alertmanager_does() -> None:
    """Numbers, booleans and null in `source_match`/`target_match` are their text as written
    (null: ""), as `rules check` read the file: refused here before, so the reload stopped."""
    text = (
        "inhibit_rules:\n"
        "  - source_match: {code: 0x1F, version: 1.50}\n"
        "    target_match: {muted: yes, owner: null}\n"
    )
    built = policy_from_text(text, version_of(text))

    assert not isinstance(built, str), built
    [rule] = built.inhibit_rules
    source = {(m.name, m.value) for m in rule.source_matchers}
    target = {(m.name, m.value) for m in rule.target_matchers}
    assert (source, target) == (
        {("code", "0x1F"), ("version", "1.50")},
        {("muted", "yes"), ("owner", "")},
    )


def _recovered(
    processor: CorrelatorProcessor, log: list[Envelope], committed: int
) -> list[Outgoing]:
    """As the runner recovers a partition: replay up to the committed offset, look ahead at
    the rest, then the records to append before handling it."""
    for offset, received in enumerate(log):
        record = Record(ALERTS, 0, offset, received.key, encode_envelope(received))
        if offset < committed:
            processor.replay(record)
        else:
            processor.look_ahead(record)
    return processor.at_recovery(committed)


def test_a_pin_waiting_past_the_committed_offset_counts_as_what_the_log_runs() -> None:
    """A run started with an edited file (V2) pinned it, handled a backlog, committed past it
    and crashed before its pin: restarted with the same file it pins nothing more (it pinned
    a second time, "V2 replaces V2"); restarted with the file reverted to V1 it pins V1 after
    the waiting pin (else the waiting pin switched the partition to V2, against the file)."""
    log = [envelope(activation(V1, 0), 0), envelope(alert("Disk", instance="a"), 1)]
    log += [envelope(alert("Disk", instance=name), 2 + i) for i, name in enumerate("bc")]
    [crashed_pin] = _recovered(startup_processor(V2, 100), log, committed=2)
    log.append(decode_envelope(crashed_pin.value))  # offset 4; the backlog committed, to 4

    assert _recovered(startup_processor(V2, 200), log, committed=4) == []
    reverted = startup_processor(V1, 200)
    [pin] = _recovered(reverted, log, committed=4)
    for received in [*log[4:], decode_envelope(pin.value)]:
        reverted.apply(received, unwrap(received), live=True)
    assert reverted.policy.version == version_of(V1)
