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

    # HEAD too: load balancers and uptime checkers often probe with it.
    @router.api_route("/healthz", methods=["GET", "HEAD"], summary="Alive: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.api_route(
        "/readyz",
        methods=["GET", "HEAD"],
        summary="Ready: the event log backend is reachable and takes writes",
    )
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
