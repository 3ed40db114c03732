"""Alertmanager, Grafana and Tocsin's own JSON: bearer-token webhooks, same answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse

from services.ingest.acceptance import NotAccepted
from services.ingest.auth import bearer_token
from services.ingest.config import IntegrationType
from services.ingest.examples import (
    ALERTMANAGER_EXAMPLE,
    CANONICAL_EXAMPLE,
    GRAFANA_EXAMPLE,
    request_body,
)
from services.ingest.intake import RETRY_AFTER_S, Intake, Rejection
from services.ingest.normalizers.alertmanager import normalize_alertmanager
from services.ingest.normalizers.canonical import normalize_canonical
from services.ingest.normalizers.context import NormalizeContext
from services.ingest.normalizers.errors import InvalidPayload
from services.ingest.normalizers.grafana import normalize_grafana
from shared.alerts import Alert

Normalizer = Callable[[Any, NormalizeContext], tuple[Alert, ...]]
Authorization = Annotated[str | None, Header(description="`Bearer <integration token>`")]


def _error(status: int, message: str, errors: list[dict[str, str]] | None = None) -> JSONResponse:
    headers = {"Retry-After": str(RETRY_AFTER_S)} if status == 503 else None
    body: dict[str, Any] = {"status": "error", "message": message}
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=headers)


async def _ingest(
    intake: Intake,
    request: Request,
    authorization: str | None,
    source: IntegrationType,
    normalize: Normalizer,
) -> JSONResponse:
    with intake.metrics.request_seconds.labels(source=source).time():
        admitted = await intake.admit(request, bearer_token(authorization), source)
        if isinstance(admitted, Rejection):
            intake.rejected(source, admitted.reason)
            return _error(admitted.status, admitted.message)
        try:
            alerts = normalize(admitted.body, intake.context(admitted))
        except InvalidPayload as invalid:
            intake.rejected(source, "invalid")
            errors = [{"field": e.field, "message": e.message} for e in invalid.errors]
            return _error(422, "the payload is invalid", errors)
        try:
            await intake.sink.accept(
                integration=admitted.integration.name,
                source=source,
                body=admitted.body,
                alerts=alerts,
                received_at=admitted.received_at,
            )
        except NotAccepted as unavailable:
            intake.rejected(source, "unavailable")
            return _error(503, f"not stored, retry later: {unavailable}")
        intake.metrics.accepted.labels(integration=admitted.integration.name).inc(len(alerts))
        return JSONResponse({"status": "success", "accepted": len(alerts)}, status_code=202)


def webhook_routes(intake: Intake) -> APIRouter:
    router = APIRouter(tags=["ingest"])
    responses: dict[int | str, dict[str, Any]] = {
        202: {"description": "stored durably"},
        401: {"description": "unknown credential"},
        403: {"description": "integration disabled"},
        413: {"description": "body too large"},
        422: {"description": "invalid payload; `errors` names each field"},
        503: {"description": "log unavailable; retry after `Retry-After` seconds"},
    }

    @router.post(
        "/api/v1/alerts/alertmanager",
        status_code=202,
        responses=responses,
        summary="Alertmanager webhook (version 4)",
        openapi_extra=request_body(ALERTMANAGER_EXAMPLE),
    )
    async def alertmanager(request: Request, authorization: Authorization = None) -> JSONResponse:
        return await _ingest(
            intake,
            request,
            authorization,
            "alertmanager",
            lambda body, ctx: normalize_alertmanager(body, ctx).alerts,
        )

    @router.post(
        "/api/v1/alerts/grafana",
        status_code=202,
        responses=responses,
        summary="Grafana unified alerting webhook",
        openapi_extra=request_body(GRAFANA_EXAMPLE),
    )
    async def grafana(request: Request, authorization: Authorization = None) -> JSONResponse:
        return await _ingest(
            intake,
            request,
            authorization,
            "grafana",
            lambda body, ctx: normalize_grafana(body, ctx).alerts,
        )

    @router.post(
        "/api/v1/alerts",
        status_code=202,
        responses=responses,
        summary="Tocsin canonical JSON: one alert or a list",
        openapi_extra=request_body(CANONICAL_EXAMPLE),
    )
    async def canonical(request: Request, authorization: Authorization = None) -> JSONResponse:
        return await _ingest(intake, request, authorization, "canonical", normalize_canonical)

    return router
