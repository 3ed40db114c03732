"""Assembling the router: the escalation runner and the dispatcher runner."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from prometheus_client import CollectorRegistry

from services.router.config import RouterConfig
from services.router.directory import ConfigDirectory
from services.router.dispatcher import Deliverer, DispatcherProcessor
from services.router.metrics import RouterMetrics
from services.router.processor import RouterProcessor
from services.router.schedule_lookup import on_call_lookup
from shared.log.port import EventLog
from shared.runtime.processor import PartitionProcessor
from shared.runtime.runner import PartitionedRunner
from shared.topics import INCIDENTS, NOTIFICATIONS


def router_runners(
    config: RouterConfig,
    event_log: EventLog,
    registry: CollectorRegistry,
    clock: Callable[[], datetime],
    deliverer: Deliverer,
) -> list[PartitionedRunner]:
    metrics = RouterMetrics(registry)
    directory = ConfigDirectory(config, on_call_lookup(config))

    def new_router(partition: int) -> PartitionProcessor:
        return RouterProcessor(partition, directory, metrics)

    def new_dispatcher(partition: int) -> PartitionProcessor:
        return DispatcherProcessor(partition, deliverer, clock, metrics)

    return [
        PartitionedRunner(
            event_log, topic=INCIDENTS, group="tocsin-router", factory=new_router, clock=clock
        ),
        PartitionedRunner(
            event_log,
            topic=NOTIFICATIONS,
            group="tocsin-dispatcher",
            factory=new_dispatcher,
            clock=clock,
        ),
    ]
