"""The steps every ingest endpoint shares: observe, authenticate, read the body within its
limit, build the normalizer's context, turn watchdog alerts into check-ins, hold each
integration to its rate limit, and accept durably.

Every step returns a value or a `Rejection`; `respond` maps rejections to HTTP in one place,
in the error shape of the source (see `answers.py`). Nothing a sender posts leads to a 5xx
other than 503 (log unavailable, or an Alertmanager or Grafana integration over its rate
limit), which asks it to retry.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import Counter, Histogram
from starlette.requests import ClientDisconnect

from services.ingest.acceptance import AlertSink, Entry, NotAccepted, Submission
from services.ingest.auth import AuthFailure, IntegrationAuth
from services.ingest.config import IngestConfig, IntegrationConfig, IntegrationType
from services.ingest.content_encoding import EncodingRefused, decoded
from services.ingest.heartbeats import Heartbeat, HeartbeatBook
from services.ingest.metrics import UNKNOWN_INTEGRATION, IngestMetrics
from services.ingest.nesting import MAX_BODY_DEPTH, nested_too_deeply
from services.ingest.normalizers.classify import LayerRule
from services.ingest.normalizers.context import NormalizeContext
from services.ingest.normalizers.errors import ROOT, FieldError, InvalidPayload
from services.ingest.normalizers.unvalidated import unvalidated_received
from services.ingest.rate_limits import OverBurst, RateLimits, Refusal, Throttled
from shared.alerts import Alert
from shared.events.inputs import (
    AlertAcknowledgedAtSource,
    AlertDropped,
    AlertReceived,
    ChangeRecorded,
    HeartbeatReceived,
    RequestParameters,
)
from shared.topics import ALERTS, domain_key, domain_keyer

log = logging.getLogger(__name__)

# Seconds a sender is asked to wait before retrying when the log is unavailable.
RETRY_AFTER_S = 5
# The status that makes each source's senders retry a request refused by the rate limit:
# Alertmanager 0.25 retries a 5xx but never a 4xx (a 429 would lose the alerts); Grafana's
# webhook is answered alike. The others' clients expect 429, as their vendors answer.
THROTTLED_STATUS: dict[str, int] = {"alertmanager": 503, "grafana": 503}
# Where a source's body lists its alerts: the field named when there are too many.
_ALERT_LIST = {"alertmanager": "alerts", "grafana": "alerts"}
# The status of an invalid body in each source's answers (PagerDuty: 400 `invalid event`).
_INVALID_STATUS = {"pagerduty": 400}


@dataclass(frozen=True, slots=True)
class Rejection:
    """A refused request: status, a reason from `REJECTION_REASONS`, and what is wrong.

    `retry_after_s`: when to retry, if not `RETRY_AFTER_S`; `alerts`: how many it carried,
    when they were counted (the request was parsed and valid)."""

    status: int
    reason: str
    message: str
    errors: tuple[FieldError, ...] = ()
    integration: str = UNKNOWN_INTEGRATION
    retry_after_s: int | None = None
    alerts: int = 0


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a valid request asks for. `alert_key` None: each alert is keyed by the correlation
    domain of its own labels; else every alert gets that key. `extra`: other events."""

    alerts: Sequence[Alert] = ()
    alert_key: str | None = None
    extra: Sequence[Entry] = field(default_factory=tuple)


ErrorStyle = Callable[[Rejection], JSONResponse]


class Intake:
    def __init__(
        self,
        config: IngestConfig,
        sink: AlertSink,
        metrics: IngestMetrics,
        clock: Callable[[], datetime],
        limits: RateLimits,
    ) -> None:
        self.config = config
        self.sink = sink
        self.metrics = metrics
        self.clock = clock
        self.limits = limits
        self.heartbeats = HeartbeatBook(config.heartbeats, config.correlation.domain_labels)
        self._domain_labels = tuple(config.correlation.domain_labels)
        self._key_of = domain_keyer(self._domain_labels)
        self._auth = IntegrationAuth(config.integrations)
        self._rules = {
            i.name: tuple(LayerRule.parse(r.when, r.layer) for r in i.layer_rules)
            for i in config.integrations
        }
        # Metric children by label value, found once: `labels()` costs more than counting.
        # The values come from small fixed sets (source types, configured integrations).
        self._timers: dict[str, Histogram] = {}
        self._contexts: dict[str, NormalizeContext] = {}
        self._counters: dict[str, Counter] = {}
        self._limits = config.limits()

    async def respond(
        self, source: str, style: ErrorStyle, handle: Callable[[], Awaitable[Any]]
    ) -> Response:
        """Run one request's handler, counting it; a `Rejection` becomes the source's error."""
        timer = self._request_seconds(source).time()
        with self.metrics.in_flight.track_inprogress(), timer:
            result = await handle()
            if isinstance(result, Rejection):
                self._refused(source, result)
                return style(result)
            assert isinstance(result, Response)
            return result

    def authenticate(
        self, credential: str | None, source: IntegrationType
    ) -> IntegrationConfig | Rejection:
        found = self._auth.authenticate(credential, source)
        if isinstance(found, AuthFailure):
            integration = found.integration or UNKNOWN_INTEGRATION
            return Rejection(found.status, "auth", found.message, integration=integration)
        return found

    async def read_json(
        self, request: Request, integration: str = UNKNOWN_INTEGRATION, *, optional: bool = False
    ) -> Any:
        """The parsed body, or a `Rejection` (413 beyond the limit, 400 if not JSON).

        An empty body is None when the body is `optional`, else malformed.
        """
        raw = await self.read_raw(request, integration)
        if isinstance(raw, Rejection):
            return raw
        if optional and not raw.strip():
            return None
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as broken:
            error = FieldError(ROOT, f"is not valid JSON: {broken}")
            return Rejection(400, "malformed", "the body is not valid JSON", (error,), integration)

    async def read_raw(self, request: Request, integration: str) -> bytes | Rejection:
        limit = self.config.max_body_bytes
        too_large = Rejection(413, "too_large", f"the body exceeds {limit} bytes", (), integration)
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return too_large
        raw = bytearray()
        try:
            async for chunk in request.stream():
                raw.extend(chunk)
                if len(raw) > limit:
                    return too_large
        except ClientDisconnect:
            # Nobody is left to answer; nothing was stored.
            return Rejection(400, "disconnected", "the client went away mid-body", (), integration)
        body = decoded(bytes(raw), request.headers.get("content-encoding"), limit)
        if isinstance(body, EncodingRefused):
            reason = {413: "too_large", 415: "unsupported_encoding"}.get(body.status, "malformed")
            return Rejection(body.status, reason, body.message, (), integration)
        return body

    def context(self, integration: IntegrationConfig, received_at: datetime) -> NormalizeContext:
        found = self._contexts.get(integration.name)
        if found is None:  # once per integration: the checks and copies are done then
            found = self._contexts[integration.name] = NormalizeContext(
                integration=integration.name,
                integration_type=integration.type,
                received_at=received_at,
                default_labels=integration.default_labels,
                layer_rules=self._rules[integration.name],
                resolve_timeout=integration.resolve_timeout,
                limits=self._limits,
            )
        return found.at(received_at)

    def integration_key(self, integration: IntegrationConfig) -> str:
        """The record key of key-identified sources (PagerDuty, Opsgenie): the correlation
        domain of the integration's `default_labels` alone. A resolve or acknowledge names
        only a key, no labels, yet must reach the partition its trigger went to."""
        return domain_key(integration.default_labels, self._domain_labels)

    def invalid(
        self,
        integration: IntegrationConfig,
        invalid: InvalidPayload,
        status: int = 422,
        alerts: int = 1,
    ) -> Rejection:
        """The answer to an invalid body that carried `alerts` alerts (or events)."""
        message = "the payload is invalid"
        if invalid.omitted:
            message += f" ({invalid.omitted} more problems not listed)"
        errors = tuple(invalid.errors)
        return Rejection(status, "invalid", message, errors, integration.name, alerts=alerts)

    async def commit(
        self,
        integration: IntegrationConfig,
        body: Any,
        received_at: datetime,
        outcome: Outcome,
        request: RequestParameters | None = None,
    ) -> Rejection | None:
        """Append the request's body (with `request`, its parameters a replay needs) and
        events; None once the log confirmed them.

        First the body's nesting (`nesting.py`), then the integration's rate limit: a request
        that does not fit appends nothing."""
        events = len(outcome.alerts) + len(outcome.extra)
        if integration.type != "canonical" and nested_too_deeply(body):
            return _too_deep(integration, events)  # canonical bodies nest 4 levels at most
        refusal = self.limits.take(integration.name, events)
        if refusal is not None:
            return _rate_limited(refusal, integration, events)
        entries = self._entries(outcome, integration.name, received_at)
        submission = Submission(
            integration.name, integration.type, body, received_at, entries, request
        )
        try:
            await self.sink.accept(submission)
        except NotAccepted as unavailable:
            self.limits.give_back(integration.name, events)
            return _unavailable(unavailable, integration.name, events)
        self._count(entries, integration.name)
        return None

    async def check_in(self, heartbeat: Heartbeat, received_at: datetime) -> Rejection | None:
        """Append a heartbeat's check-in; None once the log confirmed it."""
        entries = [heartbeat.check_in(received_at)]
        try:
            await self.sink.record(entries, f"heartbeat\0{heartbeat.name}", received_at)
        except NotAccepted as unavailable:
            return _unavailable(unavailable, heartbeat.name)
        self._count(entries, None)
        return None

    def _count(self, entries: Sequence[Entry], integration: str | None) -> None:
        alerts = 0
        for entry in entries:
            match entry.event:
                case AlertReceived() | AlertAcknowledgedAtSource() | ChangeRecorded():
                    alerts += 1  # as the rejected counter counts them
                case HeartbeatReceived(name=name):
                    via = "endpoint" if integration is None else "watchdog"
                    self.metrics.heartbeats.labels(heartbeat=name, via=via).inc()
                case AlertDropped() if integration is not None:
                    self.metrics.dropped.labels(integration=integration, reason="watchdog").inc()
        if alerts and integration is not None:
            self._accepted(integration).inc(alerts)

    def _request_seconds(self, source: str) -> Histogram:
        found = self._timers.get(source)
        if found is None:
            found = self._timers[source] = self.metrics.request_seconds.labels(source=source)
        return found

    def _accepted(self, integration: str) -> Counter:
        found = self._counters.get(integration)
        if found is None:
            found = self._counters[integration] = self.metrics.accepted.labels(integration)
        return found

    def _entries(self, outcome: Outcome, integration: str, received_at: datetime) -> list[Entry]:
        entries: list[Entry] = []
        key, key_of = outcome.alert_key, self._key_of
        for alert in outcome.alerts:
            instead = self.heartbeats.watchdog_entries(alert, integration, received_at)
            if instead is not None:
                entries.extend(instead)
                continue
            # The alert was built by a normalizer (`unvalidated.py`): no need to validate again.
            event = unvalidated_received(alert)
            entries.append(Entry(ALERTS, key_of(alert.labels) if key is None else key, event))
        entries.extend(outcome.extra)
        return entries

    def _refused(self, source: str, rejection: Rejection) -> None:
        labels = {"source": source, "integration": rejection.integration}
        self.metrics.rejected.labels(**labels, reason=rejection.reason).inc()
        if rejection.alerts:
            alerts = self.metrics.rejected_alerts.labels(rejection.integration, rejection.reason)
            alerts.inc(rejection.alerts)
        context = {**labels, "status": rejection.status, "reason": rejection.reason}
        if rejection.reason == "unavailable":
            log.warning("request not stored: log unavailable", extra=context)
        elif rejection.reason == "auth":
            log.info("request refused: credential", extra=context)
        else:
            log.debug("request refused", extra=context)


def _unavailable(failure: NotAccepted, integration: str, alerts: int = 0) -> Rejection:
    """503; what the log said stays in our log, the sender learns only to retry. `alerts`:
    those the request carried, counted as refused too."""
    log.warning("append failed", extra={"integration": integration, "error": str(failure)})
    # Not "not stored": a write that missed its deadline inside a transaction still lands, and
    # a Kafka batch may land on some partitions. A retry is safe: alerts deduplicate.
    message = "the event log did not confirm the write (unavailable or slow); retry later"
    return Rejection(503, "unavailable", message, (), integration, alerts=alerts)


def _too_deep(integration: IntegrationConfig, events: int) -> Rejection:
    """A body the normalizer took (it ignores unknown fields, keeps some as JSON text) but
    nested deeper than the log's readers decode: refused whole, as an invalid body."""
    problem = FieldError(ROOT, f"must not be nested more than {MAX_BODY_DEPTH} levels deep")
    status = _INVALID_STATUS.get(integration.type, 422)
    invalid = "the payload is invalid"
    return Rejection(status, "invalid", invalid, (problem,), integration.name, alerts=events)


def _rate_limited(refusal: Refusal, integration: IntegrationConfig, events: int) -> Rejection:
    """The answer to a request over `integration`'s rate limit: retry later, or never fits."""
    name = integration.name
    match refusal:
        case Throttled(retry_after_s=wait):
            status = THROTTLED_STATUS.get(integration.type, 429)
            message = f"the rate limit of integration {name} is exceeded: retry after {wait} s"
            return Rejection(
                status, "rate_limited", message, (), name, retry_after_s=wait, alerts=events
            )
        case OverBurst(burst=burst):
            problem = FieldError(
                _ALERT_LIST.get(integration.type, ROOT),
                f"must have at most {burst} items: the burst of integration {name}'s rate limit",
            )
            invalid = "the payload is invalid"
            return Rejection(422, "rate_limited", invalid, (problem,), name, alerts=events)
