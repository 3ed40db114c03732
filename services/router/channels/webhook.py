"""Generic webhook channel: POSTs the page as signed, versioned JSON.

The body is `render.render_webhook(page)`, described by `WEBHOOK_SCHEMA_V1` below. Every
attempt is signed afresh (see `signing`), so a retry never carries a stale timestamp. A
request whose response was lost is sent again: receivers must deduplicate on the
`X-Tocsin-Notification-Id` header.

Outcome by response: 2xx delivered; 408, 429, 5xx, timeouts and connection errors
retryable (a `Retry-After` is waited for, up to the retry policy's `max_delay`); any other
status permanent (redirects are not followed — fix the URL instead).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import orjson

from services.router.channels.delivery import DeliveryOutcome
from services.router.channels.http_post import JsonPoster
from services.router.channels.page import Page
from services.router.channels.render import render_webhook
from services.router.channels.settings import WebhookSettings
from services.router.channels.signing import signed_headers


class WebhookChannel:
    """Sends pages to one webhook URL. The caller owns `poster` and closes it."""

    def __init__(
        self,
        settings: WebhookSettings,
        poster: JsonPoster,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._poster = poster
        self._clock = clock

    async def send(self, page: Page) -> DeliveryOutcome:
        body = orjson.dumps(render_webhook(page))
        secret = self._settings.secret
        key = secret.get_secret_value().encode() if secret is not None else None
        signed = signed_headers(key, page.notification_id, int(self._clock()), body)
        return await self._poster.post(
            str(self._settings.url), body, signed, self._settings.timeout
        )


def _str(**extra: Any) -> dict[str, Any]:
    return {"type": "string", **extra}


_DATETIME = _str(format="date-time")
_LAYERS = ["business", "application", "infrastructure"]
_ALERT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "alertname",
        "severity",
        "layer",
        "summary",
        "service",
        "runbook_url",
        "resolved",
    ],
    "properties": {
        "alertname": _str(),
        "severity": _str(enum=["critical", "error", "warning", "info"]),
        "layer": _str(enum=_LAYERS),
        "summary": _str(),
        "service": {"type": ["string", "null"]},
        "runbook_url": {
            "type": ["string", "null"],
            "format": "uri",
            "description": "the alert's runbook link (its runbook_url annotation), if any",
        },
        "resolved": {"type": "boolean", "description": "stopped firing since it joined"},
    },
}
WEBHOOK_SCHEMA_V1: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Tocsin webhook page, version 1",
    "description": "Alerts are ordered business, application, infrastructure. Fields may be "
    "added within version 1; removing or changing one bumps the version.",
    "type": "object",
    "required": [
        "version",
        "notification_id",
        "test",
        "summary",
        "incident",
        "alerts",
        "escalation",
        "links",
    ],
    "properties": {
        "version": {"const": "1"},
        "notification_id": _str(description="idempotency key; repeated on redelivery"),
        "test": {"type": "boolean"},
        "summary": _str(description="the human headline, impact first"),
        "incident": {
            "type": "object",
            "required": [
                "id",
                "title",
                "status",
                "status_by",
                "priority",
                "impact",
                "probable_cause",
                "flapping",
                "affected_services",
                "alert_count",
                "resolved_count",
                "layers",
                "first_alert_at",
                "opened_at",
            ],
            "properties": {
                "id": _str(),
                "title": _str(),
                "status": _str(enum=["triggered", "acknowledged", "resolved", "escalated"]),
                "status_by": _str(
                    description="who acknowledged or resolved it, on those updates; else empty"
                ),
                "priority": _str(enum=["P1", "P2", "P3", "P4", "P5"]),
                "impact": _str(description="business impact; empty when unknown"),
                "probable_cause": {"type": ["string", "null"]},
                "flapping": _str(description="why it is flapping; empty when it is not"),
                "affected_services": {"type": "array", "items": _str()},
                "alert_count": {"type": "integer", "minimum": 0},
                "resolved_count": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "how many of the alert_count alerts stopped firing",
                },
                "layers": {"type": "array", "items": _str(enum=_LAYERS)},
                "first_alert_at": _DATETIME,
                "opened_at": _DATETIME,
            },
        },
        "alerts": {"type": "array", "items": _ALERT_SCHEMA},
        "escalation": {
            "type": "object",
            "required": ["step", "repeat", "target", "reassigned"],
            "properties": {
                "step": {"type": "integer", "minimum": 1},
                "repeat": {"type": "integer", "minimum": 0},
                "target": _str(),
                "reassigned": {
                    "type": "boolean",
                    "description": "paged because the incident was reassigned to them",
                },
            },
        },
        "links": {
            "type": "object",
            "required": ["incident", "acknowledge", "resolve"],
            "properties": {
                name: _str(format="uri") for name in ("incident", "acknowledge", "resolve")
            },
        },
    },
}
