"""The endpoints every service serves: liveness, readiness against its log, and metrics."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CollectorRegistry

from shared.metrics import exposition

ReadinessCheck = Callable[[], Awaitable[bool]]


def health_router(ready: ReadinessCheck, registry: CollectorRegistry) -> APIRouter:
    router = APIRouter(tags=["health"])

    # HEAD too: load balancers and uptime checkers often probe with it (kept out of the
    # OpenAPI document, where it would repeat the GET's operation).
    @router.head("/healthz", include_in_schema=False)
    @router.get("/healthz", summary="Alive: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.head("/readyz", include_in_schema=False)
    @router.get("/readyz", summary="Ready: the event log backend is reachable and takes writes")
    async def readyz() -> JSONResponse:
        if await ready():
            return JSONResponse({"status": "ready"})
        status = "log backend unreachable or not taking writes"
        return JSONResponse({"status": status}, status_code=503)

    @router.get(
        "/metrics",
        summary="Prometheus metrics in text format",
        response_class=PlainTextResponse,
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    async def metrics() -> Response:
        body, content_type = exposition(registry)
        return Response(content=body, media_type=content_type)

    return router
