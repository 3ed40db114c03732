"""The steps every ingest endpoint shares: authenticate, read the body, build the context,
accept durably, and answer failures the way the source expects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from fastapi import Request

from services.ingest.acceptance import AlertSink
from services.ingest.auth import AuthFailure, IntegrationAuth
from services.ingest.config import IngestConfig, IntegrationConfig, IntegrationType
from services.ingest.metrics import IngestMetrics
from services.ingest.normalizers.classify import LayerRule
from services.ingest.normalizers.context import NormalizeContext

# Seconds a sender is asked to wait before retrying when the log is unavailable.
RETRY_AFTER_S = 5


@dataclass(frozen=True)
class Rejection:
    """A request refused before normalization: status and a human message."""

    status: int
    reason: str  # small fixed set, for metrics
    message: str


@dataclass(frozen=True)
class Admitted:
    integration: IntegrationConfig
    body: Any
    received_at: datetime


class Intake:
    def __init__(
        self,
        config: IngestConfig,
        sink: AlertSink,
        metrics: IngestMetrics,
        clock: Callable[[], datetime],
    ) -> None:
        self.config = config
        self.sink = sink
        self.metrics = metrics
        self.clock = clock
        self._auth = IntegrationAuth(config.integrations)
        self._rules = {
            i.name: tuple(LayerRule.parse(r.when, r.layer) for r in i.layer_rules)
            for i in config.integrations
        }

    async def admit(
        self, request: Request, credential: str | None, source: IntegrationType
    ) -> Admitted | Rejection:
        """Authenticate, then read and parse the body within the size limit."""
        found = self._auth.authenticate(credential, source)
        if isinstance(found, AuthFailure):
            return Rejection(found.status, "auth", found.message)
        declared = request.headers.get("content-length")
        limit = self.config.max_body_bytes
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return Rejection(413, "too_large", f"body exceeds {limit} bytes")
        raw = bytearray()
        async for chunk in request.stream():
            raw.extend(chunk)
            if len(raw) > limit:
                return Rejection(413, "too_large", f"body exceeds {limit} bytes")
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as broken:
            return Rejection(400, "malformed", f"body is not valid JSON: {broken}")
        return Admitted(found, body, self.clock())

    def context(self, admitted: Admitted) -> NormalizeContext:
        integration = admitted.integration
        return NormalizeContext(
            integration=integration.name,
            integration_type=integration.type,
            received_at=admitted.received_at,
            default_labels=integration.default_labels,
            layer_rules=self._rules[integration.name],
            resolve_timeout=integration.resolve_timeout,
        )

    def rejected(self, source: str, reason: str) -> None:
        self.metrics.rejected.labels(source=source, reason=reason).inc()
