"""Durable acceptance: append a request's alerts and body to the log, whole, before any 2xx."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from services.ingest.metrics import IngestMetrics
from shared.alerts import Alert
from shared.events import AlertReceived, PayloadReceived, deterministic_id, encode_envelope, wrap
from shared.events.base import Event
from shared.log.port import EventLog, LogUnavailable, Outgoing
from shared.topics import ALERTS, PAYLOADS, domain_key


class NotAccepted(Exception):
    """The log did not confirm the write in time: answer 503 so the sender retries."""


class AlertSink:
    def __init__(
        self,
        event_log: EventLog,
        domain_labels: Sequence[str],
        timeout_s: float,
        metrics: IngestMetrics,
    ) -> None:
        self._log = event_log
        self._domain_labels = tuple(domain_labels)
        self._timeout_s = timeout_s
        self._metrics = metrics

    async def accept(
        self,
        *,
        integration: str,
        source: str,
        body: Any,
        alerts: Sequence[Alert],
        received_at: datetime,
        extra: Sequence[tuple[str, Event]] = (),
    ) -> None:
        """Append, or raise NotAccepted. A retried body maps to the same alert event ids."""
        digest = hashlib.blake2b(orjson.dumps(body), digest_size=16).hexdigest()
        records = [self._payload(integration, source, body, digest, received_at)]
        for index, alert in enumerate(alerts):
            key = domain_key(alert.labels, self._domain_labels)
            event_id = deterministic_id("alert", integration, digest, index)
            envelope = wrap(
                AlertReceived(alert=alert), key=key, event_id=event_id, occurred_at=received_at
            )
            records.append(Outgoing(ALERTS, key, encode_envelope(envelope)))
        for index, (topic, event) in enumerate(extra):
            event_id = deterministic_id("extra", integration, digest, index)
            envelope = wrap(event, key=integration, event_id=event_id, occurred_at=received_at)
            records.append(Outgoing(topic, integration, encode_envelope(envelope)))
        await self._append(records)

    def _payload(
        self, integration: str, source: str, body: Any, digest: str, received_at: datetime
    ) -> Outgoing:
        event = PayloadReceived(
            integration=integration, source=source, received_at=received_at, body=body
        )
        event_id = deterministic_id("payload", integration, digest, received_at.isoformat())
        envelope = wrap(event, key=integration, event_id=event_id, occurred_at=received_at)
        return Outgoing(PAYLOADS, integration, encode_envelope(envelope))

    async def append_events(self, records: Sequence[Outgoing]) -> None:
        await self._append(records)

    async def _append(self, records: Sequence[Outgoing]) -> None:
        with self._metrics.append_seconds.time():
            try:
                await asyncio.wait_for(self._log.append(records), self._timeout_s)
            except (LogUnavailable, TimeoutError) as failure:
                raise NotAccepted(str(failure) or "the event log did not answer in time") from None
