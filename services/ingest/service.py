"""Assembling ingest: config → auth, sink and every source's routes."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter
from prometheus_client import CollectorRegistry

from services.ingest.acceptance import AlertSink
from services.ingest.config import IngestConfig
from services.ingest.intake import Intake
from services.ingest.metrics import UNKNOWN_INTEGRATION, IngestMetrics
from services.ingest.rate_limits import RateLimits
from services.ingest.routes_heartbeats import SOURCE as HEARTBEAT_SOURCE
from services.ingest.routes_heartbeats import heartbeat_routes
from services.ingest.routes_opsgenie import opsgenie_routes
from services.ingest.routes_pagerduty import pagerduty_routes
from services.ingest.routes_webhooks import webhook_routes
from shared.config.settings import RuntimeSettings
from shared.log.port import EventLog


def ingest_router(
    config: IngestConfig,
    event_log: EventLog,
    registry: CollectorRegistry,
    settings: RuntimeSettings,
    clock: Callable[[], datetime],
    *,
    monotonic: Callable[[], float] = time.monotonic,
    processes: int = 1,
) -> APIRouter:
    """Ingest's routes. `monotonic` times the rate limits; `processes`: how many ingest
    processes serve the port, each holding that share of every integration's rate limit."""
    metrics = IngestMetrics(registry)
    metrics.expect_rejections(_senders(config))
    sink = AlertSink(event_log, settings.append_timeout_s, metrics)
    limits = RateLimits(config.integrations, monotonic, processes)
    intake = Intake(config, sink, metrics, clock, limits)
    router = APIRouter()
    router.include_router(webhook_routes(intake))
    router.include_router(pagerduty_routes(intake))
    router.include_router(opsgenie_routes(intake))
    router.include_router(heartbeat_routes(intake))
    return router


def _senders(config: IngestConfig) -> list[tuple[str, str]]:
    """(source, integration) of every configured sender, and of unknown credentials on the
    endpoints they use."""
    named = {(str(integration.type), integration.name) for integration in config.integrations}
    sources = {source for source, _ in named} | ({HEARTBEAT_SOURCE} if config.heartbeats else set())
    return sorted(named | {(source, UNKNOWN_INTEGRATION) for source in sources})
