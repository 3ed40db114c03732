"""Assembling the correlator: config → policy → a partitioned runner over the alerts topic."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from prometheus_client import CollectorRegistry

from services.correlator.config import CorrelatorConfig
from services.correlator.grouping import build_policy
from services.correlator.metrics import CorrelatorMetrics
from services.correlator.processor import CorrelatorProcessor
from shared.log.port import EventLog
from shared.runtime.processor import PartitionProcessor
from shared.runtime.runner import PartitionedRunner
from shared.topics import ALERTS

GROUP = "tocsin-correlator"


def correlator_runner(
    config: CorrelatorConfig,
    ruleset_version: str,
    event_log: EventLog,
    registry: CollectorRegistry,
    clock: Callable[[], datetime],
) -> PartitionedRunner:
    policy = build_policy(config, ruleset_version)
    metrics = CorrelatorMetrics(registry)

    def new_processor(partition: int) -> PartitionProcessor:
        return CorrelatorProcessor(partition, policy, metrics)

    return PartitionedRunner(
        event_log, topic=ALERTS, group=GROUP, factory=new_processor, clock=clock
    )
