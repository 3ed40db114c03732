"""Assembling the correlator: config → policy → a partitioned runner over the alerts topic."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from prometheus_client import CollectorRegistry

from services.correlator.config import CorrelatorConfig
from services.correlator.domain.state import CorrelatorState
from services.correlator.grouping import build_policy
from services.correlator.metrics import CorrelatorMetrics, InputsSeen
from services.correlator.processor import CorrelatorProcessor
from services.correlator.rulesets import RulesetBook, config_text
from shared.events.incidents import RulesetActivated
from shared.log.port import EventLog
from shared.runtime.processor import PartitionProcessor
from shared.runtime.runner import PartitionedRunner
from shared.runtime.snapshots import SNAPSHOT_EVERY
from shared.topics import ALERTS

GROUP = "tocsin-correlator"


def correlator_runner(
    config: CorrelatorConfig,
    ruleset_version: str,
    event_log: EventLog,
    registry: CollectorRegistry,
    clock: Callable[[], datetime],
    snapshot_every: int = SNAPSHOT_EVERY,
    text: str = "",
) -> PartitionedRunner:
    """`text`: the config file as written, pinned on the log as a reload writes it (its
    `${NAME}` references read again by whoever reads it, secrets never written); without one
    (a config made in code), the correlator's part of `config`."""
    policy = build_policy(config, ruleset_version)
    metrics = CorrelatorMetrics(registry)
    rulesets = RulesetBook()
    startup = RulesetActivated(
        version=ruleset_version,
        config=text or config_text(config),
        activated_at=clock(),
        source="correlator start",
    )

    def new_processor(partition: int) -> PartitionProcessor:
        return CorrelatorProcessor(partition, policy, metrics, rulesets, startup)

    runner = PartitionedRunner(
        event_log,
        topic=ALERTS,
        group=GROUP,
        factory=new_processor,
        clock=clock,
        snapshot_every=snapshot_every,
    )

    def states() -> list[CorrelatorState]:
        processors = list(runner.processors.values())
        return [p.state for p in processors if isinstance(p, CorrelatorProcessor)]

    def inputs_seen() -> InputsSeen:
        processors = list(runner.processors.items())
        last_input_at = {
            partition: p.last_input_at
            for partition, p in processors
            if isinstance(p, CorrelatorProcessor) and p.last_input_at is not None
        }
        return InputsSeen(runner.lag(), last_input_at, runner.caught_up_at())

    metrics.watch(states, lambda: runner.rebuilding)
    metrics.watch_inputs(inputs_seen, clock)
    return runner
