"""GET /api/v1/incidents (filtered, paginated) and GET /api/v1/incidents/{id} (timeline)."""

from __future__ import annotations

import re
from datetime import datetime
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
from services.router.api.views import detail_json, summary_json
from services.router.projection.model import IncidentStatus
from services.router.projection.query import IncidentFilter, InvalidCursor, select
from shared.api_errors import error
from shared.events.incidents import Priority

Authorization = Annotated[str | None, Header(description="`Bearer <user or service token>`")]
MARKDOWN = "text/markdown; charset=utf-8"


class ListQuery(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    status: IncidentStatus | None = None
    service: str | None = Field(default=None, min_length=1)
    priority: Priority | None = None
    since: DateTimeText | None = Field(default=None, description="opened at or after")
    until: DateTimeText | None = Field(default=None, description="opened before")
    limit: int = Field(default=50, ge=1, le=500)
    cursor: str | None = Field(default=None, description="`next_cursor` of the previous page")

    @field_validator("until")
    @classmethod
    def _after_since(cls, until: datetime | None, info: ValidationInfo) -> datetime | None:
        since = info.data.get("since")
        if until is not None and since is not None and until <= since:
            raise ValueError("must be after since")
        return until


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
    return router


class _Queries:
    def __init__(self, issuer: CommandIssuer, auth: TokenAuth) -> None:
        self._issuer = issuer
        self._auth = auth

    async def list_incidents(
        self, request: Request, authorization: Authorization = None
    ) -> JSONResponse:
        if self._auth.authenticate(authorization) is None:
            return unauthorized()
        if not self._issuer.tailer.ready.is_set():
            return error(503, "the read model is being rebuilt from the log; retry shortly")
        refused = _refused_parameters(request)
        if refused:
            return invalid(refused)
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

    async def get_incident(
        self, incident_id: str, authorization: Authorization = None
    ) -> JSONResponse:
        if self._auth.authenticate(authorization) is None:
            return unauthorized()
        found = await self._issuer.find(incident_id)
        if isinstance(found, Issued):
            return error(found.status, found.message)
        return JSONResponse(detail_json(found))

    async def get_report(self, incident_id: str, authorization: Authorization = None) -> Response:
        if self._auth.authenticate(authorization) is None:
            return unauthorized()
        found = await self._issuer.find(incident_id)
        if isinstance(found, Issued):
            return error(found.status, found.message)
        # Named for a save dialog (ids are `INC-` and hex digits; anything else is left out).
        name = re.sub(r"[^A-Za-z0-9_.-]", "", found.incident_id) or "incident"
        disposition = f'inline; filename="{name}-report.md"'
        return Response(
            postmortem_markdown(found),
            media_type=MARKDOWN,
            headers={"Content-Disposition": disposition},
        )


def _refused_parameters(request: Request) -> list[dict[str, str]]:
    """A parameter given twice: one value would be dropped without a word."""
    names = [name for name, _ in request.query_params.multi_items()]
    repeated = sorted({name for name in names if names.count(name) > 1})
    return [{"field": name, "message": "given more than once"} for name in repeated]


def _query_parameters() -> list[dict[str, Any]]:
    schema = ListQuery.model_json_schema()
    return [
        {"name": name, "in": "query", "required": False, "schema": field}
        for name, field in schema["properties"].items()
    ]
