"""Opsgenie Alert API v2: create, close and acknowledge, answered as Opsgenie does.

`Authorization: GenieKey <key>` names the integration. Create and close become `AlertReceived`
(close: the resolved alert), acknowledge `AlertAcknowledgedAtSource`; all on tocsin.alerts,
keyed by the domain of the integration's default labels (see `Intake.integration_key`), since
close and acknowledge name only an alias or id. The body of a close or acknowledge is stored
with the request's action, identifier and identifierType (`PayloadReceived.request`): they are
in the URL only, and a replay needs them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.convertors import Convertor, register_url_convertor

from services.ingest.acceptance import Entry
from services.ingest.answers import opsgenie_error
from services.ingest.examples_vendors import (
    OPSGENIE_ACCEPTED_EXAMPLE,
    OPSGENIE_ACTION_EXAMPLE,
    OPSGENIE_CREATE_EXAMPLE,
    OPSGENIE_INVALID_EXAMPLE,
)
from services.ingest.intake import Intake, Outcome, Rejection
from services.ingest.normalizers.context import NormalizeContext
from services.ingest.normalizers.errors import InvalidPayload
from services.ingest.normalizers.opsgenie import (
    normalize_opsgenie_acknowledge,
    normalize_opsgenie_close,
    normalize_opsgenie_create,
    opsgenie_accepted_body,
)
from services.ingest.openapi import operation, responses
from services.ingest.raw_route import RawRequestRoute
from shared.events.inputs import AlertAcknowledgedAtSource, RequestParameters
from shared.topics import ALERTS


class _AnyIdentifier(Convertor[str]):
    """An alert's identifier as the path holds it once decoded: any text, a `/` (sent as %2F:
    an alias may hold one) or a line break included, which Starlette's `path` does not take."""

    regex = r"[\s\S]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


_IDENTIFIER = "opsgenie_identifier"
register_url_convertor(_IDENTIFIER, _AnyIdentifier())

GENIE_KEY = "`GenieKey <key>`"
TARGET_PATH = [("identifier", "the alert's alias, or its id (a Tocsin fingerprint)")]
TARGET_QUERY = [("identifierType", "`id` (default) or `alias`; `tiny` is unsupported")]
_STATUSES = (400, 401, 403, 413, 415, 422, 429, 503)
_DOCUMENTED = responses(OPSGENIE_ACCEPTED_EXAMPLE, (422, OPSGENIE_INVALID_EXAMPLE), _STATUSES)


def genie_key(header: str | None) -> str | None:
    if header is None:
        return None
    scheme, _, key = header.strip().partition(" ")
    return key.strip() if scheme.lower() == "geniekey" else None


async def _create(intake: Intake, request: Request) -> JSONResponse | Rejection:
    integration = intake.authenticate(genie_key(request.headers.get("authorization")), "opsgenie")
    if isinstance(integration, Rejection):
        return integration
    body = await intake.read_json(request, integration.name)
    if isinstance(body, Rejection):
        return body
    received_at = intake.clock()
    try:
        created = normalize_opsgenie_create(body, intake.context(integration, received_at))
    except InvalidPayload as invalid:
        return intake.invalid(integration, invalid)
    outcome = Outcome(alerts=(created.alert,), alert_key=intake.integration_key(integration))
    failed = await intake.commit(integration, body, received_at, outcome)
    return failed or JSONResponse(opsgenie_accepted_body(created.request_id), 202)


Target = tuple[str, str | None]  # (identifier, identifierType)


def _closed(body: Any, target: Target, ctx: NormalizeContext, key: str) -> tuple[Outcome, str]:
    closed = normalize_opsgenie_close(body, *target, ctx)
    return Outcome(alerts=(closed.alert,), alert_key=key), closed.request_id


def _acknowledged(
    body: Any, target: Target, ctx: NormalizeContext, key: str
) -> tuple[Outcome, str]:
    acked = normalize_opsgenie_acknowledge(body, *target, ctx)
    event = AlertAcknowledgedAtSource(
        integration=acked.integration,
        source=ctx.integration_type,
        fingerprint=acked.fingerprint,
        received_at=acked.received_at,
        by=acked.user,
        note=acked.note,
    )
    return Outcome(extra=(Entry(ALERTS, key, event),)), acked.request_id


Action = Callable[[Any, Target, NormalizeContext, str], tuple[Outcome, str]]


async def _act(
    intake: Intake, request: Request, verb: str, action: Action
) -> JSONResponse | Rejection:
    """Close or acknowledge the alert the URL names; the body (user, source, note) is optional."""
    integration = intake.authenticate(genie_key(request.headers.get("authorization")), "opsgenie")
    target = (request.path_params["identifier"], request.query_params.get("identifierType"))
    if isinstance(integration, Rejection):
        return integration
    body = await intake.read_json(request, integration.name, optional=True)
    if isinstance(body, Rejection):
        return body
    received_at = intake.clock()
    ctx = intake.context(integration, received_at)
    try:
        outcome, request_id = action(body, target, ctx, intake.integration_key(integration))
    except InvalidPayload as invalid:
        return intake.invalid(integration, invalid)
    kept = RequestParameters(action=verb, identifier=target[0], identifier_type=target[1])
    failed = await intake.commit(integration, body, received_at, outcome, kept)
    return failed or JSONResponse(opsgenie_accepted_body(request_id), 202)


# (path verb, summary, what it does): the two actions on an existing alert.
_ACTIONS: tuple[tuple[str, str, Action], ...] = (
    ("close", "close an alert (resolves it)", _closed),
    ("acknowledge", "acknowledge an alert", _acknowledged),
)


def opsgenie_routes(intake: Intake) -> APIRouter:
    router = APIRouter(tags=["ingest: Opsgenie Alert API v2"], route_class=RawRequestRoute)

    @router.post(
        "/v2/alerts",
        status_code=202,
        summary="Opsgenie: create an alert",
        responses=_DOCUMENTED,
        openapi_extra=operation(OPSGENIE_CREATE_EXAMPLE, credential=GENIE_KEY),
    )
    async def create(request: Request) -> Response:
        return await intake.respond("opsgenie", opsgenie_error, lambda: _create(intake, request))

    for verb, summary, action in _ACTIONS:
        router.add_api_route(
            f"/v2/alerts/{{identifier:{_IDENTIFIER}}}/{verb}",
            _action_endpoint(intake, verb, action),
            methods=["POST"],
            name=verb,
            status_code=202,
            summary=f"Opsgenie: {summary}",
            responses=_DOCUMENTED,
            openapi_extra=operation(
                OPSGENIE_ACTION_EXAMPLE,
                credential=GENIE_KEY,
                body_required=False,
                body_schema={"type": ["object", "null"]},  # null, like no body: no fields
                path=TARGET_PATH,
                query=TARGET_QUERY,
            ),
        )
    return router


def _action_endpoint(
    intake: Intake, verb: str, action: Action
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await intake.respond(
            "opsgenie", opsgenie_error, lambda: _act(intake, request, verb, action)
        )

    return endpoint
