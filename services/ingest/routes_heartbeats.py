"""`POST /api/v1/heartbeats/{name}`: a dead man's switch checks in with its own bearer token.

Any body (or none) is accepted within the size limit and ignored: the check-in itself is the
message. It becomes `HeartbeatReceived` on tocsin.alerts, keyed by the correlation domain of
the heartbeat's configured labels.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from services.ingest.answers import tocsin_error
from services.ingest.auth import AuthFailure, bearer_token
from services.ingest.examples_vendors import HEARTBEAT_ACCEPTED_EXAMPLE, HEARTBEAT_EXAMPLE
from services.ingest.intake import Intake, Rejection
from services.ingest.openapi import any_body, operation, responses
from services.ingest.raw_route import RawRequestRoute

SOURCE = "heartbeat"


async def _check_in(intake: Intake, request: Request) -> JSONResponse | Rejection:
    credential = bearer_token(request.headers.get("authorization"))
    heartbeat = intake.heartbeats.authenticate(request.path_params["name"], credential)
    if isinstance(heartbeat, AuthFailure):
        reason = "not_found" if heartbeat.status == 404 else "auth"
        return Rejection(heartbeat.status, reason, heartbeat.message)
    raw = await intake.read_raw(request, heartbeat.name)
    if isinstance(raw, Rejection):
        return raw
    failed = await intake.check_in(heartbeat, intake.clock())
    return failed or JSONResponse({"status": "success", "heartbeat": heartbeat.name}, 202)


def heartbeat_routes(intake: Intake) -> APIRouter:
    router = APIRouter(tags=["ingest: heartbeats"], route_class=RawRequestRoute)

    @router.post(
        "/api/v1/heartbeats/{name}",
        status_code=202,
        summary="Heartbeat check-in (dead man's switch)",
        responses=responses(HEARTBEAT_ACCEPTED_EXAMPLE, None, (401, 403, 404, 413, 415, 503)),
        openapi_extra=any_body(
            operation(
                HEARTBEAT_EXAMPLE,
                credential="`Bearer <heartbeat token>`",
                path=[("name", "the heartbeat's configured name")],
            )
        ),
    )
    async def check_in(request: Request) -> Response:
        return await intake.respond(SOURCE, tocsin_error, lambda: _check_in(intake, request))

    return router
