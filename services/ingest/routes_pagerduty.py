"""PagerDuty Events API v2: `/v2/enqueue` and `/v2/change/enqueue`, answered as PagerDuty does.

The credential is the body's `routing_key` (an integration's token), so the body is read and
parsed before authentication; it is stored with the key redacted (`redacted`, the body the
normalizer derives a missing `dedup_key` from, so a replay of the stored body derives it too).
Trigger and resolve become `AlertReceived`, acknowledge `AlertAcknowledgedAtSource` (all on
tocsin.alerts, keyed by the domain of the integration's default labels: see
`Intake.integration_key`), a change event `ChangeRecorded` on tocsin.payloads, which never
pages.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from services.ingest.acceptance import Entry
from services.ingest.answers import pagerduty_error
from services.ingest.config import IntegrationConfig
from services.ingest.examples_vendors import (
    PAGERDUTY_ACCEPTED_EXAMPLE,
    PAGERDUTY_CHANGE_ACCEPTED_EXAMPLE,
    PAGERDUTY_CHANGE_EXAMPLE,
    PAGERDUTY_INVALID_EXAMPLE,
    PAGERDUTY_TRIGGER_EXAMPLE,
)
from services.ingest.intake import Intake, Outcome, Rejection
from services.ingest.normalizers.errors import ROOT, FieldError, InvalidPayload
from services.ingest.normalizers.pagerduty import (
    ChangeEvent,
    PagerDutyAcknowledged,
    PagerDutyEvent,
    normalize_pagerduty_change,
    normalize_pagerduty_event,
    pagerduty_accepted_body,
    pagerduty_change_accepted_body,
    redacted,
)
from services.ingest.openapi import operation, responses
from services.ingest.raw_route import RawRequestRoute
from shared.events.inputs import AlertAcknowledgedAtSource, ChangeLink, ChangeRecorded
from shared.topics import ALERTS, PAYLOADS

_STATUSES = (400, 401, 403, 413, 415, 429, 503)


async def _authenticated(
    intake: Intake, request: Request
) -> tuple[IntegrationConfig, dict[str, Any]] | Rejection:
    """Read the body, then authenticate its `routing_key`."""
    body = await intake.read_json(request)
    if isinstance(body, Rejection):
        return body
    if not isinstance(body, dict):
        return Rejection(
            400, "invalid", "Event object is invalid", (FieldError(ROOT, "must be an object"),)
        )
    key = body.get("routing_key")
    if not isinstance(key, str) or not key.strip():
        blank = key is None or isinstance(key, str)  # present but blank is still missing
        problem = FieldError("routing_key", "is required" if blank else "must be a string")
        return Rejection(400, "invalid", "Event object is invalid", (problem,))
    integration = intake.authenticate(key, "pagerduty")
    if isinstance(integration, Rejection):
        return integration
    return integration, body


async def _enqueue(intake: Intake, request: Request) -> JSONResponse | Rejection:
    admitted = await _authenticated(intake, request)
    if isinstance(admitted, Rejection):
        return admitted
    integration, body = admitted
    received_at = intake.clock()
    try:
        event = normalize_pagerduty_event(body, intake.context(integration, received_at))
    except InvalidPayload as invalid:
        return intake.invalid(integration, invalid, status=400)
    outcome = _outcome(intake, integration, event)
    failed = await intake.commit(integration, redacted(body), received_at, outcome)
    return failed or JSONResponse(pagerduty_accepted_body(event), 202)


def _outcome(intake: Intake, integration: IntegrationConfig, event: PagerDutyEvent) -> Outcome:
    key = intake.integration_key(integration)
    if not isinstance(event, PagerDutyAcknowledged):
        return Outcome(alerts=(event.alert,), alert_key=key)
    acknowledged = AlertAcknowledgedAtSource(
        integration=event.integration,
        source=integration.type,
        fingerprint=event.fingerprint,
        received_at=event.received_at,
    )
    return Outcome(extra=(Entry(ALERTS, key, acknowledged),))


async def _change(intake: Intake, request: Request) -> JSONResponse | Rejection:
    admitted = await _authenticated(intake, request)
    if isinstance(admitted, Rejection):
        return admitted
    integration, body = admitted
    received_at = intake.clock()
    try:
        change = normalize_pagerduty_change(body, intake.context(integration, received_at))
    except InvalidPayload as invalid:
        return intake.invalid(integration, invalid, status=400)
    entry = Entry(PAYLOADS, integration.name, _recorded(change))
    outcome = Outcome(extra=(entry,))
    failed = await intake.commit(integration, redacted(body), received_at, outcome)
    return failed or JSONResponse(pagerduty_change_accepted_body(), 202)


def _recorded(change: ChangeEvent) -> ChangeRecorded:
    return ChangeRecorded(
        integration=change.integration,
        summary=change.summary,
        source=change.emitter,
        occurred_at=change.occurred_at,
        received_at=change.received_at,
        details=dict(change.details),
        key=change.key,
        labels=dict(change.labels),
        service=change.service,
        team=change.team,
        links=tuple(ChangeLink(href=link.href, text=link.text) for link in change.links),
    )


def pagerduty_routes(intake: Intake) -> APIRouter:
    router = APIRouter(tags=["ingest: PagerDuty Events API v2"], route_class=RawRequestRoute)

    @router.post(
        "/v2/enqueue",
        status_code=202,
        summary="PagerDuty Events API v2 event: trigger, acknowledge or resolve",
        responses=responses(
            PAGERDUTY_ACCEPTED_EXAMPLE, (400, PAGERDUTY_INVALID_EXAMPLE), _STATUSES
        ),
        openapi_extra=operation(PAGERDUTY_TRIGGER_EXAMPLE, credential=None),
    )
    async def enqueue(request: Request) -> Response:
        return await intake.respond("pagerduty", pagerduty_error, lambda: _enqueue(intake, request))

    @router.post(
        "/v2/change/enqueue",
        status_code=202,
        summary="PagerDuty change event: recorded as context, never paged",
        responses=responses(
            PAGERDUTY_CHANGE_ACCEPTED_EXAMPLE, (400, PAGERDUTY_INVALID_EXAMPLE), _STATUSES
        ),
        openapi_extra=operation(PAGERDUTY_CHANGE_EXAMPLE, credential=None),
    )
    async def change(request: Request) -> Response:
        return await intake.respond("pagerduty", pagerduty_error, lambda: _change(intake, request))

    return router
