"""The read model's queries: GET /api/v1/incidents (filtered, paginated), one incident with
its timeline, its post-incident report, and the analytics of a window."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from services.router.api.answers import (
    UNKNOWN_INCIDENT,
    invalid,
    unauthorized,
    validation_errors,
)
from services.router.api.auth import TokenAuth
from services.router.api.issuing import CommandIssuer, Issued
from services.router.api.postmortem import postmortem_markdown
from services.router.api.times import DateTimeText
from services.router.api.views import analytics_json, detail_json, summary_json
from services.router.projection.analytics import Tally
from services.router.projection.model import IncidentStatus, IncidentView
from services.router.projection.query import IncidentFilter, InvalidCursor, select
from shared.api_errors import error
from shared.events.incidents import Priority

Authorization = Annotated[str | None, Header(description="`Bearer <user or service token>`")]
MARKDOWN = "text/markdown; charset=utf-8"


class OpenedWindow(BaseModel):
    """Incidents by when they opened."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    since: DateTimeText | None = Field(default=None, description="opened at or after")
    until: DateTimeText | None = Field(default=None, description="opened before")

    @field_validator("until")
    @classmethod
    def _after_since(cls, until: datetime | None, info: ValidationInfo) -> datetime | None:
        since = info.data.get("since")
        if until is not None and since is not None and until <= since:
            raise ValueError("must be after since")
        return until


class ListQuery(OpenedWindow):
    status: IncidentStatus | None = None
    service: str | None = Field(default=None, min_length=1)
    priority: Priority | None = None
    limit: int = Field(default=50, ge=1, le=500)
    cursor: str | None = Field(default=None, description="`next_cursor` of the previous page")


# The analytics' window when the query gives no `since`: the week before `until` (now).
ANALYTICS_WINDOW = timedelta(days=7)
# Incidents folded between turns given back to the event loop: about 10 ms of work.
ANALYTICS_BATCH = 500


def query_routes(issuer: CommandIssuer, auth: TokenAuth) -> APIRouter:
    queries = _Queries(issuer, auth)
    router = APIRouter(tags=["incidents"])
    refusals: dict[int | str, dict[str, Any]] = {
        401: {"description": "missing or unknown bearer token"},
        503: {"description": "read model rebuilding; retry"},
    }
    router.add_api_route(
        "/api/v1/incidents",
        queries.list_incidents,
        methods=["GET"],
        summary="Incidents, newest first; filter by status, service, priority, opened time",
        responses={**refusals, 422: {"description": "invalid filter or cursor"}},
        openapi_extra={"parameters": _query_parameters()},
    )
    router.add_api_route(
        "/api/v1/incidents/{incident_id}",
        queries.get_incident,
        methods=["GET"],
        summary="One incident with its full timeline",
        responses={**refusals, 404: {"description": UNKNOWN_INCIDENT}},
    )
    router.add_api_route(
        "/api/v1/incidents/{incident_id}/report",
        queries.get_report,
        methods=["GET"],
        summary="A post-incident report draft (Markdown) from the incident's timeline",
        response_class=PlainTextResponse,
        responses={
            200: {"content": {MARKDOWN: {"schema": {"type": "string"}}}},
            **refusals,
            404: {"description": UNKNOWN_INCIDENT},
        },
    )
    router.add_api_route(
        "/api/v1/analytics",
        queries.get_analytics,
        methods=["GET"],
        summary="How on-call went over a window: incidents, noise, pages, MTTA and MTTR",
        responses={**refusals, 422: {"description": "invalid window"}},
        openapi_extra={"parameters": _parameters(OpenedWindow)},
    )
    return router


class _Queries:
    def __init__(self, issuer: CommandIssuer, auth: TokenAuth) -> None:
        self._issuer = issuer
        self._auth = auth

    def _refusal(self, request: Request, authorization: str | None) -> JSONResponse | None:
        """Why a query of the read model cannot be answered: no valid token, the model being
        rebuilt, a parameter given twice (one value would be dropped without a word)."""
        if self._auth.authenticate(authorization) is None:
            return unauthorized()
        if not self._issuer.tailer.ready.is_set():
            return error(503, "the read model is being rebuilt from the log; retry shortly")
        names = [name for name, _ in request.query_params.multi_items()]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            given_twice = "given more than once"
            return invalid([{"field": name, "message": given_twice} for name in repeated])
        return None

    async def list_incidents(
        self, request: Request, authorization: Authorization = None
    ) -> JSONResponse:
        if refusal := self._refusal(request, authorization):
            return refusal
        try:
            query = ListQuery.model_validate(dict(request.query_params))
            wanted = IncidentFilter(
                query.status, query.service, query.priority, query.since, query.until
            )
            projection = await self._issuer.tailer.current()
            page = select(projection, wanted, query.limit, query.cursor)
        except ValidationError as failure:
            return invalid(validation_errors(failure))
        except InvalidCursor as bad:
            return invalid([{"field": "cursor", "message": str(bad)}])
        body = {
            "incidents": [summary_json(view) for view in page.incidents],
            "total": page.total,
            "next_cursor": page.next_cursor,
        }
        return JSONResponse(body)

    async def _incident(
        self, incident_id: str, authorization: str | None
    ) -> IncidentView | JSONResponse:
        """The incident the caller may read, or why not (401, 404, 503)."""
        if self._auth.authenticate(authorization) is None:
            return unauthorized()
        found = await self._issuer.find(incident_id)
        if isinstance(found, Issued):
            return error(found.status, found.message)
        return found

    async def get_incident(
        self, incident_id: str, authorization: Authorization = None
    ) -> JSONResponse:
        found = await self._incident(incident_id, authorization)
        return found if isinstance(found, JSONResponse) else JSONResponse(detail_json(found))

    async def get_report(self, incident_id: str, authorization: Authorization = None) -> Response:
        found = await self._incident(incident_id, authorization)
        if isinstance(found, JSONResponse):
            return found
        # Named for a save dialog (ids are `INC-` and hex digits; anything else is left out).
        name = re.sub(r"[^A-Za-z0-9_.-]", "", found.incident_id) or "incident"
        disposition = f'inline; filename="{name}-report.md"'
        return Response(
            postmortem_markdown(found),
            media_type=MARKDOWN,
            headers={"Content-Disposition": disposition},
        )

    async def get_analytics(
        self, request: Request, authorization: Authorization = None
    ) -> JSONResponse:
        if refusal := self._refusal(request, authorization):
            return refusal
        try:
            query = OpenedWindow.model_validate(dict(request.query_params))
        except ValidationError as failure:
            return invalid(validation_errors(failure))
        until = query.until or self._issuer.now()
        try:
            since = query.since or until - ANALYTICS_WINDOW
        except OverflowError:  # an `until` in the first week of year 1
            since = datetime.min.replace(tzinfo=UTC)
        if until <= since:  # a `since` after the default `until` (now), or no room before
            return invalid([{"field": "since", "message": "must be before until"}])
        projection = await self._issuer.tailer.current()
        tally = Tally(since, until)
        views = list(projection.incidents.values())
        for start in range(0, len(views), ANALYTICS_BATCH):
            for view in views[start : start + ANALYTICS_BATCH]:
                tally.add(view)
            await asyncio.sleep(0)  # pages go out meanwhile (50,000 incidents: about 1 s)
        return JSONResponse(analytics_json(tally.result(), since, until))


def _query_parameters() -> list[dict[str, Any]]:
    return _parameters(ListQuery)


def _parameters(query: type[BaseModel]) -> list[dict[str, Any]]:
    schema = query.model_json_schema()
    return [
        {"name": name, "in": "query", "required": False, "schema": field}
        for name, field in schema["properties"].items()
    ]
