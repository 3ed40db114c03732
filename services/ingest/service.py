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
from services.ingest.metrics import IngestMetrics
from services.ingest.rate_limits import RateLimits
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
    sink = AlertSink(event_log, settings.append_timeout_s, metrics)
    limits = RateLimits(config.integrations, monotonic, processes)
    intake = Intake(config, sink, metrics, clock, limits)
    router = APIRouter()
    router.include_router(webhook_routes(intake))
    router.include_router(pagerduty_routes(intake))
    router.include_router(opsgenie_routes(intake))
    router.include_router(heartbeat_routes(intake))
    return router
