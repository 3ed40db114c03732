"""Alertmanager, Grafana and Tocsin's own JSON: bearer-token webhooks, same answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response

from services.ingest.answers import accepted, tocsin_error
from services.ingest.auth import bearer_token
from services.ingest.config import IntegrationType
from services.ingest.examples import ALERTMANAGER_EXAMPLE, CANONICAL_EXAMPLE, GRAFANA_EXAMPLE
from services.ingest.examples_vendors import TOCSIN_ACCEPTED_EXAMPLE, TOCSIN_INVALID_EXAMPLE
from services.ingest.intake import THROTTLED_STATUS, Intake, Outcome, Rejection
from services.ingest.normalizers.alertmanager import normalize_alertmanager
from services.ingest.normalizers.canonical import normalize_canonical
from services.ingest.normalizers.context import NormalizeContext
from services.ingest.normalizers.errors import InvalidPayload
from services.ingest.normalizers.grafana import normalize_grafana
from services.ingest.openapi import (
    BATCH_OVER_BURST,
    THROTTLED_BY_503,
    Responses,
    operation,
    responses,
)
from services.ingest.raw_route import RawRequestRoute
from shared.alerts import Alert

Normalizer = Callable[[Any, NormalizeContext], tuple[Alert, ...]]
BEARER = "`Bearer <integration token>`"


async def _ingest(
    intake: Intake, request: Request, source: IntegrationType, normalize: Normalizer
) -> Response | Rejection:
    credential = bearer_token(request.headers.get("authorization"))
    integration = intake.authenticate(credential, source)
    if isinstance(integration, Rejection):
        return integration
    body = await intake.read_json(request, integration.name)
    if isinstance(body, Rejection):
        return body
    received_at = intake.clock()
    try:
        alerts = normalize(body, intake.context(integration, received_at))
    except InvalidPayload as invalid:
        return intake.invalid(integration, invalid, alerts=_posted_alerts(body, source))
    failed = await intake.commit(integration, body, received_at, Outcome(alerts))
    return failed or accepted({"status": "success", "accepted": len(alerts)})


def _posted_alerts(body: Any, source: IntegrationType) -> int:
    """How many alerts an invalid body carried, as far as it says: the items of its list."""
    if source == "canonical":
        return len(body) if type(body) is list else 1 if type(body) is dict else 0
    listed = body.get("alerts") if type(body) is dict else None
    return len(listed) if type(listed) is list else 0


def _endpoint(
    intake: Intake, source: IntegrationType, normalize: Normalizer
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await intake.respond(
            source, tocsin_error, lambda: _ingest(intake, request, source, normalize)
        )

    return endpoint


# (path, integration type, summary, example body, normalizer)
_WEBHOOKS: tuple[tuple[str, IntegrationType, str, Any, Normalizer], ...] = (
    (
        "/api/v1/alerts/alertmanager",
        "alertmanager",
        "Alertmanager webhook (version 4)",
        ALERTMANAGER_EXAMPLE,
        lambda body, ctx: normalize_alertmanager(body, ctx).alerts,
    ),
    (
        "/api/v1/alerts/grafana",
        "grafana",
        "Grafana unified alerting webhook",
        GRAFANA_EXAMPLE,
        lambda body, ctx: normalize_grafana(body, ctx).alerts,
    ),
    (
        "/api/v1/alerts",
        "canonical",
        "Tocsin canonical JSON: one alert or a list (Alertmanager API v2 bodies too)",
        CANONICAL_EXAMPLE,
        normalize_canonical,
    ),
)


# Tocsin's own JSON takes one alert or a list of them (an empty list, as Alertmanager's API
# takes it, is accepted and adds nothing).
_BODY_SCHEMAS: dict[str, dict[str, Any]] = {
    "canonical": {"anyOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}]}
}


def _documented(source: IntegrationType) -> Responses:
    """The answers of `source`'s endpoint: over the rate limit, 503 or 429 (`THROTTLED_STATUS`)."""
    invalid = (422, TOCSIN_INVALID_EXAMPLE)
    if THROTTLED_STATUS.get(source, 429) == 503:
        return responses(
            TOCSIN_ACCEPTED_EXAMPLE, invalid, (400, 401, 403, 413, 415, 422, 503), THROTTLED_BY_503
        )
    return responses(
        TOCSIN_ACCEPTED_EXAMPLE, invalid, (400, 401, 403, 413, 415, 422, 429, 503), BATCH_OVER_BURST
    )


def webhook_routes(intake: Intake) -> APIRouter:
    router = APIRouter(tags=["ingest"], route_class=RawRequestRoute)
    for path, source, summary, example, normalize in _WEBHOOKS:
        router.add_api_route(
            path,
            _endpoint(intake, source, normalize),
            methods=["POST"],
            name=source,
            status_code=202,
            summary=summary,
            responses=_documented(source),
            openapi_extra=operation(
                example, credential=BEARER, body_schema=_BODY_SCHEMAS.get(source)
            ),
        )
    return router
